# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place where requests are encoded, sent, retried and turned into errors.

Wire rules (convox-api.md section 1.2): options travel as a form body for POST/PUT and in the
query string for GET/DELETE/HEAD/OPTIONS; keys are sorted; booleans are ``true``/``false``;
lists are comma-joined; maps are URL query strings (encoded a second time inside a form);
durations are Go duration strings; run/exec options are request headers; raw bodies are
``application/octet-stream``. ``Accept: application/json`` makes 3.24.1+ racks answer errors as JSON.
"""

from __future__ import annotations

import base64
import datetime
import json
import math
import random
import re
import ssl
import time
import traceback
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple, Union
from urllib.parse import quote, urlencode

from ._version import CLI_VERSION, USER_AGENT
from .credentials import Credentials
from .errors import (
    ConvoxAuthError,
    ConvoxConnectionError,
    ConvoxError,
    ConvoxGatewayError,
    ConvoxInputError,
    ConvoxNotFoundError,
    ConvoxTimeoutError,
    from_response,
    redact,
)

HAS_HTTPX: bool
HTTPX_IMPORT_ERROR: Optional[str]
if TYPE_CHECKING:
    import httpx
else:
    try:
        import httpx
    except ImportError:
        httpx = None
        HAS_HTTPX = False
        HTTPX_IMPORT_ERROR = traceback.format_exc()
    else:
        HAS_HTTPX = True
        HTTPX_IMPORT_ERROR = None

BODY_METHODS = frozenset(("POST", "PUT", "PATCH"))
# Methods whose repetition has the effect of one request (RFC 9110 9.2.2): safe to retry.
IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "PUT", "DELETE"))
RETRY_STATUSES = frozenset((429, 502, 503, 504))
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 0.5
MAX_BACKOFF = 30.0

Params = Optional[Mapping[str, Any]]


# --------------------------------------------------------------------------------------------
# value encoding


def go_duration(value: datetime.timedelta) -> str:
    """Format a timedelta as a Go duration string (``2m0s``, ``1h30m0s``, ``500ms``)."""
    micros = (value.days * 86400 + value.seconds) * 1000000 + value.microseconds
    if micros == 0:
        return "0s"
    sign = "-" if micros < 0 else ""
    micros = abs(micros)
    if micros < 1000000:
        if micros % 1000 == 0:
            return f"{sign}{micros // 1000}ms"
        return f"{sign}{micros}us"
    hours, rest = divmod(micros, 3600 * 1000000)
    minutes, rest = divmod(rest, 60 * 1000000)
    seconds, fraction = divmod(rest, 1000000)
    text = str(seconds)
    if fraction:
        text += f"{fraction / 1000000.0:.6f}"[1:].rstrip("0")
    text += "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{text}"
    if minutes:
        return f"{sign}{minutes}m{text}"
    return sign + text


def go_time(value: Union[datetime.datetime, datetime.date]) -> str:
    """Format a time in the layout the rack parses (``20060102.150405.000000000``, UTC)."""
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y%m%d.%H%M%S.") + f"{value.microsecond:06d}000"


def encode_value(value: Any) -> str:
    """Encode one option value as the Go SDK does."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.timedelta):
        return go_duration(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return go_time(value)
    if isinstance(value, Mapping):
        return urlencode([(str(k), encode_value(v)) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))])
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return ",".join(encode_value(item) for item in items)
    if isinstance(value, bytes):
        return value.decode("utf-8")
    raise ConvoxInputError(f"cannot encode a value of type {type(value).__name__}")


def encode_pairs(options: Params) -> List[Tuple[str, str]]:
    """Sorted ``(name, value)`` pairs of the options that are set (None is left out)."""
    if not options:
        return []
    return [(name, encode_value(value)) for name, value in sorted(options.items()) if value is not None]


def encode_form(options: Params) -> str:
    """``application/x-www-form-urlencoded`` text with sorted keys."""
    return urlencode(encode_pairs(options))


