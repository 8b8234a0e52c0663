"""Reading a /metrics scrape in tests."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

__all__ = ("sample_value",)


def sample_value(scrape: str, name: str, *, default: float | None = None, **labels: str) -> float:
    """The value of the first sample called `name` carrying `labels`; `default` when there
    is none (LookupError without one: a series that should be there must be)."""
    for family in text_string_to_metric_families(scrape):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(key) == value for key, value in labels.items()):
                return sample.value
    if default is None:
        raise LookupError(f"no sample {name} {labels} in the scrape")
    return default
