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
_UTF8: Final = frozenset({"utf-8", "utf8"})
_NAMED_FIELD: Final = re.compile(r"(?:unknown|missing required) field `([^`]+)`")


def _pointer(path: str, message: str) -> str:
    """msgspec's `$.items[0].name` as the JSON Pointer fragment `#/items/0/name`."""
    parts = [part for part in re.split(r"[.\[\]]+", path.removeprefix("$")) if part]
    if (field := _NAMED_FIELD.search(message)) is not None:
        parts.append(field.group(1))
    return "#" + "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def _field_error(exc: msgspec.ValidationError, *, within: str = "") -> FieldError:
    message, _, path = str(exc).partition(_AT_PATH)
    path = path.rstrip("`")
    if within:  # a path inside one field's value: `$[0].name` in `items` is `$.items[0].name`
        path = f"$.{within}{path.removeprefix('$')}" if path else f"$.{within}"
    return FieldError(pointer=_pointer(path, message), detail=message)


def _malformed(exc: msgspec.DecodeError) -> InvalidInput:
    return InvalidInput(f"The body is not valid JSON: {exc}", code="malformed_json")


def _every_field_error(body: bytes, body_type: Any, first: msgspec.ValidationError) -> tuple[FieldError, ...]:
    """msgspec stops at the first bad field; a client fixing a form wants them all. Only on
    the error path, each field of the body's Struct is decoded again on its own."""
    info = msgspec.inspect.type_info(body_type)
    try:
        raw = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:  # the typed decoder stopped before the syntax error
        raise _malformed(exc) from None
    if not isinstance(info, msgspec.inspect.StructType) or not isinstance(raw, dict):
        return (_field_error(first),)
    errors: list[FieldError] = []
    for field in msgspec.structs.fields(body_type):
        name = field.encode_name
        if name not in raw:
            if field.required:
                detail = f"Object missing required field `{name}`"
                errors.append(FieldError(pointer=_pointer("", detail), detail=detail))
            continue
        try:
            msgspec.json.decode(msgspec.json.encode(raw[name]), type=field.type, strict=True)
        except msgspec.ValidationError as exc:
            errors.append(_field_error(exc, within=name))
    if info.forbid_unknown_fields:
        known = {field.encode_name for field in info.fields}
        for name in raw:
            if name not in known:
                detail = f"Object contains unknown field `{name}`"
                errors.append(FieldError(pointer=_pointer("", detail), detail=detail))
    return tuple(errors) or (_field_error(first),)


class _BodyCheck:
    """One route's step: its body type's strict decoder."""

    __slots__ = ("_body_type", "_decoder", "_required")

    def __init__(self, body_type: Any, *, required: bool) -> None:
        self._body_type = body_type
        self._decoder = msgspec.json.Decoder(body_type, strict=True)
        self._required = required

    async def __call__(self, request: Request[Any, Any, Any]) -> None:
        body = await request.body()
        if not body:
            if self._required:
                raise InvalidInput("This endpoint needs a JSON request body.", code="body_required")
            return
        media_type, options = request.content_type
        if not _JSON_MEDIA_TYPE.fullmatch(media_type):
            raise UnsupportedMediaType(
                f"Send the body as application/json, not {media_type or 'without a Content-Type'}."
            )
        charset = options.get("charset", "utf-8").strip('"').lower()
        if charset not in _UTF8:  # JSON is UTF-8 (RFC 8259 section 8.1); nothing else is decoded
            raise UnsupportedMediaType(f"Send the body as UTF-8, not {charset[:40]}.")
        try:
            # Validated whole, first: msgspec checks the UTF-8 of string values only (a bad
            # byte there raised UnicodeDecodeError, a 500), not of keys or of what it skips.
            body.decode()
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"The body is not valid UTF-8 (byte {exc.start}).", code="malformed_json") from None
        try:
            self._decoder.decode(body)
        except msgspec.ValidationError as exc:
            errors = _every_field_error(body, self._body_type, exc)
            detail = errors[0].detail if len(errors) == 1 else "The body has invalid values; see errors."
            raise InvalidInput(detail, errors=errors) from None
        except msgspec.DecodeError as exc:
            raise _malformed(exc) from None


class StrictJsonBodies:
    """The check for routes that declare a JSON body; others get no step."""

    __slots__ = ()

    def step_for(self, handler: HTTPRouteHandler) -> _BodyCheck | None:
        field = handler.parsed_fn_signature.parameters.get("data")
        if field is None or not isinstance(field.kwarg_definition, BodyKwarg):
            return None
        if field.kwarg_definition.media_type not in {"application/json", None}:
            return None
        return _BodyCheck(field.annotation, required=not field.is_optional)
