"""The layout conventions that import-linter cannot check."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from src.app import JOBS, create_app
from src.core.runtime.jobs import PeriodicJob
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


def all_slice_directories() -> list[Path]:
    return [path for path in FEATURES.glob("*/*") if path.is_dir() and path.name != "__pycache__"]


def test_every_slice_is_an_http_route_or_a_job() -> None:
    for directory in all_slice_directories():
        is_route = (directory / "router.py").exists()
        is_job = (directory / "job.py").exists()
        assert is_route != is_job, f"{directory} needs router.py (an HTTP use case) or job.py (a background one)"
        if is_route:
            assert (directory / "schema.py").exists(), f"{directory} is a route slice without schema.py"


def test_every_use_case_has_a_command_unless_it_has_no_input() -> None:
    # The probes and the key set take no input at all: nothing to put in a command.
    inputless = {"check_liveness", "check_startup", "get_jwks"}
    for directory in all_slice_directories():
        is_route = (directory / "router.py").exists()
        if is_route and (directory / "handler.py").exists() and directory.name not in inputless:
            assert (directory / "command.py").exists(), f"{directory} has a handler but no command.py"


def test_every_job_is_registered() -> None:
    registered = {job.name for job in JOBS}
    for directory in all_slice_directories():
        if (directory / "job.py").exists():
            module = importlib.import_module(".".join(directory.relative_to(PROJECT_ROOT).parts) + ".job")
            jobs = [value for _, value in inspect.getmembers(module) if isinstance(value, PeriodicJob)]
            assert jobs, f"{module.__name__} declares no PeriodicJob"
            assert {job.name for job in jobs} <= registered, f"add {module.__name__}'s job to its feature's JOBS"


def test_slice_folders_are_named_verb_noun() -> None:
    for directory in slice_directories():
        verb, _, noun = directory.name.partition("_")
        assert verb, f"{directory.name}: name slices verb_noun, e.g. create_avatar"
        assert noun, f"{directory.name}: name slices verb_noun, e.g. create_avatar"
