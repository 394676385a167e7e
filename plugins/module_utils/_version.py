# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Version strings of the client (standard library only)."""

from __future__ import annotations

#: Version of this Python client (the collection version).
CLIENT_VERSION = "1.0.0"

#: Convox CLI version the client presents itself as (``User-Agent: convox.go/<version>`` and
#: ``Version: <version>``), which console-managed racks use to route and authorise requests.
CLI_VERSION = "3.24.9"

USER_AGENT = "convox.go/" + CLI_VERSION
