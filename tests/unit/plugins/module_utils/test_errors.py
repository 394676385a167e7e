# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Error mapping: every status, every legacy message, message extraction, no secrets."""

from __future__ import annotations

import pickle

import httpx
import pytest

from ansible_collections.convox.convox.plugins.module_utils import errors as e

STATUS_CASES = [
    (400, "app name is reserved", e.ConvoxValidationError),
    (400, "can not promote an older release, try rollback", e.ConvoxValidationError),
    (401, "invalid authentication", e.ConvoxAuthError),
    (401, "invalid authentication: token is expired", e.ConvoxAuthError),
    (401, "cli token is expired", e.ConvoxAuthError),
    (401, "you are unauthorized to access this", e.ConvoxForbiddenError),
    (403, "process exec requires write access", e.ConvoxForbiddenError),
    (403, "admin role required", e.ConvoxForbiddenError),
    (403, "app is currently updating", e.ConvoxConflictError),
    (403, "app is not updating", e.ConvoxConflictError),
    (404, "app not found: nope", e.ConvoxNotFoundError),
    (404, "response status 404", e.ConvoxNotFoundError),
    (404, "invalid duration", e.ConvoxNotFoundError),
    (405, "response status 405", e.ConvoxAPIError),
    (409, "app already exists: myapp", e.ConvoxConflictError),
    (409, "app is locked: myapp", e.ConvoxConflictError),
    (422, "image param required", e.ConvoxValidationError),
    (429, "slow down", e.ConvoxGatewayError),
    (500, "something broke", e.ConvoxServerError),
    (501, "unimplemented", e.ConvoxNotImplementedError),
    (501, "release history is unavailable", e.ConvoxNotImplementedError),
    (502, "bad gateway", e.ConvoxGatewayError),
    (503, "metrics: server busy, retry shortly", e.ConvoxGatewayError),
    (504, "gateway timeout", e.ConvoxGatewayError),
    (599, "odd", e.ConvoxServerError),
    (418, "teapot", e.ConvoxAPIError),
]

# racks before 3.24.1, v2 racks and Kubernetes lookups: 500 with a telling text
LEGACY_CASES = [
    ("app not found: x", e.ConvoxNotFoundError),
    ("no such app: x", e.ConvoxNotFoundError),
    ('releases.convox.com "r0123abcdef" not found', e.ConvoxNotFoundError),
    ('builds.convox.com "b0123abcdef" not found', e.ConvoxNotFoundError),
    ('pods "web-1" not found', e.ConvoxNotFoundError),
    ('deployments.apps "web" not found', e.ConvoxNotFoundError),
    ('secrets "cert-1" not found', e.ConvoxNotFoundError),
    ('configmaps "resource-db" not found', e.ConvoxNotFoundError),
    ("no such service: web", e.ConvoxNotFoundError),
    ("no such resource: db", e.ConvoxNotFoundError),
    ("no such registry: quay.io", e.ConvoxNotFoundError),
    ("object not found: k", e.ConvoxNotFoundError),
    ("Stack with id x does not exist", e.ConvoxNotFoundError),
    ("app already exists: x", e.ConvoxConflictError),
    ("app is locked: x", e.ConvoxConflictError),
    ("build b1 is already importing; wait for completion before retrying", e.ConvoxConflictError),
    ("app is currently updating", e.ConvoxConflictError),
    ("app name is reserved", e.ConvoxValidationError),
    ("can not promote a release with an empty manifest", e.ConvoxValidationError),
    ("can not promote an older release, try rollback", e.ConvoxValidationError),
    ("invalid duration", e.ConvoxValidationError),
    ("must specify a domain", e.ConvoxValidationError),
    ("parameter required: Url", e.ConvoxValidationError),
    ("cannot parse", e.ConvoxValidationError),
    ("unimplemented", e.ConvoxNotImplementedError),
    ('strconv.Atoi: parsing "x": boom', e.ConvoxServerError),
    ("", e.ConvoxServerError),
]


