"""No body in; the response is the feature's WebhookView (see read_model.py)."""

__all__: tuple[str, ...] = ()
