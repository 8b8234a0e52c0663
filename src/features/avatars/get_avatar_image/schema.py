"""No body in; the response is an SVG document (image/svg+xml)."""

__all__: tuple[str, ...] = ()
