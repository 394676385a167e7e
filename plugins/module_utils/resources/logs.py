# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Log streams, read bounded: ``client.logs`` (convox-api.md 5.1, 5.3, 5.6, 5.7, 5.10, 5.11, 7).

Every read ends: when the stream ends, after ``max_lines`` lines, or at ``timeout`` seconds,
whichever comes first, and says which (``LogLines``). Options travel as handshake headers.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, Callable, Dict, List, Optional, Union

from ..errors import ConvoxInputError
from ..models import LogLines
from ._base import Accessor, build_path, require

Since = Union[datetime.timedelta, str, int, float, None]

DEFAULT_TIMEOUT = 30.0
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_FILTER_TERM = re.compile(r'"([^"]*)"|(\S+)')


def parse_since(value: Since) -> Optional[datetime.timedelta]:
    """``since`` as a timedelta: a timedelta, seconds, or a Go duration (``10m``, ``1h30m``).

    Go has no ``d`` unit; negative or zero values are refused (a log read looks back).
    """
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        delta = value
    elif isinstance(value, bool):
        raise ConvoxInputError("since must be a duration such as 10m or 2h", field="since")
    elif isinstance(value, (int, float)):
        delta = datetime.timedelta(seconds=value)
    else:
        text = str(value).strip()
        pos, seconds = 0, 0.0
        while pos < len(text):
            match = _DURATION_PART.match(text, pos)
            if not match:
                break
            seconds += float(match.group(1)) * _UNITS[match.group(2)]
            pos = match.end()
        if not text or pos != len(text):
            raise ConvoxInputError(
                f"since must be a Go duration such as 10m, 2h or 1h30m (units ns, us, ms, s, m, h), not {text!r}",
                field="since",
            )
        delta = datetime.timedelta(seconds=seconds)
    if delta <= datetime.timedelta(0):
        raise ConvoxInputError("since must be longer than zero", field="since")
    return delta


def filter_terms(text: Optional[str]) -> List[str]:
    """The words of a filter (a ``"quoted phrase"`` is one term)."""
    terms: List[str] = []
    for match in _FILTER_TERM.finditer(text or ""):
        quoted, word = match.groups()
        term = quoted if quoted is not None else word
        if term:
            terms.append(term)
    return terms


def _matcher(filter: Optional[str]) -> Optional[Callable[[str], bool]]:
    terms = filter_terms(filter)
    if not terms:
        return None
    return lambda line: all(term in line for term in terms)


def _bounds(timeout: Optional[float], max_lines: Optional[int]) -> float:
    limit = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    if not limit > 0:
        raise ConvoxInputError("timeout must be more than 0 seconds", field="timeout")
    if max_lines is not None and (isinstance(max_lines, bool) or int(max_lines) < 1):
        raise ConvoxInputError("max_lines must be at least 1", field="max_lines")
    return limit


def _strip_prefix(line: str) -> str:
    """``<RFC3339> <stream> <message>`` -> ``<message>``."""
    parts = line.split(" ", 2)
    return parts[2] if len(parts) == 3 else ""


