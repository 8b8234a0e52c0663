from __future__ import annotations

import msgspec

__all__ = ("LogOutBrowser",)


class LogOutBrowser(msgspec.Struct, frozen=True):
    refresh_token: str
    """From the browser session's cookie."""
