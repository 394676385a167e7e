"""Check the JSON of `ansible-inventory --list` for one scenario of runme.sh.

    python check_inventory.py SCENARIO LIST_JSON

ansible-core 2.19+ wraps inventory strings as {"__ansible_unsafe": "..."} in that output; they are
unwrapped first. Exits 1 with every mismatch listed.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable, Dict, List


def unwrap(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


class Inventory:
    def __init__(self, data: Dict[str, Any]) -> None:
        self.data = unwrap(data)
        self.hostvars: Dict[str, Dict[str, Any]] = self.data.get("_meta", {}).get("hostvars", {})
        self.problems: List[str] = []

    def members(self, group: str) -> List[str]:
        return sorted(self.data.get(group, {}).get("hosts", []))

    def expect(self, ok: bool, what: str) -> None:
        if not ok:
            self.problems.append(what)

    def hosts(self, names: List[str]) -> None:
        self.expect(sorted(self.hostvars) == sorted(names), f"hosts {sorted(self.hostvars)}, expected {sorted(names)}")

    def group(self, group: str, names: List[str]) -> None:
        self.expect(self.members(group) == sorted(names), f"group {group}: {self.members(group)}, expected {names}")

    def var(self, host: str, name: str, expected: Any) -> None:
        got = self.hostvars.get(host, {}).get(name, "<unset>")
        self.expect(got == expected, f"{host} {name} = {got!r}, expected {expected!r}")


def direct(inv: Inventory) -> None:
    apps = ["local/alpha", "local/beta", "local/gamma"]
    inv.hosts(apps)
    for group in ("convox_rack_local", "convox_status_running", "convox_generation_3"):
        inv.group(group, apps)
    inv.group("locked_apps", ["local/gamma"])  # groups: locked_apps: convox_locked
    inv.group("has_web", ["local/alpha", "local/beta"])  # keyed_groups / compose below
    alpha = inv.hostvars.get("local/alpha", {})
    inv.var("local/alpha", "convox_app", "alpha")
    inv.var("local/alpha", "convox_rack", "local")
    inv.var("local/alpha", "convox_status", "running")
    inv.var("local/alpha", "convox_generation", "3")
    inv.var("local/alpha", "convox_locked", False)
    inv.var("local/gamma", "convox_locked", True)
    inv.var("local/gamma", "convox_release", "")
    inv.var("local/gamma", "convox_services", [])
    inv.var("local/alpha", "ansible_connection", "local")
    interpreter = str(alpha.get("ansible_python_interpreter", ""))  # the Python that ran ansible-inventory
    inv.expect(os.access(interpreter, os.X_OK), f"ansible_python_interpreter {interpreter!r} is not executable")
    inv.var("local/alpha", "web_domain", "web.alpha.0a1b2c3d4e.convox.cloud")
    inv.expect(str(alpha.get("convox_release", "")).startswith("R"), "alpha has no release")
    services = {s["name"]: s for s in alpha.get("convox_services", [])}
    inv.expect(sorted(services) == ["web", "worker"], f"alpha services {sorted(services)}")
    web = services.get("web", {})
    inv.expect(web.get("count") == 2 and web.get("domain", "").startswith("web.alpha."), f"web service {web}")
    connection = alpha.get("convox_connection", {})
    inv.expect(set(connection) == {"host"} and connection.get("host") == alpha.get("convox_host"), f"{connection}")
    for name, variables in inv.hostvars.items():
        allowed = ("ansible_connection", "ansible_python_interpreter", "web_domain")
        bad = [key for key in variables if not key.startswith("convox_") and key not in allowed]
        inv.expect(not bad, f"{name} has vars outside the convox_ prefix: {bad}")


def filtered(inv: Inventory) -> None:
    inv.hosts(["alpha"])  # name_patterns [a*], statuses [running], host_format {app}
    inv.var("alpha", "ansible_connection", "<unset>")  # connection: ""
    inv.var("alpha", "ansible_python_interpreter", "<unset>")


def no_status(inv: Inventory) -> None:
    inv.hosts([])  # statuses: [updating]


def services(inv: Inventory) -> None:
    names = ["local/alpha/web", "local/alpha/worker", "local/beta/web", "local/beta/worker"]
    inv.hosts(names)
    inv.group("convox_app_alpha", names[:2])
    inv.var("local/beta/worker", "convox_service_name", "worker")
    inv.var("local/beta/worker", "convox_app", "beta")


def racks(inv: Inventory) -> None:
    inv.hosts(["local"])
    inv.var("local", "convox_version", "3.24.9")
    inv.var("local", "convox_status", "running")
    inv.group("convox_status_running", ["local"])


def console(inv: Inventory) -> None:
    names = ["acme/prod/shop", "acme/prod/blog", "acme/staging/shop"]
    inv.hosts(names)
    inv.group("convox_rack_acme_prod", ["acme/prod/blog", "acme/prod/shop"])
    inv.group("convox_rack_acme_staging", ["acme/staging/shop"])
    inv.var("acme/prod/shop", "convox_rack", "acme/prod")
    inv.var("acme/prod/shop", "convox_console", True)
    connection = inv.hostvars.get("acme/staging/shop", {}).get("convox_connection", {})
    inv.expect(connection.get("rack") == "acme/staging", f"staging connection {connection}")


SCENARIOS: Dict[str, Callable[[Inventory], None]] = {
    "direct": direct,
    "filtered": filtered,
    "no_status": no_status,
    "services": services,
    "racks": racks,
    "console": console,
}


def main() -> int:
    scenario, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as handle:
        inv = Inventory(json.load(handle))
    SCENARIOS[scenario](inv)
    if inv.problems:
        print(f"inventory scenario {scenario}: {len(inv.problems)} problem(s)", file=sys.stderr)
        for problem in inv.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"inventory scenario {scenario}: ok ({len(inv.hostvars)} hosts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
