"""The test setup's own paths: each way of finding a PostgreSQL works where it is taken."""

from __future__ import annotations

import os
import re

from src.core.settings import PROJECT_ROOT
from tests.support.databases import POSTGRES_IMAGE, PostgresServer, postgres_container


def test_the_docker_path_builds_its_container_without_a_warning() -> None:
    """On a machine where Docker answers, `uv run pytest` takes this path, and under
    filterwarnings=error a deprecated import there failed every database test. (The API
    version is given only so that building the object needs no Docker engine.)"""
    container = postgres_container(version="1.41")
    assert container.image == POSTGRES_IMAGE
    assert not container.driver  # plain postgresql:// URLs, which asyncpg takes


def test_the_tests_use_the_image_that_compose_runs() -> None:
    compose = (PROJECT_ROOT / "compose.yaml").read_text()
    assert re.findall(r"^\s+image: (postgres:\S+)$", compose, flags=re.MULTILINE) == [POSTGRES_IMAGE]


def test_the_expected_way_to_postgres_was_taken(postgres: PostgresServer) -> None:
    """CI's container gate sets TEST_EXPECT_POSTGRES=testcontainers, so a run that quietly
    fell back to the embedded server there fails instead of passing for the wrong reason."""
    expected = os.environ.get("TEST_EXPECT_POSTGRES")
    assert (
        postgres.kind == expected if expected else postgres.kind in {"TEST_DATABASE_URL", "testcontainers", "embedded"}
    )
