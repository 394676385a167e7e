# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Releases: ``/apps/{app}/releases`` (convox-api.md 5.4, 6.3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from ._base import Accessor, build_path, require

if TYPE_CHECKING:
    from ..concurrency import ReleaseWrite
    from ..models import App, Release
else:  # named, not imported: the client answers with a model or a record (Accessor._parse)
    Release = "Release"

EnvValue = Union[str, Dict[str, str], None]


class ReleasesAccessor(Accessor):
    """``client.releases``"""

    def list(self, app: str, *, limit: Optional[int] = None) -> List[Release]:
        """Releases, newest first (the rack returns 10 unless ``limit`` says otherwise)."""
        path = build_path("apps", require(app, "app"), "releases")
        return self._parse_list(Release, self._call("GET", path, params={"limit": limit}))

    def get(self, app: str, id: str) -> Release:
        path = build_path("apps", require(app, "app"), "releases", require(id, "id"))
        return self._parse(Release, self._call("GET", path))

    def create(
        self,
        app: str,
        *,
        build: Optional[str] = None,
        env: EnvValue = None,
        description: Optional[str] = None,
        parent_release: Optional[str] = None,
    ) -> Release:
        """Create a release (never retried: every call makes a new release).

        ``env`` replaces the whole environment (a dict, or the ``KEY=VALUE`` text); the base is
        ``parent_release`` when given, else the newest release.
        """
        from .environment import format_env, validate_env

        if isinstance(env, dict):
            env = format_env(validate_env(env))
        data = {"build": build, "env": env, "description": description, "parent-release": parent_release}
        path = build_path("apps", require(app, "app"), "releases")
        return self._parse(Release, self._call("POST", path, data=data, idempotent=False))

    def promote(
        self, app: str, id: str, *, force: bool = False, wait: bool = False, timeout: Optional[float] = None
    ) -> Optional[App]:
        """Deploy a release. Like the CLI, first waits until the app is ``running`` (unless ``force``).

        With ``wait=True`` waits until the app settles and returns it; a rollback raises
        ``ConvoxRollbackError``. Without waiting returns None.
        """
        from .. import waits

        require(app, "app")
        require(id, "id")
        limit = waits.DEFAULT_TIMEOUT if timeout is None else timeout
        if not force:
            current = self._client.apps.get(app)
            if current.status != "running":
                waits.wait_app_running(self._client, app, fail_on_rollback=False, timeout=limit)
        path = build_path("apps", app, "releases", id, "promote")
        self._call("POST", path, data={"force": bool(force)}, idempotent=False)
        if wait:
            return waits.wait_app_running(self._client, app, release=id, timeout=limit)
        return None

    def rollback(
        self,
        app: str,
        id: str,
        *,
        force: bool = False,
        wait: bool = False,
        timeout: Optional[float] = None,
        retries: Optional[int] = None,
    ) -> Release:
        """Copy an older release forward (its build and environment) and promote the copy.

        With ``retries`` (a number) the copy is written with optimistic concurrency
        (``write``): it records its base, is checked against concurrent releases and promoted
        under contention; ``ConvoxReleaseConflictError`` when it keeps losing. Without, one
        create and one promote, as ``convox releases rollback`` does.
        """
        from ..concurrency import ReleaseDraft
        from ..errors import ConvoxError

        old = self.get(app, id)
        if retries is None:
            new = self.create(app, build=old.build or None, env=old.env or None, parent_release=old.id or id)
            self.promote(app, new.id, force=force, wait=wait, timeout=timeout)
            return new
        source = str(old.id or id).upper()

        def change(_head: Any, _active: Any) -> ReleaseDraft:
            return ReleaseDraft(
                build=old.build or None, env=old.env or "", description=f"rollback to {source}", parent=source
            )

        done = self.write(app, change, promote=True, force=force, wait=wait, timeout=timeout, retries=retries)
        if done.release is None:  # pragma: no cover - a rollback draft always writes
            raise ConvoxError(f"rollback of app {app} to {source} wrote no release")
        copy: Release = done.release
        return copy

    def write(self, app: str, change: Any, **options: Any) -> ReleaseWrite:
        """Create a release drafted by ``change(head, active)`` with optimistic concurrency.

        See ``concurrency.write`` for ``change`` and the options (``promote``, ``wait``,
        ``timeout``, ``force``, ``retries``, ``window``, ``active``, ``existing``); returns a
        ``concurrency.ReleaseWrite``; raises ``ConvoxReleaseConflictError`` after ``retries``
        lost races, with nothing promoted.
        """
        from .. import concurrency

        return concurrency.write(self._client, require(app, "app"), change, **options)
