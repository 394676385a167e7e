# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exception classes of the Convox client and the mapping from rack answers to them.

Standard library only: this module is imported by every other part of the client and by the
Ansible glue, also on hosts where httpx or pydantic are missing.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, Optional, Sequence, Type


class ConvoxError(Exception):
    """Base class of every error the client raises."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def to_dict(self) -> Dict[str, Any]:
        """Plain description of the failure (used by the Ansible glue for ``failure``)."""
        return {"type": type(self).__name__, "message": self.message}


class ConvoxAPIError(ConvoxError):
    """The rack answered with an error status."""

    def __init__(
        self,
        status_code: int,
        message: str,
        request_id: Optional[str] = None,
        method: Optional[str] = None,
        path: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.request_id = request_id
        self.method = method
        self.path = path

    def __str__(self) -> str:
        text = self.message
        where = " ".join(part for part in (self.method, self.path) if part)
        details = [f"HTTP {self.status_code}"]
        if where:
            details.append(where)
        if self.request_id:
            details.append(f"request id {self.request_id}")
        return "{} ({})".format(text, ", ".join(details))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, message={self.message!r}, "
            f"request_id={self.request_id!r}, method={self.method!r}, path={self.path!r})"
        )

    def to_dict(self) -> Dict[str, Any]:
        result = super().to_dict()
        result.update(status_code=self.status_code, request_id=self.request_id, method=self.method, path=self.path)
        return result


class ConvoxAuthError(ConvoxAPIError):
    """401: the credentials were refused (wrong password, bad or expired token)."""


class ConvoxForbiddenError(ConvoxAPIError):
    """The credentials are valid but their role is too weak (the rack answers 401 or 403)."""


class ConvoxNotFoundError(ConvoxAPIError):
    """The object does not exist (404, or a 500 with a "not found" text)."""


class ConvoxValidationError(ConvoxAPIError):
    """The rack rejected the input (400, 422, or a 500 with a validation text)."""


class ConvoxConflictError(ConvoxAPIError):
    """The object exists, is locked, or is busy (409, or a state conflict)."""


class ConvoxNotImplementedError(ConvoxAPIError):
    """The rack does not implement this operation (501)."""


class ConvoxServerError(ConvoxAPIError):
    """Any other server-side failure (5xx)."""


class ConvoxGatewayError(ConvoxServerError):
    """Temporary unavailability (502, 503, 504, 429); safe requests are retried before this is raised."""


class ConvoxConnectionError(ConvoxError):
    """The rack could not be reached, or the connection broke."""


class ConvoxTimeoutError(ConvoxError):
    """A request or a wait ran out of time."""


class ConvoxInputError(ConvoxError, ValueError):
    """Bad input detected before anything was sent."""

    def __init__(self, message: str, field: Optional[str] = None) -> None:
        super().__init__(message)
        self.field = field

    def to_dict(self) -> Dict[str, Any]:
        result = super().to_dict()
        result["field"] = self.field
        return result


class ConvoxRollbackError(ConvoxError):
    """A promoted release was rolled back by the rack."""

    def __init__(self, release: str, active_release: Optional[str] = None, message: Optional[str] = None) -> None:
        if message is None:
            message = f"release {release} was rolled back"
            if active_release:
                message += f"; the active release is {active_release}"
        super().__init__(message)
        self.release = release
        self.active_release = active_release

    def to_dict(self) -> Dict[str, Any]:
        result = super().to_dict()
        result.update(release=self.release, active_release=self.active_release)
        return result


class ConvoxReleaseConflictError(ConvoxError):
    """Another writer kept creating releases between our read and our write (``concurrency.py``).

    Raised by the optimistic-concurrency writes (``releases.write``, ``environment.write``,
    ``environment.update``, ``releases.rollback(retries=...)``) after ``attempts`` tries.
    ``release`` is our last release, never promoted; ``concurrent`` the releases that were
    created from another base in between (newest last). Nothing was promoted; running the task
    again merges onto the newest release. Names ids only, never environment values.
    """

    def __init__(
        self,
        app: str,
        release: Optional[str],
        concurrent: Sequence[str] = (),
        attempts: int = 0,
        message: Optional[str] = None,
    ) -> None:
        if message is None:
            others = ", ".join(concurrent) or "another release"
            message = (
                f"release {release} of app {app} was not promoted: {others} was created from another "
                f"environment between our read and our write, {attempts} time(s) in a row"
            )
        super().__init__(message)
        self.app = app
        self.release = release
        self.concurrent = list(concurrent)
        self.attempts = attempts

    def to_dict(self) -> Dict[str, Any]:
        result = super().to_dict()
        result.update(app=self.app, release=self.release, concurrent=self.concurrent, attempts=self.attempts)
        return result


class ConvoxBuildFailedError(ConvoxError):
    """A build ended with status ``failed``; ``log_tail`` holds the last lines of its log."""

    def __init__(self, build_id: str, log_tail: str = "", message: Optional[str] = None) -> None:
        if message is None:
            message = f"build {build_id} failed"
            if log_tail:
                message += ":\n" + log_tail
        super().__init__(message)
        self.build_id = build_id
        self.log_tail = log_tail

    def to_dict(self) -> Dict[str, Any]:
        result = super().to_dict()
        result.update(build_id=self.build_id, log_tail=self.log_tail)
        return result


class ConvoxStreamError(ConvoxError):
    """A websocket stream failed: an ``ERROR:`` frame, or the stream ended before the exit marker."""

    def __init__(self, message: str, output: bytes = b"", exit_code: Optional[int] = None) -> None:
        super().__init__(message)
        self.output = output
        self.exit_code = exit_code


# --------------------------------------------------------------------------------------------
# Mapping of rack answers to exception classes (convox-api.md section 3)

_STATE_CONFLICTS = ("app is currently updating", "app is not updating")
_FORBIDDEN_401 = "you are unauthorized to access this"
_NOT_FOUND_RE = re.compile(r"not found|no such |does not exist", re.IGNORECASE)
_CONFLICT_RE = re.compile(
    r"already exists|is locked|is already importing|is currently updating|is not updating", re.IGNORECASE
)
_VALIDATION_RE = re.compile(r"reserved|invalid |must |required|can not promote|cannot ", re.IGNORECASE)

_BY_STATUS: Dict[int, Type[ConvoxAPIError]] = {
    400: ConvoxValidationError,
    401: ConvoxAuthError,
    403: ConvoxForbiddenError,
    404: ConvoxNotFoundError,
    409: ConvoxConflictError,
    422: ConvoxValidationError,
    429: ConvoxGatewayError,
    501: ConvoxNotImplementedError,
    502: ConvoxGatewayError,
    503: ConvoxGatewayError,
    504: ConvoxGatewayError,
}


def error_message(status_code: int, body: str) -> str:
    """Extract the message like the Go SDK: JSON ``{"error": ...}``, else the trimmed text."""
    text = body.strip()
    if text.startswith("{"):
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            value = decoded.get("error")
            if isinstance(value, str) and value.strip():
                return value.strip()
            errors = decoded.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict) and errors[0].get("message"):
                return str(errors[0]["message"])
    if text:
        return text
    return f"response status {status_code}"


def error_class(status_code: int, message: str) -> Type[ConvoxAPIError]:
    """Choose the exception class for a status code and message (typed and legacy racks)."""
    lowered = message.lower()
    if status_code == 401:
        if _FORBIDDEN_401 in lowered:
            return ConvoxForbiddenError
        return ConvoxAuthError
    if status_code == 403:
        if any(text in lowered for text in _STATE_CONFLICTS):
            return ConvoxConflictError
        return ConvoxForbiddenError
    if status_code in _BY_STATUS:
        return _BY_STATUS[status_code]
    if status_code >= 500:
        if _NOT_FOUND_RE.search(message):
            return ConvoxNotFoundError
        if _CONFLICT_RE.search(message):
            return ConvoxConflictError
        if _VALIDATION_RE.search(message):
            return ConvoxValidationError
        if lowered == "unimplemented":
            return ConvoxNotImplementedError
        return ConvoxServerError
    return ConvoxAPIError


REDACT_MIN_LENGTH = 4


def redact(text: str, secrets: Sequence[Optional[str]]) -> str:
    """Replace every secret (and its URL-encoded form) found in ``text`` with ``********``.

    Strings shorter than ``REDACT_MIN_LENGTH`` are left alone: replacing them would garble every
    message while protecting nothing.
    """
    from urllib.parse import quote

    for secret in secrets:
        if not secret or len(secret) < REDACT_MIN_LENGTH:
            continue
        for form in (secret, quote(secret, safe=""), quote(secret, safe="/:")):
            if form and form in text:
                text = text.replace(form, "********")
    return text


def from_response(
    status_code: int,
    body: str,
    *,
    request_id: Optional[str] = None,
    method: Optional[str] = None,
    path: Optional[str] = None,
    secrets: Sequence[Optional[str]] = (),
) -> ConvoxAPIError:
    """Build the exception for an error answer; secrets are removed from the message."""
    message = redact(error_message(status_code, body), secrets)
    cls = error_class(status_code, message)
    return cls(status_code, message, request_id=request_id, method=method, path=path)
