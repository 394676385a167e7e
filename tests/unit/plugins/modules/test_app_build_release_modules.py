# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wave-1 modules against an in-memory fake client: compare logic, check mode, masking."""

from __future__ import annotations

import json
import os
from typing import Any

from ansible_collections.convox.convox.plugins.module_utils import errors
from ansible_collections.convox.convox.plugins.modules import (
    convox_app,
    convox_app_info,
    convox_build,
    convox_build_info,
    convox_deploy,
    convox_env,
    convox_env_info,
    convox_release,
    convox_release_info,
)

SECRET = "s3cr3t-value-42"
BUILD_ID = "BAAAAAAAAAA"


def seed(fake: Any, env: str = "", build: str = BUILD_ID) -> None:
    """App ``web`` whose active release RACTIVE00001 carries ``env``."""
    fake.app_data["web"] = {"name": "web", "status": "running", "locked": False, "release": "RACTIVE00001"}
    fake.app_data["web"]["parameters"] = {}
    fake.release_data["web"] = [{"id": "RACTIVE00001", "app": "web", "build": build, "env": env}]


# -- convox_env -------------------------------------------------------------------------------


def test_env_ordering_and_int_values_are_unchanged(run_module: Any, fake_client: Any) -> None:
    seed(fake_client, env="WORKERS=4\nA_KEY=" + SECRET)
    result = run_module(convox_env, {"app": "web", "env": {"A_KEY": SECRET, "WORKERS": 4}})
    assert result["changed"] is False
    assert result["release"] == "RACTIVE00001"
    assert fake_client.writes == []
    assert fake_client.ops == ["apps.get", "releases.get"]  # a no-op needs exactly two reads


def test_env_change_creates_one_release_and_promotes(run_module: Any, fake_client: Any) -> None:
    seed(fake_client, env="KEEP=1\nOLD=" + SECRET)
    result = run_module(convox_env, {"app": "web", "env": {"OLD": SECRET + "x", "NEW": SECRET}}, diff=True)
    assert result["changed"] is True
    assert result["changes"] == {"added": ["NEW"], "changed": ["OLD"], "removed": []}
    assert result["env_keys"] == ["KEEP", "NEW", "OLD"]
    assert result["promoted"] is True
    assert fake_client.writes == ["releases.create", "releases.promote"]
    created = next(c for c in fake_client.calls if c[0] == "releases.create")
    assert created[3] == f"KEEP=1\nNEW={SECRET}\nOLD={SECRET}x"
    assert fake_client.app_data["web"]["release"] == result["release"]
    assert SECRET not in json.dumps(result)
    assert result["diff"]["after"]["env"]["NEW"].endswith("(added)")


def test_env_check_mode_predicts_without_writes(run_module: Any, fake_client: Any) -> None:
    seed(fake_client, env="A=1")
    result = run_module(convox_env, {"app": "web", "env": {"A": "2"}}, check=True, diff=True)
    assert result["changed"] is True
    assert result["release"] == "(new release)"
    assert result["promoted"] is True
    assert result["changes"]["changed"] == ["A"]
    assert fake_client.writes == []


def test_env_replace_and_absent(run_module: Any, fake_client: Any) -> None:
    seed(fake_client, env="A=1\nB=2\nC=3")
    replaced = run_module(convox_env, {"app": "web", "env": {"A": 1}, "replace": True, "promote": False})
    assert replaced["changed"] is True and replaced["changes"]["removed"] == ["B", "C"]
    assert replaced["promoted"] is False
    assert "releases.promote" not in fake_client.ops
    # base=latest sees the unpromoted release; removing a key that is gone changes nothing
    gone = run_module(convox_env, {"app": "web", "state": "absent", "keys": ["B"], "base": "latest", "promote": False})
    assert gone["changed"] is False


def test_env_bad_input_sends_nothing(run_module: Any, fake_client: Any) -> None:
    seed(fake_client)
    for args in (
        {"app": "web", "env": {"BAD=KEY": "x"}},
        {"app": "web", "env": {"A": "line\nbreak"}},
        {"app": "web", "state": "absent", "keys": ["A"], "env": {"A": "1"}},
    ):
        result = run_module(convox_env, args)
        assert result["failed"] is True
        assert "line\nbreak" not in json.dumps(result)
    assert fake_client.calls == []


def test_env_rollback_fails_naming_both_releases(run_module: Any, fake_client: Any) -> None:
    seed(fake_client, env="A=1")
    fake_client.fail_promote = errors.ConvoxRollbackError("RNEW0000001", "RACTIVE00001")
    result = run_module(convox_env, {"app": "web", "env": {"A": SECRET}})
    assert result["failed"] is True
    assert "RNEW0000001" in result["msg"] and "RACTIVE00001" in result["msg"]
    assert result["failure"]["release"] == "RNEW0000001"
    assert SECRET not in json.dumps(result)


