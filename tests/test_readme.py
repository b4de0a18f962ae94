"""The README's promises to a newcomer: what a fresh machine needs, what the image keeps."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_fresh_machine_line_names_python3_venv_before_the_commands() -> None:
    """Debian's python3 has no venv module: the first command fails without python3-venv."""
    intro, _, rest = README.partition("```sh\n")
    fresh = intro.split("On a fresh machine", 1)[1]
    assert "apt-get install -y python3-venv" in fresh
    commands = [
        line for line in rest.split("```", 1)[0].splitlines() if line and not line.startswith("#")
    ]
    assert len(commands) == 2 and "python3 -m venv" in commands[0]
    assert commands[1] == "bash scripts/test"
    assert re.search(r"python3-venv", (ROOT / "scripts" / "test").read_text())


def test_readme_shows_the_landing_page_screenshot() -> None:
    """The picture tests/test_landing.py takes in headless Chromium (LANDING_SCREENSHOT)."""
    assert "](docs/landing.png)" in README
    png = (ROOT / "docs" / "landing.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") >= 800
