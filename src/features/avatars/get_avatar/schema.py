"""No body in; the response is the feature's AvatarView (see read_model.py)."""

__all__: tuple[str, ...] = ()
