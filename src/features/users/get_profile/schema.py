"""No request body; the response is the feature's Profile (see read_model.py)."""

__all__: tuple[str, ...] = ()
