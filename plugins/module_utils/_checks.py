# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private glue: declarative input checks, run before a task sends its first request.

Not a public API. Standard library only, imports no other file here.

A *check* is a callable ``check(value, secret) -> problem or None``: it looks at one option's
value and returns what is wrong with it (a sentence fragment such as ``"must be between 0 and
150000, got -1"``) or ``None``. When ``secret`` is true (the option is ``no_log``) the problem
never contains the value, nor any part of it.

``ConvoxTask.checks`` maps option names to a list of checks; options without an entry get the
default checks of their type (``default_checks``): text without control characters and at most
``MAX_TEXT`` characters (non-empty when required), whole numbers from 0 to ``INT32_MAX``, lists
and mappings whose strings are such text. ``find_problem`` runs them in the argument spec's
order and returns the first ``(option, problem)``.

The limits (``MAX_COUNT``, ``MAX_CPU``...) are documented in ``docs/input-checks.md`` and in the
modules' option descriptions; change them there too.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

Check = Callable[[Any, bool], Optional[str]]

INT32_MAX = 2**31 - 1
# Kubernetes' largest supported cluster runs 150,000 pods; a rack hands the count to Kubernetes
# as a 32-bit number (larger values wrap around or are refused).
MAX_COUNT = 150_000
# ... on at most 5,000 nodes (the instance count of a rack).
MAX_NODES = 5_000
# 1024 CPUs and 32 TiB of memory per process: more than any machine type a rack runs on, so a
# larger request could never be scheduled.
MAX_CPU = 1_024_000
MAX_MEMORY = 32 * 1024 * 1024
MAX_GPU = 64
# Default length of a text option (names, ids, descriptions).
MAX_TEXT = 1024
MAX_PATH = 4096
# What a Kubernetes Secret holds at most (certificates, environments are stored in them).
MAX_BLOB = 1024 * 1024
MAX_ITEMS = 1000

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_EXCEPT_WHITESPACE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_EXCEPT_TAB = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_DNS_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)\Z")
_SCALARS = (str, int, float, bool)


def shown(value: Any, secret: bool) -> str:
    """The value as a message may show it: ``repr`` shortened, or nothing at all for a secret."""
    if secret:
        return "(value hidden)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _char_name(char: str) -> str:
    names = {"\x00": "a NUL character", "\n": "a line break (\\n)", "\r": "a carriage return (\\r)", "\t": "a tab"}
    return names.get(char, f"the control character U+{ord(char):04X}")


def _text_problem(
    value: Any, *, max_len: int, allow_empty: bool, control: re.Pattern[str], what: str = ""
) -> Optional[str]:
    """The problem of a text value: not a string, empty, too long, control characters."""
    prefix = f"{what} " if what else ""
    if not isinstance(value, str):
        return f"{prefix}must be text, not {type(value).__name__}"
    if not allow_empty and not value.strip():
        return f"{prefix}must not be empty"
    if len(value) > max_len:
        return f"{prefix}is {len(value)} characters long; at most {max_len} are accepted"
    bad = control.search(value)
    if bad:
        return f"{prefix}contains {_char_name(bad.group())}, which is not accepted"
    return None


def text(max_len: int = MAX_TEXT, *, required: bool = False, multiline: bool = False, tabs: bool = False) -> Check:
    """Text without control characters (line breaks and tabs allowed with ``multiline``,
    tabs alone with ``tabs``), at most ``max_len`` characters, non-empty when ``required``."""
    control = _CONTROL_EXCEPT_WHITESPACE if multiline else (_CONTROL_EXCEPT_TAB if tabs else _CONTROL)

    def check(value: Any, secret: bool) -> Optional[str]:
        if value is None:
            return "must not be empty" if required else None
        return _text_problem(value, max_len=max_len, allow_empty=not required, control=control)

    return check


def between(low: float, high: float, unit: str = "") -> Check:
    """A number from ``low`` to ``high`` (both included)."""
    suffix = f" {unit}" if unit else ""

    def check(value: Any, secret: bool) -> Optional[str]:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"must be a number, not {type(value).__name__}"
        if value < low:
            least = "0 or more" if low == 0 else f"at least {low:g}"
            return f"must be {least}{suffix}, got {shown(value, secret)}"
        if value > high:
            return f"must be at most {high:g}{suffix}, got {shown(value, secret)}"
        return None

    return check