@pytest.mark.parametrize(("status", "message", "cls"), STATUS_CASES)
def test_status_mapping(status, message, cls):
    assert e.error_class(status, message) is cls
    error = e.from_response(status, message + "\n")
    assert error.__class__ is cls
    assert error.status_code == status
    assert error.message == message


@pytest.mark.parametrize(("message", "cls"), LEGACY_CASES)
def test_legacy_500_mapping(message, cls):
    assert e.from_response(500, message).__class__ is cls


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"error":"app not found: x"}\n', "app not found: x"),
        ('{"error": ""}', '{"error": ""}'),
        ('{"errors":[{"message":"denied"}]}', "denied"),
        ("{not json", "{not json"),
        ("  plain text \n", "plain text"),
        ("", "response status 500"),
    ],
)
def test_message_extraction(body, message):
    assert e.error_message(500, body) == message


def test_hierarchy():
    for cls in (
        e.ConvoxAuthError,
        e.ConvoxForbiddenError,
        e.ConvoxNotFoundError,
        e.ConvoxValidationError,
        e.ConvoxConflictError,
        e.ConvoxNotImplementedError,
        e.ConvoxServerError,
        e.ConvoxGatewayError,
    ):
        assert issubclass(cls, e.ConvoxAPIError)
    assert issubclass(e.ConvoxGatewayError, e.ConvoxServerError)
    for cls in (
        e.ConvoxAPIError,
        e.ConvoxConnectionError,
        e.ConvoxTimeoutError,
        e.ConvoxInputError,
        e.ConvoxRollbackError,
        e.ConvoxBuildFailedError,
        e.ConvoxStreamError,
    ):
        assert issubclass(cls, e.ConvoxError)
    assert issubclass(e.ConvoxInputError, ValueError)
    assert not issubclass(e.ConvoxError, httpx.HTTPError)


def test_api_error_text_and_dict():
    error = e.from_response(
        404, '{"error":"app not found: x"}', request_id="0123456789ab", method="GET", path="/apps/x"
    )
    assert str(error) == "app not found: x (HTTP 404, GET /apps/x, request id 0123456789ab)"
    assert "ConvoxNotFoundError(status_code=404" in repr(error)
    assert error.to_dict() == {
        "type": "ConvoxNotFoundError",
        "message": "app not found: x",
        "status_code": 404,
        "request_id": "0123456789ab",
        "method": "GET",
        "path": "/apps/x",
    }
    assert str(e.ConvoxAPIError(500, "m")) == "m (HTTP 500)"


def test_other_errors_text():
    assert str(e.ConvoxRollbackError("RNEW", "ROLD")) == "release RNEW was rolled back; the active release is ROLD"
    assert e.ConvoxRollbackError("RNEW").to_dict()["release"] == "RNEW"
    failed = e.ConvoxBuildFailedError("B1", "step 3 failed")
    assert str(failed) == "build B1 failed:\nstep 3 failed"
    assert failed.to_dict()["log_tail"] == "step 3 failed"
    assert str(e.ConvoxBuildFailedError("B1")) == "build B1 failed"
    assert e.ConvoxInputError("bad", field="env").to_dict() == {
        "type": "ConvoxInputError",
        "message": "bad",
        "field": "env",
    }
    stream = e.ConvoxStreamError("boom", output=b"x", exit_code=1)
    assert (stream.output, stream.exit_code) == (b"x", 1)
    assert repr(e.ConvoxError("m")) == "ConvoxError('m')"


def test_secrets_are_redacted():
    error = e.from_response(500, "failed to log in with hunter2 and p%40ss", secrets=["hunter2", "p@ss", None, ""])
    assert "hunter2" not in str(error)
    assert "p%40ss" not in str(error)
    assert error.message == "failed to log in with ******** and ********"
    assert e.redact("a short pw: abc", ["abc"]) == "a short pw: abc"


def test_errors_pickle():
    error = e.from_response(409, "app already exists: x")
    assert isinstance(pickle.loads(pickle.dumps(e.ConvoxError("m"))), e.ConvoxError)
    assert error.status_code == 409
