# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private glue: how rack objects are shown in module results and diffs.

Not a public API. One view per resource, used by the managing module and the ``_info`` module
alike, so both show an object the same way. Views never carry a secret: env values, registry
passwords and resource credentials are left out or replaced by ``HIDDEN`` unless the caller
asks for values. The normalisation helpers here are what every comparison goes through first.

Standard library only, and no Ansible import: the same views serve any caller.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.convox.convox.plugins.module_utils._convert import format_time
from ansible_collections.convox.convox.plugins.module_utils._wire import normalize_id, normalize_scalar

# What a secret looks like in diffs and results.
HIDDEN = "<hidden>"

# Placeholders used in predicted (check mode) results for ids the rack has not chosen yet.
NEW_RELEASE = "(new release)"
NEW_BUILD = "(new build)"

# Resource parameters whose value is a secret, and credentials inside URLs.
SECRET_KEY = re.compile(r"password|secret|token", re.IGNORECASE)
URL_CREDENTIALS = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@/\s]+@")


# ---------------------------------------------------------------------------
# Plain values (normalize_id and normalize_scalar, in _wire, are what every comparison goes through)


def to_plain(obj: Any) -> Any:
    """Answers from the client (records, models, or lists of them) as JSON-ready dicts."""
    if obj is None:
        return None
    if isinstance(obj, (list, tuple)):
        return [to_plain(item) for item in obj]
    if isinstance(obj, Mapping):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if callable(getattr(type(obj), "to_result", None)):  # models, records, RunResult, EnvPlan
        return obj.to_result()
    return obj


def time_text(value: Any) -> str:
    """A time as results show it: UTC, seconds, ``Z`` (``2026-01-02T03:04:05Z``); ``""`` when unknown."""
    parsed = parse_time(value)
    if parsed is None:
        return "" if value in (None, "") or isinstance(value, datetime.datetime) else str(value)
    text: str = format_time(parsed.replace(microsecond=0))
    return text


def parse_time(value: Any) -> Optional[datetime.datetime]:
    """A datetime (aware, UTC) from a datetime or an ISO 8601 text; ``None`` when it is neither."""
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, str) and value:
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc)


# ---------------------------------------------------------------------------
# Environments: values are secrets


def parse_env(value: Any) -> Dict[str, str]:
    """An environment as a plain dict of strings.

    Accepts the rack's text form (``KEY=VALUE`` lines), a list of ``KEY=VALUE`` strings
    (read as the lines of that text) or a mapping. Text and lists are read by the client's
    ``resources.environment.parse_env``, which holds the rack's encoding rules
    (convox-api.md 6.4); a mapping only has its keys trimmed (empty ones dropped) and its
    values made strings the way the rack stores them (``normalize_scalar``, ``None`` -> ``""``).
    """
    if value is None:
        return {}
    if isinstance(value, Mapping):
        result: Dict[str, str] = {}
        for key, val in value.items():
            key = str(key).strip()
            if key:
                result[key] = "" if val is None else str(normalize_scalar(val))
        return result
    from ansible_collections.convox.convox.plugins.module_utils.resources import environment

    text = value if isinstance(value, str) else "\n".join(str(item) for item in value)
    parsed: Dict[str, str] = environment.parse_env(text)
    return parsed


def env_diff(
    current: Mapping[str, str], desired: Mapping[str, str], show_values: bool = False
) -> Tuple[Dict[str, str], Dict[str, str]]:
    """``before``/``after`` views of an environment change that never carry a value.

    Each key shows whether it was added, changed or removed, so a diff reads
    ``FOO: <hidden>`` -> ``FOO: <hidden> (changed)``. With ``show_values`` the real
    values are shown instead.
    """
    if show_values:
        return dict(current), dict(desired)
    before = dict.fromkeys(current, HIDDEN)
    after: Dict[str, str] = {}
    for key, value in desired.items():
        if key not in current:
            after[key] = HIDDEN + " (added)"
        elif current[key] != value:
            after[key] = HIDDEN + " (changed)"
        else:
            after[key] = HIDDEN
    for key in current:
        if key not in desired:
            before[key] = HIDDEN + " (removed)"
    return before, after


# ---------------------------------------------------------------------------
# One view per resource


def app_view(app: Any) -> Dict[str, Any]:
    """An app; empty parameter values dropped (``GET /apps`` keeps them, ``GET /apps/{name}`` not)."""
    data = to_plain(app) or {}
    data = {k: v for k, v in data.items() if v is not None}
    params = data.get("parameters") or {}
    data["parameters"] = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return data


def build_view(build: Any) -> Dict[str, Any]:
    """A build, with upper-case ids."""
    data = to_plain(build) or {}
    for key in ("id", "release"):
        if data.get(key):
            data[key] = normalize_id(data[key])
    return data