def encode_headers(options: Params) -> Dict[str, str]:
    """Option headers (maps travel as a URL query string, as-is)."""
    return dict(encode_pairs(options))


# Segments made only of characters quote() leaves alone (and not "." or ".."): the usual names
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9_.~-]*\Z")


def path_segment(value: Any, *, keep_slash: bool = False) -> str:
    """Quote one path segment (object keys and registry servers keep their ``/``)."""
    text = str(value)
    if _PLAIN_SEGMENT.match(text) is not None:
        return text  # what quote() would give back; no "." or ".." segment, nothing to check
    if not text and not keep_slash:
        raise ConvoxInputError("an empty name cannot be part of a request path")
    if any(part in (".", "..") for part in text.split("/")):
        # URL normalisation would silently turn these into another path
        raise ConvoxInputError(f"invalid name in a request path: {text!r}")
    return quote(text, safe="/" if keep_slash else "")


def build_path(*segments: Any) -> str:
    """``/seg1/seg2`` from plain segments (quoted)."""
    return "/" + "/".join(path_segment(segment) for segment in segments)


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils  # only needed for this rare header form

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


_CHALLENGE_RE = re.compile(r'(\w+)="([^"]*)"')


def parse_session_challenge(value: Optional[str]) -> Optional[Tuple[str, bool]]:
    """``(path, needs_token)`` from ``WWW-Authenticate: Session path="..." token="..."``, else None."""
    if not value or not value.strip().lower().startswith("session "):
        return None
    fields = dict(_CHALLENGE_RE.findall(value))
    if not fields.get("path"):
        return None
    return fields["path"], fields.get("token", "false").lower() == "true"


def decode_body(response: httpx.Response) -> Any:
    """Parsed JSON for JSON answers, text otherwise (``ok`` routes give ``"ok"``)."""
    content_type = response.headers.get("content-type", "")
    body = response.content
    if "json" in content_type or body[:1] in (b"{", b"["):
        try:
            return json.loads(body)
        except ValueError:
            pass
    return body.decode("utf-8", errors="replace").strip()


# --------------------------------------------------------------------------------------------
# transport

_DEFAULT_SSL_CONTEXT: Optional[ssl.SSLContext] = None


def default_ssl_context() -> ssl.SSLContext:
    """httpx's verifying context, built once per process (loading the CA bundle is slow)."""
    global _DEFAULT_SSL_CONTEXT
    if _DEFAULT_SSL_CONTEXT is None:
        _DEFAULT_SSL_CONTEXT = httpx.create_ssl_context()
    return _DEFAULT_SSL_CONTEXT


