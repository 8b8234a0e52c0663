"""No SQL of its own: the password grant's queries are in src/features/auth/password_grant.py."""

__all__: tuple[str, ...] = ()
