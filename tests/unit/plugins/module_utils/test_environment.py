# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Environment: read from the active release, client-side merge, parent-release, validation."""

from __future__ import annotations

from urllib.parse import parse_qsl

import httpx
import pytest

from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxInputError
from ansible_collections.convox.convox.plugins.module_utils.resources import environment as env_mod


def release(rid, env):
    return {"id": rid, "app": "myapp", "env": env, "build": "B1", "created": "2024-05-01T12:00:00Z"}


@pytest.fixture
def rack(router):
    """App with active release RACTIVE (A=1, B=2) and a newer unpromoted RNEWEST (A=1, B=2, C=3)."""
    router.get("/apps/myapp").mock(
        return_value=httpx.Response(200, json={"name": "myapp", "status": "running", "release": "RACTIVE"})
    )
    router.get("/apps/myapp/releases/RACTIVE").mock(
        return_value=httpx.Response(200, json=release("RACTIVE", "A=1\nB=2"))
    )
    router.get("/apps/myapp/releases/RNEWEST").mock(
        return_value=httpx.Response(200, json=release("RNEWEST", "A=1\nB=2\nC=3"))
    )
    router.get("/apps/myapp/releases").mock(return_value=httpx.Response(200, json=[release("RNEWEST", "")]))
    create = router.post("/apps/myapp/releases").mock(return_value=httpx.Response(200, json=release("RCREATED", "")))
    promote = router.post("/apps/myapp/releases/RCREATED/promote").mock(return_value=httpx.Response(200, text="ok\n"))
    return router, create, promote


def sent_form(route):
    return dict(parse_qsl(route.calls.last.request.content.decode(), keep_blank_values=True))


def test_parse_and_format():
    assert env_mod.parse_env("B=2\nA=x=y\r\n  K  =v \nnoequals\n=empty\n") == {"A": "x=y", "B": "2", "K": "v "}
    assert env_mod.parse_env(None) == {}
    assert env_mod.format_env({"B": "2", "A": "1", "AB": "3"}) == "A=1\nAB=3\nB=2"


@pytest.mark.parametrize(
    ("env", "field_text"),
    [
        ({"": "x"}, "must not be empty"),
        ({" A": "x"}, "leading or trailing"),
        ({"A=B": "x"}, "must not contain '='"),
        ({"A\nB": "x"}, "line breaks"),
        ({"A": "line1\nline2"}, "line breaks"),
        ({"A": "x\r"}, "line breaks"),
        ({"A": None}, "has no value"),
        ({"A": ["list"]}, "must be a string"),
        ({1: "x"}, "must not be empty"),
    ],
)
def test_validation(env, field_text):
    with pytest.raises(ConvoxInputError, match=field_text) as info:
        env_mod.validate_env(env)
    assert info.value.field == "env"
    if "line" in str(env.get("A", "")):
        assert "line1" not in str(info.value)


def test_validation_converts_scalars():
    assert env_mod.validate_env({"A": 1, "B": True, "C": 1.5, "D": False}) == {
        "A": "1",
        "B": "true",
        "C": "1.5",
        "D": "false",
    }


def test_get_reads_active_release(client, rack):
    assert client.environment.get("myapp") == {"A": "1", "B": "2"}


def test_get_latest_and_explicit(client, rack):
    assert client.environment.get("myapp", latest=True) == {"A": "1", "B": "2", "C": "3"}
    assert client.environment.get("myapp", release="RNEWEST")["C"] == "3"


def test_get_without_active_release_uses_newest(client, router):
    router.get("/apps/new").mock(return_value=httpx.Response(200, json={"name": "new", "release": ""}))
    router.get("/apps/new/releases").mock(return_value=httpx.Response(200, json=[release("R1", "")]))
    router.get("/apps/new/releases/R1").mock(return_value=httpx.Response(200, json=release("R1", "X=1")))
    assert client.environment.get("new") == {"X": "1"}


def test_get_app_without_releases(client, router):
    router.get("/apps/empty").mock(return_value=httpx.Response(200, json={"name": "empty", "release": ""}))
    router.get("/apps/empty/releases").mock(return_value=httpx.Response(200, json=[]))
    assert client.environment.get("empty") == {}
    plan = client.environment.plan("empty", {})
    assert plan.base_release is None and not plan.changed_any
    assert client.environment.apply(plan) is None


def test_set_merges_and_forks_from_active_release(client, rack):
    _router, create, promote = rack
    new = client.environment.set("myapp", {"B": "22", "D": "4"})
    assert new.id == "RCREATED"
    assert create.call_count == 1
    assert sent_form(create) == {"env": "A=1\nB=22\nD=4", "parent-release": "RACTIVE"}
    assert promote.call_count == 0


def test_set_replace(client, rack):
    _router, create, _promote = rack
    client.environment.set("myapp", {"Z": "1"}, replace=True)
    assert sent_form(create)["env"] == "Z=1"


def test_set_from_latest(client, rack):
    _router, create, _promote = rack
    client.environment.set("myapp", {"D": "4"}, latest=True)
    assert sent_form(create) == {"env": "A=1\nB=2\nC=3\nD=4", "parent-release": "RNEWEST"}


def test_no_change_creates_no_release(client, rack):
    _router, create, _promote = rack
    result = client.environment.set("myapp", {"A": "1"}, promote=True)
    assert result.id == "RACTIVE"
    result = client.environment.unset("myapp", ["MISSING"])
    assert result.id == "RACTIVE"
    assert create.call_count == 0


def test_unset(client, rack):
    _router, create, _promote = rack
    client.environment.unset("myapp", "A")
    assert sent_form(create)["env"] == "B=2"
    client.environment.unset("myapp", ["A", "B"])
    assert sent_form(create)["env"] == ""


def test_plan_reports_keys_only(client, rack):
    plan = client.environment.plan("myapp", {"B": "9", "N": "1"}, remove=["A"])
    assert (plan.added, plan.changed, plan.removed, plan.changed_any) == (["N"], ["B"], ["A"], True)
    assert plan.current == {"A": "1", "B": "2"}
    assert plan.desired == {"B": "9", "N": "1"}
    result = plan.to_result()
    assert result == {
        "app": "myapp",
        "base_release": "RACTIVE",
        "added": ["N"],
        "changed": ["B"],
        "removed": ["A"],
        "changed_any": True,
    }


def test_invalid_input_sends_nothing(client, rack):
    router, _create, _promote = rack
    with pytest.raises(ConvoxInputError):
        client.environment.set("myapp", {"BAD=KEY": "x"})
    with pytest.raises(ConvoxInputError):
        client.environment.unset("myapp", [""])
    assert len(router.calls) == 0


def test_set_and_promote_with_wait(client, rack, no_sleep):
    router, _create, promote = rack
    router.get("/apps/myapp").mock(
        side_effect=[
            httpx.Response(200, json={"name": "myapp", "status": "running", "release": "RACTIVE"}),  # plan
            httpx.Response(200, json={"name": "myapp", "status": "running", "release": "RACTIVE"}),  # promote check
            httpx.Response(200, json={"name": "myapp", "status": "updating", "release": "RCREATED"}),
            httpx.Response(200, json={"name": "myapp", "status": "running", "release": "RCREATED"}),
            httpx.Response(200, json={"name": "myapp", "status": "running", "release": "RCREATED"}),
        ]
    )
    client.environment.set("myapp", {"X": "1"}, promote=True, wait=True, timeout=60)
    assert promote.call_count == 1
    assert sent_form(promote) == {"force": "false"}
