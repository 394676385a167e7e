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
from ansible_collections.convox.convox.plugins.module_utils._module import ConvoxModule, failure_details, is_v3_refusal
from ansible_collections.convox.convox.plugins.module_utils._views import HIDDEN, to_plain

INSTANCES_HINT = "check it with convox instances"


def find_instance(cm: ConvoxModule, instance_id: str) -> Optional[Dict[str, Any]]:
    for instance in to_plain(cm.client.instances.list()) or []:
        if instance.get("id") == instance_id:
            return dict(instance)
    return None


def terminate(cm: ConvoxModule) -> None:
    instance_id = cm.params["id"]
    current = find_instance(cm, instance_id)
    if current is None:
        cm.exit(False, diff=cm.diff({}, {}), instance={})
        return
    if not cm.check_mode:
        cm.set_context("terminate", f"instance {instance_id}")
        try:
            cm.client.instances.terminate(instance_id)
        except cm.not_found():  # gone in the meantime
            pass
        if cm.wait:
            cm.set_context("wait for", f"instance {instance_id} to terminate")
            cm.poll(
                lambda: (find_instance(cm, instance_id) is None, None),
                f"instance {instance_id} to terminate",
                hint=INSTANCES_HINT,
            )
    cm.exit(True, diff=cm.diff(current, {}), instance=current)


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


def rekey(cm: ConvoxModule) -> None:
    system = to_plain(cm.client.system.get()) or {}
    refusal = keyroll_refusal(system)
    if refusal:
        cm.fail(
            f"Could not roll the instance key on {cm.rack_label}: {refusal} Nothing was sent.",
            failure={"kind": "Unsupported", "provider": system.get("provider"), "version": system.get("version")},
        )
    if cm.check_mode:
        predicted = {"name": "(new key pair)", "private_key": HIDDEN}
        cm.exit(True, diff=cm.diff({}, {"name": predicted["name"]}), key_pair=predicted)
        return
    cm.set_context("roll the instance key")
    try:
        pair = to_plain(cm.client.instances.keyroll())
    except convox_errors.ConvoxAPIError as exc:
        if not is_v3_refusal(exc):
            raise
        cm.fail(
            f"Could not roll the instance key on {cm.rack_label}: the rack answered that it does not support "
            "keyroll (only AWS racks do). Rotate node access with the provider's own tools instead.",
            failure=failure_details(exc),
        )
        return
    pair = dict(pair or {})
    if not pair and cm.wait:  # v2 racks answer ok and roll asynchronously
        cm.set_context("wait for", "the rack to finish the key roll")
        cm.poll(
            lambda: ((to_plain(cm.client.system.get()) or {}).get("status") == "running", None),
            "the rack to finish the key roll",
            hint=INSTANCES_HINT,
        )
    private_key = pair.get("private_key")
    if private_key and not cm.no_log:
        pair["private_key"] = HIDDEN
        cm.warn(
            "The new private key is hidden because the task does not set no_log: true; "
            "set it to receive the key in key_pair.private_key."
        )
    cm.exit(True, diff=cm.diff({}, {"name": pair.get("name")}), key_pair=pair)


def main() -> None:
    cm = ConvoxModule(
        {
            "id": {"type": "str"},
            "state": {"type": "str", "choices": ["absent", "rekeyed"], "required": True},
        },
        wait=True,
        required_if=[("state", "absent", ["id"])],
    )
    if cm.params["state"] == "absent":
        cm.run(lambda: terminate(cm), "read", f"instance {cm.params['id']}")
    else:
        cm.run(lambda: rekey(cm), "roll the instance key")


if __name__ == "__main__":
    main()
