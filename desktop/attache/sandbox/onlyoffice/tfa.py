"""The demo's app-based two-factor codes: RFC 6238 TOTP (30 s, 6 digits, SHA-1) from a secret
that is printed at start and importable by tests, so a code is always computable.
A code of the step before or after is accepted too, as authenticator apps drift."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

TFA_SECRET = "MF2HIYLDNBSS2ZDFNVXS25DGMEWWWZLZ"  # base32; the second demo user's authenticator app
STEP = 30


def totp(secret: str = TFA_SECRET, at: float | None = None) -> str:
    counter = int((time.time() if at is None else at) // STEP)
    key = base64.b32decode(secret)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def is_valid(code: str, secret: str = TFA_SECRET) -> bool:
    now = time.time()
    return any(hmac.compare_digest(code.strip(), totp(secret, now + drift * STEP)) for drift in (-1, 0, 1))
