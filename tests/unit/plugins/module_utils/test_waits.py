# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waits: fast first polls, two good reads, two errors abort, rollback and build failure."""

from __future__ import annotations

import httpx
import pytest

from ansible_collections.convox.convox.plugins.module_utils import errors as e
from ansible_collections.convox.convox.plugins.module_utils import waits


def app(status, release="R1"):
    return httpx.Response(200, json={"name": "myapp", "status": status, "release": release})


def test_app_running_after_updating(client, router, no_sleep):
    route = router.get("/apps/myapp").mock(
        side_effect=[app("updating"), app("updating"), app("running"), app("running")]
    )
    result = waits.wait_app_running(client, "myapp", release="r1", interval=5)
    assert result.status == "running"
    assert route.call_count == 4
    assert no_sleep["slept"] == [0.25, 0.5, 1.0]


def test_backoff_caps_at_interval(client, router, no_sleep):
    router.get("/apps/myapp").mock(side_effect=[app("updating")] * 6 + [app("running")] * 2)
    waits.wait_app_running(client, "myapp", interval=2)
    assert no_sleep["slept"] == [0.25, 0.5, 1.0, 2, 2, 2, 2]


def test_one_good_read_is_not_enough(client, router, no_sleep):
    route = router.get("/apps/myapp").mock(
        side_effect=[app("running"), app("updating"), app("running"), app("running")]
    )
    waits.wait_app_running(client, "myapp")
    assert route.call_count == 4


def test_rollback_status_raises(client, router, no_sleep):
    router.get("/apps/myapp").mock(side_effect=[app("updating", "RNEW"), app("rollback", "RNEW")])
    with pytest.raises(e.ConvoxRollbackError) as info:
        waits.wait_app_running(client, "myapp", release="RNEW")
    assert info.value.release == "RNEW"
    assert "RNEW" in str(info.value)


def test_settled_on_other_release_is_a_rollback(client, router, no_sleep):
    router.get("/apps/myapp").mock(side_effect=[app("running", "ROLD"), app("running", "ROLD")])
    with pytest.raises(e.ConvoxRollbackError) as info:
        waits.wait_app_running(client, "myapp", release="RNEW")
    assert (info.value.release, info.value.active_release) == ("RNEW", "ROLD")


def test_rollback_ignored_when_asked(client, router, no_sleep):
    router.get("/apps/myapp").mock(side_effect=[app("rollback"), app("running"), app("running")])
    assert waits.wait_app_running(client, "myapp", fail_on_rollback=False).status == "running"


def test_failed_status(client, router, no_sleep):
    router.get("/apps/myapp").mock(return_value=app("failed"))
    with pytest.raises(e.ConvoxError, match="status failed"):
        waits.wait_app_running(client, "myapp")


def test_timeout(client, router, no_sleep):
    router.get("/apps/myapp").mock(return_value=app("updating"))
    with pytest.raises(e.ConvoxTimeoutError, match="timed out after 10 seconds waiting for app myapp"):
        waits.wait_app_running(client, "myapp", timeout=10, interval=2)
    assert sum(no_sleep["slept"]) == pytest.approx(10)


def test_two_consecutive_errors_abort(client, router, no_sleep):
    router.get("/apps/myapp").mock(
        side_effect=[app("updating"), httpx.Response(500, text="boom"), httpx.Response(500, text="boom again")]
    )
    with pytest.raises(e.ConvoxServerError, match="boom again"):
        waits.wait_app_running(client, "myapp")


def test_single_error_is_tolerated(client, router, no_sleep):
    router.get("/apps/myapp").mock(
        side_effect=[
            httpx.Response(500, text="blip"),
            app("running"),
            httpx.Response(500, text="blip"),
            app("running"),
            app("running"),
        ]
    )
    assert waits.wait_app_running(client, "myapp").status == "running"


def test_negative_timeout(client):
    with pytest.raises(e.ConvoxError):
        waits.wait_app_running(client, "myapp", timeout=-1)


def test_app_deleted(client, router, no_sleep):
    router.get("/apps/myapp").mock(
        side_effect=[
            app("deleting"),
            httpx.Response(404, text="app not found: myapp"),
            httpx.Response(404, text="app not found: myapp"),
        ]
    )
    assert waits.wait_app_deleted(client, "myapp") is None


def test_app_deleted_legacy_500(client, router, no_sleep):
    router.get("/apps/myapp").mock(return_value=httpx.Response(500, text="no such app: myapp"))
    waits.wait_app_deleted(client, "myapp")


