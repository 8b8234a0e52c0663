"""No SQL of its own: the kernel's `pending_migrations` (core.data.migrations) reads the applied versions."""

__all__: tuple[str, ...] = ()
