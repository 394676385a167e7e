# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Websocket streams: exec and log routes (convox-api.md section 7), with websocket-client.

Frames are read as raw bytes (payloads may be invalid UTF-8). A text frame starting with
``ERROR: `` is a failure; the exit-code marker is stripped from the output wherever it appears;
an empty binary frame ends the stream. Options travel as handshake headers only.
"""

from __future__ import annotations

import re
import ssl
import time
import traceback
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from .errors import ConvoxConnectionError, ConvoxError, ConvoxStreamError, ConvoxTimeoutError, from_response
from .transport import Transport, encode_headers

HAS_WEBSOCKET: bool
WEBSOCKET_IMPORT_ERROR: Optional[str]
if TYPE_CHECKING:
    import websocket as websocket_client
else:
    try:
        import websocket as websocket_client
    except ImportError:
        websocket_client = None
        HAS_WEBSOCKET = False
        WEBSOCKET_IMPORT_ERROR = traceback.format_exc()
    else:
        HAS_WEBSOCKET = True
        WEBSOCKET_IMPORT_ERROR = None

EXIT_MARKER = b"F1E49A85-0AD7-4AEF-A618-C249C6E6568D:"
_MARKER_RE = re.compile(re.escape(EXIT_MARKER) + rb"(-?\d+)\r?\n?")
_OPCODE_TEXT = 0x1
_OPCODE_BINARY = 0x2
_OPCODE_CLOSE = 0x8
_SKIPPED_HEADERS = ("accept", "content-type")


def strip_exit_marker(data: bytes) -> Tuple[bytes, Optional[int]]:
    """Remove every exit-code marker from ``data``; return the output and the last code."""
    code: Optional[int] = None
    for match in _MARKER_RE.finditer(data):
        code = int(match.group(1))
    if code is None:
        return data, None
    return _MARKER_RE.sub(b"", data), code


class StreamResult:
    """Raw outcome of one stream."""

    def __init__(self, output: bytes, exit_code: Optional[int], error: Optional[str], ended: bool) -> None:
        self.output = output
        self.exit_code = exit_code
        self.error = error
        self.ended = ended

    def __repr__(self) -> str:
        return (
            f"StreamResult(bytes={len(self.output)}, exit_code={self.exit_code!r}, "
            f"error={self.error!r}, ended={self.ended!r})"
        )


def _handshake_headers(transport: Transport, options: Optional[Dict[str, Any]]) -> Dict[str, str]:
    headers = {k: v for k, v in transport.headers.items() if k.lower() not in _SKIPPED_HEADERS}
    headers.update(encode_headers(options))
    return headers


def _sslopt(transport: Transport) -> Dict[str, Any]:
    if not transport.base_url.startswith("https://"):
        return {}
    if transport.ca_path:
        return {"cert_reqs": ssl.CERT_REQUIRED, "ca_certs": transport.ca_path}
    if not transport.verify:
        return {"cert_reqs": ssl.CERT_NONE, "check_hostname": False}
    return {"cert_reqs": ssl.CERT_REQUIRED}


def connect(
    transport: Transport, path: str, options: Optional[Dict[str, Any]] = None, timeout: Optional[float] = None
) -> Any:
    """Open a websocket to ``path`` with the client's auth and the options as headers."""
    if not HAS_WEBSOCKET:
        raise ConvoxError("the Python library websocket-client is required for exec and log streams")
    headers = _handshake_headers(transport, options)
    url = transport.ws_url(path)
    try:
        return websocket_client.create_connection(
            url,
            header=["{}: {}".format(*item) for item in headers.items()],
            sslopt=_sslopt(transport),
            timeout=transport.timeout if timeout is None else timeout,
            skip_utf8_validation=True,
            suppress_origin=True,
            enable_multithread=False,
        )
    except websocket_client.WebSocketBadStatusException as exc:
        body = exc.resp_body.decode("utf-8", "replace") if isinstance(exc.resp_body, bytes) else ""
        raise from_response(
            exc.status_code, body, method="GET", path=path, secrets=[transport.credentials.password]
        ) from None
    except websocket_client.WebSocketTimeoutException:
        raise ConvoxTimeoutError(f"timed out opening the stream {path}") from None
    except (OSError, websocket_client.WebSocketException) as exc:
        detail = transport.redact(str(exc) or type(exc).__name__)
        raise ConvoxConnectionError(f"cannot open the stream {path}: {detail}") from None


