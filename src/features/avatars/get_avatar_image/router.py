from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter

from src.core.data.database import Connection
from src.core.http.api_contract import sends_headers
from src.core.http.problems import problem_responses
from src.features.avatars.get_avatar_image.command import GetAvatarImage
from src.features.avatars.get_avatar_image.handler import get_avatar_image

__all__ = ("get_avatar_image_route",)

_SVG = "image/svg+xml"
_CACHING = {
    "Cache-Control": "public, max-age=60",
    # Other sites may show the picture in an <img>; SVG in an <img> runs no script.
    "Cross-Origin-Resource-Policy": "cross-origin",
}


@get(
    "/{avatar_id:uuid}/image.svg",
    operation_id="getAvatarImage",
    summary="The avatar as an SVG image",
    description="Public and cacheable; send `If-None-Match` with the `ETag` you have to get a 304.",
    media_type=_SVG,
    response_headers=sends_headers("ETag"),
    responses={
        304: ResponseSpec(None, description="Not Modified: your copy (the `ETag` you sent) is current; no body"),
        **problem_responses(400, 404),
    },
)
async def get_avatar_image_route(
    avatar_id: FromPath[UUID],
    connection: NamedDependency[Connection],
    if_none_match: Annotated[str | None, HeaderParameter(name="If-None-Match", max_length=1024)] = None,
) -> Response[bytes]:
    image = await get_avatar_image(
        GetAvatarImage(avatar_id=avatar_id, if_none_match=if_none_match), connection=connection
    )
    headers = {**_CACHING, "ETag": image.etag}
    if image.svg is None:
        return Response(b"", status_code=304, headers=headers, media_type=_SVG)
    return Response(image.svg, headers=headers, media_type=_SVG)
