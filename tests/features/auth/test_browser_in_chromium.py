"""The browser session in a real browser: the served API, Debian's headless chromium driven
by playwright-core (tests/browser/cookie_session.mjs), a page on another origin that logs
in, refreshes through the cookie after a reload and logs out, and forged form posts from a
same-site page that is not allowed and from another site, both refused."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
import msgspec

from src.core.settings import PROJECT_ROOT
from tests.support.accounts import PASSWORD, unique_email
from tests.support.server import clean_environment, free_port, serve
from tests.support.tools import required_node_module, required_tool

DRIVER = PROJECT_ROOT / "tests" / "browser"


def test_a_page_on_another_origin_keeps_a_session_it_cannot_read(database_url: str, tmp_path: Path) -> None:
    chromium = required_tool("chromium", "chromium-browser", install="Debian: apt-get install chromium; .ci/run does")
    node = required_tool("node", "nodejs", install="Debian: apt-get install nodejs npm; .ci/run does")
    required_node_module("playwright-core", directory=DRIVER, install="npm ci --prefix tests/browser; .ci/run does")
    spa, sibling, attacker = free_port(), free_port(), free_port()
    environment = clean_environment(
        DATABASE_URL=database_url,
        DATA_DIR=str(tmp_path),
        CORS_ALLOW_ORIGINS=f"http://localhost:{spa}",
        CORS_ALLOW_CREDENTIALS="true",
    )
    email = unique_email()
    with serve(environment) as served:
        served.wait_for_event("startup_complete")
        signed_up = httpx.post(
            f"{served.url}/api/v1/auth/sign-up",
            json={"email": email, "password": PASSWORD, "display_name": "Ada"},
            timeout=30,
        )
        assert signed_up.status_code == 201, signed_up.text
        api_port = served.url.rsplit(":", 1)[1]
        driven = subprocess.run(  # noqa: S603 - our own driver, on loopback
            [node, "cookie_session.mjs", chromium, api_port, str(spa), str(sibling), str(attacker), email, PASSWORD],
            cwd=DRIVER,
            capture_output=True,
            timeout=180,
            check=False,
        )
        served.stop()

    assert driven.returncode == 0, driven.stderr.decode()[-4000:]
    steps: dict[str, dict[str, Any]] = {}
    for line in driven.stdout.decode().splitlines():
        record = msgspec.json.decode(line)
        steps[record.pop("step")] = record

    login = steps["login"]
    assert login["status"] == 200
    assert login["body_keys"] == ["access_token", "csrf_token", "expires_in", "refresh_expires_in", "token_type"]
    # The browser keeps the refresh token where no script reaches it; the CSRF token is readable.
    assert login["refresh_cookie"] == {
        "name": "__Secure-avatar-refresh",
        "httpOnly": True,
        "secure": True,
        "sameSite": "Strict",
        "path": "/api/v1/auth/browser",
    }
    assert login["refresh_token_seen_by_script"] is False
    assert "avatar-refresh" not in login["document_cookie"]
    assert "__Host-avatar-csrf=" in login["document_cookie"]
    assert login["csrf_cookie_is_body_token"] is True

    assert steps["refresh_after_reload"] == {
        "csrf_from_cookie": True,
        "refreshed": 200,
        "me": 200,
        "email": email,
        "rotated": True,
    }
    assert steps["refresh_without_csrf_header"] == {"status": 403, "code": "csrf_token_invalid"}
    # Same site (ports do not count): the browser sends the cookies; the Origin check refuses.
    assert steps["sibling_form_post"] == {
        "status": 403,
        "code": "csrf_origin_refused",
        "origin_sent": f"http://localhost:{sibling}",
        "cookie_sent": True,
    }
    # Another site: SameSite=Strict keeps the cookies home, and the Origin is refused anyway.
    assert steps["cross_site_form_post"] == {
        "status": 403,
        "code": "csrf_origin_refused",
        "origin_sent": f"http://127.0.0.1:{attacker}",
        "cookie_sent": False,
    }
    assert steps["refresh_after_forgeries"] == {"status": 200}
    assert steps["logout"] == {"status": 204, "cookies_left": [], "document_cookie": "", "refresh_after_logout": 401}
    assert steps["console"] == {"cors_errors": []}
    refused = [line for line in served.lines if line.get("message") == "request" and line.get("status") == 403]
    assert len(refused) == 3, refused  # the missing header and the two forgeries
