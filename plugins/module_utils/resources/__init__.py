# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed operations of the rack API, one module per area.

The client creates each accessor on first use (``client.apps``, ``client.builds``...), so
importing the client does not import every area.
"""

from __future__ import annotations
