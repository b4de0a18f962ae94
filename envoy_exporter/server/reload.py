"""Reloading the configuration file into a running exporter (SIGHUP, POST /-/reload), as
Prometheus and the blackbox exporter do: a broken new file is refused, its errors logged,
and the targets in use are kept."""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING

from ..logs import REDACTOR
from .config import ConfigError, load_config

if TYPE_CHECKING:
    from .app import ExporterApp

_LOGGER = logging.getLogger(__name__)


class Reloader:
    """Replaces an app's targets with those of its configuration file, read again.

    A target whose settings did not change keeps its connection, cache and history.
    """

    def __init__(self, app: ExporterApp, path: str | os.PathLike[str]) -> None:
        self.app = app
        self.path = path
        self._lock = threading.Lock()

    def reload(self) -> list[str]:
        """The errors of the new file (nothing changed then), or [] once it is in use."""
        from ..collector.target import Target
        from .app import Refresher

        with self._lock:
            try:
                config = load_config(self.path)
            except ConfigError as exc:
                _LOGGER.error(
                    "reload refused, the previous configuration stays: %s", "; ".join(exc.errors)
                )
                return exc.errors
            REDACTOR.add(config.secrets)
            old = self.app.refreshers
            new = {}
            for name, settings in config.targets.items():
                kept = old.get(name)
                same = kept is not None and kept.target.config == settings
                new[name] = kept if same and kept is not None else Refresher(name, Target(settings))
            self.app.refreshers = new  # one assignment: a request sees the old or the new set
            for name, refresher in old.items():
                if new.get(name) is not refresher:
                    refresher.close()
            changed = sorted(n for n in new if new[n] is not old.get(n))
            removed = sorted(set(old) - set(new))
            _LOGGER.info(
                "configuration reloaded from %s: %d target(s), new or changed: %s, removed: %s",
                self.path, len(new), ", ".join(changed) or "none", ", ".join(removed) or "none",
            )  # fmt: skip
            return []


def reload_answer(reloader: Reloader | None) -> tuple[int, bytes]:
    """POST /-/reload's status and body (a failure is a 500 with the errors, as Prometheus's)."""
    if reloader is None:
        return 400, b"reload is off: started without --config.file, or with an OTLP push\n"
    errors = reloader.reload()
    if errors:
        return 500, ("failed to reload config:\n" + "".join(f"  {e}\n" for e in errors)).encode()
    return 200, b"OK\n"