def one_of(*checks: Check) -> Check:
    """All of ``checks`` in turn; the first problem wins."""

    def check(value: Any, secret: bool) -> Optional[str]:
        for each in checks:
            problem = each(value, secret)
            if problem:
                return problem
        return None

    return check


def _scalar_text(value: Any) -> Optional[str]:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _SCALARS):
        return str(value)
    return None


def _name_problem(name: Any, what: str) -> Optional[str]:
    """What is wrong with a name. Names are shown: in a ``no_log`` mapping (an environment) the
    values are the secrets, not the names."""
    if not isinstance(name, str) or not name.strip():
        return f"has an empty {what}"
    quoted = f" {name!r}"
    if name != name.strip():
        return f"has the {what}{quoted} with leading or trailing spaces"
    if "=" in name:
        return f"has the {what}{quoted}, which contains '='; a name cannot hold '=' (it separates name and value)"
    bad = _CONTROL.search(name)
    if bad:
        return f"has a {what} that contains {_char_name(bad.group())}"
    if len(name) > MAX_TEXT:
        return f"has a {what} longer than {MAX_TEXT} characters"
    return None


def variable_name() -> Check:
    """An environment variable name: non-empty, no ``=``, no surrounding spaces or control characters."""

    def check(value: Any, secret: bool) -> Optional[str]:
        if value is None:
            return None
        problem = _name_problem(value, "variable name")
        return problem.replace("has ", "is ", 1) if problem else None

    return check


def _mapping(value: Any) -> Optional[Mapping[Any, Any]]:
    return value if isinstance(value, Mapping) else None


def env_map(max_value: int = MAX_BLOB) -> Check:
    """A Convox environment: names without ``=``, spaces around them, control characters; values
    that are scalars (not lists or mappings, which would be silently turned into text) without
    NUL, line breaks or other control characters (tabs allowed). The rack stores the environment
    as ``KEY=VALUE`` lines and drops a ``\\r`` at the end of a line (convox-api.md 6.4), so a
    value cannot hold ``\\n`` or ``\\r``."""

    def check(value: Any, secret: bool) -> Optional[str]:
        if value is None:
            return None
        env = _mapping(value)
        if env is None:
            return f"must be a mapping of names to values, not {type(value).__name__}"
        if len(env) > MAX_ITEMS * 10:
            return f"has {len(env)} variables; at most {MAX_ITEMS * 10} are accepted"
        total = 0
        for key, val in env.items():
            problem = _name_problem(key, "variable name")
            if problem:
                return problem
            textual = _scalar_text(val)
            if textual is None:
                return (
                    f"sets {key} to a {type(val).__name__}; a value must be a string, number or boolean "
                    "(quote it, or use the to_json filter for structured data)"
                )
            bad = _CONTROL_EXCEPT_TAB.search(textual)
            if bad:
                char = bad.group()
                why = {"\r": "the rack drops it at a line's end", "\n": "an environment line cannot hold it"}
                reason = why.get(char, "which is not accepted")
                return f"sets {key} to a value that contains {_char_name(char)}; {reason}"
            if len(textual) > max_value:
                return f"sets {key} to a value of {len(textual)} characters; at most {max_value} are accepted"
            total += len(key) + len(textual) + 2
        if total > MAX_BLOB:
            return f"is {total} characters long in all; at most {MAX_BLOB} are accepted"
        return None

    return check


def string_map(*, name_what: str = "key", max_value: int = MAX_TEXT) -> Check:
    """A mapping of names (non-empty, no ``=``, no control characters) to scalar values without
    control characters (tabs allowed); lists and mappings are refused, not stringified."""

    def check(value: Any, secret: bool) -> Optional[str]:
        if value is None:
            return None
        mapping = _mapping(value)
        if mapping is None:
            return f"must be a mapping, not {type(value).__name__}"
        if len(mapping) > MAX_ITEMS:
            return f"has {len(mapping)} entries; at most {MAX_ITEMS} are accepted"
        for key, val in mapping.items():
            problem = _name_problem(key, name_what)
            if problem:
                return problem
            textual = _scalar_text(val)
            if textual is None:
                return f"sets {key} to a {type(val).__name__}; a value must be a string, number or boolean"
            problem = _text_problem(textual, max_len=max_value, allow_empty=True, control=_CONTROL_EXCEPT_TAB)
            if problem:
                return f"sets {key} to a value that {problem}"
        return None

    return check


