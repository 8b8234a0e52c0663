"""No body in or out: success is 204."""

__all__: tuple[str, ...] = ()
