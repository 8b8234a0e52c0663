"""The edge: what every response gets, whichever route (or none) answered it.

`EdgeMiddleware` wraps Litestar's whole ASGI handler (see `src.app`), not single routes,
so it also sees requests that match no route (404/405), CORS preflights, and responses
produced by exception handlers. For each HTTP request it:

- accepts a sane `X-Request-ID` or makes a new UUID v7 (ids only need to be unique and
  sortable here, so the Rust uuid-utils type is stringified directly), echoes it on the
  response, and binds it for the request (`core.observability.request_context`: every log line,
  problem body and outbound call of the request carries it);
- resolves the client address once (proxy-aware, see `core.http.client_address`) into
  `request.state.client_address`;
- adds the security headers, errors included: HSTS, nosniff, `X-Frame-Options: DENY`,
  `Referrer-Policy`, and a `Content-Security-Policy` of `default-src 'none'` (the docs
  page gets one that lets it run; a route that sets its own CSP keeps it);
- adds `Cache-Control: no-store` (and `Pragma: no-cache`) to every answer that does not
  say how it may be cached: tokens, secrets and personal data are never stored by a
  browser or a proxy by accident; public reads declare their caching themselves;
- adds the headers that checks decided before the response existed
  (`set_response_headers`: the rate-limit headers), to whatever answers;
- makes every error JSON: an error some layer below answered in another format
  (Litestar's HTML 404 for unknown `/schema/...` paths, its plain-text CORS refusal) is
  answered again as `application/problem+json`, with the same status;
- answers HEAD on every GET route: the request goes in as a GET and its answer comes out
  with the same status and headers and no body (RFC 9110 section 9.3.2);
- refuses a request at once, before Litestar sees it, when its client's line for a
  database connection is standing full (`admits`: `Database.admits`; 503 `overloaded`,
  route `(overloaded)` in the metrics and the access line), except on the probes;
- counts a request that matched no route (404, 405) against its address's rate limit
  (`unmatched`: `RateLimits.unmatched_check`) and answers 429 instead when it is over, so
  scanning for paths and methods is throttled like any request;
- records the request metrics (route template, method, status, duration; see
  `core.observability.metrics`) and writes one access log line with the same, the client,
  the body bytes sent and the user agent (cut and cleaned by `log_request`). Never the
  raw path: it holds ids, and a scanner's made-up paths; the route template says which
  endpoint answered;
- with tracing on (`core.observability.tracing`), makes the request's server span,
  continuing the caller's `traceparent`, current for everything the request does; the
  access line is written inside it, so it carries the trace and span ids.

It is the one layer every request crosses, so it is written for speed: constant headers
are encoded once, and the access line is encoded directly (see `core.observability.logging`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Final, Protocol, cast

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send
from uuid_utils import uuid7

from src.core.data.database import overloaded
from src.core.errors import DomainError, ServiceUnavailable, TooManyRequests
from src.core.http.client_address import ClientAddressResolver, address_group
from src.core.http.problems import PROBLEM_MEDIA_TYPE, fallback_problem, problem_body
from src.core.observability.logging import log_request
from src.core.observability.metrics import OVERLOADED, POOL_REFUSED, RequestMetrics
from src.core.observability.request_context import (
    REQUEST_ID_HEADER,
    bind_client,
    bind_request_id,
    unbind_client,
    unbind_request_id,
)

if TYPE_CHECKING:
    from src.core.observability.tracing import Tracing

__all__ = (
    "ADDRESS_KEY_STATE",
    "DOCS_CSP",
    "EdgeMiddleware",
    "Header",
    "address_key",
    "remember_caller",
    "security_headers",
    "set_response_headers",
)

type Header = tuple[bytes, bytes]

_REQUEST_ID_HEADER_BYTES: Final = REQUEST_ID_HEADER.encode()
_USER_AGENT_HEADER: Final = b"user-agent"
_AUTHORIZATION_HEADER: Final = b"authorization"
_PROBES: Final = "probes"
# Printable, header- and log-safe, bounded: anything else is replaced, not trusted.
_SANE_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")
# nginx's convention for "the client went away before a response was sent".
_CLIENT_CLOSED: Final = 499

_CSP: Final = b"content-security-policy"
API_CSP: Final = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI: its script and styles come from this service; it styles elements inline.
DOCS_CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_DOCS_PREFIX: Final = "/docs"
API_CSP_BYTES: Final = API_CSP.encode()
DOCS_CSP_BYTES: Final = DOCS_CSP.encode()
_LATE_HEADERS: Final = "avatar_api.response_headers"
_CACHE_CONTROL: Final = b"cache-control"
_NOT_STORED: Final = ((_CACHE_CONTROL, b"no-store"), (b"pragma", b"no-cache"))
# What Litestar answers when no route matched: the path (404) or the method (405).
_NO_ROUTE: Final = frozenset({404, 405})
# A method is a token of any length; the access line keeps enough to recognise it.
_LOGGED_METHOD_MAX: Final = 16
_FIRST_ERROR: Final = 400
_JSON_TYPE: Final = re.compile(rb"application/(?:[\w.-]+\+)?json\b")
_KEPT_REASON: Final = 200


def set_response_headers(scope: Scope, source: str, headers: Sequence[Header]) -> None:
    """Headers for this request's response, whatever produces it (the route, or an error
    handler after the route raised). Each `source` has one set: a later call replaces
    it (a read retried on a fresh connection is counted again)."""
    scope["state"][_LATE_HEADERS][source] = headers


def _incoming_request_id(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    candidate = raw.decode("latin-1")
    return candidate if _SANE_REQUEST_ID.fullmatch(candidate) else None


def _read_headers(scope: Scope) -> tuple[bytes | None, bytes | None, bytes | None]:
    """The request id, the user agent and the credentials, as sent, in one pass over the headers."""
    request_id = user_agent = authorization = None
    for name, value in scope["headers"]:
        if name == _REQUEST_ID_HEADER_BYTES:
            request_id = value
        elif name == _USER_AGENT_HEADER:
            user_agent = value
        elif name == _AUTHORIZATION_HEADER:
            authorization = value
    return request_id, user_agent, authorization


def address_key(address: str, ipv6_prefix: int) -> str:
    """The key of an anonymous client: its address, IPv6 by network (a host holds a whole
    /64), as the rate limits count it (`RateLimits` uses this too)."""
    return "address:" + address_group(address, ipv6_prefix)


class _Callers:
    """Which verified caller sent a credential before (a hash of the `Authorization`
    header -> the caller's key), for the admission check, which runs before the token is
    verified. A credential not seen verified counts as its address: a forged or random
    header buys no line of its own. Bounded: the oldest are forgotten first."""

    __slots__ = ("_known",)

    def __init__(self) -> None:
        self._known: dict[int, str] = {}

    def get(self, credential: int | None, default: str) -> str:
        if credential is None:
            return default
        return self._known.get(credential, default)

    def remember(self, credential: int, caller: str) -> None:
        known = self._known
        if known.get(credential) == caller:
            return
        known.pop(credential, None)
        if len(known) >= _CALLERS_REMEMBERED:
            del known[next(iter(known))]
        known[credential] = caller


_CALLERS_REMEMBERED: Final = 4096
_CREDENTIAL_STATE: Final = "credential_hash"
# The request's client as an anonymous one (`address_key`), made once here for the rate limits too.
ADDRESS_KEY_STATE: Final = "address_key"
_callers: Final = _Callers()


def remember_caller(scope: Scope, caller: str) -> None:
    """The request's credential was verified as `caller`: the next requests with the same
    credential are admitted (or turned away) as that caller."""
    credential: int | None = scope["state"].get(_CREDENTIAL_STATE)
    if credential is not None:
        _callers.remember(credential, caller)


def security_headers(hsts_max_age: int) -> tuple[Header, ...]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if hsts_max_age:
        headers.append((b"strict-transport-security", f"max-age={hsts_max_age}; includeSubDomains".encode()))
    return tuple(headers)


class AdmissionCheck(Protocol):
    """Whether the started app's line for a database connection takes a request of this client."""

    def __call__(self, scope: Scope, client: Hashable, /) -> bool: ...


class UnmatchedCheck(Protocol):
    """What the edge asks about a request that matched no route (`RateLimits.unmatched_check`)."""

    async def __call__(self, scope: Scope) -> UnmatchedAnswer | None: ...


class UnmatchedAnswer(Protocol):
    @property
    def headers(self) -> tuple[Header, ...]: ...
    @property
    def refusal(self) -> TooManyRequests | None: ...


class EdgeMiddleware:
    __slots__ = (
        "_access_log",
        "_addresses",
        "_admits",
        "_headers",
        "_ipv6_prefix",
        "_metrics",
        "_never_shed",
        "_retry_after",
        "_shed",
        "_tracing",
        "_unmatched",
        "app",
    )

    def __init__(
        self,
        app: ASGIApp,
        *,
        client_addresses: ClientAddressResolver,
        hsts_max_age: int,
        access_log: bool,
        unmatched: UnmatchedCheck | None = None,
        tracing: Tracing | None = None,
        admits: AdmissionCheck | None = None,
        never_shed: tuple[str, ...] = (),
        retry_after: int = 2,
        ipv6_prefix: int = 64,
    ) -> None:
        """`admits` is asked, per request, whether its client's line in front of the
        database takes it (`Database.admits`); a request it turns away is answered 503
        `overloaded` here, unless its path starts with one of `never_shed` (the probes, the
        docs) or it is a CORS preflight. Clients are told apart as the rate limits count
        them (`address_key`, `remember_caller`)."""
        self.app = app
        self._ipv6_prefix = ipv6_prefix
        self._admits = admits
        self._never_shed = never_shed
        self._retry_after = str(retry_after).encode()
        self._shed = POOL_REFUSED.labels("on_arrival")
        self._tracing = tracing
        self._addresses = client_addresses
        self._headers = security_headers(hsts_max_age)
        self._metrics = RequestMetrics()
        self._access_log = access_log
        self._unmatched = unmatched

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        self._metrics.started()
        sent_request_id, user_agent, authorization = _read_headers(scope)
        request_id = _incoming_request_id(sent_request_id) or str(uuid7())
        request_id_token = bind_request_id(request_id)
        client = self._addresses.resolve(scope)
        scope["state"]["client_address"] = client
        anonymous = scope["state"][ADDRESS_KEY_STATE] = address_key(client, self._ipv6_prefix)
        credential = hash(authorization) if authorization is not None else None
        scope["state"][_CREDENTIAL_STATE] = credential
        path: str = scope["path"]
        never_shed = path.startswith(self._never_shed) or scope["method"] == "OPTIONS"
        # Probes wait in a line of their own: an address that also carries traffic (a load
        # balancer's) must not hold the readiness check behind its own flood.
        client_key = _PROBES if never_shed else _callers.get(credential, anonymous)
        client_token = bind_client(client_key)
        method: str = scope["method"]
        tracing = self._tracing
        if tracing is not None:
            span, trace_token = tracing.start_server_span(scope, method)
        if method == "HEAD":  # RFC 9110 9.3.2: a GET without its body, so every GET route answers HEAD
            scope["method"] = "GET"
        exchange = _Exchange(self, scope, send, request_id, head=method == "HEAD")
        try:
            admits = self._admits
            if never_shed or admits is None or admits(scope, client_key):
                await self.app(scope, receive, exchange.send)
            else:  # its line is full and refusing: refused now, before any work is spent on it
                self._shed.inc()
                scope["path_template"] = OVERLOADED
                await exchange.answer(overloaded())
        except Exception:
            # Litestar answers every exception itself; reaching here means the response failed.
            exchange.status = exchange.status or 500
            raise
        finally:
            # Typed as always present, but absent when no route matched.
            route = cast("str | None", scope.get("path_template"))
            final_status = exchange.status or _CLIENT_CLOSED
            seconds = time.perf_counter() - started
            self._metrics.finished(method, route, final_status, seconds)
            if tracing is not None:
                tracing.finish_server_span(span, method, route, final_status)
            if self._access_log:
                log_request(
                    method=method[:_LOGGED_METHOD_MAX],
                    route=route,
                    status=final_status,
                    duration_ms=round(seconds * 1000, 2),
                    client=client,
                    user_agent=user_agent,
                    response_bytes=exchange.sent_bytes,
                )
            if tracing is not None:
                tracing.detach(trace_token)
            unbind_client(client_token)
            unbind_request_id(request_id_token)


class _Exchange:
    """One request's way out: the edge's headers on the response, and the cases in which
    the edge answers instead of the app (see the module docstring): a 503 for a client
    whose line is full, a 429 for a scan of unknown routes, an error that is not problem
    details, and HEAD's empty body."""

    __slots__ = (
        "_csp",
        "_edge",
        "_error",
        "_head",
        "_late",
        "_request_id",
        "_scope",
        "_send",
        "replaced",
        "sent_bytes",
        "status",
    )

    def __init__(self, edge: EdgeMiddleware, scope: Scope, send: Send, request_id: str, *, head: bool) -> None:
        self._edge = edge
        self._scope = scope
        self._send = send
        self._request_id = request_id
        self._head = head
        self._csp = DOCS_CSP_BYTES if scope["path"].startswith(_DOCS_PREFIX) else API_CSP_BYTES
        self._late: dict[str, Sequence[Header]] = {}
        scope["state"][_LATE_HEADERS] = self._late
        self._error: tuple[int, list[Header], list[bytes]] | None = None
        self.replaced = False
        self.status = 0
        self.sent_bytes = 0

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            await self._start(message)
            return
        if self.replaced:
            return
        if message["type"] == "http.response.body":
            if self._error is not None:
                self._error[2].append(message.get("body", b""))
                if not message.get("more_body"):
                    await self.answer(_problem_for(*self._error, path=self._scope["path"]))
                return
            if self._head:
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            else:
                self.sent_bytes += len(message.get("body", b""))
        await self._send(message)

    async def _start(self, message: HTTPResponseStartEvent) -> None:
        self.status = status = message["status"]
        unmatched = self._edge._unmatched
        if status in _NO_ROUTE and unmatched is not None and self._scope.get("path_template") is None:
            verdict = await unmatched(self._scope)
            if verdict is not None:
                self._late["rate_limit"] = verdict.headers
                if verdict.refusal is not None:
                    await self.answer(verdict.refusal)
                    return
        sent = message.get("headers", ())
        if status >= _FIRST_ERROR and not _is_json(sent):
            self._error = (status, list(sent), [])  # answered as a problem once its body is known
            return
        # A copy: a response (a cached one, say) may send the same list again.
        message["headers"] = self._with_edge_headers(sent)
        await self._send(message)

    async def answer(self, error: DomainError) -> None:
        """The edge's own problem+json answer, instead of whatever the app was sending."""
        self.replaced = True
        self.status = error.status
        body = problem_body(error, instance=self._scope["path"])
        headers: list[Header] = [
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        if isinstance(error, TooManyRequests):
            headers.append((b"retry-after", str(error.retry_after).encode()))
        elif isinstance(error, ServiceUnavailable):
            headers.append((b"retry-after", self._edge._retry_after))
        await self._send(
            {"type": "http.response.start", "status": error.status, "headers": self._with_edge_headers(headers)}
        )
        sent = b"" if self._head else body
        self.sent_bytes = len(sent)
        await self._send({"type": "http.response.body", "body": sent, "more_body": False})

    def _with_edge_headers(self, sent: Iterable[Header]) -> list[Header]:
        headers = list(sent)
        has_csp = has_cache_control = False
        for name, _ in headers:
            lowered = name.lower()
            if lowered == _CSP:
                has_csp = True
            elif lowered == _CACHE_CONTROL:
                has_cache_control = True
        if not has_csp:
            headers.append((_CSP, self._csp))
        if not has_cache_control:
            # Nothing is cached that did not ask to be: answers carry tokens, secrets and
            # personal data; public reads say how they may be cached (RFC 9111).
            headers.extend(_NOT_STORED)
        headers.extend(self._edge._headers)
        headers.append((_REQUEST_ID_HEADER_BYTES, self._request_id.encode()))
        for extra in self._late.values():
            headers.extend(extra)
        return headers


def _is_json(headers: Iterable[Header]) -> bool:
    """Problem details, or a JSON body a route documents for its error status (the probes'
    503 names the failing check)."""
    return any(name.lower() == b"content-type" and _JSON_TYPE.match(value) is not None for name, value in headers)


def _problem_for(status: int, headers: list[Header], body: list[bytes], *, path: str) -> DomainError:
    """An error some layer below answered in another format (Litestar's CORS refusal is
    text/plain): the same status as problem details; a short plain-text reason is kept."""
    text = b"".join(body)
    is_text = any(name.lower() == b"content-type" and value.startswith(b"text/plain") for name, value in headers)
    reason = text.decode("utf-8", "replace").strip() if is_text and len(text) <= _KEPT_REASON else ""
    return fallback_problem(status, path=path, reason=reason)