def names_matching(pattern: str, described: str) -> Check:
    """A mapping whose keys match ``pattern`` (``described`` says how, for the message)."""
    compiled = re.compile(pattern)

    def check(value: Any, secret: bool) -> Optional[str]:
        for key in _mapping(value) or {}:
            if not isinstance(key, str) or not compiled.fullmatch(key):
                return f"has the name {shown(key, False)}; names must be {described}"
        return None

    return check


def list_of(item: Check, *, max_items: int = MAX_ITEMS, required: bool = False, skip_blank: bool = False) -> Check:
    """A list whose every element passes ``item`` (blank strings skipped with ``skip_blank``,
    for a module that drops them itself)."""

    def check(value: Any, secret: bool) -> Optional[str]:
        if value is None:
            return "must list at least one item" if required else None
        if not isinstance(value, (list, tuple)):
            return f"must be a list, not {type(value).__name__}"
        if required and not value:
            return "must list at least one item"
        if len(value) > max_items:
            return f"has {len(value)} items; at most {max_items} are accepted"
        for index, element in enumerate(value):
            if skip_blank and isinstance(element, str) and not element.strip():
                continue
            problem = item(element, secret)
            if problem:
                return f"item {index + 1} {problem}"
        return None

    return check


def _walk_strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, val in value.items():
            yield from _walk_strings(key)
            yield from _walk_strings(val)
    elif isinstance(value, (list, tuple)):
        for element in value:
            yield from _walk_strings(element)


def nested_text(max_len: int = MAX_TEXT) -> Check:
    """Every string inside a list or mapping (keys included) is text without control characters."""

    def check(value: Any, secret: bool) -> Optional[str]:
        for string in _walk_strings(value):
            problem = _text_problem(string, max_len=max_len, allow_empty=True, control=_CONTROL)
            if problem:
                return f"holds a string that {problem}"
        return None

    return check


def dns_name(*, wildcard: bool = False) -> Check:
    """A DNS name: dot-separated labels of letters, digits and hyphens (not at either end of a
    label), each at most 63 characters, 253 in all; ``*.`` in front when ``wildcard``."""

    def check(value: Any, secret: bool) -> Optional[str]:
        if value is None:
            return None
        problem = _text_problem(value, max_len=253, allow_empty=False, control=_CONTROL, what="")
        if problem:
            return problem
        value = value.strip()
        name = value[2:] if wildcard and value.startswith("*.") else value
        name = name[:-1] if name.endswith(".") else name
        labels = name.split(".")
        if len(labels) < 1 or not all(_DNS_LABEL.match(label) for label in labels):
            return (
                f"is not a DNS name: {shown(value, secret)} (use letters, digits and hyphens in labels "
                f"separated by dots{', optionally *. in front' if wildcard else ''})"
            )
        return None

    return check


def _host_problem(host: str) -> Optional[str]:
    import ipaddress  # here, not at the top: a module task that checks no host does not pay for it

    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return "has an invalid IPv6 address"
        return None
    try:
        ipaddress.IPv4Address(host)
        return None
    except ValueError:
        pass
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if len(host) > 253 or not all(_DNS_LABEL.match(label) for label in labels):
        return "has no valid host name"
    return None


def url(*schemes: str) -> Check:
    """An absolute URL with one of ``schemes`` and a host (``object://app/key`` counts the app as
    its host), without spaces or control characters."""

    def check(value: Any, secret: bool) -> Optional[str]:
        if value is None:
            return None
        problem = _text_problem(value, max_len=MAX_PATH, allow_empty=False, control=_CONTROL)
        if problem:
            return problem
        allowed = ", ".join(f"{s}://" for s in schemes)
        if " " in value:
            return f"is not a URL: {shown(value, secret)} contains a space (percent-encode it as %20)"
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            return f"is not a usable URL ({exc})"
        if not parts.scheme:
            return f"is not a URL: {shown(value, secret)} has no scheme; use {allowed}"
        if parts.scheme.lower() not in schemes:
            return f"has the scheme {parts.scheme}://, which the rack cannot fetch; use {allowed}"
        if not parts.hostname:
            return f"is not a URL: {shown(value, secret)} names no host"
        if parts.scheme.lower() != "object" and _host_problem(parts.hostname):
            return f"is not a URL: {shown(value, secret)} has no valid host name"
        return None

    return check


