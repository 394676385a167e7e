# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Create an app on the emulator with a promoted release built from a convox.yml.

Usage: python seed_app.py APP MANIFEST_FILE
Reads CONVOX_HOST, CONVOX_PASSWORD and CONVOX_RACK (console mode); standard library only. Prints the release id.
"""

from __future__ import annotations

import base64
import io
import json
import os
import sys
import tarfile
import time
import urllib.parse
import urllib.request


def call(method: str, path: str, data: bytes | None = None, content_type: str = "application/x-www-form-urlencoded"):
    host = os.environ["CONVOX_HOST"].rstrip("/")
    auth = base64.b64encode(("convox:" + os.environ.get("CONVOX_PASSWORD", "")).encode()).decode()
    request = urllib.request.Request(host + path, data=data, method=method)
    request.add_header("Authorization", "Basic " + auth)
    request.add_header("Accept", "application/json")
    if os.environ.get("CONVOX_RACK"):
        request.add_header("Rack", os.environ["CONVOX_RACK"])
    if data is not None:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    try:
        return json.loads(body)
    except ValueError:
        return body.decode()


def form(**values: str) -> bytes:
    return urllib.parse.urlencode(values).encode()


def wait(check, what: str, limit: float = 30.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def main() -> None:
    app, manifest_file = sys.argv[1], sys.argv[2]
    with open(manifest_file, "rb") as handle:
        manifest = handle.read()
    call("POST", "/apps", form(name=app))
    wait(lambda: call("GET", f"/apps/{app}")["status"] == "running", "app running")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("convox.yml")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
    url = call("POST", f"/apps/{app}/objects/tmp/seed.tgz", buffer.getvalue(), "application/octet-stream")["Url"]
    build = call("POST", f"/apps/{app}/builds", form(url=url))

    def build_done():
        current = call("GET", f"/apps/{app}/builds/{build['id']}")
        return current if current["status"] in ("complete", "failed") else None

    done = wait(build_done, "build")
    if done["status"] != "complete":
        raise SystemExit("build failed")
    release = done["release"]
    call("POST", f"/apps/{app}/releases/{release}/promote", form(force="false"))

    def promoted():
        current = call("GET", f"/apps/{app}")
        return current["status"] == "running" and current["release"] == release

    wait(promoted, "promote")
    sys.stdout.write(release + "\n")


if __name__ == "__main__":
    main()
