"""Property tests: whatever bytes arrive, the parser raises ProtocolError or nothing, and finds every real frame."""
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.idcard import text
from drivers.idcard.frame import PREAMBLE, FrameParser, encode_frame, parse_frame
from kiosk.devices.card_reader import CardReadFailed, ProtocolError

# Streams rich in preambles and plausible lengths, so the fuzzer reaches the deep branches.
pieces = st.one_of(
    st.binary(max_size=40),
    st.just(PREAMBLE),
    st.builds(lambda n, tail: PREAMBLE + n.to_bytes(2, "big") + tail, st.integers(0, 0xFFFF), st.binary(max_size=60)),
    st.builds(encode_frame, st.binary(max_size=60)),
)
streams = st.lists(pieces, max_size=12).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(streams)
def test_parse_frame_raises_only_protocol_error(data):
    try:
        parse_frame(data)
    except ProtocolError:
        pass


@settings(max_examples=300, deadline=None)
@given(streams, st.lists(st.integers(1, 30), min_size=1, max_size=20))
def test_streaming_parser_raises_only_protocol_error(data, cuts):
    parser = FrameParser()
    position = 0
    for cut in cuts * (len(data) // max(1, sum(cuts)) + 1):
        if position >= len(data):
            break
        try:
            parser.feed(data[position : position + cut])
        except ProtocolError:
            pass
        position += cut


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=30).filter(lambda g: PREAMBLE[:1] not in g), st.binary(min_size=3, max_size=300))
def test_a_frame_after_garbage_is_always_found(garbage, payload):
    assert parse_frame(garbage + encode_frame(payload)) == payload


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=256, max_size=256))
def test_text_decoder_raises_only_card_read_failed(block):
    try:
        text.decode(block)
    except CardReadFailed:
        pass