class LogsAccessor(Accessor):
    """``client.logs``: bounded reads of the log streams of an app, a service, a process, a
    build or the rack.

    Each read returns ``LogLines`` (``lines``, ``ended``, ``truncated``, ``timed_out``). ``since``
    is a timedelta, seconds or a Go duration (``10m``); ``follow`` defaults to false (read
    what is there and end). ``filter`` is a list of words (``"a phrase"`` in double quotes is
    one word) that every line must contain: it is sent as the ``Filter`` header where a rack
    may narrow at the source (app and rack logs; a CloudWatch pattern on aws) and always
    applied by the client too, so results do not depend on the provider.
    """

    def _read(
        self,
        path: str,
        headers: Dict[str, Any],
        *,
        timeout: Optional[float],
        max_lines: Optional[int],
        filter: Optional[str] = None,
        keep: Optional[Callable[[str], Optional[str]]] = None,
    ) -> LogLines:
        from ..websocket import LOG_ENDED, LOG_MAX_LINES, LOG_TIMEOUT, read_log_lines

        limit = _bounds(timeout, max_lines)
        matches = _matcher(filter)

        def select(line: str) -> Optional[str]:
            kept = keep(line) if keep is not None else line
            if kept is None or (matches is not None and not matches(kept)):
                return None
            return kept

        lines, why = read_log_lines(
            self._transport,
            path,
            headers,
            timeout=limit,
            max_lines=max_lines,
            keep=select if (keep is not None or matches is not None) else None,
        )
        return LogLines(
            lines=lines,
            ended=why == LOG_ENDED,
            truncated=why == LOG_MAX_LINES,
            timed_out=why == LOG_TIMEOUT,
        )

    @staticmethod
    def _headers(since: Since, follow: bool, prefix: Optional[bool], **extra: Any) -> Dict[str, Any]:
        headers: Dict[str, Any] = {"Follow": bool(follow), "Since": parse_since(since), "Prefix": prefix}
        headers.update({key: value for key, value in extra.items() if value is not None})
        return headers

    def app(
        self,
        app: str,
        *,
        since: Since = None,
        filter: Optional[str] = None,
        prefix: Optional[bool] = None,
        follow: bool = False,
        timeout: Optional[float] = None,
        max_lines: Optional[int] = None,
    ) -> LogLines:
        """``/apps/{app}/logs``: the app's services, one-off processes and Kubernetes events.

        ``prefix=True`` starts each line with ``<RFC3339> <stream> `` (``service/<svc>/<pod>``
        or ``system/k8s/<object>``); the rack's default is no prefix. ``since`` defaults to
        the rack's 2 minutes.
        """
        path = build_path("apps", require(app, "app"), "logs")
        headers = self._headers(since, follow, prefix, Filter=filter or None)
        return self._read(path, headers, timeout=timeout, max_lines=max_lines, filter=filter)

    def service(
        self,
        app: str,
        service: str,
        *,
        since: Since = None,
        filter: Optional[str] = None,
        prefix: Optional[bool] = None,
        tail: Optional[int] = None,
        previous: Optional[bool] = None,
        max_log_requests: Optional[int] = None,
        follow: bool = False,
        timeout: Optional[float] = None,
        max_lines: Optional[int] = None,
    ) -> LogLines:
        """``/apps/{app}/services/{service}/logs`` (from the pods themselves).

        The rack's prefix default is on here: ``[pod/<pod>/<container>] <RFC3339> ``;
        ``prefix=False`` removes it. ``tail`` (last N lines per pod), ``previous`` (the previous
        container) and ``max_log_requests`` (3.24.5+) exist only on this route. The rack ignores
        ``Filter`` here: the client filters.
        """
        path = build_path("apps", require(app, "app"), "services", require(service, "service"), "logs")
        headers = self._headers(since, follow, prefix, Tail=tail, Previous=previous, Maxlogrequests=max_log_requests)
        return self._read(path, headers, timeout=timeout, max_lines=max_lines, filter=filter)

    def process(
        self,
        app: str,
        pid: str,
        *,
        since: Since = None,
        filter: Optional[str] = None,
        prefix: Optional[bool] = None,
        follow: bool = False,
        timeout: Optional[float] = None,
        max_lines: Optional[int] = None,
        source: str = "app",
    ) -> LogLines:
        """The logs of one process.

        ``source="app"`` (the default) reads the app's log stream with ``Prefix: true`` and keeps
        the lines of the stream ``service/<svc>/<pid>`` (the prefix is removed again unless
        ``prefix=True``): ``since`` and ``follow=False`` work as asked on every rack.
        ``source="process"`` reads ``/apps/{app}/processes/{pid}/logs`` itself, which on v3
        racks other than local ignores ``Follow: false`` (it follows until the pod ends, so the
        read ends at ``timeout`` or ``max_lines`` while the process runs) and adds ``Since`` to
        the current time instead of subtracting it (a sign bug: nothing older shows). The
        process route is read as the rack answers; ``since`` is sent as given.
        """
        require(app, "app")
        require(pid, "pid")
        if source == "process":
            path = build_path("apps", app, "processes", pid, "logs")
            headers = self._headers(since, follow, prefix)
            return self._read(path, headers, timeout=timeout, max_lines=max_lines, filter=filter)
        if source != "app":
            raise ConvoxInputError("source must be app or process", field="source")
        suffix = "/" + pid

        def keep(line: str) -> Optional[str]:
            parts = line.split(" ", 2)
            if len(parts) < 2 or not parts[1].startswith("service/") or not parts[1].endswith(suffix):
                return None
            return line if prefix else _strip_prefix(line)

        path = build_path("apps", app, "logs")
        headers = self._headers(since, follow, True, Filter=filter or None)
        return self._read(path, headers, timeout=timeout, max_lines=max_lines, filter=filter, keep=keep)

    def build(
        self,
        app: str,
        id: str,
        *,
        filter: Optional[str] = None,
        prefix: Optional[bool] = None,
        timeout: Optional[float] = None,
        max_lines: Optional[int] = None,
    ) -> LogLines:
        """``/apps/{app}/builds/{id}/logs``: the stored log of a finished build, or the live log
        of a running one (followed until the build ends: bounded by ``timeout``). The rack
        ignores ``Since``; the client filters."""
        path = build_path("apps", require(app, "app"), "builds", require(id, "id"), "logs")
        headers: Dict[str, Any] = {"Prefix": prefix}
        return self._read(path, headers, timeout=timeout, max_lines=max_lines, filter=filter)

    def system(
        self,
        *,
        since: Since = None,
        filter: Optional[str] = None,
        prefix: Optional[bool] = None,
        follow: bool = False,
        timeout: Optional[float] = None,
        max_lines: Optional[int] = None,
    ) -> LogLines:
        """``/system/logs``: the rack's own logs (``system/k8s/<object>`` streams)."""
        headers = self._headers(since, follow, prefix, Filter=filter or None)
        return self._read("/system/logs", headers, timeout=timeout, max_lines=max_lines, filter=filter)
