"""`bench.run` on this tree side by side with an older tree, in one run (issue 12).

    git worktree add /tmp/base <older commit>
    (cd /tmp/base && python3 -m venv .venv && .venv/bin/pip install -e '.[test,bench]')
    .venv/bin/python -m bench.compare /tmp/base            # bench.run's options pass through

Each benchmark of `bench.run` runs on the older tree, then on this one, back to back, so the
drift of a shared machine between the two is minutes rather than a day. The older tree's
results are copied to bench/results/baseline/, this tree's stay in bench/results/ (and make
the tables of bench/README.md as `bench.run` does); the key figures of both, and their ratio,
go to the table between the compare markers of bench/README.md.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from .common import RESULTS
from .report import README

ROOT = Path(__file__).resolve().parents[1]
BASELINE = RESULTS / "baseline"
START, END = "<!-- compare:start -->", "<!-- compare:end -->"
#: bench.run's sections, in its order, and the result file each writes ({fleet}: the count)
SECTIONS = {
    "load": "load",
    "cpu": "cpu",
    "render": "render",
    "scrape": "scrape",
    "memory": "memory",
    "growth": "growth",
    "fleet": "fleet_{fleet}",
}
#: (result file, flattened key pattern, which way is better): the figures compared
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("load", "profiles/*/exporter/requests_per_hour", "lower"),
    ("load", "profiles/*/exporter/busy_seconds_per_hour", "lower"),
    ("cpu", "*/exporter_refresh", "lower"),
    ("cpu", "*/exporter_render", "lower"),
    ("cpu", "*/ratio_refresh_render", "lower"),
    ("render", "rows/*/refresh_render_ms", "lower"),
    ("scrape", "*/p50_ms", "lower"),
    ("scrape", "*/p99_ms", "lower"),
    ("scrape", "*/per_second", "higher"),
    ("memory", "*/exporter_rss_mb", "lower"),
    ("growth", "rows/*/exporter_refresh_render_ms", "lower"),
    ("fleet_*", "max_rss_mb", "lower"),
    ("fleet_*", "max_threads", "lower"),
    ("fleet_*", "rounds_detail/*/cpu_share", "lower"),
    ("fleet_*", "rounds_detail/*/p99_ms", "lower"),
    ("fleet_*", "rounds_detail/*/over_timeout", "lower"),
)


def flatten(value: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves by slash-joined key; a list's items by their `inverters` or position."""
    if isinstance(value, bool):
        return {}
    if isinstance(value, int | float):
        return {prefix: float(value)}
    items: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        items = [(str(k), v) for k, v in value.items() if k != "machine"]
    elif isinstance(value, list):
        items = [
            (f"{v['inverters']}inv" if isinstance(v, dict) and "inverters" in v else str(i), v)
            for i, v in enumerate(value)
        ]
    flat: dict[str, float] = {}
    for key, item in items:
        flat.update(flatten(item, f"{prefix}/{key}" if prefix else key))
    return flat


def _load(folder: Path, name: str) -> dict[str, float]:
    path = folder / f"{name}.json"
    return flatten(json.loads(path.read_text())) if path.is_file() else {}


def table(files: list[str]) -> list[str]:
    rows = [
        "| figure | older tree | this tree | this / older | better |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for pattern, key_pattern, better in FIGURES:
        for name in sorted(fnmatch.filter(files, pattern)):
            old, new = _load(BASELINE, name), _load(RESULTS, name)
            for key in sorted(fnmatch.filter(new, key_pattern)):
                if key not in old:
                    continue
                ratio = new[key] / old[key] if old[key] else float("nan")
                rows.append(
                    f"| {name}: {key} | {old[key]:.4g} | {new[key]:.4g} | {ratio:.2f} | {better} |"
                )
    return rows


def _run(python: str, cwd: Path, section: str, passed: list[str]) -> None:
    skips = [arg for other in SECTIONS if other != section for arg in ("--skip", other)]
    subprocess.run([python, "-m", "bench.run", *skips, *passed], cwd=cwd, check=True)


def write_readme(baseline: str) -> None:
    files = sorted(path.stem for path in BASELINE.glob("*.json"))
    text = README.read_text()
    body = "\n".join(
        [
            f"`python -m bench.compare {baseline}`: each benchmark on the older tree, then"
            " on this one.",
            "",
            *table(files),
        ]
    )
    if START not in text:
        text += f"\n{START}\n{END}\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    README.write_text(f"{head}{START}\n{body}\n{END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("baseline", type=Path, help="the older tree, with its own .venv")
    parser.add_argument("--only", action="append", default=[], help="sections to run")
    parser.add_argument("--fleet", type=int, default=200)
    args, passed = parser.parse_known_args()
    passed += ["--fleet", str(args.fleet)]
    python = str(args.baseline / ".venv" / "bin" / "python")
    BASELINE.mkdir(parents=True, exist_ok=True)
    for section, file in SECTIONS.items():
        if args.only and section not in args.only:
            continue
        name = file.format(fleet=args.fleet)
        _run(python, args.baseline, section, passed)
        shutil.copy(args.baseline / "bench" / "results" / f"{name}.json", BASELINE / f"{name}.json")
        _run(sys.executable, ROOT, section, passed)
        print("\n".join(table([name])), flush=True)
    write_readme(str(args.baseline))


if __name__ == "__main__":
    main()
