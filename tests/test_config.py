"""The multi-target configuration file: strict, every error at once, never a secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from envoy_exporter.cli import main
from envoy_exporter.server.config import ConfigError, load_config, parse_config

TOKEN = "eyJ-secret-token-value-0123456789"
PASSWORD = "hunter2-password-value"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def good_config(tmp_path: Path) -> Path:
    write(tmp_path / "token", TOKEN + "\n")
    write(tmp_path / "password", PASSWORD)
    return write(
        tmp_path / "envoy.yml",
        """
modules:
  gentle: {cache_ttl: 30, busy_budget: 0.02, timeout: 20}
auths:
  home_token: {token_file: token}
  cloud: {username: me@example.com, password_file: password, serial: 122233334444}
  from_env: {env: {token: CABIN_TOKEN}}
targets:
  home: {host: 192.168.1.10, auth: home_token}
  barn: {host: "barn.local:8443", module: gentle, auth: cloud}
  cabin: {host: 10.0.0.5, auth: from_env}
""",
    )


def test_a_valid_file_resolves_secrets_from_files_and_environment(tmp_path: Path) -> None:
    config = load_config(good_config(tmp_path), environ={"CABIN_TOKEN": "cabin-token-xyz"})
    assert set(config.targets) == {"home", "barn", "cabin"}
    home, barn, cabin = (config.targets[name] for name in ("home", "barn", "cabin"))
    assert home.token == TOKEN and home.token_file == tmp_path / "token"
    assert barn.password == PASSWORD and barn.username == "me@example.com"
    assert barn.serial == "122233334444"
    assert cabin.token == "cabin-token-xyz"
    assert config.uses["barn"].module == "gentle" and config.uses["home"].module == "default"
    assert (barn.cache_ttl, barn.busy_budget, barn.timeout) == (30.0, 0.02, 20.0)
    assert (home.cache_ttl, home.busy_budget, home.timeout) == (15.0, 0.05, 10.0)


def test_every_error_is_reported_at_once_with_its_path(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.yml",
        f"""
modules:
  fast: {{cache_ttl: -1, busy_budget: 2, colour: blue}}
auths:
  a: {{token: {TOKEN}, token_file: missing-file}}
  b: {{password: {PASSWORD}}}
  c: {{env: {{token: NOT_SET_ANYWHERE}}}}
targets:
  home: {{host: 192.168.1.10, auth: x}}
  barn: {{module: nope, extra: 1}}
  "bad name!": {{host: h}}
  web: {{host: "http://10.0.0.1/home"}}
surprise: true
""",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    errors = info.value.errors
    expected = [
        "surprise: unknown key",
        "modules.fast.colour: unknown key",
        "modules.fast.cache_ttl: must be at least 1",
        "modules.fast.busy_budget: must be greater than 0 and at most 1",
        "auths.a.token_file: cannot read",
        "auths.b.password: given without a username",
        "auths.c.env.token: environment variable NOT_SET_ANYWHERE is not set",
        'targets.home.auth: unknown auth "x"',
        "targets.barn.host: required",
        'targets.barn.module: unknown module "nope"',
        "targets.barn.extra: unknown key",
        "targets.bad name!: invalid name",
        "targets.web.host: expected HOST[:PORT] or an http(s)://HOST[:PORT] URL without a path",
    ]
    for fragment in expected:
        assert any(fragment in error for error in errors), (fragment, errors)
    text = "\n".join(errors)
    assert TOKEN not in text and PASSWORD not in text


def test_a_secret_given_twice_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "token", TOKEN)
    data = {
        "auths": {"a": {"token": TOKEN, "token_file": "token"}},
        "targets": {"t": {"host": "h", "auth": "a"}},
    }
    with pytest.raises(ConfigError) as info:
        parse_config(data, base_dir=tmp_path, environ={})
    assert info.value.errors == ["auths.a: token given twice (token and token_file token)"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("targets: [a, b]", "targets: expected a mapping"),
        ("[1, 2]", "expected a mapping with modules"),
        ("targets: {}", "targets: at least one target is required"),
        ("targets:\n  a: {host: h}\n  a: {host: g}\n", "duplicate key 'a'"),
    ],
)
def test_shapes_that_are_refused(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path / "c.yml", text), environ={})
    assert any(fragment in error for error in info.value.errors), info.value.errors


def test_yaml_syntax_errors_do_not_quote_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yml", f'auths:\n  a: {{password: "{PASSWORD}\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert "invalid YAML at line" in str(info.value)
    assert PASSWORD not in str(info.value)


def test_auth_repr_hides_secrets(tmp_path: Path) -> None:
    config = load_config(good_config(tmp_path), environ={"CABIN_TOKEN": "cabin-token-xyz"})
    assert TOKEN not in repr(config) and PASSWORD not in repr(config)


def test_config_check_prints_a_summary_without_secrets(tmp_path: Path) -> None:
    path = good_config(tmp_path)
    result = CliRunner().invoke(
        main,
        ["serve", "--config.file", str(path), "--config.check"],
        env={"CABIN_TOKEN": "cabin-token-xyz"},
    )
    assert result.exit_code == 0, result.output
    assert "3 target(s)" in result.output
    assert "barn: host barn.local:8443, module gentle, auth cloud" in result.output
    assert "password from password_file password" in result.output
    assert "configuration OK" in result.output
    for secret in (TOKEN, PASSWORD, "cabin-token-xyz"):
        assert secret not in result.output


def test_config_check_fails_with_every_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.yml",
        f"auths:\n  a: {{password: {PASSWORD}}}\ntargets:\n  t: {{host: h, auth: zz, x: 1}}\n",
    )
    result = CliRunner().invoke(main, ["serve", "--config.file", str(path), "--config.check"])
    assert result.exit_code != 0
    assert "3 errors" in result.output
    assert 'targets.t.auth: unknown auth "zz"' in result.output
    assert "targets.t.x: unknown key" in result.output
    assert PASSWORD not in result.output


def test_state_dir_applies_to_every_target_relative_to_the_file(tmp_path: Path) -> None:
    config = parse_config(
        {
            "state_dir": "state",
            "auths": {"cloud": {"username": "me@example.com", "password": "pw"}},
            "targets": {"a": {"host": "10.0.0.1", "auth": "cloud"}, "b": {"host": "10.0.0.2"}},
        },
        base_dir=tmp_path,
    )
    assert {t.state_dir for t in config.targets.values()} == {tmp_path / "state"}
    with pytest.raises(ConfigError, match=r"^state_dir: expected a non-empty string"):
        parse_config({"state_dir": 5.5, "targets": {"a": {"host": "10.0.0.1"}}})


def test_state_dir_with_a_config_file_belongs_in_the_file(tmp_path: Path) -> None:
    config = good_config(tmp_path)
    result = CliRunner().invoke(
        main, ["serve", "--config.file", str(config), "--state.dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "set state_dir in the file" in result.output
