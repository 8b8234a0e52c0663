"""System tools some tests drive (Debian's chromium, HAProxy): found on PATH, else the test
is skipped on a developer's machine, but fails where `REQUIRE_TOOLS` names the tool (`.ci/run`
installs them and names them), so CI never passes by skipping what it was meant to check."""

from __future__ import annotations

import os
import shutil

import pytest

__all__ = ("required_tool",)


def required_tool(*names: str, install: str) -> str:
    """The path of the first of `names` on PATH; `install` says how to get it."""
    for name in names:
        if found := shutil.which(name):
            return found
    required = {each.strip() for each in os.environ.get("REQUIRE_TOOLS", "").split(",") if each.strip()}
    message = f"needs {names[0]} ({install})"
    if required & set(names):
        pytest.fail(f"{message}: REQUIRE_TOOLS names it, so it must be installed here")
    pytest.skip(message)
