"""Routes that exist only in tests, mounted through create_app(features=...).

They exercise the kernel (dependencies, transactions, problem mapping, strict bodies,
outbound calls) through real HTTP without waiting for a feature that needs each part.
"""

from __future__ import annotations

import asyncio
import html
from typing import Annotated

import aiohttp
import asyncpg
import msgspec
from litestar import Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, URLEncodedBody

from src.core.data.database import Connection
from src.core.errors import Conflict, NotFound
from src.core.observability.logging import get_logger
from src.core.observability.request_context import current_client
from src.core.runtime.mail import Mailer, OutgoingMail

__all__ = ("PROBE_TABLE", "probe_router")

log = get_logger(component="probe")

PROBE_TABLE = "CREATE TABLE probe_rows (id serial PRIMARY KEY, label text NOT NULL)"


class EchoBody(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=10)]
    count: int
    tags: list[str] = msgspec.field(default_factory=list)


class RowBody(msgspec.Struct, forbid_unknown_fields=True):
    label: str
    fail_after_insert: bool = False


class FormBody(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=10)]
    note: Annotated[str, msgspec.Meta(max_length=5)] | msgspec.UnsetType = msgspec.UNSET


class Outcome(msgspec.Struct):
    value: int


@get("/hold")
async def hold_connection(connection: NamedDependency[Connection], seconds: FromQuery[float] = 1.0) -> Outcome:
    await asyncio.sleep(seconds)
    return Outcome(value=await connection.fetchval("SELECT 1"))


class Client(msgspec.Struct):
    key: str


@get("/client")
async def line_client(connection: NamedDependency[Connection]) -> Client:
    """Whom the database's line served this request as (it took a connection to be sure)."""
    await connection.fetchval("SELECT 1")
    return Client(key=str(current_client()))


@get("/boom")
async def boom() -> None:
    raise RuntimeError("internal detail: secret table layout")


@get("/missing")
async def missing() -> None:
    raise NotFound("No such thing.")


@get("/conflict")
async def conflict() -> None:
    raise Conflict("Already there.", code="already_there")


@get("/db-gone")
async def db_gone() -> None:
    raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")


@get("/query")
async def query_value(n: FromQuery[int]) -> Outcome:
    return Outcome(value=n)


@get("/select")
async def select_one(connection: NamedDependency[Connection]) -> Outcome:
    return Outcome(value=await connection.fetchval("SELECT 1"))


@post("/echo")
async def echo(data: JSONBody[EchoBody]) -> EchoBody:
    return data


@post("/form", status_code=200)
async def echo_form(data: URLEncodedBody[FormBody]) -> FormBody:
    return data


@post("/rows")
async def insert_row(data: JSONBody[RowBody], transaction: NamedDependency[Connection]) -> Outcome:
    row_id: int = await transaction.fetchval("INSERT INTO probe_rows (label) VALUES ($1) RETURNING id", data.label)
    if data.fail_after_insert:
        raise Conflict("Failing after the insert on purpose.")
    return Outcome(value=row_id)


class MailBody(msgspec.Struct, forbid_unknown_fields=True):
    to: str
    token: str = "probe-token"
    display_name: str = "Ada"
    fail_after_queue: bool = False


@post("/mail")
async def queue_mail(
    data: JSONBody[MailBody], transaction: NamedDependency[Connection], mail: NamedDependency[Mailer]
) -> Outcome:
    """Queues a message in the request's transaction; `fail_after_queue` then rolls it back."""
    link = mail.link("/verify-email", data.token)
    text = f"Hello {data.display_name},\n\nOpen {link}\n"
    body = f'<p>Hello {html.escape(data.display_name)},</p><p><a href="{html.escape(link)}">Open</a></p>'
    await mail.queue(transaction, OutgoingMail(kind="probe", to=data.to, subject="Probe", text=text, html=body))
    if data.fail_after_queue:
        raise Conflict("Failing after queueing the mail on purpose.")
    return Outcome(value=1)


@get("/outbound")
async def outbound(url: FromQuery[str], http: NamedDependency[aiohttp.ClientSession]) -> Outcome:
    async with http.get(url) as response:
        return Outcome(value=response.status)


@get("/strict", opt={"rate_limit": "auth"})
async def strict_policy() -> Outcome:
    return Outcome(value=1)


@get("/own-csp", response_headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})
async def own_csp() -> Outcome:
    return Outcome(value=1)


@get("/log")
async def log_inside_request() -> Outcome:
    log.info("probe_event", detail="inside the request")
    return Outcome(value=1)


probe_router = Router(
    path="/probe",
    route_handlers=[
        hold_connection,
        line_client,
        boom,
        missing,
        conflict,
        db_gone,
        query_value,
        select_one,
        echo,
        echo_form,
        insert_row,
        queue_mail,
        outbound,
        log_inside_request,
        strict_policy,
        own_csp,
    ],
)
