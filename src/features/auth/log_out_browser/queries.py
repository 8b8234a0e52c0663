"""No SQL of its own: ending a session is shared with `/logout` (src/features/auth/logout.py)."""

__all__: tuple[str, ...] = ()
