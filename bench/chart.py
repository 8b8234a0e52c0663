"""Draw bench/results/latest.json (written by bench/run.py) as a PNG for the README.

    uv run --no-project --with 'matplotlib>=3.9' python bench/chart.py latest.json latest.png
    uv run --no-project --with 'matplotlib>=3.9' python bench/chart.py --scale scale.json scale.png
    uv run --no-project --with 'matplotlib>=3.9' python bench/chart.py --overload overload.json overload.png

Two panels sharing the endpoints: requests/s (higher is better) and p99 latency (lower is
better, log scale), one bar colour per server, at 64 connections (or the only level
measured). Bars are the median over rounds; error bars span the min-max of the rounds.

`--overload` draws bench/overload.py's open loop: goodput and latency against offered load.

`--scale` draws bench/scale.py's stages instead: each request's p50 and p99 against the
number of rows (log scale), so a line that rises is a cost that grows with data.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

PREFERRED_CONNECTIONS = 64
# Ours stands out; the practical limit is the neutral reference; the peers in between.
COLOURS = {
    "ours": "#1f6fd1",
    "limit": "#8c8c8c",
    "litestar": "#9ecae1",
    "fastapi_asyncpg": "#2ca25f",
    "fastapi_sqlalchemy": "#e6852e",
}
FALLBACK = ["#9467bd", "#d62728", "#17becf", "#bcbd22", "#8c564b"]


def _level(rows: list[dict[str, Any]]) -> int:
    levels = sorted({int(row["connections"]) for row in rows})
    return PREFERRED_CONNECTIONS if PREFERRED_CONNECTIONS in levels else levels[len(levels) // 2]


def _short(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}"


def _label(endpoint: str) -> str:
    method, _, path = endpoint.partition(" ")
    return f"{method}\n{path}"


def _endpoint_order(report: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    """In the order they were measured (bench/run.py's endpoint list), not the table's sort order."""
    measured = [sample["endpoint"] for sample in report.get("samples", [])]
    return sorted(
        dict.fromkeys(row["endpoint"] for row in rows),
        key=lambda endpoint: measured.index(endpoint) if endpoint in measured else len(measured),
    )


def _p99_range(report: dict[str, Any], endpoint: str, server: str, connections: int) -> tuple[float, float] | None:
    """Min-max of p99 over the rounds that count (as bench/run.py's summary picks them)."""
    samples = [
        s
        for s in report.get("samples", [])
        if (s["endpoint"], s["server"], s["connections"]) == (endpoint, server, connections)
    ]
    good = [s for s in samples if s.get("accepted")] or samples
    if len(good) < 2:
        return None
    values = [float(s["p99_ms"]) for s in good]
    return min(values), max(values)


def draw(report: dict[str, Any], output: Path) -> None:
    level = _level(report["results"])
    rows = [row for row in report["results"] if int(row["connections"]) == level]
    servers = [key for key in report["servers"] if any(row["server"] == key for row in rows)]
    endpoints = _endpoint_order(report, rows)
    by_key = {(row["endpoint"], row["server"]): row for row in rows}
    names = {key: report["servers"][key]["name"] for key in servers}
    colours = {key: COLOURS.get(key, FALLBACK[i % len(FALLBACK)]) for i, key in enumerate(servers)}

    plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False})
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7.6), sharex=True, dpi=150)
    width = 0.8 / max(len(servers), 1)
    for index, key in enumerate(servers):
        offsets = [i - 0.4 + width * (index + 0.5) for i in range(len(endpoints))]
        present = [(x, by_key[(endpoint, key)]) for x, endpoint in zip(offsets, endpoints, strict=True)
                   if (endpoint, key) in by_key]  # fmt: skip
        if not present:
            continue
        xs = [x for x, _ in present]
        rps = [float(row["rps"]) for _, row in present]
        spread = [
            [float(row["rps"]) - float(row.get("rps_min", row["rps"])) for _, row in present],
            [float(row.get("rps_max", row["rps"])) - float(row["rps"]) for _, row in present],
        ]
        show_spread = any(low or high for low, high in zip(*spread, strict=True))
        top.bar(xs, rps, width * 0.92, color=colours[key], label=names[key],
                yerr=spread if show_spread else None, capsize=2, error_kw={"elinewidth": 0.8})  # fmt: skip
        for x, value, high, (_, row) in zip(xs, rps, spread[1], present, strict=True):
            text = _short(value) + ("\n!" if int(row.get("non_2xx", 0)) else "")
            top.annotate(text, (x, value + high), textcoords="offset points", xytext=(0, 2), ha="center", va="bottom",
                         fontsize=6.5, color="#b00020" if int(row.get("non_2xx", 0)) else "#333333")  # fmt: skip

        p99 = [float(row["p99_ms"]) for _, row in present]
        ranges = [_p99_range(report, row["endpoint"], key, level) for _, row in present]
        p99_spread = [
            [max(value - r[0], 0.0) if r else 0.0 for value, r in zip(p99, ranges, strict=True)],
            [max(r[1] - value, 0.0) if r else 0.0 for value, r in zip(p99, ranges, strict=True)],
        ]
        show_p99_spread = any(r is not None for r in ranges)
        bottom.bar(xs, p99, width * 0.92, color=colours[key],
                   yerr=p99_spread if show_p99_spread else None, capsize=2, error_kw={"elinewidth": 0.8})  # fmt: skip
        for x, value, high in zip(xs, p99, p99_spread[1], strict=True):
            label = f"{value:.0f}" if value >= 10 else f"{value:.1f}"
            bottom.annotate(label, (x, value + high), textcoords="offset points", xytext=(0, 2), ha="center",
                            va="bottom", fontsize=6.5, color="#333333")  # fmt: skip

    top.set_ylabel("requests/s (higher is better)")
    top.yaxis.set_major_formatter(FuncFormatter(lambda value, _: _short(value)))
    top.set_ylim(0, top.get_ylim()[1] * 1.12)
    top.grid(axis="y", alpha=0.3)
    top.set_axisbelow(True)
    bottom.set_ylabel("p99 latency, ms (lower is better, log)")
    bottom.set_yscale("log")
    bottom.set_ylim(top=bottom.get_ylim()[1] * 2)
    bottom.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    bottom.grid(axis="y", alpha=0.3, which="major")
    bottom.set_axisbelow(True)
    bottom.set_xticks(range(len(endpoints)), [_label(endpoint) for endpoint in endpoints])
    top.legend(loc="upper right", frameon=False, fontsize=8)

    machine = report.get("machine", {})
    method = report.get("method", {})
    date = str(report.get("date", ""))[:16].replace("T", " ")
    rounds = method.get("rounds", "?")
    figure.suptitle(f"One worker on one core, {level} connections", fontsize=12, fontweight="bold", x=0.01, ha="left")
    figure.text(
        0.01,
        0.935,
        f"{date} UTC · {machine.get('cpus', '?')} CPUs · {machine.get('platform', '')} · "
        f"Python {machine.get('python', '')} · median of {rounds} round(s) x {method.get('seconds', '?')} s"
        + (", bars span min-max" if isinstance(rounds, int) and rounds > 1 else "")
        + " · ! = non-2xx answers",
        fontsize=7.5,
        color="#555555",
    )
    figure.tight_layout(rect=(0, 0, 1, 0.94))
    figure.savefig(output)
    plt.close(figure)