def read_stream(
    transport: Transport, path: str, options: Optional[Dict[str, Any]] = None, *, timeout: Optional[float] = None
) -> StreamResult:
    """Read a stream to its end (empty binary frame, close, or a broken connection)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    conn = connect(transport, path, options, timeout=timeout)
    chunks = []
    error: Optional[str] = None
    ended = False
    first = True
    try:
        while True:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ConvoxTimeoutError(f"the stream {path} did not end within {timeout} seconds")
                conn.settimeout(remaining)
            try:
                opcode, data = conn.recv_data()
            except websocket_client.WebSocketTimeoutException:
                raise ConvoxTimeoutError(f"the stream {path} did not end within {timeout} seconds") from None
            except (OSError, websocket_client.WebSocketException):
                break
            if first and data[:1] == b"\x00":
                raise ConvoxStreamError("this rack uses ECS Exec (session manager), which the client does not support")
            first = False
            if opcode == _OPCODE_BINARY:
                ended = True
                break
            if opcode == _OPCODE_CLOSE:
                ended = True
                break
            if opcode == _OPCODE_TEXT and data.startswith(b"ERROR: "):
                if error is None:
                    error = transport.redact(data[len(b"ERROR: ") :].decode("utf-8", "replace").strip())
                continue
            chunks.append(data)
    finally:
        try:
            conn.close()
        except (OSError, websocket_client.WebSocketException):
            pass
    output, code = strip_exit_marker(b"".join(chunks))
    return StreamResult(output, code, error, ended)


def exec_stream(
    transport: Transport, path: str, options: Dict[str, Any], *, timeout: Optional[float] = None
) -> Tuple[bytes, int]:
    """Run an exec stream and return (output, exit code); errors and a missing marker raise."""
    result = read_stream(transport, path, options, timeout=timeout)
    if result.error is not None:
        raise ConvoxStreamError(result.error, output=result.output, exit_code=result.exit_code)
    if result.exit_code is None:
        if result.ended:
            message = "the stream ended without an exit code"
        else:
            message = "the stream was lost before the exit code arrived"
        raise ConvoxStreamError(message, output=result.output)
    return result.output, result.exit_code


def log_stream(
    transport: Transport, path: str, options: Optional[Dict[str, Any]] = None, *, timeout: Optional[float] = None
) -> bytes:
    """Read a log stream to its end; an ``ERROR:`` frame raises ``ConvoxStreamError``."""
    result = read_stream(transport, path, options, timeout=timeout)
    if result.error is not None:
        raise ConvoxStreamError(result.error, output=result.output)
    return result.output


# -- bounded log reads ---------------------------------------------------------------------------

LOG_ENDED = "ended"
LOG_MAX_LINES = "max_lines"
LOG_TIMEOUT = "timeout"
LOG_LOST = "lost"


def read_log_lines(
    transport: Transport,
    path: str,
    options: Optional[Dict[str, Any]] = None,
    *,
    timeout: float,
    max_lines: Optional[int] = None,
    keep: Optional[Callable[[str], Optional[str]]] = None,
) -> Tuple[List[str], str]:
    """Read a log stream as lines, never past ``timeout`` seconds (connecting included).

    Frames are cut into lines (chunking is arbitrary); ``keep`` maps each line to what is kept
    (``None`` drops it) before ``max_lines`` counts it. Returns ``(lines, why)``: ``why`` is
    ``"ended"`` (empty binary frame or close), ``"max_lines"``, ``"timeout"`` (a stream that
    keeps following is cut at the deadline, with what arrived) or ``"lost"`` (the connection
    broke). A partial last line is kept. An ``ERROR:`` frame raises ``ConvoxStreamError``.
    """
    deadline = time.monotonic() + timeout
    conn = connect(transport, path, options, timeout=max(timeout, 0.001))
    lines: List[str] = []
    pending = b""
    why = LOG_LOST

    def take(raw: bytes) -> bool:
        text = raw.decode("utf-8", "replace")
        if text.endswith("\r"):
            text = text[:-1]
        kept = keep(text) if keep is not None else text
        if kept is not None:
            lines.append(kept)
        return max_lines is not None and len(lines) >= max_lines

    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                why = LOG_TIMEOUT
                break
            conn.settimeout(remaining)
            try:
                opcode, data = conn.recv_data()
            except websocket_client.WebSocketTimeoutException:
                why = LOG_TIMEOUT
                break
            except (OSError, websocket_client.WebSocketException):
                break
            if opcode in (_OPCODE_BINARY, _OPCODE_CLOSE):
                why = LOG_ENDED
                break
            if opcode == _OPCODE_TEXT and data.startswith(b"ERROR: ") and not pending:
                message = transport.redact(data[len(b"ERROR: ") :].decode("utf-8", "replace").strip())
                raise ConvoxStreamError(message, output="\n".join(lines).encode("utf-8"))
            pending += data
            *complete, pending = pending.split(b"\n")
            full = False
            for raw in complete:
                if take(raw):
                    full = True
                    break
            if full:
                why = LOG_MAX_LINES
                pending = b""
                break
    finally:
        try:
            conn.close()
        except (OSError, websocket_client.WebSocketException):
            pass
    if pending and why != LOG_MAX_LINES:
        take(pending)
    return lines, why
