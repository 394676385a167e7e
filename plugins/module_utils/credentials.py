# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the rack URL, password and rack name come from (standard library only).

Order for each value that is not passed explicitly: environment (``RACK_URL``, ``CONVOX_HOST``,
``CONVOX_PASSWORD``, ``CONVOX_RACK``), then the Convox CLI settings files (``CONVOX_CONFIG`` or
``~/.config/convox/`` first, then the pre-2019 ``~/.convox/``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import unquote, urlsplit

from .errors import ConvoxInputError

DEFAULT_USERNAME = "convox"


@dataclass(frozen=True)
class Credentials:
    """Resolved connection settings. ``repr()`` never shows the password or the session."""

    url: str
    """Base URL without credentials, e.g. ``https://api.example.com`` or ``https://host/prefix``."""
    username: str = DEFAULT_USERNAME
    password: str = field(default="", repr=False)
    rack: Optional[str] = None
    session: Optional[str] = field(default=None, repr=False)
    source: str = "arguments"
    direct: bool = False
    """True for a rack URL with credentials (``RACK_URL`` or ``racks/<name>``): no console routing."""

    @property
    def console(self) -> bool:
        """True when requests go through a console and need the ``Rack`` routing header."""
        return bool(self.rack) and not self.direct

    @property
    def netloc(self) -> str:
        return urlsplit(self.url).netloc


def parse_host(host: str) -> Tuple[str, Optional[str], Optional[str]]:
    """Split a host name or URL into (base URL, username, password).

    A bare host name (``console.convox.com``, ``api.example.com:5443``) means https; a full URL
    keeps its scheme and path prefix; credentials in the URL (``https://convox:secret@host``)
    are taken out of it.
    """
    text = host.strip()
    if not text:
        raise ConvoxInputError("the Convox host is empty", field="host")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ConvoxInputError(f"the Convox host must be an http or https URL, not {scheme!r}", field="host")
    after_scheme = text.split("://", 1)[1]
    authority_end = min((after_scheme.find(c) for c in "/?#" if c in after_scheme), default=len(after_scheme))
    if "@" in after_scheme[authority_end:]:
        # An "@" past the first "/" (or "?", "#"): user info with a reserved character that is not
        # percent-encoded ("convox:p@ss/w@host"). Never echo the URL: it holds the password.
        raise ConvoxInputError(
            "the Convox host URL has user info that is not percent-encoded (a '/', '?', '#' or '@' in the "
            "user name or password); percent-encode it (for example '@' as %40, '/' as %2F) or give the "
            "password in the password option (CONVOX_PASSWORD) instead",
            field="host",
        )
    try:
        str(parts.port)  # urlsplit checks the port only when it is read
    except ValueError:
        raise ConvoxInputError(
            "the Convox host URL has an invalid port (or user info that is not percent-encoded: "
            "percent-encode it or use the password option)",
            field="host",
        ) from None
    netloc = parts.netloc
    username: Optional[str] = None
    password: Optional[str] = None
    if "@" in netloc:
        userinfo, netloc = netloc.rsplit("@", 1)
        if ":" in userinfo:
            user, secret = userinfo.split(":", 1)
            username, password = unquote(user), unquote(secret)
        else:
            username = unquote(userinfo)
    if not netloc:
        raise ConvoxInputError("the Convox host has no host name", field="host")
    base = "{}://{}{}".format(scheme, netloc, parts.path.rstrip("/"))
    return base, username or None, password


def config_dirs(config_dir: Optional[str] = None, environ: Optional[Mapping[str, str]] = None) -> List[str]:
    """The settings directories to read, in order."""
    env = os.environ if environ is None else environ
    if config_dir:
        return [os.path.expanduser(config_dir)]
    if env.get("CONVOX_CONFIG"):
        return [os.path.expanduser(env["CONVOX_CONFIG"])]
    home = env.get("HOME") or os.path.expanduser("~")
    xdg = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    return [os.path.join(xdg, "convox"), os.path.join(home, ".convox")]


class _Settings:
    """Read-only view of the CLI settings directories (first directory holding a file wins)."""

    def __init__(self, dirs: List[str]) -> None:
        self.dirs = dirs

    def path(self, name: str) -> Optional[str]:
        for directory in self.dirs:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                return candidate
        return None

    def text(self, name: str) -> Optional[str]:
        path = self.path(name)
        if path is None:
            return None
        try:
            with open(path, encoding="utf-8") as handle:
                value = handle.read().strip()
        except (OSError, UnicodeDecodeError):
            return None
        return value or None

    def first_text(self, *names: str) -> Optional[str]:
        """The first of ``names`` found, directory by directory (``host`` or ``console``)."""
        for directory in self.dirs:
            for name in names:
                value = _Settings([directory]).text(name)
                if value:
                    return value
        return None

    def json_map(self, name: str) -> Dict[str, Any]:
        text = self.text(name)
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def lookup(self, name: str, url: str) -> Optional[str]:
        """Value stored under a host in a JSON host map (``auth``, ``session``), first directory that has it."""
        parts = urlsplit(url)
        keys = [key for key in (parts.netloc, parts.hostname or "", url, url.split("://", 1)[-1]) if key]
        for directory in self.dirs:
            mapping = _Settings([directory]).json_map(name)
            for key in keys:
                value = mapping.get(key)
                if isinstance(value, str):
                    return value
        return None

    def rack(self) -> Optional[str]:
        name = self.text("rack")
        if name:
            return name
        current = self.json_map("current")
        value = current.get("name")
        if isinstance(value, str) and value and current.get("type", "console") == "console":
            return value
        return None

    def direct_rack_url(self, rack: str) -> Optional[str]:
        """URL of a "direct" rack saved as a plain file ``racks/<name>``."""
        if "/" in rack or rack in (".", ".."):
            return None
        return self.text(os.path.join("racks", rack))


def resolve(
    host: Optional[str] = None,
    password: Optional[str] = None,
    rack: Optional[str] = None,
    *,
    config_dir: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> Credentials:
    """Resolve the connection settings: arguments, then environment, then CLI settings files."""
    env = os.environ if environ is None else environ
    settings = _Settings(config_dirs(config_dir, env))
    username: Optional[str] = None
    url_password: Optional[str] = None
    direct = False

    if host:
        url, username, url_password = parse_host(host)
        source = "arguments"
        rack = rack or env.get("CONVOX_RACK") or None
    elif env.get("RACK_URL"):
        url, username, url_password = parse_host(env["RACK_URL"])
        source = "RACK_URL"
        direct = True
    else:
        rack = rack or env.get("CONVOX_RACK") or settings.rack()
        direct_url = settings.direct_rack_url(rack) if rack else None
        if env.get("CONVOX_HOST"):
            url, username, url_password = parse_host(env["CONVOX_HOST"])
            source = "environment"
        elif direct_url:
            url, username, url_password = parse_host(direct_url)
            source = "config"
            direct = True
        else:
            console = settings.first_text("host", "console")
            if not console:
                raise ConvoxInputError(
                    "no Convox host: pass host, set CONVOX_HOST or RACK_URL, or log in with the convox CLI",
                    field="host",
                )
            url, username, url_password = parse_host(console)
            source = "config"

    if password is None:
        password = url_password
    if password is None:
        password = env.get("CONVOX_PASSWORD") or None
    if password is None:
        password = settings.lookup("auth", url)
    session = None
    if rack and not direct:
        session = settings.lookup("session", url)
    return Credentials(
        url=url,
        username=username or DEFAULT_USERNAME,
        password=password or "",
        rack=rack or None,
        session=session,
        source=source,
        direct=direct,
    )
