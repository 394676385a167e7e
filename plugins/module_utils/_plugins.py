# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private glue of the controller-side plugins (inventory ``convox``, lookups ``convox_*``).

Not a public API: names here may change between releases. Custom plugins should use
``plugins/module_utils/client.py`` instead.

Everything goes through ``ConvoxClient`` (built with the modules' ``client_options``), so the
plugins share the modules' credentials, fallbacks, retries and error mapping. Nothing here
imports controller code (``ansible.errors``, ``ansible.plugins``): failures are
``ConvoxError``, turned into ``AnsibleError`` by the plugin. Nothing here returns or logs a
password, and the inventory data never holds an environment value.
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

from ansible_collections.convox.convox.plugins.module_utils import errors as _errors
from ansible_collections.convox.convox.plugins.module_utils._module import _hint_for, client_options, strip_credentials

CONNECTION_OPTIONS = ("host", "password", "rack", "validate_certs", "ca_path", "timeout")
HOST_KINDS = ("apps", "services", "racks")
DEFAULT_HOST_FORMATS = {"apps": "{rack}/{app}", "services": "{rack}/{app}/{service}", "racks": "{rack}"}
SERVICE_FIELDS = ("name", "domain", "count", "min", "max", "cpu", "memory")


# ---------------------------------------------------------------------------
# The client


def connect(params: Dict[str, Any]) -> Any:
    """A ``ConvoxClient`` (records) for the connection options in ``params``.

    Raises ``ConvoxError`` when a library is missing or the options cannot work; the message
    names the option, never its value.
    """
    timeout = params.get("timeout")
    if timeout is not None and float(timeout) <= 0:
        raise _errors.ConvoxInputError(f"option timeout must be more than 0 seconds, got {float(timeout):g}")
    if params.get("ca_path") and params.get("validate_certs") is False:
        raise _errors.ConvoxInputError("options ca_path and validate_certs=false contradict each other; set one")
    # As in a module: the plugin never uses httpx's command line, nor pydantic's plugins.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from ansible_collections.convox.convox.plugins.module_utils import client as client_module

    missing = client_module.missing_dependency()
    if missing:
        raise _errors.ConvoxError(
            f"the Python library {missing[0]} is required on the controller by the convox.convox plugins "
            f"(pip install {missing[0]})"
        )
    return client_module.ConvoxClient(**client_options(params))


def plugin_params(get_option: Callable[[str], Any]) -> Dict[str, Any]:
    """The connection options of a plugin (``get_option`` of a lookup or inventory plugin)."""
    params = {key: get_option(key) for key in CONNECTION_OPTIONS}
    for key in ("host", "password", "rack", "ca_path"):
        if params[key] is not None:
            params[key] = str(params[key]) or None
    return params


def with_client(params: Dict[str, Any], what: str, func: Callable[[Any], Any]) -> Any:
    """``func(client)`` with a client for ``params``, closed afterwards.

    A ``ConvoxError`` comes out as a ``ConvoxError`` whose message says what failed (``what``,
    for example ``read the environment of app myapp``), on which rack, why, and what to do.
    """
    client = None
    try:
        client = connect(params)
        return func(client)
    except _errors.ConvoxError as exc:
        raise _errors.ConvoxError(describe(exc, f"Could not {what} on {rack_label(client, params)}")) from None
    finally:
        if client is not None:
            client.close()


def rack_label(client: Any = None, params: Optional[Dict[str, Any]] = None) -> str:
    """How a rack is named in messages: ``rack NAME`` or ``rack at URL`` (never credentials)."""
    params = params or {}
    rack = (getattr(client, "rack", None) if client is not None else None) or params.get("rack")
    host = (getattr(client, "host", None) if client is not None else None) or params.get("host")
    if rack:
        return f"rack {rack}"
    if host:
        return f"rack at {strip_credentials(str(host))}"
    return "the rack"


def describe(error: BaseException, prefix: str) -> str:
    """``prefix: reason. hint`` for a failure (the message a plugin raises or warns with)."""
    reason = str(getattr(error, "message", None) or error).strip() or type(error).__name__
    request_id = getattr(error, "request_id", None)
    text = f"{prefix}: {reason.rstrip('.')}. {_hint_for(error)}"
    if request_id:
        text += f" (Request-Id {request_id})"
    return text


# ---------------------------------------------------------------------------
# Inventory


def matches(name: str, patterns: Optional[Sequence[str]]) -> bool:
    """True when ``patterns`` is empty or ``name`` matches one of these shell-style patterns."""
    if not patterns:
        return True
    return any(fnmatch.fnmatchcase(name, str(pattern)) for pattern in patterns)


def safe_name(text: Any) -> str:
    """A group-name part: lower case, anything but letters, digits and ``_`` turned into ``_``."""
    return re.sub(r"[^a-z0-9_]", "_", str(text).lower()) or "_"


def merged_racks(defaults: Dict[str, Any], entries: Optional[Iterable[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    """The rack entries of an inventory source, each with the top-level options it does not set."""
    keys = (*CONNECTION_OPTIONS, "console_racks", "name")
    base = {key: defaults.get(key) for key in keys}
    result = []
    for entry in entries or [{}]:
        if not isinstance(entry, dict):
            raise _errors.ConvoxInputError("every item of option racks must be a mapping (host, password, rack...)")
        unknown = sorted(set(entry) - set(keys))
        if unknown:
            raise _errors.ConvoxInputError(f"unknown key(s) in an item of option racks: {', '.join(unknown)}")
        merged = dict(base)
        merged.update({key: value for key, value in entry.items() if value is not None})
        result.append(merged)
    return result


def console_racks(client: Any, patterns: Sequence[str]) -> List[Dict[str, str]]:
    """The racks a console lists whose full names (``org/rack``) match ``patterns``."""
    return [rack for rack in client.console.racks() if matches(rack["name"], patterns)]


def _service_view(service: Any) -> Dict[str, Any]:
    data = service.to_result() if hasattr(service, "to_result") else dict(service)
    return {key: data.get(key) for key in SERVICE_FIELDS}


def gather_rack(client: Any, kind: str, params: Dict[str, Any], name: Optional[str] = None) -> Dict[str, Any]:
    """What the inventory needs from one rack: plain JSON data, cacheable, without secrets.

    ``{"name", "host", "rack", "console", "connection", "system": {...}, "apps": [{..., "services": [...]}]}``;
    ``system`` only for ``kind == "racks"``, ``apps`` (with their services) otherwise. App env,
    parameters and resource URLs are never read.
    """
    creds = client.credentials
    data: Dict[str, Any] = {
        "name": name or creds.rack or "",
        "host": client.host,
        "rack": creds.rack if creds.console else None,
        "console": bool(creds.console),
    }
    data["connection"] = connection_vars(data, params)
    if kind == "racks" or not data["name"]:
        system = client.system.get()
        data["name"] = data["name"] or system.name or urlsplit_host(client.host)
        if kind == "racks":
            data["system"] = {
                "name": system.name,
                "status": system.status,
                "version": system.version,
                "provider": system.provider,
                "region": system.region,
                "domain": system.domain,
            }
    if kind != "racks":
        apps = []
        for app in client.apps.list():
            services = [_service_view(service) for service in client.services.list(app.name)] if app.release else []
            apps.append(
                {
                    "name": app.name,
                    "status": app.status,
                    "release": app.release,
                    "generation": app.generation,
                    "locked": bool(app.locked),
                    "router": app.router,
                    "services": services,
                }
            )
        data["apps"] = apps
    return data


def urlsplit_host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc or url


def host_name(template: str, rack: str, app: str = "", service: str = "") -> str:
    """A host name from ``template`` with ``{rack}``, ``{app}`` and ``{service}`` replaced."""
    return template.replace("{rack}", rack).replace("{app}", app).replace("{service}", service)


def connection_vars(rack: Dict[str, Any], params: Dict[str, Any]) -> Dict[str, Any]:
    """The connection options of a rack as a module takes them (never the password)."""
    connection: Dict[str, Any] = {"host": rack["host"]}
    if rack.get("rack"):
        connection["rack"] = rack["rack"]
    if params.get("validate_certs") is False:
        connection["validate_certs"] = False
    if params.get("ca_path"):
        connection["ca_path"] = params["ca_path"]
    if params.get("timeout") is not None:
        connection["timeout"] = float(params["timeout"])
    return connection


def inventory_hosts(
    racks: List[Dict[str, Any]],
    kind: str,
    *,
    host_format: Optional[str] = None,
    name_patterns: Optional[Sequence[str]] = None,
    statuses: Optional[Sequence[str]] = None,
    prefix: str = "convox_",
) -> List[Dict[str, Any]]:
    """The hosts of the gathered ``racks``: ``[{"name", "vars", "groups"}]`` in a stable order.

    ``vars`` are the host vars (``prefix`` + rack, app, status...); ``groups`` the automatic
    groups (by rack, status, generation, and app for services). Raises ``ConvoxInputError``
    when two hosts would get the same name.
    """
    if kind not in HOST_KINDS:
        raise _errors.ConvoxInputError(f"option hosts must be one of {', '.join(HOST_KINDS)}, got {kind!r}")
    template = host_format or DEFAULT_HOST_FORMATS[kind]
    wanted_status = {str(status) for status in statuses or []}
    hosts: List[Dict[str, Any]] = []
    for rack in racks:
        if rack.get("error"):
            continue
        connection = rack.get("connection") or {"host": rack["host"]}
        common = {
            f"{prefix}rack": rack["name"],
            f"{prefix}host": connection["host"],
            f"{prefix}console": bool(rack.get("console")),
            f"{prefix}connection": connection,
        }
        for key in ("validate_certs", "ca_path", "timeout"):
            if key in connection:
                common[f"{prefix}{key}"] = connection[key]
        rack_group = f"{prefix}rack_{safe_name(rack['name'])}"
        if kind == "racks":
            system = rack.get("system") or {}
            if not matches(rack["name"], name_patterns) or (
                wanted_status and system.get("status") not in wanted_status
            ):
                continue
            host_vars = dict(common)
            host_vars.update({f"{prefix}{key}": system.get(key, "") for key in ("status", "version", "provider")})
            groups = [rack_group, f"{prefix}status_{safe_name(system.get('status') or 'unknown')}"]
            hosts.append({"name": host_name(template, rack["name"]), "vars": host_vars, "groups": groups})
            continue
        for app in rack.get("apps") or []:
            if not matches(app["name"], name_patterns) or (wanted_status and app["status"] not in wanted_status):
                continue
            app_vars = dict(common)
            app_vars.update(
                {
                    f"{prefix}app": app["name"],
                    f"{prefix}status": app["status"],
                    f"{prefix}release": app["release"],
                    f"{prefix}generation": app["generation"],
                    f"{prefix}locked": app["locked"],
                    f"{prefix}router": app.get("router", ""),
                    f"{prefix}services": app.get("services") or [],
                }
            )
            groups = [
                rack_group,
                f"{prefix}status_{safe_name(app['status'] or 'unknown')}",
                f"{prefix}generation_{safe_name(app['generation'] or 'unknown')}",
            ]
            if kind == "apps":
                hosts.append(
                    {"name": host_name(template, rack["name"], app["name"]), "vars": app_vars, "groups": groups}
                )
                continue
            for service in app.get("services") or []:
                service_vars = dict(app_vars)
                service_vars[f"{prefix}service"] = service
                service_vars[f"{prefix}service_name"] = service["name"]
                hosts.append(
                    {
                        "name": host_name(template, rack["name"], app["name"], service["name"]),
                        "vars": service_vars,
                        "groups": [*groups, f"{prefix}app_{safe_name(app['name'])}"],
                    }
                )
    seen: Dict[str, int] = {}
    for host in hosts:
        seen[host["name"]] = seen.get(host["name"], 0) + 1
    clashes = sorted(name for name, count in seen.items() if count > 1)
    if clashes:
        raise _errors.ConvoxInputError(
            f"several hosts would be named {', '.join(clashes)}: use {{rack}}, {{app}} and {{service}} in option "
            "host_format so that every host name is unique"
        )
    return hosts


# ---------------------------------------------------------------------------
# Lookups


def env_values(
    client: Any, app: str, keys: Sequence[str], *, latest: bool = False, default: Any = None, has_default: bool = False
) -> List[Any]:
    """The values of ``keys`` in the environment of ``app``'s active (or ``latest``) release.

    A missing key gives ``default`` when one was given, else ``ConvoxNotFoundError`` naming
    the key (never a value).
    """
    env = client.environment.get(app, latest=latest)
    missing = [key for key in keys if key not in env]
    if missing and not has_default:
        which = "latest" if latest else "active"
        raise _errors.ConvoxNotFoundError(
            404,
            f"app {app} has no environment variable {', '.join(missing)} in its {which} release "
            "(set it with convox.convox.convox_env, or give the lookup a default)",
        )
    return [env.get(key, default) for key in keys]


def resource_value(client: Any, name: str, *, app: Optional[str] = None, field: str = "url") -> Any:
    """A field of a rack resource (or of an app resource with ``app``): ``url`` by default.

    ``field`` is a resource attribute (``url``, ``status``, ``type``, ``name``) or a key of its
    ``parameters``.
    """
    resource = client.resources.get(name, app=app)
    data = resource.to_result() if hasattr(resource, "to_result") else dict(resource)
    if field in data and field not in ("parameters", "apps"):
        return data[field]
    parameters = data.get("parameters") or {}
    if field in parameters:
        return parameters[field]
    where = f"app {app}'s resource {name}" if app else f"resource {name}"
    known = sorted({"url", "status", "type", "name", *parameters})
    raise _errors.ConvoxNotFoundError(404, f"{where} has no field {field} (known: {', '.join(known)})")


def release_id(client: Any, app: str, *, latest: bool = False) -> str:
    """The id of ``app``'s active release, or of its newest one with ``latest``; ``""`` when none."""
    if not latest:
        return str(client.apps.get(app).release or "")
    newest = client.releases.list(app, limit=1)
    return str(newest[0].id) if newest else ""
