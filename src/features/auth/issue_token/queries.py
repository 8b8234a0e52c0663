"""No SQL of its own: the grants' queries are in src/features/auth/password_grant.py and refresh_grant.py."""

__all__: tuple[str, ...] = ()
