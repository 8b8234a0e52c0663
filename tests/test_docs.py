"""The README and .env.example stay true to the settings the code reads."""

from __future__ import annotations

import re

import msgspec
import pytest

from src.core.settings import PROJECT_ROOT, Settings

VARIABLES = [field.name.upper() for field in msgspec.structs.fields(Settings)]


@pytest.mark.parametrize("document", ["README.md", ".env.example"])
def test_every_setting_is_documented(document: str) -> None:
    text = (PROJECT_ROOT / document).read_text()

    missing = [name for name in VARIABLES if not re.search(rf"\b{name}\b", text)]
    assert missing == [], f"{document} does not mention {missing}"


def test_the_readme_documents_no_setting_that_does_not_exist() -> None:
    table = re.findall(r"^\| `([A-Z_]+)` \|", (PROJECT_ROOT / "README.md").read_text(), flags=re.MULTILINE)

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
