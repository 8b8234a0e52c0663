"""No input: every caller gets the same key set."""

__all__: tuple[str, ...] = ()
