"""The frame codec, table-style against the byte strings in the protocol reference."""
import pytest

from drivers.idcard.frame import FrameParser, Response, answer, check, parse_frame, request, status_error, xor_checksum
from kiosk.devices.card_reader import (
    CALL_STAFF, PLACE_CARD, REPLACE_CARD, CardReadFailed, NoCard, ProtocolError, ReaderFault,
)

H = bytes.fromhex


@pytest.mark.parametrize("cmd, para, data, frame", [
    (0x10, 0xFF, b"", "AAAAAA9669000310FFEC"),
    (0x11, 0xFF, b"", "AAAAAA9669000311FFED"),
    (0x12, 0xFF, b"", "AAAAAA9669000312FFEE"),
    (0x20, 0x01, b"", "AAAAAA966900032001 22"),
    (0x20, 0x02, b"", "AAAAAA966900032002 21"),
    (0x30, 0x01, b"", "AAAAAA966900033001 32"),
    (0x30, 0x03, b"", "AAAAAA966900033003 30"),
    (0x30, 0x10, b"", "AAAAAA966900033010 23"),
    (0x60, 0x00, b"", "AAAAAA966900036000 63"),
    (0x61, 0xFF, b"\x50", "AAAAAA96690004 61FF50 CA"),
])
def test_request_frames_match_the_reference(cmd, para, data, frame):
    assert request(cmd, para, data) == H(frame.replace(" ", ""))


@pytest.mark.parametrize("frame, sw3, data", [
    ("AAAAAA9669000400 0090 94", 0x90, b""),
    ("AAAAAA96690008 00009F 00000000 97", 0x9F, bytes(4)),
    ("AAAAAA9669000C 000090 0000000000000000 9C", 0x90, bytes(8)),
    ("AAAAAA96690004 000080 84", 0x80, b""),
    ("AAAAAA96690004 000081 85", 0x81, b""),
    ("AAAAAA96690004 000041 45", 0x41, b""),
])
def test_standard_answers_parse(frame, sw3, data):
    raw = H(frame.replace(" ", ""))
    assert answer(sw3, data) == raw
    response = Response.from_payload(parse_frame(raw))
    assert (response.sw3, response.data) == (sw3, data)


def test_checksum_folds_like_a_plain_xor():
    for size in (0, 1, 2, 3, 7, 8, 255, 1288, 1295):
        data = bytes((i * 37 + 11) % 256 for i in range(size))
        expected = 0
        for byte in data:
            expected ^= byte
        assert xor_checksum(data) == expected


def test_resynchronises_after_garbage_and_partial_preambles():
    stream = b"\x00\xaa\xaa\x13\xaa\xaa\xaa\x96" + answer(0x90, b"abc") + b"\xaa\xaa" + answer(0x9F, bytes(4))
    parser = FrameParser()
    frames = [f for byte in stream for f in parser.feed(bytes([byte]))]
    assert frames == [b"\x00\x00\x90abc", b"\x00\x00\x9f" + bytes(4)]
    assert parser.skipped == 10 and parser.pending() == 0


def test_needed_asks_for_exactly_seven_plus_len():
    frame = answer(0x90, bytes(1284))  # the 30 01 answer: 2 + 2 length bytes, 256 text, 1024 photo
    assert len(frame) == 1295 and frame[5:7] == b"\x05\x08"
    parser = FrameParser()
    assert parser.needed() == 7
    assert parser.feed(frame[:7]) == []
    assert parser.needed() == 0x0508
    assert parser.feed(frame[7:]) == [b"\x00\x00\x90" + bytes(1284)]


def test_bad_checksum_raises_then_the_next_frame_parses():
    bad = bytearray(answer(0x90, b"xy"))
    bad[-1] ^= 0xFF
    parser = FrameParser()
    with pytest.raises(ProtocolError):
        parser.feed(bytes(bad) + answer(0x80))
    assert parser.feed(b"") == [b"\x00\x00\x80"]


@pytest.mark.parametrize("raw", [
    b"", b"\xaa\xaa\xaa\x96\x69", answer(0x90)[:-1], b"\xaa\xaa\xaa\x96\x69\xff\xff" + bytes(20),
    b"\xaa\xaa\xaa\x96\x69\x00\x01\x01",
])
def test_incomplete_or_impossible_frames_are_protocol_errors(raw):
    with pytest.raises(ProtocolError):
        parse_frame(raw)


@pytest.mark.parametrize("sw3, kind, message", [
    (0x80, NoCard, PLACE_CARD), (0x81, NoCard, PLACE_CARD),
    (0x41, CardReadFailed, REPLACE_CARD), (0x31, CardReadFailed, REPLACE_CARD),
    (0x32, CardReadFailed, REPLACE_CARD), (0x33, CardReadFailed, REPLACE_CARD),
    (0x47, CardReadFailed, REPLACE_CARD), (0x91, CardReadFailed, REPLACE_CARD),
    (0x40, CardReadFailed, "无法识别该证件，请放置居民身份证或居住证"),
    (0x10, ReaderFault, CALL_STAFF), (0x11, ReaderFault, CALL_STAFF), (0x21, ReaderFault, CALL_STAFF),
    (0x23, ReaderFault, CALL_STAFF), (0x24, ReaderFault, CALL_STAFF), (0x60, ReaderFault, CALL_STAFF),
    (0x66, ReaderFault, CALL_STAFF), (0x77, ReaderFault, CALL_STAFF),
])
def test_status_codes_become_typed_errors_with_chinese_messages(sw3, kind, message):
    error = status_error(sw3)
    assert type(error) is kind and error.message == message and error.code == sw3
    with pytest.raises(kind):
        check(Response(0, 0, sw3, b""))


@pytest.mark.parametrize("sw3", [0x90, 0x9F])
def test_success_codes_pass(sw3):
    assert check(Response(0, 0, sw3, b"d")).data == b"d"
