"""No SQL of its own: ending a session is shared with the browser logout (src/features/auth/logout.py)."""

__all__: tuple[str, ...] = ()
