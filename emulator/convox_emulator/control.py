"""The out-of-band control API under /_emulator/ (loopback callers only, never logged)."""

from __future__ import annotations

import json
from typing import Any, Dict, List

from aiohttp import web

from .wire import go_json

FAULT_KEYS = {"method", "path", "rack", "times", "status", "body", "headers", "delay", "action", "frames"}
ACTIONS = {None, "drop", "malformed", "cut", "error"}
# actions that act on a websocket stream (they match only websocket upgrades)
STREAM_ACTIONS = {"cut", "error"}


def _json(value: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=go_json(value), headers={"Content-Type": "application/json"})


def _bad(message: str) -> web.Response:
    return _json({"error": message}, 400)


def validate_fault(raw: Any) -> Dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValueError("a fault must be a JSON object")
    unknown = set(raw) - FAULT_KEYS
    if unknown:
        raise ValueError(f"unknown fault keys: {', '.join(sorted(unknown))}")
    fault = dict(raw)
    fault.setdefault("method", "*")
    fault.setdefault("path", "*")
    fault.setdefault("times", 1)
    if fault["times"] is not None and (not isinstance(fault["times"], int) or isinstance(fault["times"], bool)):
        raise ValueError("times must be an integer or null (unlimited)")
    if fault.get("action") not in ACTIONS:
        raise ValueError("action must be drop, malformed, cut or error")
    if "frames" in fault:
        if fault.get("action") not in STREAM_ACTIONS:
            raise ValueError("frames goes with action cut or error")
        if not isinstance(fault["frames"], int) or isinstance(fault["frames"], bool) or fault["frames"] < 0:
            raise ValueError("frames must be a non-negative integer")
    if "status" in fault and (not isinstance(fault["status"], int) or not 100 <= fault["status"] <= 599):
        raise ValueError("status must be an HTTP status code")
    if "delay" in fault and (not isinstance(fault["delay"], (int, float)) or fault["delay"] < 0):
        raise ValueError("delay must be a non-negative number of seconds")
    if not any(k in fault for k in ("status", "delay", "action")):
        raise ValueError("a fault needs status, delay or action")
    fault["method"] = str(fault["method"]).upper()
    fault["hits"] = 0
    return fault


async def handle_control(emu: Any, request: web.BaseRequest, path: str) -> web.StreamResponse:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    from .server import _is_loopback

    if not peer or not _is_loopback(peer[0]):
        return web.Response(status=403, body=b"control API is for loopback callers only\n")
    method = request.method
    name = path[len("/_emulator/") :].strip("/")
    if name == "requests" and method == "GET":
        return _json(emu.requests)
    if name == "requests" and method == "DELETE":
        emu.requests = []
        return _json({"ok": True})
    if name == "reset" and method == "POST":
        emu.reset()
        return _json({"ok": True})
    if name == "state" and method == "GET":
        return _json(
            {
                "version": emu.version,
                "options": emu.describe_options(),
                "racks": {n: r.dump() for n, r in emu.racks.items()},
                "faults": emu.faults,
                "holds": [hold.to_json() for hold in emu.holds.items],
            }
        )
    if name == "budget" and method == "POST":
        return await _budget(emu, request)
    if name == "holds" or name.startswith("holds/"):
        return await _holds(emu, request, name)
    if name == "logs":
        return await _logs(emu, request)
    if name == "faults" and method == "GET":
        return _json(emu.faults)
    if name == "faults" and method == "DELETE":
        emu.faults = []
        return _json({"ok": True})
    if name == "faults" and method == "POST":
        try:
            raw = json.loads((await request.read()).decode("utf-8") or "null")
            items: List[Any] = raw if isinstance(raw, list) else [raw]
            faults = [validate_fault(item) for item in items]
        except (ValueError, UnicodeDecodeError) as exc:
            return _bad(str(exc))
        emu.faults.extend(faults)
        return _json(faults)
    return web.Response(status=404)


async def _holds(emu: Any, request: web.BaseRequest, name: str) -> web.StreamResponse:
    """``/_emulator/holds[/{id}[/release]]``: add, list, wait for, release and clear holds."""
    method = request.method
    parts = name.split("/")
    if parts == ["holds"]:
        if method == "GET":
            return _json([hold.to_json() for hold in emu.holds.items])
        if method == "DELETE":
            emu.holds.clear()
            return _json({"ok": True})
        if method == "POST":
            try:
                raw = json.loads((await request.read()).decode("utf-8") or "null")
                hold = emu.holds.add(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                return _bad(str(exc))
            return _json(hold.to_json())
        return web.Response(status=405)
    try:
        hold = emu.holds.get(int(parts[1]))
    except ValueError:
        hold = None
    if hold is None:
        return _json({"error": f"no such hold: {parts[1]}"}, 404)
    if len(parts) == 2 and method == "GET":
        query = request.rel_url.query
        try:
            waiting = int(query.get("waiting", "0"))
            caught = int(query.get("caught", "0"))
            timeout = float(query.get("timeout", "10"))
        except ValueError:
            return _bad("waiting and caught must be integers, timeout a number")
        reached = await emu.holds.wait_for(hold, waiting, caught, timeout)
        return _json(dict(hold.to_json(), reached=reached))
    if len(parts) == 3 and parts[2] == "release" and method == "POST":
        body = (await request.read()).decode("utf-8", "replace")
        try:
            raw = json.loads(body) if body.strip() else {}
            count = raw.get("count") if isinstance(raw, dict) else None
            if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
                raise ValueError("count must be a non-negative integer")
        except ValueError as exc:
            return _bad(str(exc))
        released = hold.release(count)
        return _json(dict(hold.to_json(), just_released=released))
    return web.Response(status=404)


async def _budget(emu: Any, request: web.BaseRequest) -> web.StreamResponse:
    """``POST /_emulator/budget`` ``{"app", "spend", "per_service"?, "rack"?}``: set an app's
    month-to-date spend and run one accumulator tick (alerts, circuit breaker, armed shutdown)."""
    from .budget import tick

    try:
        raw = json.loads((await request.read()).decode("utf-8") or "null")
        if not isinstance(raw, dict):
            raise ValueError("a JSON object is expected")
        rack = emu.racks.get(raw["rack"]) if raw.get("rack") else emu.default_rack()
        if rack is None:
            raise ValueError(f"no such rack: {raw['rack']}")
        spend = raw.get("spend")
        if not isinstance(spend, (int, float)) or isinstance(spend, bool) or spend < 0:
            raise ValueError("spend must be a non-negative number")
        per_service = raw.get("per_service")
        if per_service is not None and not isinstance(per_service, dict):
            raise ValueError("per_service must be an object")
        app = rack.apps.get(str(raw.get("app")))
        if app is None:
            return _json({"error": f"app not found: {raw.get('app')}"}, 404)
    except (ValueError, KeyError, UnicodeDecodeError) as exc:
        return _bad(str(exc))
    tick(rack, app, float(spend), per_service)
    from .budget import config_json, state_json

    return _json({"config": config_json(app.budget), "state": state_json(app.budget_state)})


async def _logs(emu: Any, request: web.BaseRequest) -> web.StreamResponse:
    """``POST /_emulator/logs``: add log lines (or start a drip); ``DELETE``: stop the drips."""
    from .sockets import add_logs, stop_drips

    if request.method == "DELETE":
        return _json({"stopped": stop_drips()})
    if request.method != "POST":
        return web.Response(status=405)
    try:
        raw = json.loads((await request.read()).decode("utf-8") or "null")
        return _json(add_logs(emu, raw))
    except (ValueError, KeyError, UnicodeDecodeError) as exc:
        return _bad(str(exc))