def registry_server() -> Check:
    """A registry server as Docker names it: ``host[:port][/path]``, optionally behind
    ``https://`` or ``http://``; path segments of letters, digits, ``.``, ``_`` and ``-``,
    never ``.`` or ``..`` (the server is part of the rack's URL path)."""

    def check(value: Any, secret: bool) -> Optional[str]:
        if value is None:
            return None
        problem = _text_problem(value, max_len=MAX_TEXT, allow_empty=False, control=_CONTROL)
        if problem:
            return problem
        rest = re.sub(r"^https?://", "", value, flags=re.IGNORECASE)
        hostport, _sep, path = rest.partition("/")
        host, colon, port = hostport.rpartition(":") if not hostport.endswith("]") else (hostport, "", "")
        if not colon:
            host, port = hostport, ""
        if not host or _host_problem(host):
            return f"is not a registry server: {shown(value, secret)} has no valid host name (host[:port][/path])"
        if colon and not (port.isdigit() and 1 <= int(port) <= 65535):
            return f"is not a registry server: {shown(value, secret)} has an invalid port"
        segments = path.rstrip("/").split("/") if path.rstrip("/") else []
        for segment in segments:
            if segment in ("", ".", "..") or not re.fullmatch(r"[A-Za-z0-9._-]+", segment):
                return (
                    f"is not a registry server: {shown(value, secret)} has the path segment {segment!r}; "
                    "segments are letters, digits, '.', '_' and '-', never '.' or '..'"
                )
        return None

    return check


def go_duration() -> Check:
    """A Go duration such as ``2160h`` or ``1h30m``."""
    pattern = re.compile(r"(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+")

    def check(value: Any, secret: bool) -> Optional[str]:
        if value is None:
            return None
        problem = _text_problem(value, max_len=64, allow_empty=False, control=_CONTROL)
        if problem:
            return problem
        if not pattern.fullmatch(value):
            return f"must be a Go duration such as 2160h or 90m, not {shown(value, secret)}"
        return None

    return check


def header_text(max_len: int = 65536, *, required: bool = False) -> Check:
    """Text sent as a request header: no line breaks or other control characters (tabs allowed)."""

    def check(value: Any, secret: bool) -> Optional[str]:
        if value is None:
            return "must not be empty" if required else None
        problem = _text_problem(value, max_len=max_len, allow_empty=not required, control=_CONTROL_EXCEPT_TAB)
        if problem and "line break" in problem:
            return problem + " (it is sent as a request header; join lines with ';' or use sh -c)"
        return problem

    return check


# ---------------------------------------------------------------------------
# defaults and the runner


def default_checks(spec: Mapping[str, Any]) -> List[Check]:
    """The checks of an option that declares none, from its argument spec entry."""
    kind = spec.get("type", "str")
    required = bool(spec.get("required"))
    if spec.get("choices") is not None and kind in ("str", "list"):
        return []  # Ansible refuses anything else
    if kind == "str":
        return [text(MAX_TEXT, required=required)]
    if kind == "path":
        return [text(MAX_PATH, required=required)]
    if kind == "int":
        return [between(0, INT32_MAX)]
    if kind == "float":
        return [between(0, 86400)]
    if kind == "list":
        if spec.get("elements", "str") == "str":
            return [list_of(text(MAX_TEXT, required=True))]
        return [nested_text()]
    if kind == "dict":
        if spec.get("options"):
            return [nested_text()]
        return [string_map()]
    return []


def find_problem(
    spec: Mapping[str, Mapping[str, Any]],
    params: Mapping[str, Any],
    declared: Mapping[str, Sequence[Check]],
) -> Optional[Tuple[str, str]]:
    """The first ``(option, problem)`` of ``params``; declared checks replace the defaults."""
    for name, option in spec.items():
        value = params.get(name)
        if value is None:
            continue
        checks = declared[name] if name in declared else default_checks(option)
        secret = bool(option.get("no_log"))
        for check in checks:
            problem = check(value, secret)
            if problem:
                return name, problem
    return None


def secrets_of(spec: Mapping[str, Mapping[str, Any]], params: Mapping[str, Any]) -> List[str]:
    """The values of the ``no_log`` options in ``params`` (strings inside them included)."""
    values: List[str] = []
    for name, option in spec.items():
        if option.get("no_log") and params.get(name) is not None:
            values.extend(s for s in _walk_strings(params[name]) if s)
    return values
