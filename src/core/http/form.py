"""Strict form bodies: `application/x-www-form-urlencoded`, parsed once, by us, strictly.

A route declares `data: Annotated[T, Body(media_type=RequestEncodingType.URL_ENCODED)]`
(T a msgspec Struct of strings), as it would a JSON body. Litestar's own parser is not
fit for it: it parses any Content-Type, turns invalid UTF-8 into U+FFFD and raw
non-ASCII bytes into Latin-1 (a password `café` arrives as `cafÃ©`), keeps a repeated
key as a list, and memoises the last 1024 bodies it parsed in a process-wide cache, so
passwords and refresh tokens would stay in memory. This check (a `core.http.checks`
step) parses the body first and hands Litestar the result as the request's form, so
Litestar's parser never sees it:

- another Content-Type, or a charset other than UTF-8, is a 415;
- the body is decoded as the WHATWG URL standard's urlencoded parser does (`+` is a
  space, percent-escapes are bytes, raw UTF-8 is UTF-8), except strictly: invalid UTF-8
  and a `%` not followed by two hex digits are a 400 `malformed_form`;
- a key sent twice is a 400 `repeated_parameter` (RFC 6749 section 3.2 says so for
  OAuth, and no form of ours takes lists); more than `MAX_PARAMETERS` keys is a 400;
- a key with an empty value counts as absent (RFC 6749 section 3.2; HTML forms send
  empty fields);
- the values are checked against T strictly, every field at once (400 with pointers);
  keys T does not know are refused only when T says `forbid_unknown_fields`.

Errors are the kernel's domain errors; a route whose protocol has its own error format
(the OAuth token endpoint) maps them with route-level exception handlers.
"""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import unquote_to_bytes

import msgspec
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.params import BodyKwarg
from litestar.utils.scope.state import ScopeState

from src.core.errors import FieldError, InvalidInput, UnsupportedMediaType

__all__ = ("MAX_PARAMETERS", "StrictFormBodies", "parse_form")

MAX_PARAMETERS: Final = 32
_FORM_MEDIA_TYPE: Final = RequestEncodingType.URL_ENCODED.value
_UTF8: Final = frozenset({"utf-8", "utf8"})
_STRAY_PERCENT: Final = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_SHOWN_NAME_MAX: Final = 40


def _shown(name: str) -> str:
    """A key as an error message may repeat it: printable ASCII, bounded."""
    return "".join(char if " " <= char <= "~" else "?" for char in name[:_SHOWN_NAME_MAX])


def _decoded(part: bytes, position: int) -> str:
    if _STRAY_PERCENT.search(part):
        raise InvalidInput(
            f"The form is malformed: a `%` not followed by two hex digits (parameter {position}).",
            code="malformed_form",
        )
    try:
        return unquote_to_bytes(part.replace(b"+", b" ")).decode()
    except UnicodeDecodeError:
        raise InvalidInput(
            f"The form is not valid UTF-8 (parameter {position}); percent-encode UTF-8 bytes.",
            code="malformed_form",
        ) from None


def parse_form(body: bytes) -> dict[str, str]:
    """The body's keys and values, strictly (see the module docstring); empty values left out."""
    values: dict[str, str] = {}
    seen: set[str] = set()
    parts = [part for part in body.split(b"&") if part]
    if len(parts) > MAX_PARAMETERS:
        raise InvalidInput(f"The form has more than {MAX_PARAMETERS} parameters.", code="too_many_parameters")
    for position, part in enumerate(parts, start=1):
        raw_name, _, raw_value = part.partition(b"=")
        name, value = _decoded(raw_name, position), _decoded(raw_value, position)
        if not name:
            raise InvalidInput(f"The form is malformed: parameter {position} has no name.", code="malformed_form")
        if name in seen:
            raise InvalidInput(
                f"The parameter `{_shown(name)}` is sent more than once.",
                errors=(FieldError(pointer=f"#/{_pointer_part(name)}", detail="Sent more than once"),),
                code="repeated_parameter",
            )
        seen.add(name)
        if value:
            values[name] = value
    return values


def _pointer_part(name: str) -> str:
    return _shown(name).replace("~", "~0").replace("/", "~1")


def _field_errors(values: dict[str, str], body_type: Any) -> tuple[FieldError, ...]:
    """Every field's problem at once (msgspec stops at the first)."""
    info = msgspec.inspect.type_info(body_type)
    errors: list[FieldError] = []
    for field in msgspec.structs.fields(body_type):
        name = field.encode_name
        if name not in values:
            if field.required:
                errors.append(FieldError(pointer=f"#/{name}", detail="Missing required parameter"))
            continue
        try:
            msgspec.convert(values[name], type=field.type, strict=True)
        except msgspec.ValidationError as exc:
            errors.append(FieldError(pointer=f"#/{name}", detail=str(exc)))
    if isinstance(info, msgspec.inspect.StructType) and info.forbid_unknown_fields:
        known = {field.encode_name for field in info.fields}
        errors.extend(
            FieldError(pointer=f"#/{_pointer_part(name)}", detail="Unknown parameter")
            for name in values
            if name not in known
        )
    return tuple(errors)


class _FormCheck:
    """One route's step: its form type, checked strictly."""

    __slots__ = ("_body_type", "_required")

    def __init__(self, body_type: Any, *, required: bool) -> None:
        self._body_type = body_type
        self._required = required

    async def __call__(self, request: Request[Any, Any, Any]) -> None:
        body = await request.body()
        if not body:
            if self._required:
                raise InvalidInput(f"This endpoint needs a {_FORM_MEDIA_TYPE} request body.", code="body_required")
            return
        media_type, options = request.content_type
        if media_type != _FORM_MEDIA_TYPE:
            raise UnsupportedMediaType(
                f"Send the body as {_FORM_MEDIA_TYPE}, not {_shown(media_type) or 'without a Content-Type'}."
            )
        charset = options.get("charset", "utf-8").strip('"').lower()
        if charset not in _UTF8:
            raise UnsupportedMediaType(f"Send the body as UTF-8, not {_shown(charset)}.")
        values = parse_form(body)
        try:
            msgspec.convert(values, type=self._body_type, strict=True)
        except msgspec.ValidationError as exc:
            errors = _field_errors(values, self._body_type) or (FieldError(pointer="#", detail=str(exc)),)
            first = errors[0]
            detail = (
                f"{first.pointer.removeprefix('#/')}: {first.detail}"
                if len(errors) == 1
                else "The form has invalid values; see errors."
            )
            raise InvalidInput(detail, errors=errors) from None
        # Litestar's extractor takes the form it finds here and never parses the body itself
        # (ScopeState is internal to Litestar: tests/core/http/test_form.py fails if that changes).
        form: dict[str, str | list[str] | UploadFile] = {**values}
        ScopeState.from_scope(request.scope).form = form


class StrictFormBodies:
    """The check for routes that declare a urlencoded form body; others get no step."""

    __slots__ = ()

    def step_for(self, handler: HTTPRouteHandler) -> _FormCheck | None:
        field = handler.parsed_fn_signature.parameters.get("data")
        if field is None or not isinstance(field.kwarg_definition, BodyKwarg):
            return None
        if field.kwarg_definition.media_type != RequestEncodingType.URL_ENCODED:
            return None
        return _FormCheck(field.annotation, required=not field.is_optional)
