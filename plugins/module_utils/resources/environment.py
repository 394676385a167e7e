# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Environment: stored in releases (convox-api.md 6.4); merged on the client side.

Reads use the app's active release by default (``release=`` or ``latest=True`` to choose
otherwise). Writes fork the new release from the release that was read (``parent-release``),
so changing the environment never deploys an unpromoted build as a side effect, and they
create a release only when the environment really changes.

``apply``/``set``/``unset`` write once, as ``convox env set`` does, with no protection against
a concurrent writer. ``write``/``update`` use optimistic concurrency (``concurrency.py``,
docs/concurrency.md): what the modules use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Mapping, Optional

from ..errors import ConvoxInputError
from ..models import EnvPlan
from ._base import Accessor, require

if TYPE_CHECKING:
    from ..concurrency import ReleaseDraft, ReleaseWrite
    from ..models import Release


def parse_env(text: Optional[str]) -> Dict[str, str]:
    """Parse a release ``env`` string the way the rack and the CLI do."""
    result: Dict[str, str] = {}
    for line in (text or "").split("\n"):
        key, sep, value = line.partition("=")
        if not sep:
            continue
        key = key.strip()
        if key:
            result[key] = value[:-1] if value.endswith("\r") else value  # a CRLF line
    return result


def format_env(env: Mapping[str, str]) -> str:
    """``KEY=VALUE`` lines sorted by the whole line, joined by ``\\n``, no trailing newline."""
    return "\n".join(sorted(f"{key}={value}" for key, value in env.items()))


