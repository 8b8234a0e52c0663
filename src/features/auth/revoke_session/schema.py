"""No body in or out: the session id is in the path, success is 204."""

__all__: tuple[str, ...] = ()
