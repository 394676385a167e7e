# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Optimistic concurrency of env writes against the emulator, races forced by holds (never timing luck)."""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, List

import pytest
from client_helpers import connect, deploy

from ansible_collections.convox.convox.plugins.module_utils import concurrency, waits
from ansible_collections.convox.convox.plugins.module_utils import errors as e
from ansible_collections.convox.convox.plugins.module_utils.resources.environment import parse_env

RELEASES = "/apps/myapp/releases"


@pytest.fixture(autouse=True)
def _fast_polls(monkeypatch):
    monkeypatch.setattr(waits, "FIRST_DELAY", 0.02)


def run_writers(rack, jobs: List[Callable[[Any], Any]]) -> List[Any]:
    """Run each job with a client of its own in a thread; answers (or exceptions) in job order."""
    out: List[Any] = [None] * len(jobs)

    def run(index: int) -> None:
        with connect(rack) as own:
            try:
                out[index] = jobs[index](own)
            except Exception as exc:
                out[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return out


def app_state(rack) -> Dict[str, Any]:
    state: Dict[str, Any] = rack.rack_state()["apps"]["myapp"]
    return state


def promoted_envs(rack) -> List[Dict[str, str]]:
    """The environment of every promoted release, in promote order."""
    state = app_state(rack)
    envs = {r["id"]: parse_env(r["env"]) for r in state["releases"]}
    return [envs[p["release"]] for p in state["promotions"]]


def assert_no_promoted_release_dropped_a_key(rack, unset=()):
    envs = promoted_envs(rack)
    for before, after in zip(envs, envs[1:]):
        assert set(before) - set(after) <= set(unset), "a promoted release dropped a key"


def test_lost_race_is_detected_and_merged_again(client, rack, tmp_path):
    deploy(client, "myapp", tmp_path / "src")
    hold = rack.hold("POST", RELEASES)
    [a_result] = run_writers_with_interleaving(rack, hold["id"], client)
    assert isinstance(a_result, concurrency.ReleaseWrite), a_result
    assert a_result.attempts == 2 and len(a_result.abandoned) == 1 and a_result.promoted
    assert client.environment.get("myapp") == {"A": "1", "B": "2"}
    # the abandoned release lacks B, records its stale base, and was never promoted
    abandoned = client.releases.get("myapp", a_result.abandoned[0])
    assert parse_env(abandoned.env) == {"A": "1"} and "[base R" in abandoned.description
    assert a_result.abandoned[0] not in [p["release"] for p in app_state(rack)["promotions"]]
    assert_no_promoted_release_dropped_a_key(rack)
    creates = [r for r in rack.requests() if r["method"] == "POST" and r["path"] == RELEASES]
    assert len(creates) == 3 and creates[0].get("held") == hold["id"]


def run_writers_with_interleaving(rack, hold_id, client):
    """Writer A reads, its create is parked; writer B sets B and promotes; then A goes on."""
    results: List[Any] = []

    def writer_a() -> None:
        with connect(rack) as own:
            results.append(own.environment.update("myapp", {"A": "1"}, promote=True, wait=True, timeout=60))

    thread = threading.Thread(target=writer_a)
    thread.start()
    rack.wait_held(hold_id, waiting=1)
    other = client.environment.update("myapp", {"B": "2"}, promote=True, wait=True, timeout=60)
    assert other.attempts == 1 and other.abandoned == []
    rack.release_hold(hold_id)
    thread.join(60)
    return results


def test_the_unprotected_write_loses_the_key_in_the_same_race(client, rack, tmp_path):
    """The same interleaving through environment.set (one create, one promote) loses B: the check matters."""
    deploy(client, "myapp", tmp_path / "src")
    hold = rack.hold("POST", RELEASES)
    results: List[Any] = []

    def writer_a() -> None:
        with connect(rack) as own:
            results.append(own.environment.set("myapp", {"A": "1"}, promote=True, wait=True, timeout=60))

    thread = threading.Thread(target=writer_a)
    thread.start()
    rack.wait_held(hold["id"], waiting=1)
    client.environment.set("myapp", {"B": "2"}, promote=True, wait=True, timeout=60)
    rack.release_hold(hold["id"])
    thread.join(60)
    assert client.environment.get("myapp") == {"A": "1"}  # B is lost


def test_conflict_error_after_retries_promotes_nothing(client, rack, tmp_path):
    deploy(client, "myapp", tmp_path / "src")
    active = client.apps.get("myapp").release
    hold = rack.hold("POST", RELEASES)
    results: List[Any] = []

    def writer_a() -> None:
        with connect(rack) as own:
            try:
                own.environment.update("myapp", {"A": "secret-value-1"}, promote=True, retries=0)
            except e.ConvoxReleaseConflictError as exc:
                results.append(exc)

    thread = threading.Thread(target=writer_a)
    thread.start()
    rack.wait_held(hold["id"], waiting=1)
    other = client.environment.update("myapp", {"B": "2"})
    rack.release_hold(hold["id"])
    thread.join(60)
    [error] = results
    assert error.concurrent == [other.release.id] and error.attempts == 1
    assert other.release.id in str(error) and error.release in str(error)
    assert "secret-value-1" not in str(error) and "secret-value-1" not in repr(error.to_dict())
    assert client.apps.get("myapp").release == active
    assert [p["release"] for p in app_state(rack)["promotions"]][-1] == active


def test_two_writers_twenty_rounds(client, rack, tmp_path):
    deploy(client, "myapp", tmp_path / "src")
    expected: Dict[str, str] = {}
    for round_ in range(20):
        hold = rack.hold("POST", RELEASES, count=2, timeout=20)  # both have read before either writes
        jobs = [
            (
                lambda own, k=f"A{round_}": own.environment.update(
                    "myapp", {k: "a"}, promote=True, wait=True, timeout=60
                )
            ),
            (
                lambda own, k=f"B{round_}": own.environment.update(
                    "myapp", {k: "b"}, promote=True, wait=True, timeout=60
                )
            ),
        ]
        results = run_writers(rack, jobs)
        assert all(isinstance(r, concurrency.ReleaseWrite) and r.promoted for r in results), [
            (type(r).__name__, str(r)) for r in results
        ]
        assert sum(r.attempts for r in results) >= 3  # the barrier made one of them lose the first race
        expected.update({f"A{round_}": "a", f"B{round_}": "b"})
        assert client.environment.get("myapp") == expected
        state = next(h for h in rack.holds() if h["id"] == hold["id"])
        assert (state["released"], state["timed_out"]) == (2, 0)
    assert_no_promoted_release_dropped_a_key(rack)


def test_ten_writers_with_a_mix_of_set_and_unset(client, rack, tmp_path):
    deploy(client, "myapp", tmp_path / "src")
    seed = {f"U{i}": "old" for i in range(5)}
    client.environment.update("myapp", seed, promote=True, wait=True, timeout=60)
    hold = rack.hold("POST", RELEASES, count=10, timeout=30)
    jobs: List[Callable[[Any], Any]] = []
    for i in range(10):
        if i < 5:
            jobs.append(
                lambda own, i=i: own.environment.update(
                    "myapp", {f"S{i}": str(i)}, remove=[f"U{i}"], promote=True, wait=True, timeout=120, retries=12
                )
            )
        else:
            jobs.append(
                lambda own, i=i: own.environment.update(
                    "myapp", {f"S{i}": str(i)}, promote=True, wait=True, timeout=120, retries=12
                )
            )
    results = run_writers(rack, jobs)
    assert all(isinstance(r, concurrency.ReleaseWrite) and r.promoted for r in results), results
    assert client.environment.get("myapp") == {f"S{i}": str(i) for i in range(10)}
    assert next(h for h in rack.holds() if h["id"] == hold["id"])["timed_out"] == 0
    promoted = {p["release"] for p in app_state(rack)["promotions"]}
    for result in results:
        assert not promoted & set(result.abandoned)
    assert_no_promoted_release_dropped_a_key(rack, unset=seed)
