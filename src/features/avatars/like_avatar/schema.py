"""No body in or out: success is 204, whether or not anything changed."""

__all__: tuple[str, ...] = ()
