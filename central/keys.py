"""Ed25519 key hygiene and the server's own signing key.

Terminal keys: a public key must be a canonical encoding of a point on the curve whose order is not small (the
identity, the all-zero encoding and the other points of order 2, 4 and 8 let a fixed forged signature verify).
Signatures: S must be below the group order and R a canonical encoding. The point arithmetic here is the
textbook twisted-Edwards formula on Python integers: it only runs at enrollment and on the signature's R.

Server key: made once in the data directory (0600); its public part goes to terminals at enrollment, which pin it
and verify the signature on config responses (kiosk.wire.response_message).
"""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

P = 2 ** 255 - 19
L = 2 ** 252 + 27742317777372353535851937790883648493  # the prime order of the main subgroup
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _decode(encoded: bytes) -> tuple[int, int] | None:
    """The affine point of a 32-byte encoding, or None if it is not canonical or not on the curve."""
    if len(encoded) != 32:
        return None
    value = int.from_bytes(encoded, "little")
    y, sign = value & ((1 << 255) - 1), value >> 255
    if y >= P:
        return None  # non-canonical y
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = (u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P)) % P
    if (v * x * x - u) % P:
        x = x * SQRT_M1 % P
        if (v * x * x - u) % P:
            return None  # not on the curve
    if x == 0 and sign:
        return None  # -0: non-canonical
    if x & 1 != sign:
        x = P - x
    return x, y


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = D * x1 * x2 * y1 * y2 % P
    return ((x1 * y2 + x2 * y1) * pow(1 + t, -1, P) % P, (y1 * y2 + x1 * x2) * pow(1 - t, -1, P) % P)


def _small_order(point: tuple[int, int]) -> bool:
    for _ in range(3):  # [8]P
        point = _add(point, point)
    return point == (0, 1)


def public_key_problem(encoded: bytes) -> str:
    """'' for a usable Ed25519 public key; else why not (English)."""
    point = _decode(bytes(encoded))
    if point is None:
        return "public key is not a canonical point on the curve"
    if _small_order(point):
        return "public key has small order"
    return ""


def signature_canonical(signature: bytes) -> bool:
    """R canonical and S < L (RFC 8032 §5.1.7: a verifier must reject S >= L)."""
    return (len(signature) == 64 and int.from_bytes(signature[32:], "little") < L
            and _decode(signature[:32]) is not None)


def load_or_create_server_key(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        raw = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                         serialization.NoEncryption())
        tmp = path.with_name(f".tmp-{path.name}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    return Ed25519PrivateKey.from_private_bytes(path.read_bytes())


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# -- per-school password keys ---------------------------------------------------------------------------------
_SCHOOL_KEYS: dict[tuple[str, str], bytes] = {}  # (key file, school code) -> key: a school's key never changes


def cached_school_key(keys, school_code: str) -> bytes | None:
    """The school's key if this process has read it already (no database access)."""
    return _SCHOOL_KEYS.get((str(keys.path), school_code))


def school_key(db, keys, school_code: str, create: bool = False) -> bytes | None:
    """The school's secret HMAC key for password fingerprints (32 bytes), sealed at rest under the server data key
    (central.records.DataKeys) with the school code bound; made on first use when `create` (in a write
    transaction). None when the school has none yet. db: a Session or a Connection."""
    import base64

    from sqlalchemy import select
    from sqlalchemy.dialects import postgresql, sqlite

    from .models import SchoolKey

    cached = cached_school_key(keys, school_code)
    if cached is not None:
        return cached
    context, query = f"school-key:{school_code}", select(SchoolKey.secret).where(SchoolKey.school_code == school_code)
    sealed = db.scalar(query)
    if sealed is None and create:
        dialect = getattr(db, "dialect", None) or db.get_bind().dialect
        secret = base64.b64encode(os.urandom(32)).decode()
        db.execute({"postgresql": postgresql, "sqlite": sqlite}[dialect.name].insert(SchoolKey).values(
            school_code=school_code, secret=keys.seal_json(secret, context), key_id=keys.current
        ).on_conflict_do_nothing())  # two processes making it at once: the first one stays
        sealed = db.scalar(query)
    if sealed is None:
        return None
    key = _SCHOOL_KEYS[(str(keys.path), school_code)] = base64.b64decode(keys.open_json(sealed, context))
    return key
