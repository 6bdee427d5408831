"""Optional photo decoding through a vendor WLT library (libwlt.so-style `unpack`), loaded with ctypes.

No open decoder exists for the chip's 1024-byte WLT photo. When a vendor library is configured (path in
KIOSK_WLT_LIBRARY or given explicitly), decode() returns the 102x126 photo as 24-bit BGR bytes; without one the
kiosk keeps the photo opaque and the self-test says so.
"""
from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass

from kiosk.devices.card_reader import CardReadFailed

WIDTH, HEIGHT = 102, 126
BGR_SIZE = WIDTH * HEIGHT * 3  # 38556
ENV_VAR = "KIOSK_WLT_LIBRARY"


@dataclass(frozen=True)
class WltStatus:
    available: bool
    message: str  # Chinese, for the self-test screen


class WltDecoder:
    """int unpack(char *wlt, char *bgr_out, int flag) -> 1 on success (the common libwlt.so signature)."""

    def __init__(self, library: str):
        self._unpack = ctypes.CDLL(library).unpack
        self._unpack.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
        self._unpack.restype = ctypes.c_int

    def decode(self, wlt: bytes) -> bytes:
        out = ctypes.create_string_buffer(BGR_SIZE + 54)  # some builds write a BMP header first
        if self._unpack(wlt, out, 0) != 1:
            raise CardReadFailed(detail="vendor WLT decoder refused the photo")
        return out.raw[-BGR_SIZE:] if out.raw[:2] == b"BM" else out.raw[:BGR_SIZE]


def load(library: str | None = None) -> tuple[WltDecoder | None, WltStatus]:
    """The configured decoder, or None with a status line saying the photo stays undecoded."""
    path = library or os.environ.get(ENV_VAR, "")
    if not path:
        return None, WltStatus(False, "未配置身份证照片解码库：证件照片不显示，其余功能正常")
    try:
        return WltDecoder(path), WltStatus(True, "身份证照片解码库已加载")
    except (OSError, AttributeError) as exc:
        return None, WltStatus(False, f"身份证照片解码库无法加载（{exc.__class__.__name__}），请联系技术人员")
