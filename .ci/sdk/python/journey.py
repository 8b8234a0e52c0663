"""A whole journey against the live service through the Python client openapi-generator
generates (`python`, urllib3 + pydantic), written against the target contract.

Run by .ci/sdk/run in a venv of its own after mypy --strict has checked it: API_URL is the
service, RECEIVER_PORT a loopback port the service may deliver webhooks to. Every step
prints ok, FAIL or skip; the exit status is 1 when any step did not pass.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import avatar_client as client
from avatar_client.exceptions import ApiException
from standardwebhooks.webhooks import Webhook

API_URL = os.environ["API_URL"]
RECEIVER_PORT = int(os.environ["RECEIVER_PORT"])


# --- steps -------------------------------------------------------------------------------
class Skip(Exception):
    pass


class Failed(Exception):
    pass


results: list[tuple[str, str]] = []


def step(name: str) -> Callable[[Callable[[], str | None]], None]:
    """Runs the decorated function at once, as one step of the journey."""

    def run(body: Callable[[], str | None]) -> None:
        started = time.perf_counter()
        try:
            detail = body()
        except Skip as skipped:
            print(f"  skip  {name}: {skipped}", flush=True)
            results.append((name, "skip"))
        except Exception as error:  # noqa: BLE001 - a failed step is reported, the next one runs
            message = str(error) if isinstance(error, Failed) else f"{type(error).__name__}: {error}"
            if isinstance(error, AttributeError) and type(error.obj).__module__.startswith("avatar_client"):
                message += " (the document the client was generated from does not declare it)"
            print(f"  FAIL  {name}: {' '.join(message.split())[:600]}", flush=True)
            results.append((name, "FAIL"))
        else:
            ms = round((time.perf_counter() - started) * 1000)
            print(f"  ok    {name}{f': {detail}' if detail else ''} ({ms} ms)", flush=True)
            results.append((name, "ok"))

    return run


def check(condition: object, message: str) -> None:
    if not condition:
        raise Failed(message)


def need[T](value: T | None, what: str) -> T:
    if value is None:
        raise Skip(f"needs {what}, which an earlier step did not get")
    return value


def present[T](value: T | None, message: str) -> T:
    if value is None:
        raise Failed(message)
    return value


def of_type[T](value: object, kind: type[T], message: str) -> T:
    if not isinstance(value, kind):
        raise Failed(message)
    return value


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """urllib3's headers are case-insensitive; ApiResponse types them as a plain Mapping."""
    if headers is None:
        return None
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def problem(error: ApiException, status: int, code: str) -> client.Problem:
    """A typed problem: ApiException.data holds the deserialized body of a declared status."""
    check(error.status == status, f"expected {status}, got {error.status}: {error.body}")
    data = of_type(error.data, client.Problem, f"the {status} body is not read as a Problem: {error.data!r}")
    for member in ("type", "title", "status", "detail", "instance", "code", "request_id"):
        check(getattr(data, member) is not None, f"the problem lacks {member}: {error.body}")
    check(data.code == code, f"expected code {code}, got {data.code}")
    return data


def rate_limit(headers: Mapping[str, str] | None) -> str:
    value = present(header(headers, "RateLimit"), "no RateLimit header")
    remaining = re.search(r";r=(\d+)", value)
    check(remaining, f"RateLimit without r=: {value}")
    return f"RateLimit {value}, RateLimit-Policy {header(headers, 'RateLimit-Policy')}"


def raises(call: Callable[[], object]) -> ApiException:
    try:
        answer = call()
    except ApiException as error:
        return error
    raise Failed(f"expected an error, got {answer!r}")


