# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""convox_exec on the controller when the task runs there anyway (plugin_utils/_controller.py)."""

from __future__ import annotations

from ansible_collections.convox.convox.plugins.modules.convox_exec import Exec
from ansible_collections.convox.convox.plugins.plugin_utils._controller import ConvoxAction


class ActionModule(ConvoxAction):
    task = Exec
