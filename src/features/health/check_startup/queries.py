"""No SQL: whether this worker has started is the route's own state."""

__all__: tuple[str, ...] = ()
