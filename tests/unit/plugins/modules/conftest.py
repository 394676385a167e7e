# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers to run a convox.convox module in-process with a scripted fake client."""

from __future__ import annotations

import contextlib
import json
from typing import Any, Dict, Iterator, List

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes


@contextlib.contextmanager
def module_args(args: Dict[str, Any]) -> Iterator[None]:
    """Hand ``args`` to the next AnsibleModule, whatever the ansible-core version."""
    try:
        from ansible.module_utils.testing import patch_module_args  # ansible-core 2.19+
    except ImportError:
        old = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = old
        return
    with patch_module_args(args):
        yield


class ModuleRunner:
    """Runs ``module.main()`` with arguments and a fake client; returns the parsed result."""

    def __init__(self, capsys: Any, monkeypatch: Any) -> None:
        self.capsys = capsys
        self.monkeypatch = monkeypatch
        self.client: Any = None

    def args(self, args: Dict[str, Any]) -> Any:
        return module_args(args)

    def use_client(self, client: Any) -> None:
        # Imported here: conftest files load before pytest-ansible makes the collection importable.
        from ansible_collections.convox.convox.plugins.module_utils import _module

        self.client = client
        self.monkeypatch.setattr(_module.ConvoxModule, "_build_client", lambda _self: self.client)

    def __call__(self, module: Any, args: Dict[str, Any], check: bool = False, diff: bool = False) -> Dict[str, Any]:
        full = dict(args)
        full.setdefault("host", "http://127.0.0.1:9")
        full.setdefault("password", "s3cr3t-pw")
        if check:
            full["_ansible_check_mode"] = True
        if diff:
            full["_ansible_diff"] = True
        self.capsys.readouterr()
        with module_args(full), pytest.raises(SystemExit):
            module.main()
        out = self.capsys.readouterr().out
        return json.loads(out)


@pytest.fixture
def run_module(capsys: Any, monkeypatch: Any) -> ModuleRunner:
    return ModuleRunner(capsys, monkeypatch)


