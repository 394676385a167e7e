# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Records: the pydantic-free stand-ins of the models (``_records``, ``_shapes``).

``_shapes.py`` is written from the models by ``tools/gen_shapes.py`` (``make shapes``); the first
test fails when the committed file differs from what the generator produces (it never writes).

The rest check that a record and the model agree on every attribute and on ``to_result()`` for
any answer a rack can send, and that an unusual answer is validated by the model and still comes
back as a record.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import subprocess
import sys
import typing

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.convox.convox.plugins.module_utils import _records as r
from ansible_collections.convox.convox.plugins.module_utils import _shapes
from ansible_collections.convox.convox.plugins.module_utils import models as m
from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxError

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
MODEL_NAMES = sorted(name for name, group in m.LAZY_MODELS.items() if group != "_models_base")


def _generator() -> typing.Any:
    spec = importlib.util.spec_from_file_location("gen_shapes", os.path.join(REPO_ROOT, "tools", "gen_shapes.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_shapes = _generator()

# ---------------------------------------------------------------------------------------------
# the generated table


def test_shapes_file_is_current():
    with open(_shapes.__file__, encoding="utf-8") as handle:
        committed = handle.read()
    assert committed == gen_shapes.render_shapes(), "stale _shapes.py: run make shapes (tools/gen_shapes.py)"


def test_generator_reads_the_same_models():
    # the generator loads this checkout's models as a package of its own; the collection's
    # models give the same table
    assert gen_shapes.render_shapes(m) == gen_shapes.render_shapes()
    assert gen_shapes.main(["--check"]) == 0


def test_field_kind_refuses_unknown_types():
    class Odd(m.ConvoxModel):
        when: datetime.date = datetime.date(2020, 1, 1)

    with pytest.raises(ValueError, match="no record kind"):
        gen_shapes.field_kind(Odd.model_fields["when"])


# ---------------------------------------------------------------------------------------------
# answers a rack can send, per kind

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
KEYS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-", min_size=1, max_size=10)


@st.composite
def go_times(draw: typing.Any) -> str:
    moment = draw(st.datetimes(min_value=datetime.datetime(1970, 1, 1), max_value=datetime.datetime(2100, 1, 1)))
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    digits = draw(st.integers(min_value=0, max_value=9))
    if digits:
        text += "." + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=digits, max_size=digits)))
    offset = draw(st.sampled_from(["Z", "+00:00", "+02:00", "-07:30", "+05:45"]))
    return text + offset


def value_for(kind: str, nested: typing.Optional[str], depth: int) -> st.SearchStrategy[typing.Any]:
    if kind == "str":
        return st.one_of(st.none(), TEXT)
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        return st.integers(min_value=-(2**40), max_value=2**40)
    if kind == "float":
        return st.one_of(st.integers(min_value=0, max_value=10**6), st.floats(allow_nan=False, allow_infinity=False))
    if kind.startswith("opt_") and kind[4:] in ("bool", "int", "str"):
        return st.one_of(st.none(), value_for(kind[4:], None, depth))
    if kind == "strmap":
        return st.one_of(st.none(), st.dictionaries(KEYS, TEXT, max_size=3))
    if kind == "strlist":
        return st.one_of(st.none(), st.lists(TEXT, max_size=3))
    if kind == "time":
        return st.one_of(st.none(), st.just(""), st.just("0001-01-01T00:00:00Z"), go_times())
    if kind == "opt_dict":
        return st.one_of(st.none(), st.dictionaries(KEYS, st.one_of(TEXT, st.integers(), st.booleans()), max_size=3))
    if kind == "opt_list":
        return st.one_of(st.none(), st.lists(st.one_of(TEXT, st.integers()), max_size=3))
    assert nested is not None
    if kind == "model":
        return st.one_of(st.none(), answers(nested, depth + 1))
    if kind == "models":
        return st.one_of(st.none(), st.lists(answers(nested, depth + 1), max_size=2))
    raise AssertionError(kind)


