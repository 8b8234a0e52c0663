"""The README and .env.example stay true: the settings the code reads, the commands they show."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import msgspec
import pytest

from src.core.data.migrations import discover_migrations
from src.core.settings import PROJECT_ROOT, Settings
from tests.support.server import clean_environment, serve

VARIABLES = [field.name.upper() for field in msgspec.structs.fields(Settings)]


@pytest.mark.parametrize("document", ["README.md", ".env.example"])
def test_every_setting_is_documented(document: str) -> None:
    text = (PROJECT_ROOT / document).read_text()

    missing = [name for name in VARIABLES if not re.search(rf"\b{name}\b", text)]
    assert missing == [], f"{document} does not mention {missing}"


def test_every_error_code_is_documented() -> None:
    """Each stable `code` the service can answer (a `code="..."` given to an error, or an
    error class's own) is in docs/errors.md's table."""
    raised: set[str] = set()
    for path in (PROJECT_ROOT / "src").rglob("*.py"):
        text = path.read_text()
        raised |= set(re.findall(r'\bcode="([a-z_]+)"', text))
        raised |= set(re.findall(r'^ +code = "([a-z_]+)"$', text, flags=re.MULTILINE))
    codes = (PROJECT_ROOT / "docs" / "errors.md").read_text().split("## Codes", 1)[1]
    documented = set(re.findall(r"`([a-z_]+)`", codes))
    assert raised, "the search found no codes: it is broken"
    assert sorted(raised - documented) == []


def test_the_readme_documents_no_setting_that_does_not_exist() -> None:
    table = re.findall(r"^\| `([A-Z0-9_]+)` \|", (PROJECT_ROOT / "README.md").read_text(), flags=re.MULTILINE)

    assert sorted(table) == sorted(VARIABLES)


@pytest.mark.parametrize(
    "link",
    [
        "docs/architecture.md",
        "docs/errors.md",
        "docs/operations.md",
        "docs/adding-a-slice.md",
        "docs/authentication.md",
        "docs/avatars.md",
        "docs/webhooks.md",
    ],
)
def test_documents_linked_from_the_readme_exist(link: str) -> None:
    assert link in (PROJECT_ROOT / "README.md").read_text()
    assert (PROJECT_ROOT / link).exists()


def _readme_block(heading: str, document: str = "README.md", language: str = "sh") -> str:
    text = (PROJECT_ROOT / document).read_text()
    section = text.split(f"## {heading}", 1)[1]
    block = re.search(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)
    assert block is not None, f"no {language} block under {heading!r} in {document}"
    return block.group(1)


def _run_walk_through(script: str, database_url: str, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    """A documented curl block, line for line, against a served copy; it must succeed."""
    assert script.startswith("API=http://127.0.0.1:8000/api/v1\n")
    with serve(clean_environment(DATABASE_URL=database_url, DATA_DIR=str(tmp_path / "data"))) as served:
        served.wait_for_event("startup_complete")
        result = subprocess.run(  # noqa: S603 - the document's own commands
            ["bash", "-euo", "pipefail", "-c", script.replace("http://127.0.0.1:8000", served.url, 1)],  # noqa: S607
            cwd=tmp_path,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert served.stop() == 0
    assert result.returncode == 0, result.stderr.decode()
    return result


def test_the_quickstart_runs_as_written(database_url: str, tmp_path: Path) -> None:
    """The README's curl walk-through, line for line, against a served copy."""
    result = _run_walk_through(_readme_block("Quickstart"), database_url, tmp_path)

    lines = result.stdout.decode().splitlines()
    signed_up = msgspec.json.decode(lines[0])
    assert signed_up["email"] == "ada@example.com"
    assert lines[1:] == ["Ada Lovelace", "204", "1"]
    assert (tmp_path / "ada.svg").read_text().startswith("<svg")


def test_the_token_endpoint_walk_through_runs_as_written(database_url: str, tmp_path: Path) -> None:
    """docs/authentication.md's curl lines for the OAuth 2 token endpoint, and the answers
    it says they print."""
    heading, document = "The OAuth 2 token endpoint", "docs/authentication.md"
    result = _run_walk_through(_readme_block(heading, document), database_url, tmp_path)

    bearer, expires_in, error = result.stdout.decode().splitlines()
    assert (bearer, expires_in) == ("Bearer", "900")
    assert "which prints `Bearer`, `900`, and the OAuth error" in (PROJECT_ROOT / document).read_text()
    assert msgspec.json.decode(error) == msgspec.json.decode(_readme_block(heading, document, "json"))


def test_the_api_key_walk_through_runs_as_written(database_url: str, tmp_path: Path) -> None:
    """docs/authentication.md's curl lines for API keys, and what it says they print."""
    heading, document = "API keys", "docs/authentication.md"
    result = _run_walk_through(_readme_block(heading, document), database_url, tmp_path)

    assert result.stdout.decode().splitlines() == ["Lin", "403"]
    assert "which prints `Lin` (the key reads the account) and `403`" in (PROJECT_ROOT / document).read_text()


def test_the_sample_startup_line_is_what_serve_logs() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    line = next(line for line in readme.splitlines() if "startup_complete" in line and "[info" in line)
    migrations = len(discover_migrations(PROJECT_ROOT / "migrations"))
    assert f"migrations={migrations}" in line
    assert "docs=http://127.0.0.1:8000/docs" in line


def test_the_readmes_client_command_is_the_generator_ci_drives() -> None:
    """The frontend command pins the hey-api release whose client .ci/sdk generates, compiles
    and drives through a whole journey; a bump there must show here."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    [version] = re.findall(r"npx --yes @hey-api/openapi-ts@([0-9.]+) ", readme)
    pinned = msgspec.json.decode((PROJECT_ROOT / ".ci" / "sdk" / "package.json").read_bytes())
    assert pinned["dependencies"]["@hey-api/openapi-ts"] == version
    assert "--client @hey-api/client-fetch" in readme
    assert "--client @hey-api/client-fetch" in (PROJECT_ROOT / ".ci" / "sdk" / "run").read_text()
