"""GA 467 frames as pure functions: build requests, parse answers from a byte stream, map SW3 to typed errors.

Request:  AA AA AA 96 69 | LEN_H LEN_L | CMD PARA | DATA | CHK
Response: AA AA AA 96 69 | LEN_H LEN_L | SW1 SW2 SW3 | DATA | CHK
LEN counts every byte after itself (CHK included); CHK is the XOR of LEN_H .. last DATA byte.
"""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.devices.card_reader import CardReadFailed, CardReaderError, NoCard, ProtocolError, ReaderFault

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER = len(PREAMBLE) + 2  # preamble + LEN: a frame is HEADER + LEN bytes
MAX_LEN = 0x0A00  # the longest answer (30 10 with 1024 fingerprint bytes) has LEN 0x090A


def xor_checksum(data: bytes) -> int:
    """XOR of all bytes, folded as one big integer (fast for 1 KB answers in pure Python)."""
    if not data:
        return 0
    width = 1 << (len(data) - 1).bit_length()
    value = int.from_bytes(data, "little")
    while width > 1:
        width //= 2
        value = (value >> (8 * width)) ^ (value & ((1 << (8 * width)) - 1))
    return value


def encode_frame(payload: bytes) -> bytes:
    """Wraps CMD PARA DATA (a request) or SW1 SW2 SW3 DATA (an answer) into a full frame."""
    body = (len(payload) + 1).to_bytes(2, "big") + payload
    return PREAMBLE + body + bytes([xor_checksum(body)])


def request(cmd: int, para: int, data: bytes = b"") -> bytes:
    return encode_frame(bytes([cmd, para]) + data)


def answer(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    return encode_frame(bytes([sw1, sw2, sw3]) + data)


@dataclass(frozen=True)
class Response:
    sw1: int
    sw2: int
    sw3: int
    data: bytes

    @classmethod
    def from_payload(cls, payload: bytes) -> "Response":
        if len(payload) < 3:
            raise ProtocolError(detail=f"answer payload of {len(payload)} bytes has no status word")
        return cls(payload[0], payload[1], payload[2], payload[3:])


class FrameParser:
    """Incremental parser: feed() bytes as they arrive, get whole frame payloads back.

    Garbage before a preamble is skipped (resynchronisation). A frame with an impossible length or a wrong
    checksum raises ProtocolError after it has been consumed, so the next feed() starts clean.
    needed() tells a reader how many bytes complete the current frame, for exact 7+LEN reads.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.skipped = 0  # garbage bytes dropped so far

    def needed(self) -> int:
        buf = self._buf
        if len(buf) < HEADER:
            return HEADER - len(buf)
        return max(1, HEADER + int.from_bytes(buf[5:7], "big") - len(buf))

    def pending(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        frames: list[bytes] = []
        while frame := self._next():
            frames.append(frame)
        return frames

    def _next(self) -> bytes | None:
        buf = self._buf
        start = buf.find(PREAMBLE)
        if start < 0:
            keep = _partial_preamble(buf)
            self.skipped += len(buf) - keep
            del buf[: len(buf) - keep]
            return None
        if start:
            self.skipped += start
            del buf[:start]
        if len(buf) < HEADER:
            return None
        length = int.from_bytes(buf[5:7], "big")
        if length < 3 or length > MAX_LEN:
            del buf[: len(PREAMBLE)]  # not a real frame start: resync after this preamble
            raise ProtocolError(detail=f"impossible frame length {length}")
        end = HEADER + length
        if len(buf) < end:
            return None
        body = bytes(buf[5 : end - 1])
        checksum = buf[end - 1]
        del buf[:end]
        if xor_checksum(body) != checksum:
            raise ProtocolError(detail="frame checksum mismatch")
        return body[2:]


def _partial_preamble(buf: bytearray) -> int:
    """Length of the longest tail of buf that could begin a preamble."""
    for keep in range(min(len(PREAMBLE) - 1, len(buf)), 0, -1):
        if buf.endswith(PREAMBLE[:keep]):
            return keep
    return 0


def parse_frame(data: bytes) -> bytes:
    """The payload of the first frame in data (garbage before it allowed); ProtocolError if there is none."""
    parser = FrameParser()
    frames = parser.feed(data)
    if not frames:
        raise ProtocolError(detail=f"no complete frame in {len(data)} bytes")
    return frames[0]


# SW3 status codes -> (error class, Chinese message or None for the class default, English detail).
SUCCESS = {0x90, 0x9F}
NO_CONTENT = 0x91
_STATUS: dict[int, tuple[type[CardReaderError], str | None, str]] = {
    0x10: (ReaderFault, None, "checksum error in received data"),
    0x11: (ReaderFault, None, "length error"),
    0x21: (ReaderFault, None, "command error"),
    0x23: (ReaderFault, None, "operation not permitted"),
    0x24: (ReaderFault, None, "unrecognised error"),
    0x31: (CardReadFailed, None, "card failed to authenticate the SAM"),
    0x32: (CardReadFailed, None, "SAM failed to authenticate the card"),
    0x33: (CardReadFailed, None, "information verification error"),
    0x40: (CardReadFailed, "无法识别该证件，请放置居民身份证或居住证", "unrecognised card type"),
    0x41: (CardReadFailed, None, "read card failed"),
    0x47: (CardReadFailed, None, "get-random failed"),
    0x60: (ReaderFault, None, "SAM self-test failed"),
    0x66: (ReaderFault, None, "SAM not authorised"),
    0x80: (NoCard, None, "find card failed"),
    0x81: (NoCard, None, "select card failed"),
    NO_CONTENT: (CardReadFailed, None, "no content for this item"),
}


def status_error(sw3: int) -> CardReaderError:
    """The typed error for a non-success SW3 code (unknown codes are reader faults)."""
    cls, message, detail = _STATUS.get(sw3, (ReaderFault, None, "unknown status"))
    return cls(message, detail=f"SW3 {sw3:02X}: {detail}", code=sw3)


def check(response: Response) -> Response:
    """Returns the response if SW3 says success, else raises its typed error."""
    if response.sw3 not in SUCCESS:
        raise status_error(response.sw3)
    return response
