"""Strict form bodies (src/core/http/form.py), on a test-only route that declares
`URLEncodedBody[FormBody]` and answers with problem details like any route."""

from __future__ import annotations

import httpx
import pytest
from litestar._parsers import parse_url_encoded_form_data

from tests.support.problems import assert_problem

FORM_ROUTE = "/api/v1/probe/form"
FORM = "application/x-www-form-urlencoded"


async def post_form(client: httpx.AsyncClient, body: bytes, content_type: str = FORM) -> httpx.Response:
    return await client.post(FORM_ROUTE, content=body, headers={"content-type": content_type})


async def test_a_form_is_decoded_as_browsers_encode_it(probe_client: httpx.AsyncClient) -> None:
    """`+` is a space, escapes are UTF-8 bytes, raw UTF-8 is UTF-8, an empty value is no
    value; and Litestar's own parser, which caches bodies process-wide, never runs."""
    cached_before = parse_url_encoded_form_data.cache_info().currsize

    escaped = await post_form(probe_client, b"name=caf%C3%A9+au&note=")
    raw_utf8 = await post_form(probe_client, "name=café+au".encode())

    assert escaped.status_code == raw_utf8.status_code == 200, escaped.text
    assert escaped.json() == raw_utf8.json() == {"name": "café au"}
    assert parse_url_encoded_form_data.cache_info().currsize == cached_before


@pytest.mark.parametrize(
    ("body", "code", "detail"),
    [
        (b"name=a&name=b", "repeated_parameter", "The parameter `name` is sent more than once."),
        (b"name=%E9t%E9", "malformed_form", "The form is not valid UTF-8 (parameter 1); percent-encode UTF-8 bytes."),
        (b"name=ok&\xc3", "malformed_form", "The form is not valid UTF-8 (parameter 2); percent-encode UTF-8 bytes."),
        (b"name=100%", "malformed_form", "The form is malformed: a `%` not followed by two hex digits (parameter 1)."),
        (b"=x", "malformed_form", "The form is malformed: parameter 1 has no name."),
        (b"&".join(b"k%d=v" % i for i in range(33)), "too_many_parameters", "The form has more than 32 parameters."),
    ],
)
async def test_a_malformed_form_is_a_400_that_says_why(
    probe_client: httpx.AsyncClient, body: bytes, code: str, detail: str
) -> None:
    problem = assert_problem(await post_form(probe_client, body), 400, code)

    assert problem["detail"] == detail


async def test_every_invalid_field_is_named_with_a_pointer(probe_client: httpx.AsyncClient) -> None:
    problem = assert_problem(await post_form(probe_client, b"note=toolong&colour=red"), 400, "validation_failed")

    assert [(error["pointer"], error["detail"]) for error in problem["errors"]] == [
        ("#/name", "Missing required parameter"),
        ("#/note", "Expected `str` of length <= 5"),
        ("#/colour", "Unknown parameter"),
    ]


@pytest.mark.parametrize(
    ("content_type", "detail"),
    [
        ("application/json", "Send the body as application/x-www-form-urlencoded, not application/json."),
        ("", "Send the body as application/x-www-form-urlencoded, not without a Content-Type."),
        (f"{FORM}; charset=latin-1", "Send the body as UTF-8, not latin-1."),
    ],
)
async def test_another_media_type_is_a_415(probe_client: httpx.AsyncClient, content_type: str, detail: str) -> None:
    problem = assert_problem(await post_form(probe_client, b"name=a", content_type), 415, "unsupported_media_type")

    assert problem["detail"] == detail


async def test_no_body_is_a_400(probe_client: httpx.AsyncClient) -> None:
    assert_problem(await post_form(probe_client, b""), 400, "body_required")
