"""The avatar as an SVG: its colour as background, the initials of its name on top, in
black or white, whichever contrasts more (WCAG relative luminance).

The name is user input inside XML: every character is escaped (so `<script>` or `"/>`
stays text), and characters XML 1.0 cannot carry are dropped, so the document always
parses. The image depends only on name and colour, so the avatar's version is its ETag.
"""

from __future__ import annotations

import re
from typing import Final
from xml.sax.saxutils import escape

import msgspec

from src.core.data.database import Connection
from src.core.errors import NotFound
from src.features.avatars.get_avatar_image.command import GetAvatarImage
from src.features.avatars.get_avatar_image.queries import SELECT_AVATAR_LOOK
from src.features.avatars.preconditions import if_none_match_hits

__all__ = ("AvatarImage", "get_avatar_image", "render_svg", "text_color_for")

_NOT_IN_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTRIBUTE_ENTITIES: Final = {'"': "&quot;", "'": "&apos;"}
_SIZE: Final = 128


class AvatarImage(msgspec.Struct, frozen=True):
    etag: str
    svg: bytes | None
    """None when the client's copy is current (answer 304)."""


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4


def text_color_for(background: str) -> str:
    """#000000 or #FFFFFF, whichever has the higher contrast ratio against `background`."""
    red, green, blue = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * _linear(red) + 0.7152 * _linear(green) + 0.0722 * _linear(blue)
    contrast_with_black = (luminance + 0.05) / 0.05
    contrast_with_white = 1.05 / (luminance + 0.05)
    return "#000000" if contrast_with_black >= contrast_with_white else "#FFFFFF"


def _initials(name: str) -> str:
    words = name.split()
    return "".join(word[0] for word in words[:2]).upper()


def render_svg(name: str, color: str) -> bytes:
    safe_name = _NOT_IN_XML.sub("", name)
    label = escape(safe_name, _ATTRIBUTE_ENTITIES)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_SIZE}" height="{_SIZE}" '
        f'viewBox="0 0 {_SIZE} {_SIZE}" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        f'<rect width="{_SIZE}" height="{_SIZE}" fill="{color}"/>'
        f'<text x="50%" y="50%" dy="0.35em" text-anchor="middle" font-family="system-ui, sans-serif" '
        f'font-size="52" font-weight="600" fill="{text_color_for(color)}">{escape(_initials(safe_name))}</text>'
        "</svg>"
    ).encode()


def _etag(version: int) -> str:
    return f'"v{version}-svg"'


async def get_avatar_image(command: GetAvatarImage, *, connection: Connection) -> AvatarImage:
    row = await connection.fetchrow(SELECT_AVATAR_LOOK, command.avatar_id)
    if row is None:
        raise NotFound("No avatar with this id.")
    etag = _etag(row["version"])
    if if_none_match_hits(command.if_none_match, etag):
        return AvatarImage(etag=etag, svg=None)
    return AvatarImage(etag=etag, svg=render_svg(row["name"], row["color"]))
