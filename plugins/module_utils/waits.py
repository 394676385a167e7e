# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for the rack's asynchronous lifecycles (convox-api.md 6.6).

Every wait of the collection goes through ``poll``, whose semantics are stated once here:

* reads start fast (0.25 s apart) and back off, doubling, to ``interval``;
* a wait succeeds after ``settle_reads`` consecutive reads that say done: two by default,
  because the rack's status can flap while it converges (an app reads ``running`` once between
  two updates); a wait on what the caller itself just set may ask for one;
* two consecutive transient errors (a 5xx, a broken connection, a request timeout) abort with
  the last one; a single one is read again; any other error is raised at once;
* running out of ``timeout`` raises ``ConvoxTimeoutError`` (the rack keeps working).

Time and sleep are the module-level ``monotonic`` and ``sleep``, so tests can fake them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Iterable, List, Optional, Tuple

from .errors import (
    ConvoxAPIError,
    ConvoxBuildFailedError,
    ConvoxConnectionError,
    ConvoxError,
    ConvoxNotFoundError,
    ConvoxRollbackError,
    ConvoxTimeoutError,
)

if TYPE_CHECKING:
    from .client import ConvoxClient
    from .models import App, Build, Process, Resource

FIRST_DELAY = 0.25
DEFAULT_TIMEOUT = 300.0
DEFAULT_INTERVAL = 5.0
BUILD_TIMEOUT = 3600.0
LOG_TAIL_LINES = 20
TERMINAL_PROCESS_STATUSES = ("complete", "failed")

# replaced by tests to run waits without real sleeping
sleep: Callable[[float], None] = time.sleep
monotonic: Callable[[], float] = time.monotonic

_TRANSIENT = (ConvoxAPIError, ConvoxConnectionError, ConvoxTimeoutError)


def poll(
    probe: Callable[[], Tuple[bool, Any]],
    *,
    timeout: float,
    interval: float = DEFAULT_INTERVAL,
    what: str,
    settle_reads: int = 2,
) -> Any:
    """Call ``probe`` until it reports done ``settle_reads`` times in a row; return its last value."""
    if timeout is None or timeout < 0:
        raise ConvoxError("the wait timeout must be 0 or more")
    deadline = monotonic() + timeout
    delay = min(FIRST_DELAY, interval)
    successes = 0
    errors = 0
    while True:
        try:
            done, value = probe()
        except _TRANSIENT:
            errors += 1
            successes = 0
            if errors >= 2:
                raise
        else:
            errors = 0
            successes = successes + 1 if done else 0
            if successes >= max(1, settle_reads):
                return value
        remaining = deadline - monotonic()
        if remaining <= 0:
            raise ConvoxTimeoutError(f"timed out after {timeout:g} seconds waiting for {what}")
        sleep(min(delay, remaining))
        delay = min(interval, delay * 2) if interval > 0 else 0


def wait_app_running(
    client: ConvoxClient,
    app: str,
    *,
    release: Optional[str] = None,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = DEFAULT_INTERVAL,
    fail_on_rollback: bool = True,
) -> App:
    """Wait until the app is ``running`` (with ``release`` active when given).

    Status ``rollback``, or a settled app whose active release is not ``release``, raises
    ``ConvoxRollbackError`` naming the release that was rolled back.
    """
    state = {"mismatch": 0}

    def probe() -> Tuple[bool, Any]:
        current = client.apps.get(app)
        if current.status == "rollback" and fail_on_rollback:
            raise ConvoxRollbackError(release or current.release, None)
        if current.status == "failed":
            raise ConvoxError(f"app {app} failed to update (status failed)")
        if current.status != "running":
            state["mismatch"] = 0
            return False, current
        if release and current.release.upper() != release.upper():
            state["mismatch"] += 1
            if state["mismatch"] >= 2 and fail_on_rollback:
                raise ConvoxRollbackError(release, current.release or None)
            return False, current
        return True, current

    result: App = poll(probe, timeout=timeout, interval=interval, what=f"app {app} to be running")
    return result


def wait_app_deleted(
    client: ConvoxClient, app: str, *, timeout: float = DEFAULT_TIMEOUT, interval: float = DEFAULT_INTERVAL
) -> None:
    """Wait until the app is gone."""

    def probe() -> Tuple[bool, Any]:
        try:
            client.apps.get(app)
        except ConvoxNotFoundError:
            return True, None
        return False, None

    poll(probe, timeout=timeout, interval=interval, what=f"app {app} to be deleted")


def _log_tail(client: ConvoxClient, app: str, build_id: str) -> str:
    try:
        text = client.builds.logs(app, build_id, timeout=30)
    except ConvoxError:
        return ""
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-LOG_TAIL_LINES:])


def wait_build_finished(
    client: ConvoxClient,
    app: str,
    build_id: str,
    *,
    timeout: float = BUILD_TIMEOUT,
    interval: float = DEFAULT_INTERVAL,
) -> Build:
    """Wait until the build is ``complete``; ``failed`` raises ``ConvoxBuildFailedError`` with the log tail."""

    def probe() -> Tuple[bool, Any]:
        build = client.builds.get(app, build_id)
        if build.status == "complete":
            return True, build
        if build.status == "failed":
            tail = _log_tail(client, app, build_id)
            if build.reason:
                tail = (build.reason + "\n" + tail).strip()
            raise ConvoxBuildFailedError(build.id or build_id, tail)
        if build.status in ("created", "running", ""):
            return False, build
        raise ConvoxError(f"build {build_id} ended with status {build.status}")

    result: Build = poll(probe, timeout=timeout, interval=interval, what=f"build {build_id} to finish")
    return result


def wait_process_status(
    client: ConvoxClient,
    app: str,
    pid: str,
    statuses: Iterable[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = DEFAULT_INTERVAL,
) -> Process:
    """Wait until the process has one of ``statuses`` (``running``, ``complete``...)."""
    wanted: List[str] = [statuses] if isinstance(statuses, str) else list(statuses)

    def probe() -> Tuple[bool, Any]:
        process = client.processes.get(app, pid)
        if process.status in wanted:
            return True, process
        if process.status in TERMINAL_PROCESS_STATUSES:
            raise ConvoxError(f"process {pid} ended with status {process.status}")
        return False, process

    result: Process = poll(
        probe, timeout=timeout, interval=interval, what="process {} to be {}".format(pid, "/".join(wanted))
    )
    return result


def wait_resource_running(
    client: ConvoxClient, name: str, *, timeout: float = DEFAULT_TIMEOUT, interval: float = DEFAULT_INTERVAL
) -> Resource:
    """Wait until a rack resource is ``running``."""

    def probe() -> Tuple[bool, Any]:
        resource = client.resources.get(name)
        return resource.status == "running", resource

    result: Resource = poll(probe, timeout=timeout, interval=interval, what=f"resource {name} to be running")
    return result


def wait_resource_deleted(
    client: ConvoxClient, name: str, *, timeout: float = DEFAULT_TIMEOUT, interval: float = DEFAULT_INTERVAL
) -> None:
    """Wait until a rack resource is gone."""

    def probe() -> Tuple[bool, Any]:
        try:
            client.resources.get(name)
        except ConvoxNotFoundError:
            return True, None
        return False, None

    poll(probe, timeout=timeout, interval=interval, what=f"resource {name} to be deleted")
