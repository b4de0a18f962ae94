"""The state directory's saved Enlighten tokens: private, atomic, per gateway and user."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from envoy_exporter.collector.token_store import TokenStore


def test_a_saved_token_is_private_and_read_back(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "state")
    store.save("122100000001", "me@example.com", "header.claims.signature")
    files = list((tmp_path / "state").iterdir())
    assert [f.name for f in files] == ["enlighten-token-122100000001.json"]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    assert TokenStore(tmp_path / "state").load("122100000001", "me@example.com") == (
        "header.claims.signature"
    )
    # another account's token, or another gateway's, is not handed out
    assert store.load("122100000001", "someone@example.com") is None
    assert store.load("122100000002", "me@example.com") is None


def test_saving_again_replaces_the_token(tmp_path: Path) -> None:
    store = TokenStore(tmp_path)
    store.save("1", "me", "old")
    store.save("1", "me", "new")
    assert store.load("1", "me") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["enlighten-token-1.json"]


def test_a_broken_file_means_no_token_and_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "enlighten-token-1.json").write_bytes(b"\xff{not json")
    with caplog.at_level(logging.WARNING):
        assert TokenStore(tmp_path).load("1", "me") is None
    assert len(caplog.records) == 1 and "unreadable" in caplog.records[0].getMessage()


def test_an_unwritable_state_dir_is_a_warning_not_an_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with caplog.at_level(logging.WARNING):
        TokenStore(blocker / "state").save("1", "me", "secret-token")
    assert "cannot save" in caplog.text
    assert "secret-token" not in caplog.text
