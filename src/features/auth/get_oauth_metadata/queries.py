"""No SQL: the document comes from the settings (PUBLIC_BASE_URL, JWT_ISSUER) and the route paths."""

__all__: tuple[str, ...] = ()