@st.composite
def answers(draw: typing.Any, name: str, depth: int = 0) -> typing.Dict[str, typing.Any]:
    """A JSON object the rack could send for ``name``: some fields missing, some unknown keys."""
    data: typing.Dict[str, typing.Any] = {}
    for attr, wire, kind, _default, nested in _shapes.SHAPES[name]:
        if not draw(st.booleans()) and depth < 2:
            continue
        key = wire if draw(st.integers(min_value=0, max_value=5)) else attr
        data[key] = draw(value_for(kind, nested, depth))
    known = {f[0] for f in _shapes.SHAPES[name]} | {f[1] for f in _shapes.SHAPES[name]}
    # unknown keys, but not the names of either class's own API (``to_result``, ``copy``...),
    # which hide a key of that name on both
    unknown = KEYS.filter(lambda k: k not in known and not hasattr(r.Record, k) and not hasattr(m.ConvoxModel, k))
    extra = draw(st.dictionaries(unknown, st.one_of(TEXT, st.integers()), max_size=2))
    data.update(extra)
    return data


def same(record: typing.Any, model: typing.Any) -> None:
    """Every attribute equal (nested ones compared as results) and the same result."""
    assert record.to_result() == model.to_result()
    assert json.dumps(record.to_result(), sort_keys=True) == json.dumps(model.to_result(), sort_keys=True)
    for attr in type(model).model_fields:
        got, want = getattr(record, attr), getattr(model, attr)
        if isinstance(want, m.ConvoxModel) or (isinstance(want, list) and want and isinstance(want[0], m.ConvoxModel)):
            assert m.to_result(got) == m.to_result(want), attr
        else:
            assert got == want, attr
            assert type(got) is type(want), attr
    for key, value in (model.__pydantic_extra__ or {}).items():
        assert getattr(record, key) == value


@pytest.mark.parametrize("name", MODEL_NAMES)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_record_matches_model(name, data):
    answer = data.draw(answers(name))
    record = r.record(name, answer)
    model = m.parse(getattr(m, name), answer)
    assert isinstance(record, r.Record)  # a rack's usual answer never needs the model
    same(record, model)
    assert record == r.record(name, answer)
    assert record.record_type == name


@pytest.mark.parametrize(
    ("name", "answer"),
    [
        ("App", {"name": "x", "locked": "true"}),  # a string where a bool belongs
        ("Build", {"id": "B1", "started": "2024-01-02 03:04:05Z"}),  # a time layout Go never writes
        ("Process", {"id": "p", "cpu": "0.25"}),
        ("Service", {"name": "web", "ports": [{"balancer": "80"}]}),  # nested: the whole answer goes to the model
        ("Release", {"id": "R", "created": 1700000000}),  # a Unix time, which pydantic reads
    ],
)
def test_unusual_answers_are_validated_by_the_model(name, answer):
    got = r.record(name, answer)
    model = m.parse(getattr(m, name), answer)
    assert isinstance(got, r.Record)  # still a record: the caller never sees two types
    assert got.record_type == name
    same(got, model)
    assert r.record_list(name, [answer]) == [got]


def test_unusual_nested_answers_become_nested_records():
    got = r.record("Service", {"name": "web", "ports": [{"balancer": "80"}], "autoscale": {"enabled": "true"}})
    assert isinstance(got.ports[0], r.Record) and got.ports[0].record_type == "ServicePort"
    assert got.ports[0].balancer == 80
    assert isinstance(got.autoscale, r.Record) and got.autoscale.enabled is True
    both = r.record("Build", {"id": "B", "git-sha": "a", "git_sha": "b", "x-y": 1})  # both spellings
    model = m.parse(m.Build, {"id": "B", "git-sha": "a", "git_sha": "b", "x-y": 1})
    assert isinstance(both, r.Record)
    assert both.git_sha == model.git_sha == "a"  # the wire key wins, the other spelling is kept
    assert both.to_result() == model.to_result()


