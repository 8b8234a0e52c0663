"""The alerting rules and the dashboard of deploy/monitoring ask for the metrics the
service exports, by their real names (promtool itself checks and unit-tests the rules in
CI: .ci/run)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import msgspec
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from src.core.settings import PROJECT_ROOT

MONITORING = PROJECT_ROOT / "deploy" / "monitoring"
OUR_METRIC = re.compile(r"\bavatar_api_[a-z0-9_]+")
# The series each family type is exported as (prometheus_client, text format).
_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "gauge": ("",),
    "summary": ("_count", "_sum", ""),
}


def _exported(scrape: str) -> set[str]:
    names: set[str] = set()
    for family in text_string_to_metric_families(scrape):
        names.update(family.name + suffix for suffix in _SUFFIXES.get(family.type, ("",)))
    return names


@pytest.fixture
async def exported(client: httpx.AsyncClient) -> set[str]:
    """Every series name /metrics can carry (labelled families are listed with their type
    even before their first sample)."""
    return _exported((await client.get("/metrics")).text)


def _dashboard() -> dict[str, Any]:
    document: dict[str, Any] = msgspec.json.decode((MONITORING / "dashboard.json").read_bytes())
    return document


def _dashboard_queries() -> list[str]:
    dashboard = _dashboard()
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    queries += [variable["definition"] for variable in dashboard["templating"]["list"] if "definition" in variable]
    return queries


def _alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((MONITORING / "alerts.yaml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_the_dashboard_is_a_grafana_dashboard_of_our_metrics() -> None:
    dashboard = _dashboard()
    panels = dashboard["panels"]

    assert dashboard["uid"] == "avatar-api"
    assert len({panel["id"] for panel in panels}) == len(panels)
    graphs = [panel for panel in panels if panel["type"] != "row"]
    assert len(graphs) >= 10
    for panel in graphs:
        assert panel["targets"], panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        for target in panel["targets"]:
            assert OUR_METRIC.search(target["expr"]), (panel["title"], target["expr"])


def test_every_metric_the_dashboard_and_the_alerts_use_is_exported(exported: set[str]) -> None:
    used = {name for query in _dashboard_queries() for name in OUR_METRIC.findall(query)}
    used |= {name for rule in _alert_rules() for name in OUR_METRIC.findall(rule["expr"])}
    used |= {
        name for rule in _alert_rules() for text in rule["annotations"].values() for name in OUR_METRIC.findall(text)
    }

    assert used, "no metric found: the pattern or the files changed"
    assert sorted(used - exported) == []


def test_the_dashboard_and_the_alerts_watch_what_operators_are_told_to(exported: set[str]) -> None:
    """The signals docs/operations.md describes are each on the dashboard, and the alerts
    the issue asked for exist."""
    used = {name for query in _dashboard_queries() for name in OUR_METRIC.findall(query)}
    ours = {name for name in exported if name.startswith("avatar_api_") and not name.endswith(("_count", "_sum"))}
    assert sorted(ours - used) == []
    assert {rule["alert"] for rule in _alert_rules()} == {
        "AvatarApiHighErrorRatio",
        "AvatarApiHighLatency",
        "AvatarApiReadinessFlapping",
        "AvatarApiDatabasePoolSaturated",
        "AvatarApiWebhookBacklogOld",
        "AvatarApiOutboxLagging",
        "AvatarApiRateLimitStoreErrors",
    }


def test_every_alert_is_unit_tested_firing_and_not_firing() -> None:
    tests = yaml.safe_load((MONITORING / "alerts.test.yaml").read_text())
    assert tests["rule_files"] == ["alerts.yaml"]
    checks = [check for test in tests["tests"] for check in test["alert_rule_test"]]
    for rule in _alert_rules():
        of_rule = [check for check in checks if check["alertname"] == rule["alert"]]
        assert any(check["exp_alerts"] for check in of_rule), f"{rule['alert']} is never expected to fire"
        assert any(not check["exp_alerts"] for check in of_rule), f"{rule['alert']} is never expected not to fire"
