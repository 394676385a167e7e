# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: convox
short_description: Convox apps, services or racks as inventory hosts
version_added: 0.2.0
description:
  - Reads the apps of one or more Convox racks (or their services, or the racks themselves) and
    makes one inventory host of each, with its facts in host vars under the prefix C(convox_).
  - Racks are reached like the modules reach them (same options, environment variables and
    Convox CLI configuration), directly or through a Convox console; a console can also list
    its racks (O(console_racks)).
  - Hosts are put in groups by rack (C(convox_rack_<rack>)), by status (C(convox_status_<status>))
    and, for apps and services, by generation (C(convox_generation_<generation>)); services also go
    in C(convox_app_<app>). Group names are lower case with every other character than letters,
    digits and C(_) turned into C(_).
  - Host vars never hold the password, environment values or any other secret, so that an
    inventory cache or C(ansible-inventory --list) can be shared.
  - The configuration file name must end in C(.convox.yml) or C(.convox.yaml).
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - constructed
  - inventory_cache
  - convox.convox.convox
options:
  plugin:
    description:
      - The name of this plugin; it makes a YAML file an inventory source of this plugin.
    type: str
    required: true
    choices: [convox.convox.convox]
  racks:
    description:
      - The racks to read. Each item takes the connection options O(host), O(password),
        O(rack), O(validate_certs), O(ca_path) and O(timeout), plus O(console_racks) and O(racks[].name);
        an option an item leaves out takes the top-level value, and then the same fallbacks
        as the modules (environment variables, Convox CLI configuration).
      - When not set, the inventory reads the one rack of the top-level options.
      - O(racks[].password) may be a vault-encrypted value (C(!vault)) or a template such as
        C({{ lookup('ansible.builtin.env', 'PROD_RACK_PASSWORD') }}); it is never shown.
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - Name of the rack in the inventory (host vars C(convox_rack), groups, host names).
          - Defaults to O(racks[].rack), else to the name the rack reports (C(GET /system)).
        type: str
      host:
        description: Address of the rack API or console, as the top-level O(host).
        type: str
      password:
        description: Rack API password or console token, as the top-level O(password).
        type: str
      rack:
        description: Name of a console-managed rack (C(org/rack)), as the top-level O(rack).
        type: str
      console_racks:
        description: Patterns of the console racks to read from this host, as the top-level O(console_racks).
        type: list
        elements: str
      validate_certs:
        description: Whether to verify the TLS certificate, as the top-level O(validate_certs).
        type: bool
      ca_path:
        description: CA bundle to verify the TLS certificate with, as the top-level O(ca_path).
        type: path
      timeout:
        description: Timeout of each request in seconds, as the top-level O(timeout).
        type: float
  console_racks:
    description:
      - Treat O(host) as a Convox console and read every rack it lists (C(GET /racks)) whose full
        name (C(org/rack)) matches one of these shell-style patterns; V(['*']) reads them all.
      - Racks the credentials cannot read fail like an unreachable rack (see O(strict)).
    type: list
    elements: str
  hosts:
    description:
      - What becomes an inventory host. V(apps) is one host per app, V(services) one host per
        service of each app (from the app's active release), V(racks) one host per rack.
    type: str
    choices: [apps, services, racks]
    default: apps
  host_format:
    description:
      - The inventory name of each host, with C({rack}), C({app}) and C({service}) replaced.
      - Defaults to C({rack}/{app}) for V(apps), C({rack}/{app}/{service}) for V(services) and
        C({rack}) for V(racks). The inventory fails when two hosts would get the same name.
    type: str
  name_patterns:
    description:
      - Keep only the apps (for V(apps) and V(services)) or racks (for V(racks)) whose name
        matches one of these shell-style patterns, such as V(web-*).
    type: list
    elements: str
  statuses:
    description:
      - Keep only the apps (or, for V(racks), the racks) with one of these statuses, such as V(running).
    type: list
    elements: str
  connection:
    description:
      - The C(ansible_connection) of every host. The default V(local) runs module tasks on the
        controller, where the rack API is reachable.
      - Set it to an empty string to leave C(ansible_connection) unset.
    type: str
    default: local
  python_interpreter:
    description:
      - The C(ansible_python_interpreter) of every host when O(connection=local).
      - Defaults to the Python that runs Ansible on the controller, which has C(httpx) since
        this plugin needs it too, so that module tasks find their libraries without interpreter
        discovery.
      - Set it to an empty string to leave C(ansible_python_interpreter) unset.
    type: str
  strict:
    description:
      - >-
        Also governs racks that cannot be read (unreachable, wrong password, a role that may not
        list apps): with V(true) the inventory fails naming the rack and the reason; with V(false)
        the rack is skipped with a warning and the other racks are still read.
notes:
  - >-
    Every rack costs one request for its apps and one per deployed app for its services
    (V(racks) mode: one C(GET /system) per rack). With O(cache=true) a fresh cache answers
    without any request; an answer in which a rack could not be read is not cached, so that
    rack is read again next time.
  - >-
    The host vars C(convox_connection) hold the connection options a module takes (O(host),
    O(rack) for console racks, and O(validate_certs), O(ca_path), O(timeout) when set), never the
    password: give modules the password through E(CONVOX_PASSWORD), the Convox CLI configuration or
    a vaulted variable.
seealso:
  - module: convox.convox.convox_app_info
  - plugin: convox.convox.convox_env
    plugin_type: lookup
"""

EXAMPLES = r"""
# Three inventory files: each key is a file name, its value the file's content.

# every app of the rack in CONVOX_HOST/CONVOX_PASSWORD (or the CLI login)
my.convox.yml: |
  plugin: convox.convox.convox

# two racks, running apps only, with a group per lock state and each app's web domain as a host var
racks.convox.yml: |
  plugin: convox.convox.convox
  racks:
    - name: staging
      host: https://api.staging.example.com
      password: "{{ lookup('ansible.builtin.env', 'STAGING_RACK_PASSWORD') }}"
    - host: console.convox.com
      rack: acme/production
      password: "{{ lookup('ansible.builtin.env', 'CONSOLE_TOKEN') }}"
  statuses: [running]
  keyed_groups:
    - key: "'locked' if convox_locked else 'unlocked'"
      prefix: apps
  compose:
    web_domain: convox_services | selectattr('name', 'equalto', 'web') | map(attribute='domain') | first | default('')

# the racks of a console as hosts, cached for an hour
console.convox.yml: |
  plugin: convox.convox.convox
  host: console.convox.com
  console_racks: ["acme/*"]
  hosts: racks
  cache: true
  cache_plugin: ansible.builtin.jsonfile
  cache_connection: ~/.cache/convox-inventory
  cache_timeout: 3600
"""

import sys
from typing import Any, Dict, List, Optional

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display

from ansible_collections.convox.convox.plugins.module_utils import _plugins
from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxError

display = Display()

CACHE_VERSION = 1


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "convox.convox.convox"

    def verify_file(self, path: str) -> bool:
        if not super().verify_file(path):
            return False
        return path.endswith((".convox.yml", ".convox.yaml"))

    # -- options ----------------------------------------------------------

    def _text_option(self, value: Any) -> Optional[str]:
        """A string option that may be vault-encrypted or a template; None stays None."""
        if value is None:
            return None
        if isinstance(value, str) and "{{" in value and self.templar is not None:
            value = self.templar.template(value)
        text = to_text(value)  # decrypts a vaulted value
        return text or None

    def _rack_entries(self) -> List[Dict[str, Any]]:
        defaults = {key: self.get_option(key) for key in (*_plugins.CONNECTION_OPTIONS, "console_racks")}
        try:
            entries = _plugins.merged_racks(defaults, self.get_option("racks"))
        except ConvoxError as exc:
            raise AnsibleParserError(f"convox inventory: {exc}") from None
        for entry in entries:
            for key in ("host", "password", "rack", "name", "ca_path"):
                entry[key] = self._text_option(entry.get(key))
        return entries

    # -- reading the racks ------------------------------------------------

    def _read_entry(self, entry: Dict[str, Any], kind: str) -> List[Dict[str, Any]]:
        """The gathered data of one configured rack (several for a console with console_racks)."""
        patterns = entry.get("console_racks")
        if not patterns:
            return [self._read_rack(entry, kind)]
        try:
            with _plugins.connect(dict(entry, rack=None)) as console:
                listed = _plugins.console_racks(console, patterns)
        except ConvoxError as exc:
            where = _plugins.strip_credentials(str(entry.get("host") or "the configured console"))
            return [
                {"name": where, "error": _plugins.describe(exc, f"Could not list the racks of the console {where}")}
            ]
        if not listed:
            display.warning(f"convox inventory: the console lists no rack matching {', '.join(patterns)}")
        return [self._read_rack(dict(entry, rack=rack["name"], name=rack["name"]), kind) for rack in listed]

    def _read_rack(self, entry: Dict[str, Any], kind: str) -> Dict[str, Any]:
        label = entry.get("name") or entry.get("rack") or ""
        client = None
        try:
            client = _plugins.connect(entry)
            return _plugins.gather_rack(client, kind, entry, name=entry.get("name"))
        except ConvoxError as exc:
            where = _plugins.rack_label(client, entry)
            return {"name": label or where, "error": _plugins.describe(exc, f"Could not read the apps of {where}")}
        finally:
            if client is not None:
                client.close()

    def _fetch(self, kind: str) -> Dict[str, Any]:
        racks: List[Dict[str, Any]] = []
        for entry in self._rack_entries():
            racks.extend(self._read_entry(entry, kind))
        return {"version": CACHE_VERSION, "hosts": kind, "racks": racks}

    # -- populating -------------------------------------------------------

    def _populate(self, data: Dict[str, Any], kind: str) -> None:
        strict = bool(self.get_option("strict"))
        for rack in data["racks"]:
            if rack.get("error"):
                if strict:
                    raise AnsibleParserError(f"convox inventory: {rack['error']}")
                display.warning(f"convox inventory: skipping {rack['name']}: {rack['error']}")
        try:
            hosts = _plugins.inventory_hosts(
                data["racks"],
                kind,
                host_format=self.get_option("host_format"),
                name_patterns=self.get_option("name_patterns"),
                statuses=self.get_option("statuses"),
            )
        except ConvoxError as exc:
            raise AnsibleParserError(f"convox inventory: {exc}") from None
        connection = self.get_option("connection")
        interpreter = self.get_option("python_interpreter")
        if interpreter is None:
            interpreter = sys.executable
        for host in hosts:
            name = host["name"]
            self.inventory.add_host(name)
            for group in host["groups"]:
                self.inventory.add_group(group)
                self.inventory.add_child(group, name)
            host_vars = dict(host["vars"])
            if connection:
                host_vars["ansible_connection"] = connection
                if connection == "local" and interpreter:
                    host_vars["ansible_python_interpreter"] = interpreter
            for key, value in host_vars.items():
                self.inventory.set_variable(name, key, value)
            self._set_composite_vars(self.get_option("compose"), host_vars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), host_vars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), host_vars, name, strict=strict)

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        kind = self.get_option("hosts")
        cache_key = self.get_cache_key(path)
        use_cache = bool(self.get_option("cache")) and cache
        update_cache = bool(self.get_option("cache")) and not cache
        data = None
        if use_cache:
            try:
                data = self._cache[cache_key]
            except KeyError:
                update_cache = True
            else:
                if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or data.get("hosts") != kind:
                    data, update_cache = None, True
        if data is None:
            try:
                data = self._fetch(kind)
            except ConvoxError as exc:  # pragma: no cover - _fetch reports per rack
                raise AnsibleError(f"convox inventory: {exc}") from None
        if update_cache and not any(rack.get("error") for rack in data["racks"]):
            # A rack that could not be read is read again next time, not remembered as missing.
            self._cache[cache_key] = data
        self._populate(data, kind)
