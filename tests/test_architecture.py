"""The layout conventions that import-linter cannot check."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from src.app import create_app
from src.core.settings import PROJECT_ROOT
from tests.conftest import base_settings

FEATURES = PROJECT_ROOT / "src" / "features"


def slice_directories() -> list[Path]:
    return sorted(path.parent for path in FEATURES.glob("*/*/router.py"))


def test_every_slice_router_is_reachable_from_the_app() -> None:
    app = create_app(base_settings())
    registered = {
        handler.fn for route in app.routes if isinstance(route, HTTPRoute) for handler in route.route_handlers
    }

    unreachable = []
    for directory in slice_directories():
        module_name = ".".join(directory.relative_to(PROJECT_ROOT).parts) + ".router"
        module = importlib.import_module(module_name)
        handlers = [value for _, value in inspect.getmembers(module) if isinstance(value, HTTPRouteHandler)]
        assert handlers, f"{module_name} declares no route handler"
        unreachable += [f"{module_name}.{h.handler_name}" for h in handlers if h.fn not in registered]

    assert unreachable == [], "add these to their feature's router list"


def test_every_slice_has_a_router_and_a_schema() -> None:
    for directory in (path for path in FEATURES.glob("*/*") if path.is_dir() and path.name != "__pycache__"):
        assert (directory / "router.py").exists(), f"{directory} is a slice without router.py"
        assert (directory / "schema.py").exists(), f"{directory} is a slice without schema.py"


def test_slice_folders_are_named_verb_noun() -> None:
    for directory in slice_directories():
        verb, _, noun = directory.name.partition("_")
        assert verb, f"{directory.name}: name slices verb_noun, e.g. create_avatar"
        assert noun, f"{directory.name}: name slices verb_noun, e.g. create_avatar"
