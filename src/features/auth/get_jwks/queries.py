"""No SQL: the keys come from the settings (JWT_PRIVATE_KEY, JWT_PREVIOUS_PUBLIC_KEYS)."""

__all__: tuple[str, ...] = ()
