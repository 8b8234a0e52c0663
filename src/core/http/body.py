"""Strict JSON request bodies: exact types, `application/json` only, errors with pointers.

Litestar converts bodies leniently (`"5"` becomes `5`, `1` becomes `true`) and accepts any
Content-Type. An API contract that SDKs are generated from must mean what it says, so a
check (a `core.http.checks` step) decodes the raw body strictly with msgspec against the
route's declared `data: JSONBody[T]` type first. A body that passes here converts to
the same value in Litestar's own pass; a body that fails never reaches the handler.
"""

from __future__ import annotations

import re
from typing import Any, Final

import msgspec
from litestar import Request
from litestar.handlers import HTTPRouteHandler
from litestar.params import BodyKwarg

from src.core.errors import FieldError, InvalidInput, UnsupportedMediaType

__all__ = ("StrictJsonBodies",)

_JSON_MEDIA_TYPE: Final = re.compile(r"application/(?:[\w.-]+\+)?json")
_AT_PATH: Final = " - at `"
_NAMED_FIELD: Final = re.compile(r"(?:unknown|missing required) field `([^`]+)`")


def _pointer(path: str, message: str) -> str:
    """msgspec's `$.items[0].name` as the JSON Pointer fragment `#/items/0/name`."""
    parts = [part for part in re.split(r"[.\[\]]+", path.removeprefix("$")) if part]
    if (field := _NAMED_FIELD.search(message)) is not None:
        parts.append(field.group(1))
    return "#" + "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def _field_error(exc: msgspec.ValidationError) -> FieldError:
    message, _, path = str(exc).partition(_AT_PATH)
    return FieldError(pointer=_pointer(path.rstrip("`"), message), detail=message)


class _BodyCheck:
    """One route's step: its body type's strict decoder."""

    __slots__ = ("_decoder", "_required")

    def __init__(self, decoder: msgspec.json.Decoder[Any], *, required: bool) -> None:
        self._decoder = decoder
        self._required = required

    async def __call__(self, request: Request[Any, Any, Any]) -> None:
        body = await request.body()
        if not body:
            if self._required:
                raise InvalidInput("This endpoint needs a JSON request body.", code="body_required")
            return
        media_type = request.content_type[0]
        if not _JSON_MEDIA_TYPE.fullmatch(media_type):
            raise UnsupportedMediaType(
                f"Send the body as application/json, not {media_type or 'without a Content-Type'}."
            )
        try:
            self._decoder.decode(body)
        except msgspec.ValidationError as exc:
            error = _field_error(exc)
            raise InvalidInput(error.detail, errors=(error,)) from None
        except msgspec.DecodeError as exc:
            raise InvalidInput(f"The body is not valid JSON: {exc}", code="malformed_json") from None


class StrictJsonBodies:
    """The check for routes that declare a JSON body; others get no step."""

    __slots__ = ()

    def step_for(self, handler: HTTPRouteHandler) -> _BodyCheck | None:
        field = handler.parsed_fn_signature.parameters.get("data")
        if field is None or not isinstance(field.kwarg_definition, BodyKwarg):
            return None
        if field.kwarg_definition.media_type not in {"application/json", None}:
            return None
        return _BodyCheck(msgspec.json.Decoder(field.annotation, strict=True), required=not field.is_optional)
