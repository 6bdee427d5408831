"""No two students of one school may share a password (the notices forbid uniform passwords set by schools).

The terminal holds its school's secret key and the fingerprints of the school's students' passwords (HMAC-SHA256
under that key, kiosk.wire.password_fingerprint), pulled from central with the roster and kept in the sealed
configuration cache; its own records carry theirs (sealed in the store). A password whose fingerprint another
student holds is refused without saying whose; central checks the same again at push (code password_reused).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from kiosk.wire import password_fingerprint, student_tag

log = logging.getLogger(__name__)
REUSED = "该密码过于常见或已被他人使用，请换一个"


class PasswordBook:
    """Fingerprints of the school's passwords: the pulled ones plus those of this terminal's own records (not
    pushed yet, or pushed since the last pull)."""

    def __init__(self, key: bytes | None, taken: Iterable = ()):
        self.key = key
        self._local: dict[str, tuple[str, str]] = {}  # record id -> (fingerprint, student tag) of a local record
        self._taken: dict[str, set[str]] = {}  # fingerprint -> student tags holding it
        for entry in taken:
            self._taken.setdefault(entry.fingerprint, set()).add(entry.student)

    @property
    def active(self) -> bool:
        return self.key is not None

    def __len__(self) -> int:
        return len(self._taken)

    def check(self, password: str, id_number: str, store=None) -> tuple[str | None, str]:
        """(Chinese refusal or None, the password's fingerprint; "" when the school has no key yet)."""
        if self.key is None:
            return None, ""
        fingerprint, me = password_fingerprint(self.key, password), student_tag(self.key, id_number)
        if self._taken.get(fingerprint, set()) - {me} or (store is not None and self._held_locally(store, fingerprint,
                                                                                                    me)):
            log.info("password refused: used by another student of the school")
            return REUSED, fingerprint
        return None, fingerprint

    def _held_locally(self, store, fingerprint: str, me: str) -> bool:
        """Does another student's record on this terminal carry the fingerprint? Each record is opened once."""
        for record_id in store.record_ids():
            if record_id not in self._local:
                record = store.get(record_id)
                if not record.password_fingerprint:
                    continue  # no password yet: looked at again next time
                self._local[record_id] = (record.password_fingerprint, student_tag(self.key, record.id_number))
        return any(f == fingerprint and tag != me for f, tag in self._local.values())
