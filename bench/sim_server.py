"""Simulated gateways in a process of their own, so their CPU is not charged to the client.

Prints one JSON line per gateway (host, credentials), then "ready"; serves until stdin closes.
Many gateways (--count) share the process: each gets its own port, only the gateway server
is started (no fake Enlighten), and one thread accepts the connections of all of them.
"""

from __future__ import annotations

import argparse
import json
import selectors
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from envoy_exporter.simulator.captures import CaptureSource
from envoy_exporter.simulator.certs import server_context
from envoy_exporter.simulator.httpd import ThreadedServer
from envoy_exporter.simulator.profiles import load_profile
from envoy_exporter.simulator.server import SimulatedEnvoy, _GatewayHandler


def _server(sim: SimulatedEnvoy) -> ThreadedServer:
    tls = None if sim.legacy else server_context(sim.listen_host)
    return ThreadedServer((sim.listen_host, 0), _GatewayHandler, tls, sim)


def _accept_loop(servers: list[ThreadedServer]) -> None:
    """One thread accepts for every gateway (each connection then gets its own thread).

    One serve_forever thread per gateway would wake a thousand threads a second, and
    their fight for the GIL, not the answers, would then eat the simulator's CPU.
    """
    with selectors.DefaultSelector() as selector:
        for server in servers:
            selector.register(server.socket, selectors.EVENT_READ, server)
        while True:
            for key, _ in selector.select():
                key.data._handle_request_noblock()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile")
    parser.add_argument("--captures", type=Path)
    parser.add_argument("--inverters", type=int)
    parser.add_argument("--count", type=int, default=1)
    args = parser.parse_args()
    servers: list[ThreadedServer] = []
    for i in range(args.count):
        if args.captures is not None:
            source: Any = CaptureSource(args.captures)
        else:
            options: dict[str, Any] = {"seed": i}
            if args.inverters is not None:
                options["inverters"] = args.inverters
            source = load_profile(args.profile, **options)
        sim = SimulatedEnvoy(source)
        server = _server(sim)
        servers.append(server)
        host = f"{sim.listen_host}:{server.server_address[1]}"
        if sim.legacy:
            creds = {"username": "envoy", "password": sim.local_users["envoy"], "token": None}
        else:
            creds = {"username": None, "password": None, "token": sim.token}
        line = {"host": host, "firmware": sim.firmware, **creds}
        print(json.dumps(line), flush=True)
    threading.Thread(target=_accept_loop, args=(servers,), daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()


class SimProcess:
    """Starts bench.sim_server in a subprocess; `gateways` lists what it printed."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.sim_server", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        self.gateways: list[dict[str, Any]] = []
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.strip() == "ready":
                break
            self.gateways.append(json.loads(line))
        else:
            raise RuntimeError(f"simulator process exited ({self.proc.wait()})")

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    main()