def test_records_client_answers_unusual_answers_with_records(client, router):
    client.records = True
    router.get("/apps/myapp").mock(return_value=httpx.Response(200, json={"name": "myapp", "locked": "true"}))
    router.get("/apps").mock(return_value=httpx.Response(200, json=[{"name": "a"}, {"name": "b", "locked": 1}]))
    app = client.apps.get("myapp")
    assert isinstance(app, r.Record) and app.locked is True
    apps = client.apps.list()
    assert [type(item) for item in apps] == [r.Record, r.Record]
    assert [item.locked for item in apps] == [False, True]


def test_invalid_answer_raises_like_the_model():
    with pytest.raises(ConvoxError, match="unexpected answer from the rack for App"):
        r.record("App", {"name": ["not", "text"]})
    with pytest.raises(ConvoxError, match="for App: 1 validation error"):
        r.record("App", {"name": "x", "parameters": {"a": 1}})
    with pytest.raises(ConvoxError, match="for Release: 1 validation error"):
        r.record("Release", {"id": "R", "created": "2024-02-30T00:00:00Z"})  # no such day
    with pytest.raises(ConvoxError, match="expected a JSON object for Build"):
        r.record("Build", ["x"])
    with pytest.raises(ConvoxError, match="expected a JSON list of App"):
        r.record_list("App", {"name": "x"})
    assert r.record_list("App", None) == []


def test_records_read_like_models():
    odd = r.record("App", {"name": "x", "_fields": "a", "_extra": "b", "_Record_fields": "c"})
    assert (odd.name, odd._fields, odd._extra, odd._Record_fields) == ("x", "a", "b", "c")  # no key hides the state
    rec = r.record("Release", {"id": "R1", "env": "A=1", "created": "2024-01-02T03:04:05.123456789Z", "x-y": 1})
    assert rec.id == "R1"
    assert rec.created == datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.timezone.utc)
    assert rec.to_result()["created"] == "2024-01-02T03:04:05.123456Z"
    assert rec.to_result()["x_y"] == 1
    assert m.to_result([rec]) == [rec.to_result()]
    with pytest.raises(AttributeError, match="no_such"):
        rec.no_such  # noqa: B018
    rec.env = "B=2"  # assignable, like a model
    assert rec.env == "B=2"
    assert "R1" in repr(rec) and "B=2" not in repr(rec)  # values stay out of the repr
    assert rec != r.record("Release", {"id": "R2"})
    with pytest.raises(KeyError):
        r.record("NoSuchModel", {})


def test_records_never_import_pydantic():
    code = (
        f"import sys; sys.path.insert(0, {HERE!r}); import conftest; conftest._install()\n"
        "from ansible_collections.convox.convox.plugins.module_utils import _records, models\n"
        "rec = _records.record_list('Service', [{'name': 'web', 'ports': [{'balancer': 80, 'container': 3000}],"
        " 'autoscale': {'enabled': True, 'cpu-threshold': 50}}])\n"
        "models.to_result(rec)\n"
        "print('pydantic' in sys.modules, type(rec[0]).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["False", "Record"]


def test_unusual_answer_without_a_usable_pydantic(monkeypatch):
    """pydantic installed but not importable as v2: a clear ConvoxError, not an AttributeError."""
    from ansible_collections.convox.convox.plugins.module_utils import _pydantic

    monkeypatch.setattr(_pydantic, "HAS_PYDANTIC", False)
    error = "Traceback...\nImportError: cannot import name 'BeforeValidator'"
    monkeypatch.setattr(_pydantic, "PYDANTIC_IMPORT_ERROR", error)
    assert r.record("App", {"name": "x"}).name == "x"  # the usual answer needs no pydantic
    with pytest.raises(ConvoxError, match=r"pydantic \(v2\) is required to read App: ImportError: cannot import"):
        r.record("App", {"name": "x", "locked": "true"})
