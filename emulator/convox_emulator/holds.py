"""Holds: park matching requests until a control call (or a barrier) lets them go.

A hold reproduces a race deterministically: a test holds the next ``POST /apps/myapp/releases``
of one writer, lets another writer create a release meanwhile, then releases the first one,
which then runs against the changed state (a read-modify-write that lost its base). A hold with
``count`` is a barrier: requests wait until ``count`` of them are parked, then all go on at
once (every writer has read before any writes). ``timeout`` bounds every wait, so a test that
forgets a hold never hangs the emulator; a hold that timed out says so (``timed_out``).
"""

from __future__ import annotations

import asyncio
import fnmatch
import time
from typing import Any, Dict, List, Optional

HOLD_KEYS = {"method", "path", "rack", "times", "count", "timeout"}
DEFAULT_TIMEOUT = 30.0


class Hold:
    def __init__(self, hold_id: int, raw: Dict[str, Any]) -> None:
        self.id = hold_id
        self.method = str(raw.get("method", "*")).upper()
        self.path = str(raw.get("path", "*"))
        self.rack = raw.get("rack") or None
        self.times: Optional[int] = raw.get("times", raw.get("count", 1))
        self.count: Optional[int] = raw.get("count")
        self.timeout = float(raw.get("timeout", DEFAULT_TIMEOUT))
        self.caught = 0
        self.released = 0
        self.timed_out = 0
        self.waiting: List[asyncio.Future[None]] = []
        self.paths: List[str] = []
        self.changed = asyncio.Event()

    def matches(self, method: str, path: str, rack: str) -> bool:
        if self.times is not None and self.caught >= self.times:
            return False
        if self.method not in ("*", method):
            return False
        if self.rack and self.rack != rack:
            return False
        return fnmatch.fnmatchcase(path, self.path)

    def to_json(self) -> Dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "rack": self.rack,
            "times": self.times,
            "count": self.count,
            "timeout": self.timeout,
            "caught": self.caught,
            "waiting": len(self.waiting),
            "released": self.released,
            "timed_out": self.timed_out,
            "paths": list(self.paths),
        }

    def release(self, count: Optional[int] = None) -> int:
        """Let ``count`` parked requests (all by default) go on, oldest first."""
        chosen = self.waiting if count is None else self.waiting[: max(0, count)]
        for future in list(chosen):
            if not future.done():
                future.set_result(None)
            self.waiting.remove(future)
            self.released += 1
        self._notify()
        return len(chosen)

    def _notify(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()


def validate_hold(raw: Any) -> Dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValueError("a hold must be a JSON object")
    unknown = set(raw) - HOLD_KEYS
    if unknown:
        raise ValueError(f"unknown hold keys: {', '.join(sorted(unknown))}")
    for key in ("times", "count"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ValueError(f"{key} must be a positive integer" + (" or null" if key == "times" else ""))
    timeout = raw.get("timeout", DEFAULT_TIMEOUT)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise ValueError("timeout must be a positive number of seconds")
    return raw


class Holds:
    """The emulator's holds; ``park`` is awaited by the request handler before routing."""

    def __init__(self) -> None:
        self.items: List[Hold] = []
        self.next_id = 1

    def add(self, raw: Dict[str, Any]) -> Hold:
        hold = Hold(self.next_id, validate_hold(raw))
        self.next_id += 1
        self.items.append(hold)
        return hold

    def get(self, hold_id: int) -> Optional[Hold]:
        return next((h for h in self.items if h.id == hold_id), None)

    def clear(self) -> None:
        for hold in self.items:
            hold.release()
        self.items = []

    async def park(self, method: str, path: str, rack: str, entry: Dict[str, Any]) -> None:
        hold = next((h for h in self.items if h.matches(method, path, rack)), None)
        if hold is None:
            return
        hold.caught += 1
        hold.paths.append(path)
        entry["held"] = hold.id
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        hold.waiting.append(future)
        hold._notify()
        if hold.count is not None and len(hold.waiting) >= hold.count:
            hold.release()
        started = time.monotonic()
        try:
            await asyncio.wait_for(asyncio.shield(future), hold.timeout)
        except asyncio.TimeoutError:
            if future in hold.waiting:
                hold.waiting.remove(future)
                hold.timed_out += 1
                hold._notify()
        entry["held_for"] = round(time.monotonic() - started, 6)

    async def wait_for(self, hold: Hold, waiting: int, caught: int, timeout: float) -> bool:
        """Until ``waiting`` requests are parked and ``caught`` were caught in all; False on timeout."""
        deadline = time.monotonic() + timeout
        while len(hold.waiting) < waiting or hold.caught < caught:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(hold.changed.wait(), remaining)
            except asyncio.TimeoutError:
                return False
        return True