def build(status, reason=""):
    return httpx.Response(200, json={"id": "B1", "status": status, "reason": reason})


def test_build_finished(client, router, no_sleep):
    router.get("/apps/myapp/builds/B1").mock(
        side_effect=[build("created"), build("running"), build("complete"), build("complete")]
    )
    assert waits.wait_build_finished(client, "myapp", "B1").status == "complete"


def test_build_failed_reports_log_tail(client, router, no_sleep, monkeypatch):
    router.get("/apps/myapp/builds/B1").mock(return_value=build("failed", "image relay failed"))
    lines = "\n".join(f"line {n}" for n in range(40)) + "\n\n"
    monkeypatch.setattr(type(client.builds), "logs", lambda self, a, b, timeout=None: lines)
    with pytest.raises(e.ConvoxBuildFailedError) as info:
        waits.wait_build_finished(client, "myapp", "B1")
    tail = info.value.log_tail.splitlines()
    assert tail[0] == "image relay failed"
    assert tail[1:] == [f"line {n}" for n in range(20, 40)]
    assert info.value.build_id == "B1"


def test_build_failed_without_logs(client, router, no_sleep, monkeypatch):
    router.get("/apps/myapp/builds/B1").mock(return_value=build("failed"))

    def broken(self, a, b, timeout=None):
        raise e.ConvoxStreamError("unable to read logs for build: B1")

    monkeypatch.setattr(type(client.builds), "logs", broken)
    with pytest.raises(e.ConvoxBuildFailedError) as info:
        waits.wait_build_finished(client, "myapp", "B1")
    assert info.value.log_tail == ""


def test_build_odd_status(client, router, no_sleep):
    router.get("/apps/myapp/builds/B1").mock(return_value=build("exploded"))
    with pytest.raises(e.ConvoxError, match="status exploded"):
        waits.wait_build_finished(client, "myapp", "B1")


def process(status):
    return httpx.Response(200, json={"id": "web-1", "status": status})


def test_process_status(client, router, no_sleep):
    router.get("/apps/myapp/processes/web-1").mock(
        side_effect=[process("pending"), process("running"), process("running")]
    )
    assert waits.wait_process_status(client, "myapp", "web-1", "running").status == "running"


def test_process_ended_early(client, router, no_sleep):
    router.get("/apps/myapp/processes/web-1").mock(return_value=process("failed"))
    with pytest.raises(e.ConvoxError, match="ended with status failed"):
        waits.wait_process_status(client, "myapp", "web-1", ["running"])


def test_resource_running_and_deleted(client, router, no_sleep):
    router.get("/resources/hook").mock(
        side_effect=[
            httpx.Response(200, json={"name": "hook", "status": "pending"}),
            httpx.Response(200, json={"name": "hook", "status": "running"}),
            httpx.Response(200, json={"name": "hook", "status": "running"}),
            httpx.Response(404, text="no such resource: hook"),
            httpx.Response(500, text="stack does not exist"),
        ]
    )
    assert waits.wait_resource_running(client, "hook").status == "running"
    waits.wait_resource_deleted(client, "hook")


def test_waits_are_functions_of_the_waits_module(client):
    assert not hasattr(client, "wait")  # the dead ``client.wait()`` (client -> waits import) is gone


def test_promote_waits_for_a_settled_app_first(client, router, no_sleep):
    apps = router.get("/apps/myapp").mock(
        side_effect=[app("rollback", "ROLD"), app("updating", "ROLD"), app("running", "ROLD"), app("running", "ROLD")]
    )
    promote = router.post("/apps/myapp/releases/RNEW/promote").mock(return_value=httpx.Response(200, text="ok\n"))
    assert client.releases.promote("myapp", "RNEW") is None
    assert apps.call_count == 4
    assert promote.call_count == 1
    assert promote.calls.last.request.content == b"force=false"


def test_promote_and_wait_reports_rollback(client, router, no_sleep):
    router.get("/apps/myapp").mock(
        side_effect=[app("running", "ROLD"), app("updating", "RNEW"), app("rollback", "RNEW")]
    )
    router.post("/apps/myapp/releases/RNEW/promote").mock(return_value=httpx.Response(200, text="ok\n"))
    with pytest.raises(e.ConvoxRollbackError, match="RNEW"):
        client.releases.promote("myapp", "RNEW", wait=True, timeout=30)
