"""No body in or out: the account is the caller's, success is 204."""

__all__: tuple[str, ...] = ()
