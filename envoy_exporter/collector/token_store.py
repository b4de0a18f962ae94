"""Tokens fetched from Enlighten, kept in the state directory across restarts.

Enlighten limits logins and has locked accounts that logged in at every restart; an owner
token lives a year. One small JSON file per gateway serial, mode 0600, replaced atomically
so that a crash never leaves half a token.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

_LOGGER = logging.getLogger(__name__)
_FILE_MODE = 0o600


class TokenStore:
    """Saved tokens by gateway serial and Enlighten user. Never logs a token."""

    def __init__(self, state_dir: str | Path) -> None:
        self.state_dir = Path(state_dir)

    def _path(self, serial: str) -> Path:
        safe = "".join(c for c in serial if c.isalnum()) or "unknown"
        return self.state_dir / f"enlighten-token-{safe}.json"

    def load(self, serial: str, username: str) -> str | None:
        """The token saved for this gateway by this Enlighten user, None if none is usable."""
        path = self._path(serial)
        try:
            saved = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:
            _LOGGER.warning("saved token %s unreadable, logging in to Enlighten: %s", path, err)
            return None
        if not isinstance(saved, dict) or saved.get("username") != username:
            return None
        token = saved.get("token")
        return token if isinstance(token, str) and token else None

    def save(self, serial: str, username: str, token: str) -> None:
        """Keep a token; a failure to write is logged, never raised (the token still works)."""
        path = self._path(serial)
        body = json.dumps({"serial": serial, "username": username, "token": token}).encode()
        try:
            self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".token-", dir=self.state_dir)
            try:
                os.fchmod(fd, _FILE_MODE)
                with os.fdopen(fd, "wb") as out:
                    out.write(body)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as err:
            _LOGGER.warning("cannot save the Enlighten token in %s: %s", self.state_dir, err)