def test_env_info_returns_dict(run_module: Any, fake_client: Any) -> None:
    seed(fake_client, env="B=2\nA=1")
    result = run_module(convox_env_info, {"app": "web", "release": "ractive00001"})
    assert result["env"] == {"A": "1", "B": "2"} and result["env_keys"] == ["A", "B"]
    assert result["release"] == "RACTIVE00001" and result["changed"] is False


# -- convox_release ------------------------------------------------------------------------


def test_release_promoted_is_case_insensitive(run_module: Any, fake_client: Any) -> None:
    seed(fake_client)
    result = run_module(convox_release, {"app": "web", "release": "ractive00001"})
    assert result["changed"] is False and fake_client.writes == []
    assert result["release"]["id"] == "RACTIVE00001"


def test_release_promote_other_and_check_mode(run_module: Any, fake_client: Any) -> None:
    seed(fake_client)
    fake_client.release_data["web"].insert(0, {"id": "RNEWER00002", "build": BUILD_ID, "env": ""})
    check = run_module(convox_release, {"app": "web", "release": "rnewer00002"}, check=True, diff=True)
    assert check["changed"] is True and fake_client.writes == []
    assert check["diff"] == {"before": {"active_release": "RACTIVE00001"}, "after": {"active_release": "RNEWER00002"}}
    done = run_module(convox_release, {"app": "web", "release": "rnewer00002"})
    assert done["changed"] is True and fake_client.writes == ["releases.promote"]
    assert fake_client.app_data["web"]["release"] == "RNEWER00002"


def test_rolled_back_noop_when_build_and_env_match(run_module: Any, fake_client: Any) -> None:
    seed(fake_client, env="B=2\nA=1", build=BUILD_ID)
    fake_client.release_data["web"].append({"id": "ROLDER00003", "build": BUILD_ID.lower(), "env": "A=1\nB=2"})
    result = run_module(convox_release, {"app": "web", "release": "ROLDER00003", "state": "rolled_back"})
    assert result["changed"] is False and fake_client.writes == []


def test_rolled_back_copies_forward(run_module: Any, fake_client: Any) -> None:
    seed(fake_client, env="A=1")
    fake_client.release_data["web"].append({"id": "ROLDER00003", "build": "BOTHER00000", "env": "A=0"})
    check = run_module(convox_release, {"app": "web", "release": "rolder00003", "state": "rolled_back"}, check=True)
    assert check["changed"] is True and check["release"]["id"] == "(new release)" and fake_client.writes == []
    done = run_module(convox_release, {"app": "web", "release": "rolder00003", "state": "rolled_back"})
    assert done["changed"] is True and "releases.rollback" in fake_client.ops
    assert done["release"]["build"] == "BOTHER00000"
    assert done["previous_release"] == "RACTIVE00001"


def test_release_info_marks_active_and_hides_values(run_module: Any, fake_client: Any) -> None:
    seed(fake_client, env="A=" + SECRET)
    result = run_module(convox_release_info, {"app": "web"})
    assert result["active_release"] == "RACTIVE00001"
    assert result["releases"][0]["active"] is True
    assert result["releases"][0]["env_keys"] == ["A"]
    assert SECRET not in json.dumps(result)
    missing = run_module(convox_release_info, {"app": "web", "id": "RNOPE000000"})
    assert missing["releases"] == []


# -- convox_app / convox_app_info ---------------------------------------------------------------


def test_app_parameters_compare_as_strings_and_empty_equals_missing(run_module: Any, fake_client: Any) -> None:
    seed(fake_client)
    fake_client.app_data["web"]["parameters"] = {"BuildMem": "1024"}
    result = run_module(convox_app, {"name": "web", "parameters": {"BuildMem": 1024, "BuildLabels": ""}})
    assert result["changed"] is False and fake_client.writes == []
    changed = run_module(convox_app, {"name": "web", "parameters": {"BuildCpu": 256}})
    assert changed["changed"] is True
    assert ("apps.update", "web", None, {"BuildCpu": "256"}) in fake_client.calls
    assert fake_client.app_data["web"]["parameters"] == {"BuildMem": "1024", "BuildCpu": "256"}


def test_app_check_mode_create_is_predicted(run_module: Any, fake_client: Any) -> None:
    result = run_module(convox_app, {"name": "new", "lock": True}, check=True, diff=True)
    assert result["changed"] is True
    assert result["app"]["name"] == "new" and result["app"]["locked"] is True
    assert result["diff"]["before"] == {}
    assert fake_client.writes == [] and "new" not in fake_client.app_data


def test_app_locked_delete_refused_then_unlocked(run_module: Any, fake_client: Any) -> None:
    seed(fake_client)
    fake_client.app_data["web"]["locked"] = True
    refused = run_module(convox_app, {"name": "web", "state": "absent"})
    assert refused["failed"] is True and "locked" in refused["msg"] and "lock: false" in refused["msg"]
    assert fake_client.writes == []
    # check mode answers as the real run does: refused without lock: false, a change with it
    refused_check = run_module(convox_app, {"name": "web", "state": "absent"}, check=True)
    assert refused_check["failed"] is True and refused_check["msg"] == refused["msg"]
    unlocked_check = run_module(convox_app, {"name": "web", "state": "absent", "lock": False}, check=True)
    assert unlocked_check["changed"] is True and fake_client.writes == []
    deleted = run_module(convox_app, {"name": "web", "state": "absent", "lock": False, "wait": False})
    assert deleted["changed"] is True and fake_client.writes == ["apps.update", "apps.delete"]
    again = run_module(convox_app, {"name": "web", "state": "absent"})
    assert again["changed"] is False