SCALE_REQUESTS = ("list", "deep", "owner", "by_id", "refresh")


def draw_scale(report: dict[str, Any], output: Path) -> None:
    stages = report["stages"]
    rows = [stage["avatars"] for stage in stages]
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True)
    for index, name in enumerate(SCALE_REQUESTS):
        colour = FALLBACK[index % len(FALLBACK)] if index else COLOURS["ours"]
        for axis, metric in zip(axes, ("p50_ms", "p99_ms"), strict=True):
            axis.plot(rows, [stage[name][metric] for stage in stages], marker="o", color=colour, label=name)
    for axis, title in zip(axes, ("p50 latency, ms (8 connections)", "p99 latency, ms"), strict=True):
        axis.set_xscale("log")
        axis.set_ylim(bottom=0)
        axis.set_xticks(rows, [f"{value / 1e6:.0f}M" if value >= 1e6 else _short(value) for value in rows])
        axis.set_xlabel("avatars (and sessions) in the table")
        axis.set_title(title, fontsize=10)
        axis.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    figure.suptitle(f"How cost grows with data ({report['date']})", fontsize=11)
    figure.tight_layout(rect=(0, 0, 1, 0.94))
    figure.savefig(output)
    plt.close(figure)


def draw_overload(report: dict[str, Any], output: Path) -> None:
    fronted = report.get("behind_proxy") or {}  # none in results from before the HAProxy part
    candidates = (
        ("the service alone", report["open_loop"].get("levels"), COLOURS["ours"], "-"),
        ("behind HAProxy", fronted.get("levels"), FALLBACK[0], "--"),
    )
    series = [(name, levels, colour, style) for name, levels, colour, style in candidates if levels]
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    offered = [level["load_share"] * 100 for level in series[0][1]]
    axes[0].plot(offered, [min(100.0, share) for share in offered], linestyle=":", color=COLOURS["limit"])
    for name, levels, colour, style in series:
        goodput = [level["goodput_share"] * 100 for level in levels]
        axes[0].plot(offered, goodput, marker="o", color=colour, linestyle=style, label=name)
        for key, what, marker in (
            ("p50_ms", "p50 ok", "o"),
            ("p99_ms", "p99 ok", "s"),
            ("slowest_refusal_ms", "slowest 503", "x"),
        ):
            values = [level[key] or 0 for level in levels]
            axes[1].plot(offered, values, marker=marker, color=colour, linestyle=style, label=f"{what}, {name}")
    axes[0].set_title("goodput, % of capacity (dotted: ideal)", fontsize=10)
    axes[0].legend(fontsize=8)
    axes[1].set_yscale("symlog", linthresh=10)
    axes[1].set_title("latency from when a request was due, ms", fontsize=10)
    axes[1].legend(fontsize=7)
    for axis in axes:
        axis.set_xlabel("offered load, % of measured capacity")
        axis.set_xticks(offered)
        axis.grid(axis="y", alpha=0.3)
    capacity = report["open_loop"]["capacity_rps"]
    figure.suptitle(f"Open loop, one worker, pool of 10; capacity {capacity:.0f}/s ({report['date']})", fontsize=11)
    figure.tight_layout(rect=(0, 0, 1, 0.94))
    figure.savefig(output)
    plt.close(figure)


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] in {"--scale", "--overload"}:
        drawing = draw_scale if sys.argv[1] == "--scale" else draw_overload
        drawing(json.loads(Path(sys.argv[2]).read_text()), Path(sys.argv[3]))
        return 0
    if len(sys.argv) != 3:
        sys.exit("usage: chart.py [--scale | --overload] RESULTS.json OUTPUT.png")
    report = json.loads(Path(sys.argv[1]).read_text())
    if not report.get("results"):
        sys.exit(f"{sys.argv[1]} holds no results")
    draw(report, Path(sys.argv[2]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
