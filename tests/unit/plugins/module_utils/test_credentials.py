# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where host, password and rack come from: arguments, environment, CLI settings files."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.convox.convox.plugins.module_utils import credentials as c
from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxInputError


@pytest.mark.parametrize(
    ("host", "base", "user", "password"),
    [
        ("console.convox.com", "https://console.convox.com", None, None),
        ("api.example.com:5443", "https://api.example.com:5443", None, None),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080", None, None),
        ("https://api.example.com/prefix/", "https://api.example.com/prefix", None, None),
        ("https://convox:s3cret@api.example.com", "https://api.example.com", "convox", "s3cret"),
        ("https://jwt:a.b.c@api.example.com", "https://api.example.com", "jwt", "a.b.c"),
        ("https://convox:p%40ss%3Aw@api.example.com", "https://api.example.com", "convox", "p@ss:w"),
        ("https://user@api.example.com", "https://api.example.com", "user", None),
        ("  HTTPS://Api.example.com  ", "https://Api.example.com", None, None),
        ("https://[::1]:5443", "https://[::1]:5443", None, None),
    ],
)
def test_parse_host(host, base, user, password):
    assert c.parse_host(host) == (base, user, password)


@pytest.mark.parametrize("host", ["", "   ", "ftp://x", "https://"])
def test_parse_host_rejects(host):
    with pytest.raises(ConvoxInputError):
        c.parse_host(host)


