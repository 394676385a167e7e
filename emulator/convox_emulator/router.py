"""Our own router: gorilla/mux-like matching on the raw (percent-decoded) path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

_SEGMENT = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)(?::([^}]*))?\}")


@dataclass
class Route:
    method: str
    pattern: str
    handler: Callable[..., Any]
    socket: bool = False
    regex: Any = None

    def __post_init__(self) -> None:
        parts: List[str] = []
        pos = 0
        for match in _SEGMENT.finditer(self.pattern):
            parts.append(re.escape(self.pattern[pos : match.start()]))
            expr = match.group(2) if match.group(2) is not None else "[^/]+"
            parts.append(f"(?P<{match.group(1)}>{expr})")
            pos = match.end()
        parts.append(re.escape(self.pattern[pos:]))
        self.regex = re.compile("".join(parts), re.DOTALL)


def _first_segment(path: str) -> str:
    return path.split("/", 2)[1] if path.startswith("/") and len(path) > 1 else ""


class Router:
    """Routes are tried in registration order, within the bucket of their first path segment
    (every pattern starts with a literal segment, so only that bucket can ever match)."""

    def __init__(self) -> None:
        self.routes: List[Route] = []
        self._buckets: Dict[str, List[Route]] = {}

    def _register(self, route: Route) -> None:
        self.routes.append(route)
        self._buckets.setdefault(_first_segment(route.pattern), []).append(route)

    def add(self, method: str, pattern: str, handler: Callable[..., Any]) -> None:
        self._register(Route(method, pattern, handler))

    def socket(self, pattern: str, handler: Callable[..., Any]) -> None:
        self._register(Route("GET", pattern, handler, socket=True))

    def match(self, method: str, path: str, upgrade: Optional[str]) -> Tuple[Optional[Route], Dict[str, str], int]:
        """Return (route, params, status): status 0 on a match, else 404 or 405."""
        mismatch = False
        for route in self._buckets.get(_first_segment(path), ()):
            found = route.regex.fullmatch(path)
            if not found:
                continue
            if route.socket and upgrade != "websocket":
                continue
            if route.method != method:
                mismatch = True
                continue
            return route, found.groupdict(), 0
        return None, {}, 405 if mismatch else 404
