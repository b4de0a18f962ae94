"""The exporter as users run it: `envoy-exporter serve` in a process of its own."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ExporterProcess:
    """`serve` for one gateway (a bench.sim_server line) or with a --config.file."""

    def __init__(
        self,
        gateway: dict[str, Any] | None = None,
        *,
        config: str | None = None,
        log_level: str = "error",
        extra_args: tuple[str, ...] = (),
        **opts: Any,
    ) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="envoy-bench-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = ["serve", "--web.listen-address", f"127.0.0.1:{self.port}", "--log.level", log_level]
        if gateway is not None:
            args += ["--envoy", gateway["host"]]
            if gateway.get("token"):
                token_file = Path(self.tmp.name) / "token"
                token_file.write_text(gateway["token"])
                args += ["--token-file", str(token_file)]
            else:
                password_file = Path(self.tmp.name) / "password"
                password_file.write_text(gateway["password"])
                args += ["--username", gateway["username"], "--password-file", str(password_file)]
        if config is not None:
            config_file = Path(self.tmp.name) / "config.yml"
            config_file.write_text(config)
            args += ["--config.file", str(config_file)]
        args += extra_args
        for key, value in opts.items():
            args += [f"--{key.replace('_', '-')}", str(value)]
        entry = ["-c", "from envoy_exporter.cli import main; main()"]
        self.proc = subprocess.Popen(
            [sys.executable, *entry, *args],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
        )
        self._wait_healthy()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _wait_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exporter exited with {self.proc.returncode}")
            try:
                if requests.get(f"{self.url}/-/healthy", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("exporter did not become healthy")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.tmp.cleanup()

    def __enter__(self) -> ExporterProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
