"""1. Gateway load at equal freshness: one simulated hour, exporter vs the reference poller.

Time is driven, not waited for: the simulator models each endpoint's answer time without
sleeping (sleep=False) and the benchmark moves the collector's clock by one poll interval per
scrape. Requests and busy seconds are counted from the simulator's own request log.
"""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

from envoy_exporter.collector.target import Target
from envoy_exporter.simulator.profiles import load_profile
from envoy_exporter.simulator.server import SimulatedEnvoy

from .common import (
    POLL_SECONDS,
    FakeClock,
    RefPoller,
    save,
    target_config,
)
from .latency import LatencyModel

PROFILES = ("battery", "legacy")


def _tally(sim: SimulatedEnvoy, hours: float) -> dict[str, Any]:
    log = sim.request_log
    per_endpoint: Counter[str] = Counter(r.path for r in log)
    busy: dict[str, float] = {}
    for r in log:
        busy[r.path] = busy.get(r.path, 0.0) + r.modelled_seconds
    return {
        "requests_per_hour": len(log) / hours,
        "busy_seconds_per_hour": sum(busy.values()) / hours,
        "endpoints": {
            path: {"requests": per_endpoint[path], "busy_seconds": round(busy[path], 3)}
            for path in sorted(per_endpoint)
        },
    }


def run_exporter(
    profile: str, polls: int, warmup: int = 0, *, modelled_schedule: bool = True
) -> dict[str, Any]:
    """The collector scraped once per poll, counted after `warmup` polls; `modelled_schedule`:
    its schedule sees the modelled answer times (as it would see a real gateway's) instead
    of loopback times."""
    model = LatencyModel()
    with SimulatedEnvoy(load_profile(profile), latency=model, sleep=False) as sim:
        clock = FakeClock()
        target = Target(target_config(sim, cache_ttl=POLL_SECONDS), clock=clock)
        if modelled_schedule:
            observe = target.schedule.observe

            def modelled(endpoint: str, seconds: float) -> None:
                observe(endpoint, model(endpoint))

            target.schedule.observe = modelled  # type: ignore[method-assign]
        worst_age, ups = 0.0, 0
        try:
            for i in range(warmup + polls):
                if i == warmup:
                    sim.clear_request_log()
                snap = target.snapshot()
                ups += snap.up
                for part in snap.parts.values():
                    if part.interval_seconds <= POLL_SECONDS and part.age_seconds is not None:
                        worst_age = max(worst_age, part.age_seconds)
                clock.advance(POLL_SECONDS)
            intervals = dict(snap.intervals)
        finally:
            target.close()
        result = _tally(sim, polls * POLL_SECONDS / 3600)
    result.update(up_ratio=ups / polls, max_power_age_seconds=worst_age, intervals=intervals)
    return result


def run_reference(profile: str, polls: int, warmup: int = 0) -> dict[str, Any]:
    """pyenphase: one update() per poll; every update reads every endpoint it probed."""
    with SimulatedEnvoy(load_profile(profile), latency=LatencyModel(), sleep=False) as sim:
        poller = RefPoller(sim)
        try:
            poller.start()
            for i in range(warmup + polls):
                if i == warmup:
                    sim.clear_request_log()
                poller.update()
        finally:
            poller.close()
        result = _tally(sim, polls * POLL_SECONDS / 3600)
    result["max_power_age_seconds"] = POLL_SECONDS  # every update reads every endpoint
    return result


def run(
    hours: float = 1.0, profiles: tuple[str, ...] = PROFILES, warmup_hours: float = 1.0
) -> dict[str, Any]:
    """Counts one hour after `warmup_hours` (connection and first probe excluded, the
    hourly /info check included): the steady state a months-long exporter lives in.
    The first hour, connection included, is given as well."""
    polls = max(1, round(hours * 3600 / POLL_SECONDS))
    warmup = round(warmup_hours * 3600 / POLL_SECONDS)
    out: dict[str, Any] = {
        "hours": hours,
        "warmup_hours": warmup_hours,
        "poll_seconds": POLL_SECONDS,
        "profiles": {},
    }
    for profile in profiles:
        out["profiles"][profile] = _compare(profile, polls, warmup)
    return out


def _compare(profile: str, polls: int, warmup: int) -> dict[str, Any]:
    """Every variant of one site; ratios against the reference's steady hour."""
    runs = {
        "exporter": run_exporter(profile, polls, warmup),
        "exporter_first_hour": run_exporter(profile, polls),
        "exporter_loopback_schedule": run_exporter(profile, polls, warmup, modelled_schedule=False),
        "reference": run_reference(profile, polls, warmup),
        "reference_first_hour": run_reference(profile, polls),
    }
    ref = runs["reference"]
    for run_ in runs.values():
        run_["busy_ratio"] = run_["busy_seconds_per_hour"] / ref["busy_seconds_per_hour"]
        run_["requests_ratio"] = run_["requests_per_hour"] / ref["requests_per_hour"]
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=1.0)
    args = parser.parse_args()
    result = run(args.hours)
    save("load", result)
    for profile, runs in result["profiles"].items():
        for name, r in runs.items():
            print(
                f"{profile:8} {name:28} {r['requests_per_hour']:6.0f} req/h "
                f"{r['busy_seconds_per_hour']:7.1f} busy s/h  busy x{r['busy_ratio']:.3f} "
                f"requests x{r['requests_ratio']:.3f}  max power age "
                f"{r['max_power_age_seconds']:.1f} s"
            )


if __name__ == "__main__":
    main()