def release_view(release: Any, show_values: bool = False, active: Optional[str] = None) -> Dict[str, Any]:
    """A release: ``env`` replaced by ``env_keys`` unless ``show_values``; ``active`` when known."""
    data = to_plain(release) or {}
    env = parse_env(data.pop("env", None))
    data["env_keys"] = sorted(env)
    if show_values:
        data["env"] = env
    for key in ("id", "build"):
        if data.get(key):
            data[key] = normalize_id(data[key])
    if active is not None:
        data["active"] = bool(data.get("id")) and data.get("id") == normalize_id(active)
    return data


def registry_view(registry: Any) -> Dict[str, str]:
    """A registry: server and username, never the password (``{}`` for None)."""
    if registry is None:
        return {}
    data = to_plain(registry) or {}
    return {"server": str(data.get("server") or ""), "username": str(data.get("username") or "")}


def hide_url_password(value: str) -> str:
    """``postgres://user:pw@host`` -> ``postgres://user:<hidden>@host``."""
    return URL_CREDENTIALS.sub(lambda m: m.group("head") + HIDDEN + "@", value)


def resource_parameters_view(parameters: Optional[Mapping[str, Any]]) -> Dict[str, str]:
    """Resource parameters as shown: secret-looking ones ``HIDDEN``, URL passwords hidden."""
    return {
        str(k): (HIDDEN if SECRET_KEY.search(str(k)) else hide_url_password(str(v)))
        for k, v in (parameters or {}).items()
    }


def resource_secrets(parameters: Optional[Mapping[str, Any]]) -> List[str]:
    """The secret values among resource parameters (what ``resource_parameters_view`` hides), to mask in output."""
    values: List[str] = []
    for key, value in (parameters or {}).items():
        if value is None:
            continue
        if SECRET_KEY.search(str(key)):
            values.append(str(value))
        else:
            values.extend(m.group(0)[len(m.group("head")) : -1] for m in URL_CREDENTIALS.finditer(str(value)))
    return values


def resource_view(resource: Any) -> Dict[str, Any]:
    """A resource (rack or app): app names only, credentials in its URL and parameters hidden."""
    if resource is None:
        return {}
    data = to_plain(resource) or {}
    apps = [str(a.get("name") if isinstance(a, dict) else a) for a in data.get("apps") or []]
    return {
        "name": str(data.get("name") or ""),
        "type": str(data.get("type") or ""),
        "status": str(data.get("status") or ""),
        "url": hide_url_password(str(data.get("url") or "")),
        "parameters": resource_parameters_view(data.get("parameters")),
        "apps": sorted(apps),
    }


def resource_type_view(resource_type: Any) -> Dict[str, Any]:
    """A resource type with its parameters (name, default, description)."""
    data = to_plain(resource_type) or {}
    return {
        "name": str(data.get("name") or ""),
        "parameters": [
            {
                "name": str(p.get("name") or ""),
                "default": str(p.get("default") or ""),
                "description": str(p.get("description") or ""),
            }
            for p in data.get("parameters") or []
        ],
    }


def certificate_view(cert: Any, now: Optional[datetime.datetime] = None) -> Dict[str, Any]:
    """A certificate: id, domain, domains, expiration (UTC text), status; ``days_left`` when ``now`` is given."""
    if cert is None:
        return {}
    data = to_plain(cert) or {}
    view: Dict[str, Any] = {
        "id": str(data.get("id") or ""),
        "domain": str(data.get("domain") or ""),
        "domains": [str(d) for d in data.get("domains") or []],
        "expiration": time_text(data.get("expiration")),
        "status": str(data.get("status") or ""),
    }
    if now is not None:
        expires = parse_time(data.get("expiration"))
        view["days_left"] = (expires - now).days if expires else None
    return view


# ---------------------------------------------------------------------------
# Services, processes, instances and the rack, as the rack lists them


def budget_view(info: Any) -> Dict[str, Any]:
    """An app's budget as ``GET /apps/{app}/budget`` answers it: ``config`` and ``state``, ``{}`` when unset."""
    return {
        "config": to_plain(getattr(info, "config", None)) or {},
        "state": to_plain(getattr(info, "state", None)) or {},
    }


def service_view(service: Any) -> Dict[str, Any]:
    """A service of an app: name, count, cpu, memory, gpu, min, max, domain, ports..."""
    return dict(to_plain(service) or {})


def process_view(process: Any) -> Dict[str, Any]:
    """A process: id, app, name (its service), command, release, status, started, ports..."""
    return dict(to_plain(process) or {})


def instance_view(instance: Any) -> Dict[str, Any]:
    """An instance (cluster node): id, status, CPU and memory use and capacity, processes, IPs..."""
    return dict(to_plain(instance) or {})


def rack_view(system: Any) -> Dict[str, Any]:
    """The rack (``GET /system``), with ``parameters`` always a mapping (v3 racks list none)."""
    data = dict(to_plain(system) or {})
    data["parameters"] = data.get("parameters") or {}
    return data
