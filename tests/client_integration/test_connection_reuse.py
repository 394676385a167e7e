# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection reuse, as docs/performance.md claims it, counted where the server accepts them.

A small TCP relay on 127.0.0.1 in front of the emulator counts the connections it accepts:

* one ``ConvoxClient`` sends every request of its life (reads, form writes, error answers, an
  env write) over one keep-alive connection;
* on the controller path, the items of one loop of one task share one connection in their
  worker ("the items of one loop share one keep-alive connection"), while each task has its own
  worker and so its own connection ("what is not possible: reuse across tasks"); on the module
  path every item is a process with its own connection.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from typing import Iterator, List

import pytest
from client_helpers import PASSWORD, REPO_ROOT


class CountingRelay:
    """Accepts TCP connections, counts them, and relays each one to ``target`` (host, port)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.accepted = 0
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self._stopping = threading.Event()
        self._threads: List[threading.Thread] = []
        self._sockets: List[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _peer = self._server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
            upstream = socket.create_connection(self.target)
            self._sockets += [conn, upstream]
            for source, sink in ((conn, upstream), (upstream, conn)):
                thread = threading.Thread(target=self._pipe, args=(source, sink), daemon=True)
                thread.start()
                self._threads.append(thread)

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def count(self) -> int:
        with self._lock:
            return self.accepted

    def close(self) -> None:
        self._stopping.set()
        self._server.close()
        self._thread.join(timeout=5)
        for sock in self._sockets:
            try:
                sock.close()
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=5)


@pytest.fixture
def relay(rack) -> Iterator[CountingRelay]:
    host, port = rack.url.split("://", 1)[1].rsplit(":", 1)
    counting = CountingRelay(host, int(port))
    yield counting
    counting.close()


def test_one_client_sends_everything_over_one_connection(relay, rack):
    from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient
    from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxNotFoundError

    rack.clear_requests()
    with ConvoxClient(relay.url, PASSWORD, records=True) as client:
        client.apps.create("reuse")
        for _item in range(10):
            client.apps.list()
            client.apps.get("reuse")
        with pytest.raises(ConvoxNotFoundError):
            client.apps.get("missing")  # an error answer keeps the connection too
        client.system.get()
    sent = [f"{entry['method']} {entry['path']}" for entry in rack.requests()]
    assert len(sent) == 23, sent  # every request went through the relay to the emulator
    assert relay.count() == 1


def test_a_new_client_opens_a_new_connection(relay, rack):
    from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient

    for _client in range(3):
        with ConvoxClient(relay.url, PASSWORD, records=True) as client:
            client.system.get()
            client.system.get()
    assert relay.count() == 3  # the relay counts each client's own connection: it can tell them apart


def _collections_path(tmp_path) -> str:
    root = os.path.dirname(os.path.dirname(os.path.dirname(REPO_ROOT)))
    if os.path.basename(os.path.dirname(os.path.dirname(REPO_ROOT))) == "ansible_collections":
        return root
    tree = tmp_path / "collections"
    (tree / "ansible_collections" / "convox").mkdir(parents=True)
    os.symlink(REPO_ROOT, tree / "ansible_collections" / "convox" / "convox")
    return str(tree)


def _playbook(tmp_path, relay: CountingRelay, tasks: list, controller_path: bool) -> None:
    play = {
        "hosts": "localhost",
        "gather_facts": False,
        "vars": {"convox_controller_path": controller_path, "ansible_python_interpreter": sys.executable},
        "tasks": tasks,
    }
    path = tmp_path / "play.json"
    path.write_text(json.dumps([play]), encoding="utf-8")
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=_collections_path(tmp_path),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        CONVOX_HOST=relay.url,
        CONVOX_PASSWORD=PASSWORD,
    )
    env.pop("CONVOX_CONTROLLER_PATH", None)
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    done = subprocess.run(
        [playbook, "-i", "localhost,", "-c", "local", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


LOOP = {"convox.convox.convox_app_info": {"name": "reuse"}, "loop": [1, 2, 3, 4, 5]}


@pytest.mark.parametrize(
    ("controller_path", "tasks", "connections"),
    [
        (True, [LOOP], 1),  # the items of one loop share their worker's connection
        (True, [LOOP, LOOP], 2),  # each task is another worker: no reuse across tasks
        (False, [LOOP], 5),  # the module path: a process, and a connection, per item
    ],
    ids=["controller-loop", "controller-two-tasks", "module-loop"],
)
def test_playbook_connections(relay, rack, tmp_path, controller_path, tasks, connections):
    import httpx

    httpx.post(rack.url + "/apps", data={"name": "reuse"}, auth=("convox", PASSWORD)).raise_for_status()
    rack.clear_requests()
    _playbook(tmp_path, relay, tasks, controller_path)
    gets = [entry for entry in rack.requests() if entry["method"] == "GET" and entry["path"] == "/apps/reuse"]
    assert len(gets) == 5 * len(tasks)  # every item sent its request through the relay
    assert relay.count() == connections
