"""Conditional requests (RFC 9110 section 13): comparing the client's ETags with ours."""

from __future__ import annotations

__all__ = ("if_match_allows", "if_none_match_hits")


def _tags(header: str) -> set[str]:
    return {tag.strip() for tag in header.split(",") if tag.strip()}


def if_match_allows(if_match: str | None, current_etag: str) -> bool:
    """No header, `*`, or a strong match with one listed ETag (weak ones never match)."""
    if if_match is None:
        return True
    tags = _tags(if_match)
    return "*" in tags or current_etag in tags


def if_none_match_hits(if_none_match: str | None, current_etag: str) -> bool:
    """True when the client's copy is current (answer 304): weak comparison, `*` matches."""
    if if_none_match is None:
        return False
    tags = {tag.removeprefix("W/") for tag in _tags(if_none_match)}
    return "*" in tags or current_etag.removeprefix("W/") in tags