class Transport:
    """An httpx session bound to one rack (or one rack behind a console)."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        verify: bool = True,
        ca_path: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        actor: Optional[str] = None,
        max_backoff: float = MAX_BACKOFF,
        http_client: Optional[httpx.Client] = None,
    ) -> None:
        if not HAS_HTTPX:
            raise ConvoxError("the Python library httpx is required by the Convox client")
        if retries < 0:
            raise ConvoxInputError("retries must be 0 or more", field="retries")
        if timeout is None or math.isnan(timeout) or timeout <= 0:
            raise ConvoxInputError("timeout must be more than 0 seconds", field="timeout")
        self.credentials = credentials
        self.base_url = credentials.url
        self.verify = verify
        self.ca_path = ca_path
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep: Callable[[float], None] = time.sleep
        self.headers = self._base_headers(actor)
        self.closed = False
        self._secrets = [credentials.password, credentials.session]
        self._client = (
            http_client
            if http_client is not None
            else httpx.Client(verify=self.ssl_verify(), timeout=timeout, follow_redirects=False, trust_env=False)
        )
        # What httpx.Client.build_request merges into every request, worked out once (see _build)
        encoding = self._client.headers.encoding
        self._client_headers = [
            (name.decode(encoding), value.decode(encoding)) for name, value in self._client.headers.raw
        ]
        # The client made here has no auth, redirects, event hooks, proxies or mounts: its pool
        # is called directly (see _exchange). A client handed in goes through Client.send.
        # (httpx keeps the pool in Client._transport from 0.18 on; a version without it takes Client.send.)
        pool = getattr(self._client, "_transport", None) if http_client is None else None
        self._pool: Optional[httpx.BaseTransport] = pool if isinstance(pool, httpx.BaseTransport) else None
        self._timeouts: Dict[float, Dict[str, Optional[float]]] = {}

    def __repr__(self) -> str:
        return f"Transport({self.base_url!r}, rack={self.credentials.rack!r})"

    def _base_headers(self, actor: Optional[str]) -> Dict[str, str]:
        creds = self.credentials
        headers = {"User-Agent": USER_AGENT, "Version": CLI_VERSION, "Accept": "application/json"}
        if creds.password or creds.username != "convox":
            token = base64.b64encode((f"{creds.username}:{creds.password}").encode())
            headers["Authorization"] = "Basic " + token.decode("ascii")
        if creds.console and creds.rack:
            headers["Rack"] = creds.rack
            if creds.session:
                headers["Session"] = creds.session
        if actor:
            headers["X-Convox-Actor"] = actor
        return headers

    def ssl_verify(self) -> Union[bool, ssl.SSLContext]:
        """The ``verify`` value for httpx: a context for ``ca_path``, else True/False."""
        if self.ca_path:
            try:
                return ssl.create_default_context(cafile=self.ca_path)
            except (OSError, ssl.SSLError) as exc:
                raise ConvoxInputError(f"cannot load the CA bundle {self.ca_path}: {exc}", field="ca_path") from None
        if not self.verify:
            return False
        return default_ssl_context()

    def close(self) -> None:
        self.closed = True
        self._client.close()

    # -- helpers for the websocket side

    def ws_url(self, path: str) -> str:
        if self.base_url.startswith("https://"):
            return "wss://" + self.base_url[len("https://") :] + path
        return "ws://" + self.base_url[len("http://") :] + path

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    # -- requests

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        data: Params = None,
        headers: Params = None,
        content: Optional[bytes] = None,
        idempotent: Optional[bool] = None,
        timeout: Optional[float] = None,
        rack_header: bool = True,
    ) -> httpx.Response:
        """Send one request (with retries where safe) and return the successful response.

        ``params`` always go to the query string; ``data`` is a form body for POST/PUT/PATCH
        and joins the query string otherwise; ``headers`` are option headers; ``content`` is
        a raw ``application/octet-stream`` body; ``rack_header=False`` leaves out the console's
        ``Rack`` routing header (console-level calls such as ``GET /racks``). Error answers raise
        ``errors.ConvoxAPIError`` subclasses; transport failures raise ``ConvoxConnectionError`` or
        ``ConvoxTimeoutError``.
        """
        if self.closed:
            raise ConvoxError("the Convox client is closed")
        method = method.upper()
        if not path.startswith("/"):
            path = "/" + path
        query = encode_pairs(params)
        send_headers = dict(self.headers)
        if not rack_header:
            send_headers.pop("Rack", None)
        send_headers.update(encode_headers(headers))
        body: Optional[bytes] = None
        if method in BODY_METHODS:
            if content is not None:
                if data:
                    query = sorted(query + encode_pairs(data))
                body = content
                send_headers["Content-Type"] = "application/octet-stream"
            elif data:
                body = encode_form(data).encode("ascii")
                send_headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                body = b""
                send_headers["Content-Type"] = "application/octet-stream"
        else:
            if data:
                query = sorted(query + encode_pairs(data))
            if content is not None:
                body = content
                send_headers["Content-Type"] = "application/octet-stream"
        url = self.base_url + path
        if query:
            url += "?" + urlencode(query)
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        return self._send(method, url, path, send_headers, body, idempotent, timeout)

    def _delay(self, attempt: int, retry_after: Optional[float]) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_backoff)
        delay = float(self.backoff) * float(2**attempt)
        return min(self.max_backoff, delay * (0.5 + random.random()))

    def _build(
        self, method: str, url: str, headers: Dict[str, str], body: Optional[bytes], timeout: float
    ) -> httpx.Request:
        """The request ``httpx.Client.build_request`` would make, for less than half its cost.

        The same headers in the same order (the client's defaults, those we send replacing theirs
        and going last, as ``Headers.update`` does), the client's cookies when it holds any, and
        the timeout extension; the URL is absolute, so there is nothing to merge with it.
        """
        overridden = {name.lower() for name in headers}
        merged = [(name, value) for name, value in self._client_headers if name.lower() not in overridden]
        merged.extend(headers.items())
        timeouts = self._timeouts.get(timeout)
        if timeouts is None:
            timeouts = self._timeouts[timeout] = httpx.Timeout(timeout).as_dict()
        cookies = self._client.cookies
        return httpx.Request(
            method,
            url,
            headers=merged,
            content=body,
            cookies=cookies if cookies else None,
            extensions={"timeout": timeouts},
        )

    def _exchange(self, request: httpx.Request) -> httpx.Response:
        """Send one request and read the whole answer.

        On the client made here this is what ``Client.send`` comes to once its auth flow (none:
        the Authorization header is ours), redirect loop (never followed), event hooks (none),
        elapsed-time wrapper and cookie jar are left out, a fifth of the client-side CPU of a
        request. The rack API sets no cookies (the Go CLI keeps none either).
        """
        if self._pool is None:
            return self._client.send(request)
        started = time.perf_counter()
        response = self._pool.handle_request(request)
        response.request = request
        try:
            response.read()
        except BaseException:
            response.close()
            raise
        response.elapsed = datetime.timedelta(seconds=time.perf_counter() - started)  # as Client.send sets it
        return response

    def _send(
        self,
        method: str,
        url: str,
        path: str,
        headers: Dict[str, str],
        body: Optional[bytes],
        idempotent: bool,
        timeout: Optional[float],
    ) -> httpx.Response:
        attempt = 0
        session_tried = False
        while True:
            try:
                response = self._exchange(
                    self._build(method, url, headers, body, self.timeout if timeout is None else timeout)
                )
            except httpx.InvalidURL:
                # Never echo the URL: a malformed one may carry a password in its user info.
                raise ConvoxInputError(
                    "the rack URL is not valid (percent-encode user info in the host, or use the password option)",
                    field="host",
                ) from None
            except httpx.HTTPError as exc:
                error, unsent = self._transport_error(exc, method, path)
                if attempt < self.retries and (idempotent or unsent):
                    self.sleep(self._delay(attempt, None))
                    attempt += 1
                    continue
                raise error from None
            if response.status_code < 400:
                return response
            challenge = parse_session_challenge(response.headers.get("www-authenticate"))
            if response.status_code == 401 and challenge is not None and not session_tried:
                session_tried = True
                self.open_session(*challenge)
                headers = dict(headers, Session=self.headers["Session"])
                continue
            error = from_response(
                response.status_code,
                response.content.decode("utf-8", errors="replace"),
                request_id=response.headers.get("request-id"),
                method=method,
                path=path,
                secrets=self._secrets,
            )
            retryable = isinstance(error, ConvoxGatewayError) and response.status_code in RETRY_STATUSES
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            # A 429 with Retry-After is the rack refusing before it acts: any method may be sent again.
            refused_before_acting = response.status_code == 429 and retry_after is not None
            if retryable and attempt < self.retries and (idempotent or refused_before_acting):
                self.sleep(self._delay(attempt, retry_after))
                attempt += 1
                continue
            if attempt > 0 and method == "DELETE" and isinstance(error, ConvoxNotFoundError):
                # an earlier attempt deleted it before the connection broke
                return response
            raise error

    def open_session(self, path: str, needs_token: bool) -> str:
        """Answer a console session challenge (``WWW-Authenticate: Session``) and keep the session id.

        Only the plain challenge (``token="false"``) can be answered by a program; the security-key
        challenge needs ``convox login`` in a terminal.
        """
        if needs_token:
            raise ConvoxAuthError(
                401,
                "the console asks for a security-key confirmation; run `convox login` and retry",
                method="POST",
                path=path,
            )
        headers = {k: v for k, v in self.headers.items() if k not in ("Rack", "Session")}
        headers["Content-Type"] = "application/octet-stream"
        url = self.base_url + (path if path.startswith("/") else "/" + path)
        answer = decode_body(self._send("POST", url, path, headers, b"", False, None))
        session = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(session, str) or not session:
            raise ConvoxAuthError(401, "the console did not open a session", method="POST", path=path)
        self.headers["Session"] = session
        self._secrets.append(session)
        return session

    def _transport_error(self, exc: Exception, method: str, path: str) -> Tuple[ConvoxError, bool]:
        """The client error for an httpx failure, and whether the request surely was not sent."""
        detail = self.redact(str(exc) or type(exc).__name__)
        where = f"{method} {self.base_url}{path}"
        if isinstance(exc, httpx.ConnectTimeout):
            return ConvoxTimeoutError(f"timed out connecting to the rack ({where}): {detail}"), True
        if isinstance(exc, httpx.TimeoutException):
            return ConvoxTimeoutError(f"the rack did not answer in time ({where}): {detail}"), False
        if isinstance(exc, httpx.ConnectError):
            return ConvoxConnectionError(f"cannot connect to the rack ({where}): {detail}"), True
        return ConvoxConnectionError(f"connection to the rack failed ({where}): {type(exc).__name__}: {detail}"), False

    # -- convenience: decoded answers

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """``request`` and return the decoded body (JSON, or text; ``ok`` routes give ``"ok"``)."""
        return decode_body(self.request(method, path, **kwargs))


class API:
    """Escape hatch: ``client.api.get('/apps')`` with the client's auth, headers, encoding and errors."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def __repr__(self) -> str:
        return f"API({self._transport!r})"

    def request(
        self,
        method: str,
        path: str,
        params: Params = None,
        data: Params = None,
        headers: Params = None,
        content: Optional[bytes] = None,
    ) -> Any:
        return self._transport.call(method, path, params=params, data=data, headers=headers, content=content)

    def get(
        self,
        path: str,
        params: Params = None,
        data: Params = None,
        headers: Params = None,
        content: Optional[bytes] = None,
    ) -> Any:
        return self.request("GET", path, params, data, headers, content)

    def post(
        self,
        path: str,
        params: Params = None,
        data: Params = None,
        headers: Params = None,
        content: Optional[bytes] = None,
    ) -> Any:
        return self.request("POST", path, params, data, headers, content)

    def put(
        self,
        path: str,
        params: Params = None,
        data: Params = None,
        headers: Params = None,
        content: Optional[bytes] = None,
    ) -> Any:
        return self.request("PUT", path, params, data, headers, content)

    def delete(
        self,
        path: str,
        params: Params = None,
        data: Params = None,
        headers: Params = None,
        content: Optional[bytes] = None,
    ) -> Any:
        return self.request("DELETE", path, params, data, headers, content)

    def options(
        self,
        path: str,
        params: Params = None,
        data: Params = None,
        headers: Params = None,
        content: Optional[bytes] = None,
    ) -> Any:
        return self.request("OPTIONS", path, params, data, headers, content)

    def head(
        self,
        path: str,
        params: Params = None,
        data: Params = None,
        headers: Params = None,
        content: Optional[bytes] = None,
    ) -> Any:
        return self.request("HEAD", path, params, data, headers, content)
