"""The query parameters every list takes: `limit` and `cursor`, declared so that the
OpenAPI document states their bounds and format (SDK generators and fuzzers believe it)
and Litestar enforces them. The pages themselves are `core.data.pagination`'s."""

from __future__ import annotations

from typing import Annotated

from litestar.openapi.spec import Example
from litestar.params import QueryParameter

from src.core.data.pagination import CURSOR_PARAMETER, DEFAULT_LIMIT, MAX_LIMIT
from src.core.text import END

__all__ = ("CursorParam", "LimitParam")

LimitParam = Annotated[
    int,
    QueryParameter(
        ge=1,
        le=MAX_LIMIT,
        description=f"Items per page, 1-{MAX_LIMIT}",
        examples=[Example(value=DEFAULT_LIMIT)],
    ),
]
# Not nullable: an empty value means "from the start", and `?cursor=` is what many
# clients send for "no cursor".
CursorParam = Annotated[
    str,
    QueryParameter(
        name=CURSOR_PARAMETER,
        max_length=128,
        pattern=rf"^[A-Za-z0-9_-]*{END}",
        description="Opaque: the `meta.next_cursor` of the previous page; empty for the first page",
        examples=[Example(value="AgGSKg3iaVEdbrWJ8h1oXwbg8F4Cq3l-LyTq")],
    ),
]
