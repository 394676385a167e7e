"""Wire-level helpers: Go-style JSON, times, value parsing and the rack's error type."""

from __future__ import annotations

import json
import math
import re
import secrets
import string
from datetime import datetime, timedelta, timezone
from json.encoder import encode_basestring
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qsl

ZERO_TIME = "0001-01-01T00:00:00Z"
EXIT_MARKER = "F1E49A85-0AD7-4AEF-A618-C249C6E6568D"


class ApiError(Exception):
    """An error answered by a route: a status code and the rack's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def go_time(value: Optional[datetime], whole_seconds: bool = False) -> str:
    """Format a time the way Go's RFC3339Nano does (trailing zeros of the fraction dropped)."""
    if value is None:
        return ZERO_TIME
    value = value.astimezone(timezone.utc)
    base = value.strftime("%Y-%m-%dT%H:%M:%S")
    if whole_seconds or value.microsecond == 0:
        return base + "Z"
    fraction = f"{value.microsecond:06d}".rstrip("0")
    return f"{base}.{fraction}Z"


def parse_go_time(value: str) -> datetime:
    """Parse the option time layout `20060102.150405.000000000` (UTC)."""
    match = re.fullmatch(r"(\d{8})\.(\d{6})\.(\d{1,9})", value)
    if not match:
        raise ApiError(500, f'parsing time "{value}" as "20060102.150405.000000000": cannot parse "{value}" as "2006"')
    stamp = datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    micro = int(match.group(3).ljust(9, "0")[:6])
    return stamp.replace(microsecond=micro)


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return int(value)
        return value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_HTML_RE = re.compile("[<>&\u2028\u2029]")


def _encode(value: Any, pad: str, out: List[str]) -> None:
    """Indented JSON (2 spaces) without the pure-Python encoder that json.dumps(indent=...) uses."""
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(json.dumps(_plain(value)))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = pad + "  "
        out.append("{\n")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",\n")
            first = False
            out.append(inner)
            out.append(encode_basestring(str(key)))
            out.append(": ")
            _encode(item, inner, out)
        out.append("\n" + pad + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = pad + "  "
        out.append("[\n")
        first = True
        for item in value:
            if not first:
                out.append(",\n")
            first = False
            out.append(inner)
            _encode(item, inner, out)
        out.append("\n" + pad + "]")
    else:
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def go_json(value: Any) -> bytes:
    """Encode like Go's json.MarshalIndent(v, "", "  ") plus the trailing newline of an Encoder."""
    out: List[str] = []
    _encode(value, "", out)
    text = "".join(out)
    if _HTML_RE.search(text):
        text = _HTML_RE.sub(lambda m: _HTML_ESCAPES[m.group(0)], text)
    return (text + "\n").encode("utf-8", "replace")


def go_json_compact(value: Any) -> bytes:
    text = json.dumps(_plain(value), separators=(",", ":"), ensure_ascii=False)
    text = _HTML_RE.sub(lambda m: _HTML_ESCAPES[m.group(0)], text)
    return (text + "\n").encode("utf-8", "replace")


def parse_bool(value: Optional[str]) -> bool:
    return value == "true"


def parse_int(value: str) -> int:
    """strconv.Atoi semantics, including its error messages (untyped, so 500)."""
    if re.fullmatch(r"[+-]?\d+", value or ""):
        number = int(value)
        if -(2**63) <= number < 2**63:
            return number
        raise ApiError(500, f'strconv.Atoi: parsing "{value}": value out of range')
    raise ApiError(500, f'strconv.Atoi: parsing "{value}": invalid syntax')


def parse_map(value: str) -> Dict[str, str]:
    """url.ParseQuery of a map-typed option; the first value of a key wins."""
    result: Dict[str, str] = {}
    for key, val in parse_qsl(value, keep_blank_values=True):
        result.setdefault(key, val)
    return result


_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "\u00b5s": 1e-6,
    "\u03bcs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")


def parse_duration(value: str) -> float:
    """Go time.ParseDuration; returns seconds or raises ValueError with Go's message."""
    text = value
    sign = 1.0
    if text[:1] in "+-" and text:
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:]
    if text == "0":
        return 0.0
    if not text:
        raise ValueError(f'time: invalid duration "{value}"')
    total = 0.0
    pos = 0
    while pos < len(text):
        match = _DURATION_RE.match(text, pos)
        if not match:
            if re.match(r"\d+(?:\.\d*)?$", text[pos:]):
                raise ValueError(f'time: missing unit in duration "{value}"')
            unit = re.match(r"[\d.]*([^\d.]*)", text[pos:])
            if unit and unit.group(1) and re.match(r"[\d.]", text[pos:]):
                raise ValueError(f'time: unknown unit "{unit.group(1)}" in duration "{value}"')
            raise ValueError(f'time: invalid duration "{value}"')
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    return sign * total


def random_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(string.ascii_uppercase) for _i in range(10))


def random_lower(length: int) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _i in range(length))


def request_id() -> str:
    return secrets.token_hex(6)


def parse_env(text: str) -> Dict[str, str]:
    """Parse a release env string the way the rack does."""
    env: Dict[str, str] = {}
    for line in text.split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        if "=" not in line:
            continue
        key, val = line.split("=", 1)
        key = key.strip()
        if key:
            env[key] = val
    return env


def env_description(old: Dict[str, str], new: Dict[str, str]) -> str:
    added = sorted(k for k in new if k not in old)
    changed = sorted(k for k in new if k in old and old[k] != new[k])
    removed = sorted(k for k in old if k not in new)
    parts: List[str] = [f"add:{k}" for k in added] + [f"change:{k}" for k in changed] + [f"remove:{k}" for k in removed]
    return "env " + " ".join(parts)


def add_seconds(value: datetime, seconds: float) -> datetime:
    return value + timedelta(seconds=seconds)


def accepts_json(accept: str) -> bool:
    """True when the Accept header lists the media type application/json (q-values ignored)."""
    for item in accept.split(","):
        media = item.split(";", 1)[0].strip()
        if media == "application/json":
            return True
    return False
