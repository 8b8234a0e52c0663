"""/docs renders in a real headless browser with no internet: every asset is served by us,
and the page's Content-Security-Policy lets it run without a single violation."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from tests.support.server import clean_environment, serve
from tests.support.tools import required_tool


def test_docs_render_offline_in_headless_chromium(database_url: str, tmp_path: Path) -> None:
    chromium = required_tool("chromium", "chromium-browser", install="Debian: apt-get install chromium; .ci/run does")
    with serve(clean_environment(DATABASE_URL=database_url, DATA_DIR=str(tmp_path))) as served:
        served.wait_for_event("startup_complete")
        with tempfile.TemporaryDirectory(prefix="avatar-api-chromium-") as profile:
            browser = subprocess.run(  # noqa: S603 - a local browser on our own page
                [
                    chromium,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    f"--user-data-dir={profile}",
                    # No internet: every host but loopback fails to resolve.
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                    "--enable-logging=stderr",
                    "--v=0",
                    "--virtual-time-budget=15000",
                    "--dump-dom",
                    f"{served.url}/docs",
                ],
                capture_output=True,
                timeout=90,
                check=False,
            )
        served.stop()

    dom = browser.stdout.decode()
    console = [line for line in browser.stderr.decode().splitlines() if "CONSOLE" in line]
    rendered = set(re.findall(r'opblock-summary-operation-id">([A-Za-z]+)<', dom))
    assert {"checkLiveness", "checkReadiness", "checkStartup"} <= rendered, dom[:2000]
    assert not [line for line in console if "Content Security Policy" in line or "Refused" in line], console
    requested = {line["route"] for line in served.lines if line.get("message") == "request"}
    assert {"/docs", "/docs/assets/{name}", "/docs/assets/start-docs.js", "/schema/openapi.json"} <= requested
