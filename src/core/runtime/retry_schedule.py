"""Retry schedules for background deliveries (webhooks, mail): `"5s,5m,2h"` and jitter.

A setting names the delay before each retry; after the last one the delivery gives up.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from typing import Final

__all__ = ("SCHEDULE_PATTERN", "parse_schedule", "retry_delay")

# What a schedule setting must look like (checked by the settings' type).
SCHEDULE_PATTERN: Final = r"^[0-9]+[smhd](,[0-9]+[smhd])*$"
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
# A retry runs within +-20% of its scheduled delay, so deliveries that failed together
# (an outage) are not retried in one burst.
_JITTER: Final = 0.2


@functools.cache  # one setting, read at every failed attempt
def parse_schedule(text: str) -> tuple[float, ...]:
    """`"5s,5m,2h"` -> (5.0, 300.0, 7200.0): the delay before each retry."""
    return tuple(float(int(part[:-1]) * _UNIT_SECONDS[part[-1]]) for part in text.split(","))


def retry_delay(schedule: Sequence[float], attempts: int) -> float | None:
    """Seconds until the next try after `attempts` failed ones, or None: give up."""
    if attempts > len(schedule):
        return None
    base = schedule[attempts - 1]
    return base * random.uniform(1 - _JITTER, 1 + _JITTER)  # noqa: S311 - jitter, not security