# --- a webhook receiver on loopback -------------------------------------------------------
deliveries: list[tuple[dict[str, str], bytes]] = []


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        deliveries.append(({key.lower(): value for key, value in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it
        pass


def wait_for_delivery(match: Callable[[dict[str, Any]], bool]) -> tuple[dict[str, str], bytes]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for headers, body in deliveries.copy():
            if match(json.loads(body)):
                return headers, body
        time.sleep(0.1)
    raise Failed(f"no matching delivery within 20 s (received {len(deliveries)})")


def verify_signature(secret: str, headers: dict[str, str], body: bytes) -> str:
    """Standard Webhooks, by hand (docs/webhooks.md) and with the standardwebhooks package."""
    check(secret.startswith("whsec_"), "the secret does not start with whsec_")
    webhook_id, timestamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature", "").split()
    check(webhook_id and timestamp and signatures, f"missing webhook-* headers: {sorted(headers)}")
    check(abs(time.time() - int(timestamp or 0)) < 300, f"webhook-timestamp {timestamp} not within 5 minutes")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(
        hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    ).decode()
    check(
        any(hmac.compare_digest(f"v1,{expected}", signature) for signature in signatures),
        f"no signature of {signatures} verifies",
    )
    Webhook(secret).verify(body, headers)  # raises WebhookVerificationError
    return str(webhook_id)


# --- the journey -------------------------------------------------------------------------
def main() -> int:  # noqa: PLR0915 - one journey, step after step
    receiver = ThreadingHTTPServer(("127.0.0.1", RECEIVER_PORT), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"

    configuration = client.Configuration(host=API_URL)
    api_client = client.ApiClient(configuration)
    auth = client.AuthApi(api_client)
    avatars = client.AvatarsApi(api_client)
    webhooks = client.WebhooksApi(api_client)

    email = f"journey-py-{uuid.uuid4()}@example.com"
    password = "a journey through the python client"
    state: dict[str, Any] = {}

    @step("sign up")
    def _() -> str:
        answer = auth.sign_up_with_http_info(
            client.SignUpRequest(email=email, password=password, display_name="Journey Python")
        )
        check(answer.status_code == 201, f"status {answer.status_code}")
        return f"201 {answer.data.id}, Location {header(answer.headers, 'Location')}"

    @step("log in (JSON POST /api/v1/auth/login)")
    def _() -> str:
        answer = auth.log_in_with_http_info(client.LogInRequest(email=email, password=password))
        pair = answer.data
        check(pair.token_type == "Bearer", f"token_type {pair.token_type}")
        configuration.access_token = pair.access_token
        state["refresh_token"] = pair.refresh_token
        return f"Bearer token, expires in {pair.expires_in} s; {rate_limit(answer.headers)}"

    @step("log in (OAuth 2 token endpoint, grant_type=password)")
    def _() -> str:
        token = auth.issue_token(grant_type="password", username=email, password=password)
        check(token.token_type == "Bearer" and token.access_token and token.refresh_token, f"token answer {token!r}")
        again = auth.issue_token(grant_type="refresh_token", refresh_token=token.refresh_token)
        check(again.access_token and again.refresh_token != token.refresh_token, f"refresh_token grant {again!r}")
        issued = client.ApiClient(client.Configuration(host=API_URL, access_token=again.access_token))
        me = client.UsersApi(issued).get_my_profile()
        check(me.email == email, f"GET /users/me with the issued token: {me!r}")
        return (
            f"password grant: {token.token_type}, expires in {token.expires_in} s; "
            "refresh_token grant: a new pair; its token reads /users/me"
        )

    @step("OAuth 2 error (RFC 6749 5.2): a wrong password")
    def _() -> str:
        error = raises(lambda: auth.issue_token(grant_type="password", username=email, password=f"not {password}"))
        check(error.status in (400, 401), f"status {error.status}: {error.body}")
        refused = of_type(error.data, client.TokenErrorResponse, f"not read as a TokenErrorResponse: {error.body}")
        check(refused.error == "invalid_grant", f"expected error=invalid_grant: {refused!r}")
        return f"{error.status} {refused.error}: {refused.error_description}"

    @step("OAuth 2 discovery (RFC 8414 metadata, JWKS at /.well-known)")
    def _() -> str:
        metadata = auth.get_o_auth_metadata()
        check(metadata.token_endpoint.endswith("/api/v1/auth/token"), f"token_endpoint {metadata.token_endpoint}")
        check(metadata.jwks_uri.endswith("/.well-known/jwks.json"), f"jwks_uri {metadata.jwks_uri}")
        check(
            {"password", "refresh_token"} <= set(metadata.grant_types_supported),
            f"grant_types_supported {metadata.grant_types_supported}",
        )
        token: str = need(configuration.access_token, "an access token")
        encoded = token.partition(".")[0]
        kid = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))).get("kid")
        keys = auth.get_well_known_jwks().keys
        check(any(key.kid == kid for key in keys), f"the access token's kid {kid} is not in the JWKS")
        grants = " ".join(metadata.grant_types_supported)
        return f"token_endpoint {metadata.token_endpoint}, grants {grants}; the access token's kid is in the JWKS"

    @step("create an avatar with an Idempotency-Key, then replay it")
    def _() -> str:
        need(configuration.access_token, "an access token")
        key = str(uuid.uuid4())
        body = client.CreateAvatarRequest(name="Journey One", color="#3A7BD5")
        one = avatars.create_avatar_with_http_info(body, idempotency_key=key)
        location, etag = header(one.headers, "Location"), header(one.headers, "ETag")
        check(one.status_code == 201, f"status {one.status_code}")
        check(location == f"/api/v1/avatars/{one.data.id}", f"Location {location}")
        check(etag, "no ETag on the 201")
        again = avatars.create_avatar_with_http_info(body, idempotency_key=key)
        check(again.data.id == one.data.id, f"the replay created another avatar: {again.data.id}")
        replayed = header(again.headers, "Idempotent-Replayed")
        check(replayed == "true", f"Idempotent-Replayed {replayed}")
        state["first"] = one.data
        state["created"] = [one.data]
        return f"201 {one.data.id}, Location {location}, ETag {etag}; replay: same id, Idempotent-Replayed: true"

    @step("list with cursors (3 avatars, limit=2, follow next_cursor)")
    def _() -> str:
        first: client.AvatarView = need(state.get("first"), "a created avatar")
        created: list[client.AvatarView] = state["created"]
        created.extend(
            avatars.create_avatar(client.CreateAvatarRequest(name=name, color="#D53A7B"))
            for name in ("Journey Two", "Journey Three")
        )
        page1 = avatars.list_avatars_with_http_info(owner_id=first.owner.id, limit=2)
        check(len(page1.data.data) == 2, f"page 1 has {len(page1.data.data)} items")
        cursor = page1.data.meta.next_cursor
        check(isinstance(cursor, str), "page 1 has no next_cursor")
        page2 = avatars.list_avatars(owner_id=first.owner.id, limit=2, cursor=cursor)
        check(len(page2.data) == 1 and page2.meta.next_cursor is None, f"page 2: {page2.meta!r}")
        listed = [*page1.data.data, *page2.data]
        ids, expected = [a.id for a in listed], [a.id for a in reversed(created)]
        check(ids == expected, f"newest first expected {expected}, got {ids}")
        state["listed"] = listed
        return f"2 + 1 items, newest first; {rate_limit(page1.headers)}"

    @step("like")
    def _() -> str:
        first: client.AvatarView = need(state.get("first"), "a created avatar")
        answer = avatars.like_avatar_with_http_info(first.id)
        check(answer.status_code == 204, f"like: {answer.status_code}")
        after = avatars.get_avatar(first.id)
        check(after.likes_count == 1 and after.liked_by_me, f"after the like: {after!r}")
        return "204; likes_count 1, liked_by_me true"

    @step("update with If-Match from a listed item's etag (200), then a stale one (412 problem)")
    def _() -> str:
        first: client.AvatarView = need(state.get("first"), "a created avatar")
        listed: list[client.AvatarView] = need(state.get("listed"), "a listed page")
        avatar = present(next((item for item in listed if item.id == first.id), None), "it is not in the list")
        etag = avatar.etag
        check(re.fullmatch(r'"v\d+"', etag), f'AvatarView.etag is {etag!r} (the contract: "v<n>")')
        ok = avatars.update_avatar_with_http_info(
            avatar.id, client.UpdateAvatarRequest(name="Journey One, renamed"), if_match=etag
        )
        check(ok.data.version == avatar.version + 1, f"version {avatar.version} -> {ok.data.version}")
        check(header(ok.headers, "ETag") == ok.data.etag, f"ETag {header(ok.headers, 'ETag')} vs {ok.data.etag}")
        stale = raises(
            lambda: avatars.update_avatar(
                avatar.id, client.UpdateAvatarRequest(name="Journey One, lost update"), if_match=etag
            )
        )
        error = problem(stale, 412, "precondition_failed")
        return f"If-Match {etag}: 200, ETag {ok.data.etag}; stale: 412 {error.code} (request {error.request_id})"

    @step("the SVG as bytes, then 304 with If-None-Match")
    def _() -> str:
        first: client.AvatarView = need(state.get("first"), "a created avatar")
        image = avatars.get_avatar_image_with_http_info(first.id)
        data: bytes = image.data  # ApiResponse[bytes]: format binary is handed back as the body's bytes
        check(isinstance(data, bytes), f"the image is a {type(data).__name__}, not bytes")
        check(data.lstrip().startswith((b"<svg", b"<?xml")), f"not an SVG: {data[:40]!r}")
        check((header(image.headers, "Content-Type") or "").startswith("image/svg+xml"), "not image/svg+xml")
        etag = header(image.headers, "ETag")
        check(etag, "no ETag on the image")
        # The generated client raises on every status outside 2xx: a 304 is an ApiException.
        cached = raises(lambda: avatars.get_avatar_image(first.id, if_none_match=etag))
        check(cached.status == 304, f"If-None-Match {etag}: {cached.status}")
        return f"{len(data)} bytes of image/svg+xml, ETag {etag}; If-None-Match: 304 (raised as ApiException)"

    @step("refresh")
    def _() -> str:
        token: str = need(state.get("refresh_token"), "a refresh token")
        pair = auth.refresh_session(client.RefreshRequest(refresh_token=token))
        check(pair.refresh_token != token, "the refresh token did not rotate")
        configuration.access_token = pair.access_token
        state["refresh_token"] = pair.refresh_token
        return "a new pair (the refresh token rotated)"

    @step("create a webhook to a local receiver; a delivery's Standard Webhooks signature verifies")
    def _() -> str:
        need(configuration.access_token, "an access token")
        answer = webhooks.create_webhook_with_http_info(
            client.CreateWebhookRequest(url=hook_url, events=["avatar.created", "avatar.updated", "avatar.liked"]),
            idempotency_key=str(uuid.uuid4()),
        )
        secret = present(answer.data.secret, f"the 201 carries no secret: {answer.data!r}")
        made = avatars.create_avatar(client.CreateAvatarRequest(name="Journey Hooked", color="#7BD53A"))
        headers, body = wait_for_delivery(
            lambda payload: payload.get("type") == "avatar.created" and str(made.id) in json.dumps(payload.get("data"))
        )
        state["event_id"] = verify_signature(secret, headers, body)
        state["webhook"], state["secret"] = answer.data, secret
        return (
            f"{answer.status_code} {answer.data.id} to {hook_url}; avatar.created delivered, "
            f"webhook-id {state['event_id']}, signature verified (by hand and by standardwebhooks)"
        )

    @step("ping the webhook")
    def _() -> str:
        hook: client.NewSecretView = need(state.get("webhook"), "a webhook")
        result = webhooks.ping_webhook(hook.id)
        check(result.delivered and result.status_code == 204, f"ping result {result!r}")
        headers, body = wait_for_delivery(lambda payload: payload.get("type") == "webhook.ping")
        verify_signature(state["secret"], headers, body)
        return f"delivered, {result.status_code} in {result.duration_ms} ms; the ping's signature verified"

    @step("list deliveries")
    def _() -> str:
        hook: client.NewSecretView = need(state.get("webhook"), "a webhook")
        event = need(state.get("event_id"), "a delivered event")
        # The attempt is recorded once the receiver has answered: it may trail the delivery a little.
        deadline = time.monotonic() + 10
        while True:
            page = webhooks.list_webhook_deliveries(hook.id, limit=10)
            found = next((item for item in page.data if str(item.event_id) == event), None)
            if (found is not None and found.delivery_status == "succeeded") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        attempt = present(found, f"the delivered event {event} is not in the log: {page.data!r}")
        check(attempt.succeeded and attempt.delivery_status == "succeeded", f"attempt {attempt!r}")
        return f"{len(page.data)} attempt(s); {attempt.event_type} succeeded with {attempt.status_code}"

    @step("errors read as typed problems (404, 400 with errors[])")
    def _() -> str:
        missing = raises(lambda: avatars.get_avatar(uuid.uuid4()))
        not_found = problem(missing, 404, "not_found")
        check(
            (header(missing.headers, "Content-Type") or "").startswith("application/problem+json"),
            "not application/problem+json",
        )
        check(header(missing.headers, "X-Request-ID") == not_found.request_id, "X-Request-ID differs from request_id")
        # The client validates what it sends (pydantic): a bad colour goes out as raw JSON.
        invalid = raises(
            lambda: avatars.create_avatar(client.CreateAvatarRequest.model_construct(name="Bad colour", color="blue"))
        )
        validation = problem(invalid, 400, "validation_failed")
        field = present(next(iter(validation.errors or []), None), "the 400 has no errors[]")
        check(field.pointer == "#/color", f"errors[] {validation.errors!r}")
        return (
            f"404 {not_found.code} ({not_found.instance}); "
            f"400 {validation.code}, errors[0] {field.pointer} in {field.location}"
        )

    @step("log out")
    def _() -> str:
        token: str = need(state.get("refresh_token"), "a refresh token")
        answer = auth.log_out_with_http_info(client.LogOutRequest(refresh_token=token))
        check(answer.status_code == 204, f"logout: {answer.status_code}")
        after = raises(lambda: auth.refresh_session(client.RefreshRequest(refresh_token=token)))
        error = problem(after, 401, "invalid_token")
        return f"204; the session's refresh token is now a 401 {error.code}"

    receiver.shutdown()
    failed = [name for name, status in results if status != "ok"]
    print(f"python journey: {len(results) - len(failed)}/{len(results)} steps passed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
