"""Avatars: the example domain. One slice per action; the view is the shared read model."""

from litestar import Router

from src.features.avatars.create_avatar.router import create_avatar_route
from src.features.avatars.delete_avatar.router import delete_avatar_route
from src.features.avatars.get_avatar.router import get_avatar_route
from src.features.avatars.get_avatar_image.router import get_avatar_image_route
from src.features.avatars.like_avatar.router import like_avatar_route
from src.features.avatars.list_avatars.router import list_avatars_route
from src.features.avatars.unlike_avatar.router import unlike_avatar_route
from src.features.avatars.update_avatar.router import update_avatar_route

__all__ = ("router",)

router = Router(
    path="/avatars",
    tags=["avatars"],
    route_handlers=[
        create_avatar_route,
        list_avatars_route,
        get_avatar_route,
        get_avatar_image_route,
        update_avatar_route,
        delete_avatar_route,
        like_avatar_route,
        unlike_avatar_route,
    ],
)
