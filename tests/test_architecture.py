"""The layout conventions that import-linter cannot check."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path
from typing import Final

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
    """Every folder of a feature that holds Python (a folder of mail templates is no slice)."""
    return sorted(
        path for path in FEATURES.glob("*/*") if path.is_dir() and path.name != "__pycache__" and any(path.glob("*.py"))
    )


# The one shape of a slice (docs/adding-a-slice.md). A module with nothing to hold says
# so in its docstring; a background slice has a command only when it takes input.
HTTP_SLICE: Final = frozenset({"__init__.py", "router.py", "schema.py", "command.py", "handler.py", "queries.py"})
BACKGROUND_SLICE: Final = frozenset({"__init__.py", "job.py", "handler.py", "queries.py"})


def test_every_slice_has_the_shape_of_its_kind() -> None:
    wrong = []
    for directory in all_slice_directories():
        modules = {path.name for path in directory.glob("*.py")}
        if (directory / "router.py").exists():
            expected, kind = HTTP_SLICE, "an HTTP slice"
        elif (directory / "job.py").exists():
            expected, kind = BACKGROUND_SLICE | ({"command.py"} & modules), "a background slice"
        else:
            wrong.append(f"{directory.relative_to(FEATURES)}: neither router.py (HTTP) nor job.py (background)")
            continue
        if modules != expected:
            missing, extra = sorted(expected - modules), sorted(modules - expected)
            wrong.append(f"{directory.relative_to(FEATURES)} is {kind}: missing {missing}, unexpected {extra}")
    assert wrong == [], "see docs/adding-a-slice.md"


def test_modules_with_nothing_to_hold_say_why() -> None:
    for directory in all_slice_directories():
        for path in directory.glob("*.py"):
            if path.name == "__init__.py":
                continue
            module = ast.parse(path.read_text())
            has_code = any(not _is_docstring_or_all(node) for node in module.body)
            assert has_code or ast.get_docstring(module), (
                f"{path.relative_to(FEATURES)} is empty: say why in a docstring"
            )


def _is_docstring_or_all(node: ast.stmt) -> bool:
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return True
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    return any(isinstance(target, ast.Name) and target.id == "__all__" for target in targets)


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_every_kernel_module_serves_the_kernel_or_two_features() -> None:
    """Code that one feature alone uses lives in that feature (CONVENTIONS.md)."""
    kernel = PROJECT_ROOT / "src" / "core"
    users: dict[str, set[str]] = {}
    for path in (PROJECT_ROOT / "src").rglob("*.py"):
        parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
        user = f"feature {parts[2]}" if parts[1] == "features" else "kernel" if parts[1] == "core" else "root"
        for name in _imported_modules(path):
            users.setdefault(name, set()).add(user)
    lonely = []
    for path in kernel.rglob("*.py"):
        if path.name == "__init__.py":
            continue
        name = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
        found = users.get(name, set())
        if "kernel" not in found and "root" not in found and len(found) < 2:
            lonely.append(f"{name}: used by {sorted(found) or 'nothing'}")
    assert lonely == [], "move a module used by one feature into that feature"


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


def test_jobs_read_their_settings_through_typed_callables() -> None:
    """A job names its interval and switch as `lambda settings: settings.x` (mypy checks
    the attribute), not as a string looked up at run time."""
    settings = base_settings(
        webhook_poll_seconds=1.5, webhook_dispatcher_enabled=False, mail_poll_seconds=1.5, mail_sender_enabled=False
    )
    polling = [job for job in JOBS if callable(job.interval_seconds)]
    assert polling, "the webhook jobs poll at WEBHOOK_POLL_SECONDS, the mail sender at MAIL_POLL_SECONDS"
    for job in polling:
        assert job.interval(settings) == 1.5
        assert not job.runs_with(settings)
    fixed = [job for job in JOBS if not callable(job.interval_seconds)]
    assert all(job.interval(settings) == job.interval_seconds and job.runs_with(settings) for job in fixed)
