from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from src.core.data.database import Connection
from src.core.data.pagination import DEFAULT_LIMIT, CursorCodec
from src.core.http.auth import Principal, needs_scope, optional_bearer_security
from src.core.http.paging import CursorParam, LimitParam
from src.core.http.problems import problem_responses
from src.features.avatars.list_avatars.command import ListAvatars
from src.features.avatars.list_avatars.handler import list_avatars
from src.features.avatars.list_avatars.schema import AvatarsPage
from src.features.avatars.read_model import PERSONALISED_READ

__all__ = ("list_avatars_route",)


@get(
    "/",
    operation_id="listAvatars",
    summary="List avatars, newest first",
    description="Public. Cursor-paginated: follow `links.next` (or pass `meta.next_cursor` as `cursor`) until it "
    "is null. Pages stay correct while avatars are added or deleted between requests.",
    security=optional_bearer_security("avatars:read"),
    opt=needs_scope("avatars:read"),
    responses=problem_responses(400, 401),
)
async def list_avatars_route(
    request: Request[Any, Any, Any],
    viewer: NamedDependency[Principal | None],
    connection: NamedDependency[Connection],
    cursors: NamedDependency[CursorCodec],
    owner_id: FromQuery[UUID | None] = None,
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: CursorParam = "",
) -> Response[AvatarsPage]:
    pagination = cursors.paginate(
        request.url.path, scope="avatars", filters={"owner_id": owner_id}, limit=limit, cursor=cursor
    )
    viewer_id = viewer.user_id if viewer else None
    command = ListAvatars(owner_id=owner_id, viewer_id=viewer_id, page=pagination.request)
    page = pagination.page(AvatarsPage, await list_avatars(command, connection=connection))
    return Response(page, headers=PERSONALISED_READ)
