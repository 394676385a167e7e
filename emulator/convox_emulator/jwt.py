"""HS256 JSON web tokens with the claims a Convox rack uses (user, role, expiresAt)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any, Dict


class TokenError(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint(key: bytes, user: str, role: str, seconds: float) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"expiresAt": int(time.time() + seconds), "role": role, "user": user}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signing = f"{header}.{payload}".encode("ascii")
    signature = _b64(hmac.new(key, signing, hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def verify(key: bytes, token: str) -> Dict[str, Any]:
    """Return the claims or raise TokenError with the jwt library's wording."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("token contains an invalid number of segments")
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except (ValueError, UnicodeDecodeError):
        raise TokenError("illegal base64 data in token") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise TokenError("signing method (alg) is unavailable")
    expected = hmac.new(key, f"{parts[0]}.{parts[1]}".encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise TokenError("signature is invalid")
    if not isinstance(claims, dict):
        raise TokenError("token claims are invalid")
    expires = claims.get("expiresAt")
    if not isinstance(expires, (int, float)) or expires < time.time():
        raise TokenError("token is expired")
    return claims