def _value_text(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        raise ConvoxInputError(f"the value of environment variable {key} must be a string", field="env")
    return value


def validate_key(key: Any) -> str:
    if not isinstance(key, str) or not key.strip():
        raise ConvoxInputError("environment variable names must not be empty", field="env")
    if key != key.strip():
        raise ConvoxInputError(f"environment variable name {key!r} has leading or trailing spaces", field="env")
    if "=" in key:
        raise ConvoxInputError(f"environment variable name {key!r} must not contain '='", field="env")
    if "\n" in key or "\r" in key:
        raise ConvoxInputError("environment variable names must not contain line breaks", field="env")
    return key


def validate_env(env: Mapping[str, Any]) -> Dict[str, str]:
    """Check names and values before anything is sent; values never appear in the messages."""
    result: Dict[str, str] = {}
    for key, value in env.items():
        validate_key(key)
        if value is None:
            raise ConvoxInputError(f"environment variable {key} has no value", field="env")
        text = _value_text(key, value)
        if "\n" in text or "\r" in text:
            raise ConvoxInputError(f"the value of environment variable {key} must not contain line breaks", field="env")
        result[key] = text
    return result


def plan_from(
    app: str,
    base: Optional[Release],
    env: Optional[Mapping[str, Any]] = None,
    *,
    remove: Iterable[str] = (),
    replace: bool = False,
    latest: bool = False,
    explicit: bool = False,
) -> EnvPlan:
    """The change from ``base``'s environment (``None``: an app without a release, or one that does
    not exist yet) to ``env`` merged in (or replacing it) and ``remove`` taken out. No request."""
    wanted = validate_env(env or {})
    drop: List[str] = [validate_key(key) for key in remove]
    current = parse_env(base.env) if base is not None else {}
    desired = {} if replace else dict(current)
    desired.update(wanted)
    for key in drop:
        desired.pop(key, None)
    return EnvPlan(
        app=app,
        base_release=base,
        current=current,
        desired=desired,
        added=sorted(key for key in desired if key not in current),
        changed=sorted(key for key in desired if key in current and current[key] != desired[key]),
        removed=sorted(key for key in current if key not in desired),
        wanted=wanted,
        remove=drop,
        replace=replace,
        latest=latest,
        explicit=explicit,
    )


def env_change(
    wanted: Mapping[str, str], remove: Iterable[str], replace: bool, *, keep_active_build: bool = True
) -> Callable[[Optional[Release], Optional[Release]], Optional[ReleaseDraft]]:
    """A ``concurrency.write`` change: merge the request onto the head (None when it holds already)."""
    from ..concurrency import ReleaseDraft, env_change_text

    drop = list(remove)

    def change(head: Optional[Release], active: Optional[Release]) -> Optional[ReleaseDraft]:
        current = parse_env(head.env) if head is not None else {}
        desired = {} if replace else dict(current)
        desired.update(wanted)
        for key in drop:
            desired.pop(key, None)
        if desired == current:
            return None
        source = active if keep_active_build and active is not None else head
        build = (getattr(source, "build", "") or None) if source is not None else None
        return ReleaseDraft(env=format_env(desired), build=build, description=env_change_text(current, desired))

    return change


class EnvironmentAccessor(Accessor):
    """``client.environment``"""

    def base_release(self, app: str, *, release: Optional[str] = None, latest: bool = False) -> Optional[Release]:
        """The release an environment read starts from (None when the app has no release)."""
        releases = self._client.releases
        if release:
            return releases.get(app, release)
        if not latest:
            active = self._client.apps.get(app).release
            if active:
                return releases.get(app, active)
        newest = releases.list(app, limit=1)
        if not newest:
            return None
        return releases.get(app, newest[0].id)

    def get(self, app: str, *, release: Optional[str] = None, latest: bool = False) -> Dict[str, str]:
        """The environment of the active release (or of ``release``, or of the newest with ``latest``)."""
        base = self.base_release(require(app, "app"), release=release, latest=latest)
        return parse_env(base.env) if base is not None else {}

    def plan(
        self,
        app: str,
        env: Optional[Mapping[str, Any]] = None,
        *,
        remove: Optional[Iterable[str]] = None,
        replace: bool = False,
        release: Optional[str] = None,
        latest: bool = False,
    ) -> EnvPlan:
        """Compute a change without writing anything (what check mode and diffs need)."""
        require(app, "app")
        wanted = validate_env(env or {})
        drop: List[str] = [validate_key(key) for key in (remove or [])]
        base = self.base_release(app, release=release, latest=latest)
        return plan_from(app, base, wanted, remove=drop, replace=replace, latest=latest, explicit=bool(release))

    def apply(
        self, plan: EnvPlan, *, promote: bool = False, wait: bool = False, timeout: Optional[float] = None
    ) -> Optional[Release]:
        """Write a plan: a new release forked from the plan's base, only if something changed.

        Returns the new release, or the base release when nothing changed.
        """
        if not plan.changed_any:
            return plan.base_release
        parent = plan.base_release.id if plan.base_release is not None else None
        new = self._client.releases.create(plan.app, env=format_env(plan.desired), parent_release=parent)
        if promote:
            self._client.releases.promote(plan.app, new.id, wait=wait, timeout=timeout)
        return new

    def write(
        self,
        plan: EnvPlan,
        *,
        promote: bool = False,
        wait: bool = False,
        timeout: Optional[float] = None,
        retries: Optional[int] = None,
        window: Optional[int] = None,
        active: Optional[str] = None,
        existing: Optional[Release] = None,
    ) -> ReleaseWrite:
        """Write a plan with optimistic concurrency: no concurrent change is lost (docs/concurrency.md).

        The plan's request (keys set, keys removed, ``replace``) is merged onto the newest valid
        release when the release is created, and again onto a newer one each time a concurrent
        release wins the race (``retries`` times, default ``concurrency.DEFAULT_RETRIES``);
        then ``ConvoxReleaseConflictError`` with nothing promoted. The build is the active
        release's (``active``, default the plan's base) unless the plan reads the newest
        release (``latest=True``). With ``promote`` the new release is promoted, under
        contention too (see ``concurrency.write``). A plan that changes nothing writes nothing.
        The plan's base (active, newest or explicit ``release=``) only decides the preview: the
        write always merges onto the newest valid release, so that no concurrent change is lost.
        """
        from .. import concurrency

        if not plan.changed_any and existing is None:
            return concurrency.ReleaseWrite(release=plan.base_release)
        if active is None and not plan.latest and plan.base_release is not None:
            active = plan.base_release.id
        change = env_change(plan.wanted, plan.remove, plan.replace, keep_active_build=not plan.latest)
        return self._client.releases.write(
            plan.app,
            change,
            promote=promote,
            wait=wait,
            timeout=timeout,
            retries=concurrency.DEFAULT_RETRIES if retries is None else retries,
            window=window or concurrency.DEFAULT_WINDOW,
            active=active,
            existing=existing,
        )

    def update(
        self,
        app: str,
        env: Optional[Mapping[str, Any]] = None,
        *,
        remove: Optional[Iterable[str]] = None,
        replace: bool = False,
        latest: bool = False,
        promote: bool = False,
        wait: bool = False,
        timeout: Optional[float] = None,
        retries: Optional[int] = None,
    ) -> ReleaseWrite:
        """Set ``env`` and remove ``remove`` (or replace the environment) safely: ``plan`` + ``write``."""
        if isinstance(remove, str):
            remove = [remove]
        plan = self.plan(app, env, remove=remove, replace=replace, latest=latest)
        return self.write(plan, promote=promote, wait=wait, timeout=timeout, retries=retries)

    def set(
        self,
        app: str,
        env: Mapping[str, Any],
        *,
        replace: bool = False,
        release: Optional[str] = None,
        latest: bool = False,
        promote: bool = False,
        wait: bool = False,
        timeout: Optional[float] = None,
    ) -> Optional[Release]:
        """Merge ``env`` into the environment (or replace it with ``replace=True``)."""
        plan = self.plan(app, env, replace=replace, release=release, latest=latest)
        return self.apply(plan, promote=promote, wait=wait, timeout=timeout)

    def unset(
        self,
        app: str,
        keys: Iterable[str],
        *,
        release: Optional[str] = None,
        latest: bool = False,
        promote: bool = False,
        wait: bool = False,
        timeout: Optional[float] = None,
    ) -> Optional[Release]:
        """Remove ``keys`` from the environment."""
        if isinstance(keys, str):
            keys = [keys]
        plan = self.plan(app, remove=keys, release=release, latest=latest)
        return self.apply(plan, promote=promote, wait=wait, timeout=timeout)
