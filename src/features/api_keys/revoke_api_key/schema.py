"""No request body and no response body (204)."""

__all__: tuple[str, ...] = ()
