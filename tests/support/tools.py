"""System tools some tests drive (Debian's chromium, HAProxy, node and an npm package):
found on PATH (or under the test's node_modules), else the test is skipped on a
developer's machine, but fails where `REQUIRE_TOOLS` names the tool (`.ci/run` installs
them and names them), so CI never passes by skipping what it was meant to check."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

__all__ = ("required_node_module", "required_tool")


def required_tool(*names: str, install: str) -> str:
    """The path of the first of `names` on PATH; `install` says how to get it."""
    for name in names:
        if found := shutil.which(name):
            return found
    message = f"needs {names[0]} ({install})"
    if _required() & set(names):
        pytest.fail(f"{message}: REQUIRE_TOOLS names it, so it must be installed here")
    pytest.skip(message)


def _required() -> set[str]:
    return {each.strip() for each in os.environ.get("REQUIRE_TOOLS", "").split(",") if each.strip()}


def required_node_module(name: str, *, directory: Path, install: str) -> Path:
    """The folder of the npm package `name` installed under `directory` (its
    package-lock.json pins it); `REQUIRE_TOOLS` names it where it must be there."""
    found = directory / "node_modules" / name
    if (found / "package.json").is_file():
        return found
    message = f"needs the npm package {name} in {directory} ({install})"
    if name in _required():
        pytest.fail(f"{message}: REQUIRE_TOOLS names it, so it must be installed here")
    pytest.skip(message)
