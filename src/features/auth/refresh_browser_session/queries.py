"""No SQL of its own: the refresh grant's queries are in src/features/auth/refresh_grant.py."""

__all__: tuple[str, ...] = ()
