"""The reference poller in a process of its own (for its RSS): reads a bench.sim_server
gateway line on stdin, polls `update()` N times, prints {"rss": bytes} as JSON."""

from __future__ import annotations

import json
import sys

from .common import RefPoller, rss_bytes


def main() -> None:
    gateway = json.loads(sys.stdin.readline())
    polls = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    poller = RefPoller(gateway)
    poller.start()
    for _ in range(polls):
        poller.update()
    print(json.dumps({"rss": rss_bytes()}), flush=True)
    poller.close()


if __name__ == "__main__":
    main()
