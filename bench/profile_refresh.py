"""Profile one piece of the refresh with pyinstrument (bench extra): `python -m
bench.profile_refresh CAPTURE {client,refresh,render} [N]` prints the call tree."""

from __future__ import annotations

import sys
from pathlib import Path

from pyinstrument import Profiler

from envoy_exporter.collector.target import Target
from envoy_exporter.envoy import Envoy
from envoy_exporter.outputs.prometheus import render

from .common import POLL_SECONDS, FakeClock, credentials, target_config
from .latency import CAPTURES
from .sim_server import SimProcess


def main() -> None:
    capture, what = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    with SimProcess("--captures", str(Path(CAPTURES) / capture)) as sims:
        gateway = sims.gateways[0]
        profiler = Profiler(interval=0.0005)
        if what == "client":
            envoy = Envoy(gateway["host"])
            envoy.setup()
            envoy.authenticate(**credentials(gateway))
            envoy.update()
            with profiler:
                for _ in range(count):
                    envoy.update()
            envoy.close()
        else:
            clock = FakeClock()
            target = Target(target_config(gateway, cache_ttl=POLL_SECONDS), clock=clock)
            target.snapshot()
            with profiler:
                for _ in range(count):
                    clock.advance(POLL_SECONDS)
                    target.snapshot()
                    if what == "render":
                        render(target)
            target.close()
    print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
