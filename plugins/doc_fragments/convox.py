# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Option blocks shared by every convox.convox module."""

    # Connection options: every module accepts these.
    DOCUMENTATION = r"""
options:
  host:
    description:
      - Address of the rack API (or of the Convox console for console-managed racks), for
        example V(https://api.myrack.example.com) or V(console.convox.com).
      - A scheme-less value is treated as an HTTPS host.
      - If not set, the environment variable E(CONVOX_HOST) is used. When neither is set,
        the address comes from E(RACK_URL) or from the Convox CLI configuration files
        (C(~/.config/convox/) then C(~/.convox/)), the same way the CLI finds them.
    type: str
  password:
    description:
      - Rack API password or console CLI token.
      - If not set, the environment variable E(CONVOX_PASSWORD) is used, then the CLI
        configuration files.
      - Never shown in output, logs or error messages.
    type: str
  rack:
    description:
      - Name of the rack, needed for racks managed through the Convox console.
      - If not set, the environment variable E(CONVOX_RACK) is used, then the CLI
        configuration files.
    type: str
  validate_certs:
    description:
      - Whether to verify the rack's TLS certificate.
      - Set to V(false) only for racks that still use their self-signed certificate.
    type: bool
    default: true
  ca_path:
    description:
      - Path of a PEM file with the CA certificates used to verify the rack's TLS certificate.
    type: path
  timeout:
    description:
      - Timeout in seconds of each HTTP request sent to the rack.
      - If not set, the client's default (30 seconds) is used.
    type: float
notes:
  - >-
    All modules of this collection are in the action group C(convox.convox.convox), so
    the connection options can be set once with C(module_defaults) for
    C(group/convox.convox.convox). The inventory plugin and the lookups of the collection
    take the same connection options, with the same fallbacks.
  - >-
    The modules need the Python libraries C(httpx), C(pydantic) and C(websocket-client)
    on the host that runs them, usually the controller (C(delegate_to) V(localhost)); the
    inventory plugin and the lookups run on the controller and need C(httpx) there.
requirements:
  - httpx >= 0.27
  - pydantic >= 2.6
  - websocket-client >= 1.7
"""

    # For modules that start work which the rack finishes asynchronously.
    WAIT = r"""
options:
  wait:
    description:
      - Wait until the rack has finished the work this task started (app running,
        build finished, release rolled out) before returning.
      - With V(false) the task returns as soon as the rack accepted the request.
    type: bool
    default: true
  wait_timeout:
    description:
      - How long to wait, in seconds, when O(wait=true).
      - The task fails when the rack has not finished in time; the rack keeps working.
    type: int
    default: 600
"""

    # The attributes every module shares.
    ATTRIBUTES = r"""
attributes:
  check_mode:
    description:
      - Can run in check mode and return the predicted result; only GET requests are sent.
      - When the app (or service) the task needs does not exist yet, as in a first deploy whose earlier task
        creates it, the task predicts what it would do once that object exists and says so in
        C(check_mode_note). Outside check mode a missing app fails the task, naming it.
  diff_mode:
    description: Will return details on what has changed (or might have changed in check mode) when in diff mode.
  platform:
    description: Runs where the Convox API is reachable, usually the controller.
    platforms: all
"""

    # What a module that changes the rack supports (a module with other support levels
    # declares its own attributes instead). List it after ATTRIBUTES.
    MANAGING = r"""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    support: full
"""

    # What an _info module supports. List it after ATTRIBUTES.
    INFO = r"""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: N/A
    details: The module changes nothing.
  platform:
    support: full
"""

    # The app a module works on, for modules where it is required.
    APP = r"""
options:
  app:
    description:
      - Name of the app.
    type: str
    required: true
"""

    # Where a build comes from and how it is made (convox_build, convox_deploy). A module
    # can replace an option's description with its own (only the keys it sets are replaced).
    BUILD_SOURCE = r"""
options:
  path:
    description:
      - Local directory with the app's source and C(convox.yml). It is packed as a gzip
        tarball honouring C(.dockerignore) and uploaded to the rack.
      - Exactly one of O(path), O(url) and O(import) is required.
    type: path
  url:
    description:
      - URL of a gzip tarball of the source that the rack fetches itself
        (for example an C(object://app/key) URL or an HTTPS URL).
      - Only C(http://), C(https://) and C(object://) URLs with a host are accepted.
    type: str
  manifest:
    description:
      - Name of the manifest file inside the source. The rack's default is C(convox.yml).
    type: str
  description:
    description:
      - Description of the build. The content token C([sha256:...]) is appended to it.
    type: str
  build_args:
    description:
      - Docker build arguments, names to values.
      - Names must not be empty or contain V(=) or control characters; values must be strings,
        numbers or booleans (a list or mapping is refused, not turned into text).
    type: dict
  no_cache:
    description:
      - Build without the Docker layer cache.
    type: bool
    default: false
  development:
    description:
      - Build for development (the rack's C(development) build option).
    type: bool
    default: false
  force:
    description:
      - Build even when a complete build of the same content exists.
    type: bool
    default: false
"""

    # The size of a one-off process (convox_process, convox_run).
    PROCESS_SIZE = r"""
options:
  cpu:
    description:
      - CPU request of the process, in millicores, from 0 to 1024000.
    type: int
  memory:
    description:
      - Memory request of the process, in MiB, from 0 to 33554432 (32 TiB).
    type: int
"""