class FakeClock:
    """Stands in for ``waits.monotonic``/``waits.sleep``: sleeping moves the clock on at once."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: List[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: Any) -> FakeClock:
    """A fake clock for the client's waits and the glue's ``ConvoxModule.poll``."""
    from ansible_collections.convox.convox.plugins.module_utils import waits

    fake = FakeClock()
    monkeypatch.setattr(waits, "monotonic", fake.monotonic)
    monkeypatch.setattr(waits, "sleep", fake.sleep)
    return fake


# -- a scripted in-memory rack behind the client's accessor names ----------------------------

WRITE_OPS = {
    "apps.create",
    "apps.update",
    "apps.delete",
    "releases.create",
    "releases.promote",
    "releases.rollback",
    "builds.create",
    "builds.import_build",
    "objects.store",
    "processes.files_upload",
    "processes.files_delete",
    "processes.exec",
}


class _Accessor:
    def __init__(self, fake: FakeClient, area: str) -> None:
        self._fake = fake
        self._area = area

    def _log(self, op: str, *args: Any) -> None:
        self._fake.calls.append((f"{self._area}.{op}", *args))


class _Apps(_Accessor):
    def get(self, name: str) -> Any:
        self._log("get", name)
        return self._fake.model("App", self._fake.app(name))

    def list(self) -> Any:
        self._log("list")
        return [self._fake.model("App", a) for _name, a in sorted(self._fake.app_data.items())]

    def create(self, name: str, **_: Any) -> Any:
        self._log("create", name)
        self._fake.app_data[name] = {
            "name": name,
            "status": "running",
            "locked": False,
            "release": "",
            "parameters": {},
        }
        return self._fake.model("App", self._fake.app_data[name])

    def update(self, name: str, *, lock: Any = None, parameters: Any = None) -> None:
        self._log("update", name, lock, parameters)
        app = self._fake.app(name)
        if lock is not None:
            app["locked"] = bool(lock)
        if parameters:
            app["parameters"].update(parameters)

    def delete(self, name: str) -> None:
        self._log("delete", name)
        if self._fake.app(name)["locked"]:
            raise self._fake.errors.ConvoxConflictError(409, f"app is locked: {name}", "req000000001")
        del self._fake.app_data[name]


class _Releases(_Accessor):
    def list(self, app: str, *, limit: Any = None) -> Any:
        self._log("list", app)
        self._fake.app(app)  # the rack answers 404 for an app that does not exist
        items = self._fake.release_data.get(app, [])
        return [self._fake.model("Release", r) for r in items[: limit or 10]]

    def get(self, app: str, id: str) -> Any:
        self._log("get", app, id)
        return self._fake.model("Release", self._fake.release(app, id))

    def create(self, app: str, *, build: Any = None, env: Any = None, description: Any = None, **kw: Any) -> Any:
        self._log("create", app, build, env)
        parent_id = kw.get("parent_release")
        items = self._fake.release_data.setdefault(app, [])
        base = self._fake.release(app, parent_id) if parent_id else (items[0] if items else {})
        new = {
            "id": f"RNEW{len(items):07d}",
            "app": app,
            "build": build if build is not None else base.get("build", ""),
            "env": env if env is not None else base.get("env", ""),
            "description": description or "",
        }
        items.insert(0, new)
        return self._fake.model("Release", new)

    def promote(self, app: str, id: str, **kw: Any) -> None:
        self._log("promote", app, id)
        if self._fake.fail_promote:
            raise self._fake.fail_promote
        self._fake.app(app)["release"] = id.upper()

    def write(self, app: str, change: Any, **kw: Any) -> Any:
        """The real optimistic-concurrency write on top of the fake reads and writes."""
        from ansible_collections.convox.convox.plugins.module_utils import concurrency

        return concurrency.write(self._fake, app, change, **kw)

    def rollback(self, app: str, id: str, **kw: Any) -> Any:
        self._log("rollback", app, id)
        old = self._fake.release(app, id)
        new = self.create(app, build=old["build"], env=old["env"])
        self._fake.app(app)["release"] = new.id
        return new


class _Builds(_Accessor):
    def list(self, app: str, *, limit: Any = None) -> Any:
        self._log("list", app)
        self._fake.app(app)  # the rack answers 404 for an app that does not exist
        return [self._fake.model("Build", b) for b in self._fake.build_data.get(app, [])[: limit or 10]]

    def get(self, app: str, id: str) -> Any:
        self._log("get", app, id)
        for build in self._fake.build_data.get(app, []):
            if build["id"].upper() == id.upper():
                return self._fake.model("Build", build)
        raise self._fake.errors.ConvoxNotFoundError(500, f'builds.convox.com "{id.lower()}" not found')

    def create(self, app: str, url: str, **kw: Any) -> Any:
        self._log("create", app, url, kw)
        items = self._fake.build_data.setdefault(app, [])
        release = self._fake.accessor("releases").create(app, build=f"BNEW{len(items):07d}")
        build = {
            "id": f"BNEW{len(items):07d}",
            "app": app,
            "status": "complete",
            "description": kw.get("description") or "",
            "release": release.id,
        }
        items.insert(0, build)
        return self._fake.model("Build", build)

    def logs(self, app: str, id: str, **_: Any) -> str:
        return "step 1\nstep 2 failed"

    @staticmethod
    def source_archive(path: str) -> Any:
        from ansible_collections.convox.convox.plugins.module_utils.resources.builds import source_archive

        return source_archive(path)


class _Objects(_Accessor):
    def store(self, app: str, key: str, data: bytes, **_: Any) -> str:
        self._log("store", app, key)
        return f"object://{app}/{key}"


class _Processes(_Accessor):
    """No process exists: enough for the tasks that stop at a missing app (writes are logged)."""

    def get(self, app: str, pid: str) -> Any:
        self._log("get", app, pid)
        self._fake.app(app)
        raise self._fake.errors.ConvoxNotFoundError(500, f'pods "{pid}" not found')

    def list(self, app: str, **kw: Any) -> Any:
        self._log("list", app, kw)
        self._fake.app(app)
        return []

    def files_download(self, app: str, pid: str, path: str) -> bytes:
        self._log("files_download", app, pid, path)
        raise AssertionError("no process exists in the fake: nothing to download")

    def files_upload(self, app: str, pid: str, files: Any, **kw: Any) -> None:
        self._log("files_upload", app, pid)

    def files_delete(self, app: str, pid: str, paths: Any, **kw: Any) -> None:
        self._log("files_delete", app, pid)

    def exec(self, app: str, pid: str, command: str, **kw: Any) -> Any:
        self._log("exec", app, pid, command)
        raise AssertionError("no process exists in the fake: nothing to exec in")


class FakeClient:
    """apps / releases / builds / objects / environment over dicts; every call is logged."""

    def __init__(self) -> None:
        from ansible_collections.convox.convox.plugins.module_utils import errors, models
        from ansible_collections.convox.convox.plugins.module_utils.resources.environment import EnvironmentAccessor

        self.errors = errors
        self._models = models
        self.app_data: Dict[str, Dict[str, Any]] = {}
        self.release_data: Dict[str, list] = {}
        self.build_data: Dict[str, list] = {}
        self.calls: list = []
        self.fail_promote: Any = None
        self.host = "http://fake"
        self.rack = None
        self._accessors = {
            "apps": _Apps(self, "apps"),
            "releases": _Releases(self, "releases"),
            "builds": _Builds(self, "builds"),
            "objects": _Objects(self, "objects"),
            "processes": _Processes(self, "processes"),
        }
        self.environment = EnvironmentAccessor(self)  # the real merge logic on top of the fake reads

    def accessor(self, name: str) -> Any:
        return self._accessors[name]

    def __getattr__(self, name: str) -> Any:
        accessors = self.__dict__.get("_accessors", {})
        if name in accessors:
            return accessors[name]
        raise AttributeError(name)

    def close(self) -> None:
        pass

    def model(self, kind: str, data: Dict[str, Any]) -> Any:
        return getattr(self._models, kind).model_validate(data)

    def app(self, name: str) -> Dict[str, Any]:
        if name not in self.app_data:
            raise self.errors.ConvoxNotFoundError(404, f"app not found: {name}", "req000000002", "GET", f"/apps/{name}")
        return self.app_data[name]

    def release(self, app: str, id: str) -> Dict[str, Any]:
        for release in self.release_data.get(app, []):
            if release["id"].upper() == str(id).upper():
                return release
        raise self.errors.ConvoxNotFoundError(500, f'releases.convox.com "{str(id).lower()}" not found')

    # -- what tests assert on ------------------------------------------------------------
    @property
    def ops(self) -> list:
        return [call[0] for call in self.calls]

    @property
    def writes(self) -> list:
        return [op for op in self.ops if op in WRITE_OPS]


@pytest.fixture
def fake_client(run_module: ModuleRunner, monkeypatch: Any) -> FakeClient:
    from ansible_collections.convox.convox.plugins.module_utils import waits

    monkeypatch.setattr(waits, "sleep", lambda _seconds: None)
    client = FakeClient()
    run_module.use_client(client)
    return client
