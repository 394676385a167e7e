"""Offline stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test fetches ``get-pip-<version>.py`` from a CI file host whenever it builds a
virtual environment, and keeps it as ``~/.ansible/test/cache/get_pip_<version>.py``.
That host is not reachable here, so ``.ci/steps.sh`` copies this file to that cache
path. It installs pip with the standard library's ensurepip, then lets that pip install
the packages ansible-test asked for (pip, setuptools, wheel at pinned versions) from
the package index.

ensurepip runs in a child process on purpose: run in-process it sets
PIP_CONFIG_FILE=/dev/null, which would hide the machine's pip configuration (CA bundle,
index mirrors) from the pip install that follows.
"""

from __future__ import annotations

import subprocess
import sys

DROPPED_OPTIONS = ("--no-setuptools", "--no-wheel")


def main() -> int:
    args = [arg for arg in sys.argv[1:] if arg not in DROPPED_OPTIONS]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"], stdout=subprocess.DEVNULL)
    if not args:
        return 0
    return subprocess.call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", *args])


if __name__ == "__main__":
    sys.exit(main())
