"""No request body: the refresh token comes in its cookie. The answer (`BrowserSession`)
is shared by the browser routes (src/features/auth/browser_mode.py)."""

__all__: tuple[str, ...] = ()
