"""One model of a target's settings for the command line, the config file and the collector:
same checks and same answers everywhere, every problem at once, secrets hidden one way."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from envoy_exporter.cli import main
from envoy_exporter.collector.config import ConfigError, TargetConfig
from envoy_exporter.server.config import load_config, parse_config

from .conftest import SimulatorFactory

TOKEN = "eyJ-secret-token-value-0123456789"


def one_target(host: object, **module: object) -> dict[str, object]:
    return {"modules": {"m": module}, "targets": {"t": {"host": host, "module": "m"}}}


def config_errors(data: dict[str, object]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data, environ={})
    return info.value.errors


def test_the_command_line_reports_every_bad_setting_at_once() -> None:
    result = CliRunner().invoke(
        main, ["push", "--envoy", "h", "--cache-ttl", "0", "--busy-budget", "2", "--timeout", "0"]
    )
    assert result.exit_code == 2
    for fragment in (
        "--cache-ttl: must be at least 1, got 0",
        "--busy-budget: must be greater than 0 and at most 1, got 2",
        "--timeout: must be at least 0.5, got 0",
    ):
        assert fragment in result.output, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("cache_ttl", 0.5, "must be at least 1, got 0.5"),
        ("timeout", 0.2, "must be at least 0.5, got 0.2"),
        ("busy_budget", 0, "must be greater than 0 and at most 1, got 0"),
        ("verify_tls", "yes", "expected true or false"),
    ],
)
def test_the_file_the_command_line_and_the_model_give_the_same_answer(
    key: str, value: object, problem: str
) -> None:
    assert config_errors(one_target("h", **{key: value})) == [f"modules.m.{key}: {problem}"]
    with pytest.raises(ConfigError) as info:
        TargetConfig(name="t", host="h", **{key: value})  # type: ignore[arg-type]
    assert info.value.errors == [f"target 't': {key}: {problem}"]
    if key != "verify_tls":
        option = "--" + key.replace("_", "-")
        result = CliRunner().invoke(main, ["push", "--envoy", "h", option, str(value)])
        assert f"{option}: {problem}" in result.output, result.output


def test_the_model_reports_every_problem_and_hides_secrets() -> None:
    with pytest.raises(ConfigError) as info:
        TargetConfig(name="t", host="", cache_ttl=0, password="pw-SECRET")
    text = str(info.value)
    assert "host: expected a non-empty string" in text
    assert "cache_ttl: must be at least 1" in text
    assert "password: given without a username" in text
    assert "SECRET" not in text
    target = TargetConfig(
        name="t", host="h", token="tok-SECRET", username="u", password="pw-SECRET"
    )
    assert "SECRET" not in repr(target)
    assert sorted(target.secrets) == ["pw-SECRET", "tok-SECRET"]


# --- a URL pasted from a browser (issue 16 item 2) -------------------------------------


@pytest.mark.parametrize(
    ("given", "host"),
    [
        ("https://192.168.1.50", "192.168.1.50"),
        ("http://envoy.local/", "envoy.local"),
        ("HTTPS://192.168.1.50:8443/", "192.168.1.50:8443"),
        ("[fe80::1]:443", "[fe80::1]:443"),
    ],
)
def test_a_url_without_a_path_gives_its_host_and_port(given: str, host: str) -> None:
    assert TargetConfig(name="t", host=given).host == host
    assert parse_config(one_target(given), environ={}).targets["t"].host == host


@pytest.mark.parametrize(
    "given",
    ["https://192.168.1.50/home", "ftp://envoy.local", "https://h/?x=1", "h:99999", "a b"],
)
def test_a_url_with_a_path_is_refused_in_one_line_by_every_command(given: str) -> None:
    expected = "expected HOST[:PORT] or an http(s)://HOST[:PORT] URL without a path"
    assert config_errors(one_target(given)) == [f"targets.t.host: {expected}, got {given!r}"]
    for command in ("probe", "dump --out x", "serve", "push"):
        result = CliRunner().invoke(main, [*command.split(), "--envoy", given])
        assert result.exit_code == 2, (command, result.output)
        assert f"--envoy: {expected}" in result.output, (command, result.output)
        assert "Traceback" not in result.output


def test_a_url_with_a_password_is_refused_without_echoing_it() -> None:
    result = CliRunner().invoke(main, ["probe", "--envoy", "https://envoy:pw-SECRET@h/"])
    assert result.exit_code == 2 and "user or password is not accepted" in result.output
    assert "pw-SECRET" not in result.output


def test_probe_and_serve_accept_a_url_pasted_from_a_browser(simulator: SimulatorFactory) -> None:
    sim = simulator("metered-3phase")
    url = f"https://{sim.host}/"
    result = CliRunner().invoke(main, ["probe", "--envoy", url, "--token", sim.token, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["serial"] == sim.serial


# --- broken files (issue 13 item 7) ----------------------------------------------------


def _deep(depth: int) -> bytes:
    return b"targets: " + b"[" * depth + b"]" * depth + b"\n"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"targets:\n  home: {host: \xff\xfe}\n", "not UTF-8 text (line 2)"),
        (_deep(100_000), "nested deeper than 50 levels"),
    ],
)
@pytest.mark.parametrize("option", ["--config.file", "--web.config.file"])
def test_a_broken_file_is_one_line_naming_it(
    tmp_path: Path, content: bytes, problem: str, option: str
) -> None:
    path = tmp_path / "broken.yml"
    path.write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-m", "envoy_exporter.cli", "serve", option, str(path), "--config.check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"Error: {path}: "), result.stderr
    assert problem in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr


# --- wrong credentials (issue 16 items 3 and 7) ----------------------------------------


def test_probe_with_a_wrong_local_password_says_so_and_fails(simulator: SimulatorFactory) -> None:
    sim = simulator("legacy")
    args = ["probe", "--envoy", sim.host, "--username", "envoy", "--password", "not-it"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "the gateway refused the credentials" in result.output
    assert "check --username and --password" in result.output
    assert "not-it" not in result.output


def _token_args(sim: object) -> list[str]:
    return [
        "token", "--username", sim.cloud_username, "--serial", sim.serial,  # type: ignore[attr-defined]
        "--enlighten-login-url", sim.enlighten_login_url,  # type: ignore[attr-defined]
        "--enlighten-token-url", sim.enlighten_token_url,  # type: ignore[attr-defined]
    ]  # fmt: skip


def test_token_with_a_wrong_password_says_it_was_refused(simulator: SimulatorFactory) -> None:
    sim = simulator("battery")
    wrong = CliRunner().invoke(main, _token_args(sim), env={"ENVOY_PASSWORD": "not-the-password"})
    assert wrong.exit_code == 1
    assert "Enlighten refused the username or password" in wrong.output
    assert "not-the-password" not in wrong.output


def test_token_asks_for_the_password_on_a_terminal(simulator: SimulatorFactory) -> None:
    sim = simulator("battery")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENVOY_")}
    parent, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "envoy_exporter.cli", *_token_args(sim)],
        stdin=child,
        stdout=subprocess.PIPE,
        stderr=child,
        env=env,
    )
    os.close(child)
    seen = b""
    while b"password" not in seen.lower():
        seen += os.read(parent, 1024)
    os.write(parent, sim.cloud_password.encode() + b"\n")
    out, _ = proc.communicate(timeout=60)
    terminal = b""
    try:
        while chunk := os.read(parent, 1024):
            terminal += chunk
    except OSError:
        pass  # the terminal closes with the process
    os.close(parent)
    assert proc.returncode == 0, terminal
    assert out.decode().strip().count(".") == 2  # the token
    assert sim.cloud_password.encode() not in seen + terminal  # hidden input: no echo


def test_token_without_a_terminal_or_password_is_a_usage_error(simulator: SimulatorFactory) -> None:
    sim = simulator("battery")
    result = CliRunner().invoke(main, _token_args(sim), env={"ENVOY_PASSWORD": ""})
    assert result.exit_code == 2
    assert "give the Enlighten password" in result.output


def test_a_config_file_summary_and_repr_name_no_secret(tmp_path: Path) -> None:
    (tmp_path / "t").write_text(TOKEN)
    path = tmp_path / "c.yml"
    path.write_text("auths: {a: {token_file: t}}\ntargets: {x: {host: 'https://h/', auth: a}}\n")
    config = load_config(path, environ={})
    assert config.targets["x"].host == "h"
    assert TOKEN not in repr(config) and TOKEN not in config.summary()
    assert config.secrets == [TOKEN]
