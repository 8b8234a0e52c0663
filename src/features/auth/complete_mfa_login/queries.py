"""No SQL of its own: the MFA grant's queries are in src/features/auth/mfa_grant.py."""

__all__: tuple[str, ...] = ()
