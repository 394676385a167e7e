# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Optimistic concurrency for writes that create a release (docs/concurrency.md).

The rack has no compare-and-swap: ``POST /apps/{app}/releases`` takes a whole environment, and
two writers that read the same release each create a release from it, the second one without
the first one's change. This module makes such writes safe among the writers that use it:

* Every release it creates records the release it was merged onto in its description, as a
  trailing ``[base RXXXXXXXXXX]`` (``[base none]`` for an app's first release).
* The **chain** of an app is computed from the release list (newest first, as the rack sorts
  by ``created``): walking from the oldest, a release is *valid* when its recorded base is the
  newest valid release before it (a release without a record, made by a build, the CLI or the
  console, counts as valid). Valid releases form a line in which each one carries everything
  the earlier ones did; an invalid one (a writer lost the race) is never promoted or merged onto.
* ``write()`` reads the list, lets ``change`` draft a release from the newest valid release
  (the *head*), creates it, reads the list again and checks that the new release is valid. If
  another release came in between, it drafts again onto the new head and creates again, up to
  ``retries`` times with jittered pauses, then raises ``ConvoxReleaseConflictError``.
* With ``promote=True`` it promotes the valid release; when the app is updating (403) or a
  newer release became active (the promote is refused as older, or the wait sees another
  release), it waits until the app settles and decides again: done when the active release is
  ours or a valid newer one (which carries our change), promote again when ours is still newer
  than the active one, otherwise draft again onto the newest valid release.

Standard library only (plus the client's own ``errors`` and ``waits``).
"""

from __future__ import annotations

import dataclasses
import random
import re
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence

from . import waits
from .errors import ConvoxAPIError, ConvoxReleaseConflictError, ConvoxRollbackError

if TYPE_CHECKING:
    from .client import ConvoxClient

DEFAULT_RETRIES = 20
"""How many times a write drafts again after losing a race (so up to 21 releases are created).

Every round of creates from one head has a winner (the first created), and a writer that loses
drafts onto a newer head, so with N writers on one app none loses more than N - 1 times: 20
covers 21 concurrent writers (Ansible's default is 5 forks). Measured: 10 forks with 5 retries
left 3 writers failing (tests/integration/targets/convox_env_forks)."""
DEFAULT_WINDOW = 20
"""How many releases (newest first) a write reads to find the chain."""
MAX_WINDOW = 200
"""The most releases a write reads when the active release is not among the newest ``window``."""
JITTER = 0.2
"""Base of the pause between attempts: uniform in [0, JITTER * 2 ** attempt), at most 2 s."""

_MARKER_RE = re.compile(r"\s*\[base (R[A-Za-z0-9]+|none)\]\s*$")
NO_BASE = "none"

# replaced by tests to run without real pauses
sleep: Callable[[float], None] = time.sleep
uniform: Callable[[float, float], float] = random.uniform

_CONTENTION = ("app is currently updating", "can not promote an older release")


def _id(value: Any) -> str:
    return str(value or "").strip().upper()


def mark(description: str, base: Optional[str]) -> str:
    """``description`` with the base record ``[base R...]`` (``[base none]`` without a base)."""
    text = _MARKER_RE.sub("", description or "").strip()
    marker = f"[base {_id(base) or NO_BASE}]" if base else f"[base {NO_BASE}]"
    return f"{text} {marker}".strip()


def recorded_base(description: Optional[str]) -> Optional[str]:
    """The base a release records (``"none"`` for a first release), or None when it records none."""
    found = _MARKER_RE.search(description or "")
    if found is None:
        return None
    value = found.group(1)
    return NO_BASE if value.lower() == NO_BASE else value.upper()


def env_change_text(old: Dict[str, str], new: Dict[str, str]) -> str:
    """The rack's own release description of an environment change: ``env add:A change:B remove:C``."""
    parts = [f"add:{k}" for k in sorted(k for k in new if k not in old)]
    parts += [f"change:{k}" for k in sorted(k for k in new if k in old and old[k] != new[k])]
    parts += [f"remove:{k}" for k in sorted(k for k in old if k not in new)]
    return " ".join(["env", *parts])


class ReleaseChain:
    """Which releases of a listing are valid, and the newest valid one (the head).

    ``releases``: the rack's list, newest first. ``complete``: the list holds every release of the
    app (it came back shorter than the limit asked for). ``anchor``: the active release, taken as
    valid whatever it records; releases older than it are left out (none of them can be the head).
    Without an anchor in the list, releases whose base is older than the list are judged from the
    list's edge: valid unless a release judged from inside the list came before them.
    """

    def __init__(self, releases: Sequence[Any], complete: bool = False, anchor: Optional[str] = None) -> None:
        self.releases = list(releases)
        self.order: Dict[str, int] = {}  # id -> position, 0 = oldest
        self.valid: List[str] = []  # oldest first
        self.by_id: Dict[str, Any] = {}
        newest_valid: Optional[str] = None
        anchored = False  # a release judged from inside the window (not from beyond its edge) was valid
        oldest_first = list(reversed(self.releases))
        ids = {_id(getattr(r, "id", "")) for r in oldest_first}
        anchor = _id(anchor) if _id(anchor) in ids else None
        for position, release in enumerate(oldest_first):
            rid = _id(getattr(release, "id", ""))
            self.order[rid] = position
            self.by_id[rid] = release
            if anchor is not None and newest_valid is None and rid != anchor:
                continue  # older than the active release: no longer matters
            base = recorded_base(getattr(release, "description", ""))
            edge = False
            if rid == anchor:
                ok = True  # the active release is the truth the others merge onto
            elif base is None:
                ok = True  # not written through this module: taken as it is
            elif base == NO_BASE:
                ok = newest_valid is None and (complete or position == 0)
            elif base not in ids:
                # its base is older than the window: valid unless a release judged from inside the
                # window came in between (releases at the edge cannot be told apart; the newest wins)
                ok = edge = not anchored
            else:
                ok = base == newest_valid
            if ok:
                self.valid.append(rid)
                newest_valid = rid
                anchored = anchored or not edge

    @property
    def head(self) -> Optional[Any]:
        """The newest valid release (None for an app without releases)."""
        return self.by_id[self.valid[-1]] if self.valid else None

    def is_valid(self, release_id: Optional[str]) -> bool:
        return _id(release_id) in self.valid

    def listed(self, release_id: Optional[str]) -> bool:
        return _id(release_id) in self.order

    def newer(self, one: Optional[str], other: Optional[str]) -> bool:
        """Whether release ``one`` was created after ``other`` (unlisted ones count as older)."""
        return self.order.get(_id(one), -1) > self.order.get(_id(other), -1)

    def valid_between(self, older: Optional[str], newer: Optional[str]) -> List[str]:
        """The valid releases created after ``older`` and before ``newer`` (the writers that won)."""
        low, high = self.order.get(_id(older), -1), self.order.get(_id(newer), len(self.order))
        return [rid for rid in self.valid if low < self.order[rid] < high]


@dataclasses.dataclass
class ReleaseDraft:
    """What ``change`` asks ``write`` to create: ``build`` and ``env`` (None: copy the parent's)."""

    env: Optional[str] = None
    build: Optional[str] = None
    description: str = ""
    parent: Optional[str] = None  # default: the head the draft was merged onto


@dataclasses.dataclass
class ReleaseWrite:
    """The outcome of ``write``.

    ``release``: the release that carries the change (ours, or the head when nothing had to be
    written); ``created``: whether a release was created; ``attempts``: releases created;
    ``abandoned``: our releases that lost a race (never promoted); ``promoted``: whether the
    change is live through a promote we made or saw; ``active``: the active release when known
    after promoting; ``superseded_by``: a valid newer release that became active and carries
    our change.
    """

    release: Optional[Any] = dataclasses.field(repr=False)
    created: bool = False
    attempts: int = 0
    abandoned: List[str] = dataclasses.field(default_factory=list)
    promoted: bool = False
    active: Optional[str] = None
    superseded_by: Optional[str] = None

    @property
    def release_id(self) -> Optional[str]:
        return _id(getattr(self.release, "id", "")) or None

    def __repr__(self) -> str:  # the release carries environment values: show its id only
        fields = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.name != "release"
        )
        return f"ReleaseWrite(release_id={self.release_id!r}, {fields})"


Change = Callable[[Optional[Any], Optional[Any]], Optional[ReleaseDraft]]


def is_contention(error: BaseException) -> bool:
    """A promote refused because another promote is under way or made a newer release active."""
    return isinstance(error, ConvoxAPIError) and any(text in str(error).lower() for text in _CONTENTION)


def pause(attempt: int) -> None:
    sleep(min(2.0, uniform(0.0, JITTER * (2**attempt))))


class _Writer:
    def __init__(self, client: ConvoxClient, app: str, change: Change, options: Dict[str, Any]) -> None:
        self.client = client
        self.app = app
        self.change = change
        self.retries = max(0, int(options.get("retries", DEFAULT_RETRIES)))
        self.window = max(2, int(options.get("window", DEFAULT_WINDOW)))
        self.force = bool(options.get("force"))
        self.wait = bool(options.get("wait"))
        self.timeout = options.get("timeout")
        self.active: Optional[str] = _id(options.get("active")) or None
        self.result = ReleaseWrite(release=None)
        self.active_release: Optional[Any] = None
        self.lost_to: List[str] = []

    def chain(self) -> ReleaseChain:
        """The chain from a list that reaches back to the active release (the anchor).

        When the anchor is not in the list, the app may have moved on (read it again), else the
        list is read again with twice the limit, up to ``MAX_WINDOW``: judging from the list's
        edge could take a release that lost a race for the head.
        """
        limit, refreshed = self.window, False
        while True:
            listing = self.client.releases.list(self.app, limit=limit)
            complete = len(listing) < limit
            ids = {_id(r.id) for r in listing}
            if complete or not self.active or self.active in ids or limit >= MAX_WINDOW:
                return ReleaseChain(listing, complete=complete, anchor=self.active)
            if not refreshed:
                refreshed = True
                self.active = _id(self.client.apps.get(self.app).release) or None
                if not self.active or self.active in ids:
                    return ReleaseChain(listing, complete=complete, anchor=self.active)
            limit = min(MAX_WINDOW, limit * 2)

    def conflict(self, release: Optional[str]) -> ConvoxReleaseConflictError:
        return ConvoxReleaseConflictError(self.app, release, self.lost_to, self.result.attempts)

    def create(self, chain: ReleaseChain) -> Optional[Any]:
        """Draft onto the head and create until the new release is valid; None when nothing to write."""
        while True:
            head = chain.head
            active = chain.by_id.get(self.active or "")
            if active is None and self.active:
                if _id(getattr(self.active_release, "id", "")) != self.active:
                    self.active_release = self.client.releases.get(self.app, self.active)
                active = self.active_release
            draft = self.change(head, active)
            if draft is None:
                self.result.release = head
                return None
            head_id = _id(getattr(head, "id", "")) or None
            new = self.client.releases.create(
                self.app,
                build=draft.build or None,
                env=draft.env,
                description=mark(draft.description, head_id),
                parent_release=draft.parent or head_id,
            )
            new_id = _id(new.id)
            self.result.attempts += 1
            self.result.created = True
            chain = self.chain()
            if chain.is_valid(new_id):
                self.result.release = chain.by_id.get(new_id, new)
                return self.result.release
            self.result.abandoned.append(new_id)
            self.lost_to = chain.valid_between(head_id, new_id) or [r for r in chain.valid if chain.newer(r, head_id)]
            if self.result.attempts > self.retries:
                raise self.conflict(new_id)
            pause(self.result.attempts)

    def promote(self, release: Any) -> None:
        """Promote ``release``; under contention settle, decide again, re-draft when ours lost its place."""
        promotes = 0
        while True:
            rid = _id(release.id)
            promotes += 1
            rolled: Optional[ConvoxRollbackError] = None
            try:
                self.client.releases.promote(self.app, rid, force=self.force, wait=self.wait, timeout=self.timeout)
            except ConvoxRollbackError as exc:
                rolled = exc
            except ConvoxAPIError as exc:
                if not is_contention(exc):
                    raise
            else:
                self.result.promoted = True
                self.result.active = rid if self.wait else None
                return
            limit = waits.DEFAULT_TIMEOUT if self.timeout is None else self.timeout
            settled = waits.wait_app_running(self.client, self.app, fail_on_rollback=False, timeout=limit)
            self.active = _id(settled.release) or None
            chain = self.chain()
            if self.active == rid:
                self.result.promoted, self.result.active = True, rid
                return
            if self.active and chain.newer(self.active, rid):
                # a newer release went live; valid ones are merged onto ours, so it carries our change
                self.result.promoted, self.result.active, self.result.superseded_by = True, self.active, self.active
                return
            if chain.is_valid(rid):
                if rolled is not None:
                    raise ConvoxRollbackError(rid, self.active or None) from None  # the rack rolled ours back
                if promotes > self.retries:
                    raise self.conflict(rid)
                pause(promotes)
                continue  # ours is still newer than the active release: promote it again
            # ours lost its place (an invalid release went live, or ours is no longer valid): draft again
            self.result.abandoned.append(rid)
            self.lost_to = [self.active] if self.active else self.lost_to
            if self.result.attempts > self.retries:
                raise self.conflict(rid)
            created = self.create(chain)
            if created is None:  # the head carries the change already: make it live unless it is
                created = chain.head
                if created is None or _id(created.id) == self.active:
                    self.result.promoted = created is not None
                    self.result.active = self.active
                    return
            release = created
            promotes = 0


def write(
    client: ConvoxClient,
    app: str,
    change: Change,
    *,
    promote: bool = False,
    wait: bool = False,
    timeout: Optional[float] = None,
    force: bool = False,
    retries: int = DEFAULT_RETRIES,
    window: int = DEFAULT_WINDOW,
    active: Optional[str] = None,
    existing: Optional[Any] = None,
) -> ReleaseWrite:
    """Create (and with ``promote`` promote) a release drafted by ``change(head, active)``.

    ``change`` gets the newest valid release (None for an app without releases) and the active
    release (when ``active`` names it or a promote revealed it, else None) and returns a
    ``ReleaseDraft``, or None when the head already is as wanted (nothing is created then).
    It is called again, onto the new head, whenever a concurrent release wins the race.
    ``existing``: a release created earlier (a re-run, a build's release) to promote instead of
    creating one; it is used only while it is the head, else a new one is drafted.
    """
    writer = _Writer(
        client,
        app,
        change,
        {"retries": retries, "window": window, "force": force, "wait": wait, "timeout": timeout, "active": active},
    )
    if writer.active is None:
        writer.active = _id(client.apps.get(app).release) or None
    chain = writer.chain()
    release = None
    head = chain.head
    if existing is not None and head is not None and _id(head.id) == _id(getattr(existing, "id", "")):
        release = chain.by_id[_id(existing.id)]
        writer.result.release = release
    else:
        release = writer.create(chain)
        if release is None and head is not None and _id(head.id) != writer.active:
            release = head  # the head carries the change already (an earlier run's release): promote it
    if release is not None and promote:
        writer.promote(release)
    return writer.result