def test_app_info_one_request(run_module: Any, fake_client: Any) -> None:
    seed(fake_client)
    one = run_module(convox_app_info, {"name": "web"})
    assert [a["name"] for a in one["apps"]] == ["web"] and fake_client.ops == ["apps.get"]
    assert run_module(convox_app_info, {"name": "nope"})["apps"] == []
    assert [a["name"] for a in run_module(convox_app_info, {})["apps"]] == ["web"]


# -- convox_build / convox_deploy ---------------------------------------------------------------


def _source(tmp_path: Any, text: str = "services:\n  web:\n    build: .\n") -> str:
    (tmp_path / "convox.yml").write_text(text, encoding="utf-8")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n", encoding="utf-8")
    return os.fspath(tmp_path)


def test_build_is_idempotent_by_content(run_module: Any, fake_client: Any, tmp_path: Any) -> None:
    seed(fake_client)
    path = _source(tmp_path)
    check = run_module(convox_build, {"app": "web", "path": path}, check=True)
    assert check["changed"] is True and check["build"]["id"] == "(new build)" and fake_client.writes == []
    first = run_module(convox_build, {"app": "web", "path": path, "description": "first"})
    assert first["changed"] is True
    assert first["build"]["description"] == f"first [{first['fingerprint']}]"
    assert "objects.store" in fake_client.writes and "builds.create" in fake_client.writes
    writes = list(fake_client.writes)
    again = run_module(convox_build, {"app": "web", "path": path})
    assert again["changed"] is False and again["build"]["id"] == first["build"]["id"]
    assert fake_client.writes == writes
    forced = run_module(convox_build, {"app": "web", "path": path, "force": True})
    assert forced["changed"] is True and forced["build"]["id"] != first["build"]["id"]
    other = run_module(convox_build, {"app": "web", "path": path, "build_args": {"X": 1}})
    assert other["changed"] is True and other["fingerprint"] != first["fingerprint"]


def test_build_bad_path_fails_before_any_request(run_module: Any, fake_client: Any, tmp_path: Any) -> None:
    result = run_module(convox_build, {"app": "web", "path": os.fspath(tmp_path / "missing")})
    assert result["failed"] is True and "not a directory" in result["msg"]
    assert fake_client.calls == []


def test_build_info_id_casing(run_module: Any, fake_client: Any) -> None:
    seed(fake_client)
    fake_client.build_data["web"] = [{"id": BUILD_ID, "status": "complete", "release": "RACTIVE00001"}]
    result = run_module(convox_build_info, {"app": "web", "id": BUILD_ID.lower()})
    assert [b["id"] for b in result["builds"]] == [BUILD_ID]
    assert run_module(convox_build_info, {"app": "web", "id": "BNOPE000000"})["builds"] == []


def test_deploy_then_noop_then_new_release_after_env_change(run_module: Any, fake_client: Any, tmp_path: Any) -> None:
    fake_client.app_data["web"] = {"name": "web", "status": "running", "locked": False, "release": "", "parameters": {}}
    path = _source(tmp_path)
    first = run_module(convox_deploy, {"app": "web", "path": path})
    assert first["changed"] is True and first["release"]["active"] is True
    assert fake_client.app_data["web"]["release"] == first["release"]["id"]
    again = run_module(convox_deploy, {"app": "web", "path": path}, check=True)
    assert again["changed"] is False
    before = list(fake_client.writes)
    again = run_module(convox_deploy, {"app": "web", "path": path})
    assert again["changed"] is False and fake_client.writes == before
    # an env release on top runs the same build: still unchanged
    run_module(convox_env, {"app": "web", "env": {"A": "1"}})
    assert run_module(convox_deploy, {"app": "web", "path": path})["changed"] is False


def test_env_rerun_after_failed_promote_reuses_the_release(run_module: Any, fake_client: Any) -> None:
    seed(fake_client, env="A=1")
    fake_client.fail_promote = errors.ConvoxServerError(500, "promote exploded", "abcabcabcabc", "POST", "/x")
    failed = run_module(convox_env, {"app": "web", "env": {"A": "2"}})
    assert failed["failed"] is True and failed["failure"]["status"] == 500
    assert fake_client.writes == ["releases.create", "releases.promote"]
    fake_client.fail_promote = None
    rerun = run_module(convox_env, {"app": "web", "env": {"A": "2"}})
    assert rerun["changed"] is True and rerun["promoted"] is True
    assert fake_client.writes == ["releases.create", "releases.promote", "releases.promote"]
    assert fake_client.app_data["web"]["release"] == rerun["release"]
    assert run_module(convox_env, {"app": "web", "env": {"A": "2"}})["changed"] is False
