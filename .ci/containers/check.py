"""What `.ci/containers/run` checks against the compose stack, through its published port.

    python .ci/containers/check.py journey   URL STATE   sign up, log in, create, list, like
    python .ci/containers/check.py drain     URL STATE -- COMMAND...   a request in flight while COMMAND stops the API
    python .ci/containers/check.py persisted URL STATE   the account of the journey still logs in

STATE is a JSON file the journey writes (the account), read by the later steps. Exits
non-zero, saying what failed, at the first check that does not hold.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

PASSWORD = "compose journey password 1"


def check(condition: bool, what: str) -> None:
    if not condition:
        sys.exit(f"FAILED: {what}")
    print(f"  ok: {what}")


async def journey(url: str, state: Path) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        email = f"compose-{uuid.uuid4().hex[:12]}@example.com"
        signed_up = await client.post(
            "/api/v1/auth/sign-up", json={"email": email, "password": PASSWORD, "display_name": "Compose"}
        )
        check(signed_up.status_code == 201, f"sign-up answers 201 ({signed_up.status_code})")
        logged_in = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        check(logged_in.status_code == 200, f"login answers 200 ({logged_in.status_code})")
        headers = {"Authorization": f"Bearer {logged_in.json()['access_token']}"}
        created = await client.post(
            "/api/v1/avatars",
            json={"name": "Compose", "color": "#3A7BD5"},
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        check(created.status_code == 201, f"create answers 201 ({created.status_code})")
        avatar = created.json()["id"]
        listed = await client.get("/api/v1/avatars", params={"owner_id": signed_up.json()["id"]})
        check([item["id"] for item in listed.json()["data"]] == [avatar], "the list shows the new avatar")
        liked = await client.put(f"/api/v1/avatars/{avatar}/like", headers=headers)
        check(liked.status_code == 204, f"like answers 204 ({liked.status_code})")
        read = await client.get(f"/api/v1/avatars/{avatar}", headers=headers)
        check(read.json()["likes_count"] == 1 and read.json()["liked_by_me"], "the like is counted")
        ready = await client.get("/health/ready")
        check(ready.json()["checks"].get("redis") == "ok", "readiness sees Redis (shared rate limits)")
    state.write_text(json.dumps({"email": email, "avatar": avatar, "token": logged_in.json()["access_token"]}))


async def drain(url: str, state: Path, command: list[str]) -> None:
    """A request in flight when the API is told to stop gets its answer: SIGTERM reaches
    Granian as PID 1, which stops accepting and lets it finish. The request is a create
    whose body arrives slowly (3 s), so it is certainly in flight when the stop begins."""
    saved = json.loads(state.read_text())
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        headers = {"Authorization": f"Bearer {saved['token']}", "Content-Type": "application/json"}

        async def trickle() -> AsyncIterator[bytes]:
            body = json.dumps({"name": "In flight", "color": "#112233"}).encode()
            for index in range(0, len(body), 4):
                yield body[index : index + 4]
                await asyncio.sleep(3 / (len(body) / 4))

        in_flight = asyncio.create_task(client.post("/api/v1/avatars", content=trickle(), headers=headers))
        await asyncio.sleep(0.5)
        started = time.monotonic()
        stopping = await asyncio.create_subprocess_exec(*command)
        try:
            answer: httpx.Response | BaseException = await in_flight
        except httpx.HTTPError as exc:
            answer = exc
        await stopping.wait()
        stop_seconds = time.monotonic() - started
    if not isinstance(answer, httpx.Response):
        sys.exit(f"FAILED: the request in flight got no answer ({answer!r})")
    print("  ok: the request in flight got an answer")
    check(answer.status_code == 201, f"and it was its 201 ({answer.status_code})")
    check(stopping.returncode == 0, f"the stop command succeeded, after it ({stop_seconds:.1f} s)")


async def persisted(url: str, state: Path) -> None:
    saved = json.loads(state.read_text())
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        logged_in = await client.post("/api/v1/auth/login", json={"email": saved["email"], "password": PASSWORD})
        check(logged_in.status_code == 200, "the account made before `down` still logs in (the volume kept it)")
        read = await client.get(f"/api/v1/avatars/{saved['avatar']}")
        check(read.status_code == 200 and read.json()["likes_count"] == 1, "and its avatar, with its like")


def main() -> None:
    step, url, state = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    if step == "journey":
        asyncio.run(journey(url, state))
    elif step == "drain":
        asyncio.run(drain(url, state, sys.argv[sys.argv.index("--") + 1 :]))
    elif step == "persisted":
        asyncio.run(persisted(url, state))
    else:
        sys.exit(f"unknown step {step!r}")


if __name__ == "__main__":
    main()
