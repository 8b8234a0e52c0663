"""No use case: liveness touches no dependency: the route answers from memory."""

__all__: tuple[str, ...] = ()
