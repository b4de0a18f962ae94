"""enphase_exporter_build_info: which exporter build answers, as Prometheus's own exporters say."""

from __future__ import annotations

import os
import platform
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .. import __version__

#: set by the image build (Dockerfile ARG) where no git checkout is at hand
REVISION_ENV = "ENVOY_EXPORTER_REVISION"


@cache
def revision() -> str:
    """The build's source revision: the environment's, the checkout's HEAD, or "unknown"."""
    if found := os.environ.get(REVISION_ENV, "").strip():
        return found
    source = Path(__file__).resolve().parents[2]
    if not (source / ".git").exists():
        return "unknown"
    import subprocess  # only a checkout asks git: an installed exporter never loads it

    try:
        done = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() or "unknown"


class BuildInfoCollector(Collector):
    """Yields enphase_exporter_build_info{version, revision, python_version} 1."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "enphase_exporter_build_info",
            "The exporter's build: its version, source revision and Python version (value 1).",
            labels=("version", "revision", "python_version"),
        )
        family.add_metric((__version__, revision(), platform.python_version()), 1.0)
        yield family