def write(directory, name, content):
    path = os.path.join(str(directory), name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(content if isinstance(content, str) else json.dumps(content))


def test_explicit_arguments_win(tmp_path):
    env = {"CONVOX_HOST": "env.example", "CONVOX_PASSWORD": "envpw", "RACK_URL": "https://convox:u@url.example"}
    creds = c.resolve("arg.example", "argpw", "org/rack", config_dir=str(tmp_path), environ=env)
    assert (creds.url, creds.password, creds.rack, creds.source) == (
        "https://arg.example",
        "argpw",
        "org/rack",
        "arguments",
    )
    assert creds.console and not creds.direct


def test_password_from_url_then_env_then_auth(tmp_path):
    write(tmp_path, "auth", {"arg.example": "filepw"})
    assert c.resolve("https://convox:urlpw@arg.example", config_dir=str(tmp_path), environ={}).password == "urlpw"
    assert c.resolve("arg.example", config_dir=str(tmp_path), environ={"CONVOX_PASSWORD": "envpw"}).password == "envpw"
    assert c.resolve("arg.example", config_dir=str(tmp_path), environ={}).password == "filepw"
    assert c.resolve("other.example", config_dir=str(tmp_path), environ={}).password == ""


def test_rack_url_environment(tmp_path):
    env = {"RACK_URL": "https://jwt:tok@api.example.com", "CONVOX_HOST": "ignored.example", "CONVOX_RACK": "x/y"}
    creds = c.resolve(config_dir=str(tmp_path), environ=env)
    assert (creds.url, creds.username, creds.password, creds.source) == (
        "https://api.example.com",
        "jwt",
        "tok",
        "RACK_URL",
    )
    assert creds.direct and not creds.console
    assert "tok" not in repr(creds)


def test_convox_host_environment(tmp_path):
    write(tmp_path, "rack", "acme/staging\n")
    env = {"CONVOX_HOST": "console.example", "CONVOX_PASSWORD": "token"}
    creds = c.resolve(config_dir=str(tmp_path), environ=env)
    assert (creds.url, creds.password, creds.rack, creds.source) == (
        "https://console.example",
        "token",
        "acme/staging",
        "environment",
    )
    env["CONVOX_RACK"] = "acme/prod"
    assert c.resolve(config_dir=str(tmp_path), environ=env).rack == "acme/prod"
    assert c.resolve(rack="acme/arg", config_dir=str(tmp_path), environ=env).rack == "acme/arg"


def test_cli_settings_files(tmp_path):
    write(tmp_path, "console", "console.example\n")
    write(tmp_path, "auth", {"console.example": "clitoken"})
    write(tmp_path, "current", {"name": "acme/prod", "type": "console"})
    write(tmp_path, "session", {"console.example": "sess"})
    creds = c.resolve(config_dir=str(tmp_path), environ={})
    assert (creds.url, creds.password, creds.rack, creds.session, creds.source) == (
        "https://console.example",
        "clitoken",
        "acme/prod",
        "sess",
        "config",
    )
    assert "clitoken" not in repr(creds) and "sess'" not in repr(creds)
    assert creds.netloc == "console.example"


def test_host_file_and_rack_file(tmp_path):
    write(tmp_path, "host", "legacy.example")
    write(tmp_path, "rack", "old")
    write(tmp_path, "console", "new.example")
    creds = c.resolve(config_dir=str(tmp_path), environ={})
    assert (creds.url, creds.rack) == ("https://legacy.example", "old")


def test_terraform_current_is_not_a_console_rack(tmp_path):
    write(tmp_path, "console", "console.example")
    write(tmp_path, "current", {"name": "local", "type": "terraform"})
    assert c.resolve(config_dir=str(tmp_path), environ={}).rack is None


def test_direct_rack_file(tmp_path):
    write(tmp_path, "rack", "dev")
    write(tmp_path, "racks/dev", "https://convox:directpw@api.dev.example\n")
    creds = c.resolve(config_dir=str(tmp_path), environ={})
    assert (creds.url, creds.password, creds.direct, creds.console) == (
        "https://api.dev.example",
        "directpw",
        True,
        False,
    )
    assert creds.session is None


def test_xdg_dir_then_legacy_dir(tmp_path):
    home = tmp_path / "home"
    write(home / ".convox", "host", "legacy.example")
    write(home / ".convox", "auth", {"legacy.example": "oldpw"})
    env = {"HOME": str(home)}
    creds = c.resolve(environ=env)
    assert (creds.url, creds.password) == ("https://legacy.example", "oldpw")
    write(home / ".config" / "convox", "console", "new.example")
    write(home / ".config" / "convox", "auth", {"new.example": "newpw"})
    creds = c.resolve(environ=env)
    assert (creds.url, creds.password) == ("https://new.example", "newpw")
    xdg = tmp_path / "xdg"
    write(xdg / "convox", "console", "xdg.example")
    assert c.resolve(environ=dict(env, XDG_CONFIG_HOME=str(xdg))).url == "https://xdg.example"


def test_convox_config_variable(tmp_path):
    write(tmp_path / "cfg", "console", "cfg.example")
    assert c.config_dirs(environ={"CONVOX_CONFIG": str(tmp_path / "cfg")}) == [str(tmp_path / "cfg")]
    assert c.resolve(environ={"CONVOX_CONFIG": str(tmp_path / "cfg")}).url == "https://cfg.example"
    assert c.config_dirs("/explicit", environ={"CONVOX_CONFIG": "/ignored"}) == ["/explicit"]


def test_broken_settings_files_are_ignored(tmp_path):
    write(tmp_path, "console", "console.example")
    write(tmp_path, "auth", "{not json")
    write(tmp_path, "session", "[1, 2]")
    write(tmp_path, "current", "")
    creds = c.resolve(config_dir=str(tmp_path), environ={})
    assert (creds.password, creds.session, creds.rack) == ("", None, None)
    with open(os.path.join(str(tmp_path), "rack"), "wb") as handle:
        handle.write(b"\xff\xfe")
    assert c.resolve(config_dir=str(tmp_path), environ={}).rack is None


def test_nothing_configured(tmp_path):
    with pytest.raises(ConvoxInputError, match="no Convox host") as info:
        c.resolve(config_dir=str(tmp_path), environ={})
    assert info.value.field == "host"


def test_unsafe_rack_names_do_not_read_files(tmp_path):
    write(tmp_path, "console", "console.example")
    for rack in ("acme/prod", "..", "."):
        creds = c.resolve(rack=rack, config_dir=str(tmp_path), environ={})
        assert not creds.direct
