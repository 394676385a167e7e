#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_instance
short_description: Terminate an instance of a Convox rack, or roll the instances' SSH key
version_added: 0.1.0
description:
  - With O(state=absent), cordons, drains and terminates the instance (cluster node) O(id);
    the rack's autoscaling replaces it. An instance that is already gone is not an error and
    reports no change.
  - With O(state=rekeyed), generates a new SSH key pair for the rack's instances (C(convox
    instances keyroll)). Every run makes a new key, so the task always reports a change.
    Only AWS racks support this; on other v3 racks the module fails before sending anything
    and says what to do instead.
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.WAIT
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.managing
options:
  id:
    description:
      - Id (node name) of the instance to terminate. Required with O(state=absent).
    type: str
  state:
    description:
      - V(absent) terminates the instance O(id).
      - V(rekeyed) rolls the SSH key pair of the rack's instances.
    type: str
    choices: [absent, rekeyed]
    required: true
  wait:
    description:
      - With O(state=absent), wait until the rack no longer lists the instance.
      - With O(state=rekeyed) on racks that roll the key asynchronously, wait until the rack
        is C(running) again.
notes:
  - >-
    The new private key is secret. It is returned in RV(key_pair.private_key) only when the
    task sets C(no_log: true), so that it never reaches the output; otherwise that field reads
    C(<hidden>) and a warning says so.
seealso:
  - module: convox.convox.convox_instance_info
"""

EXAMPLES = r"""
- name: Read the rack's instances
  convox.convox.convox_instance_info:
  register: nodes

- name: Replace the first instance
  convox.convox.convox_instance:
    id: "{{ nodes.instances[0].id }}"
    state: absent

- name: Roll the instances' SSH key (AWS racks)
  convox.convox.convox_instance:
    state: rekeyed
  register: keyroll
  no_log: true

- name: Keep the new private key
  ansible.builtin.copy:
    content: "{{ keyroll.key_pair.private_key }}"
    dest: "{{ playbook_dir }}/rack-key.pem"
    mode: "0600"
  no_log: true
"""

RETURN = r"""
instance:
  description: The instance as it was before it was terminated. Empty when nothing was terminated.
  returned: when O(state=absent)
  type: dict
  sample: {"id": "ip-10-0-1-23.ec2.internal", "status": "running", "private_ip": "10.0.1.23"}
key_pair:
  description: The new key pair (in check mode, a prediction without a key).
  returned: when O(state=rekeyed)
  type: dict
  contains:
    name:
      description: Name of the key pair.
      type: str
      sample: myrack-keypair-1a2b3c
    private_key:
      description:
        - The private key in PEM form, only when the task sets C(no_log) (otherwise C(<hidden>)).
      type: str
      sample: <hidden>
"""

from typing import Any, Dict, Optional

from ansible_collections.convox.convox.plugins.module_utils import errors as convox_errors
from ansible_collections.convox.convox.plugins.module_utils._module import failure_details, is_v3_refusal
from ansible_collections.convox.convox.plugins.module_utils._tasks import ActionTask
from ansible_collections.convox.convox.plugins.module_utils._views import HIDDEN, instance_view, to_plain

INSTANCES_HINT = "check it with convox instances"
ROLL = "roll the instance key"


def keyroll_refusal(system: Dict[str, Any]) -> Optional[str]:
    """Why this rack cannot roll the key over its API, or ``None`` when it can."""
    version = str(system.get("version") or "")
    provider = str(system.get("provider") or "")
    if version.startswith("3.") and provider and provider != "aws":
        return (
            f"This v3 rack runs on provider {provider}, and only AWS racks roll the instance SSH key "
            "over the rack API (others answer 501 unimplemented). Rotate node access with the provider's "
            "own tools instead (for example the node pool's SSH key in the cloud console or terraform)."
        )
    return None


class Instance(ActionTask):
    """``state=absent``: terminate the instance ``id``; ``state=rekeyed``: roll the instances' SSH key."""

    options = {
        "id": {"type": "str"},
        "state": {"type": "str", "choices": ["absent", "rekeyed"], "required": True},
    }
    wait_options = True
    module_options = {"required_if": [("state", "absent", ["id"])]}
    kind = "instance"
    action = "read"

    def identity(self) -> str:
        return str(self.params.get("id") or "")

    @property
    def rekey(self) -> bool:
        return bool(self.params["state"] == "rekeyed")

    def find(self) -> Optional[Dict[str, Any]]:
        for instance in self.client.instances.list() or []:
            view = instance_view(instance)
            if view.get("id") == self.identity():
                return view
        return None

    def prepare(self) -> Optional[Dict[str, Any]]:
        """The instance to terminate (``None`` when gone), or the check that the rack can roll its key."""
        if not self.rekey:
            return self.find()
        self.cm.set_context(ROLL)
        system = to_plain(self.client.system.get()) or {}
        refusal = keyroll_refusal(system)
        if refusal:
            self.cm.fail(
                f"Could not roll the instance key on {self.cm.rack_label}: {refusal} Nothing was sent.",
                failure={"kind": "Unsupported", "provider": system.get("provider"), "version": system.get("version")},
            )
        return None

    def predict(self, prepared: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        if self.rekey:
            predicted = {"name": "(new key pair)", "private_key": HIDDEN}
            return {"diff": self.cm.diff({}, {"name": predicted["name"]}), "key_pair": predicted}
        return self.removed("instance", prepared)

    def perform(self, prepared: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        if self.rekey:
            return self.keyroll()
        if prepared is not None:
            self.cm.set_context("terminate", self.target)
            try:
                self.client.instances.terminate(self.identity())
            except self.cm.not_found():  # gone in the meantime
                pass
            if self.cm.wait:
                what = f"{self.target} to terminate"
                self.cm.set_context("wait for", what)
                self.cm.poll(lambda: (self.find() is None, None), what, hint=INSTANCES_HINT)
        return self.removed("instance", prepared)

    def keyroll(self) -> Dict[str, Any]:
        try:
            pair = dict(to_plain(self.client.instances.keyroll()) or {})
        except convox_errors.ConvoxAPIError as exc:
            if not is_v3_refusal(exc):
                raise
            self.cm.fail(
                f"Could not roll the instance key on {self.cm.rack_label}: the rack answered that it does not support "
                "keyroll (only AWS racks do). Rotate node access with the provider's own tools instead.",
                failure=failure_details(exc),
            )
        if not pair and self.cm.wait:  # v2 racks answer ok and roll asynchronously
            what = "the rack to finish the key roll"
            self.cm.set_context("wait for", what)
            self.cm.poll(
                lambda: ((to_plain(self.client.system.get()) or {}).get("status") == "running", None),
                what,
                hint=INSTANCES_HINT,
            )
        if pair.get("private_key") and not self.cm.no_log:
            pair["private_key"] = HIDDEN
            self.cm.warn(
                "The new private key is hidden because the task does not set no_log: true; "
                "set it to receive the key in key_pair.private_key."
            )
        return {"diff": self.cm.diff({}, {"name": pair.get("name")}), "key_pair": pair}


def main() -> None:
    Instance.main()


if __name__ == "__main__":
    main()
