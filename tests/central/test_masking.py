"""Log masking (issue #10), as properties: student numbers (G + ID), +86 and formatted phones, ID numbers spaced or
dashed, JSON-escaped Han runs are masked wherever they sit in a line, and through the logging filter."""
from __future__ import annotations

import io
import json
import logging

from hypothesis import given, settings, strategies as st
from stdnum.cn import ric

from kiosk.logs import configure_logging, mask_all

SEPARATORS = st.sampled_from([" ", ", ", "=", ": ", '"', "'", "(", ")", "\n", "\t", "/", "，", "：", "|"])
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ .", max_size=12)


@st.composite
def id_numbers(draw) -> str:
    body = draw(st.sampled_from(["411403", "410102", "110101", "440305"])) + \
        draw(st.dates(min_value=__import__("datetime").date(1950, 1, 1))).strftime("%Y%m%d") + \
        draw(st.from_regex(r"\A[0-9]{3}\Z"))
    return body + ric.calc_check_digit(body + "0")


@st.composite
def phones(draw) -> tuple[str, str]:
    """(as written, the 11 digits)."""
    digits = "1" + draw(st.sampled_from("3456789")) + draw(st.from_regex(r"\A[0-9]{9}\Z"))
    sep = draw(st.sampled_from(["", " ", "-"]))
    body = f"{digits[:3]}{sep}{digits[3:7]}{sep}{digits[7:]}"
    prefix = draw(st.sampled_from(["", "+86 ", "+86-", "+86", "0086 ", "86", "(+86)", "(86) "]))
    return prefix + body, digits


def _in_context(draw, token: str) -> str:
    return draw(WORDS) + draw(SEPARATORS) + token + draw(SEPARATORS) + draw(WORDS)


@given(st.data())
@settings(max_examples=300, deadline=None)
def test_student_numbers_and_id_numbers(data):
    number = data.draw(id_numbers())
    shape = data.draw(st.sampled_from(["G{}", "g{}", "G {}", "{}", "{0}{1}{2}"]))
    token = shape.format(number) if shape != "{0}{1}{2}" else f"{number[:6]} {number[6:14]} {number[14:]}"
    masked = mask_all(_in_context(data.draw, token))
    assert number not in masked.replace(" ", "") and number[6:14] not in masked  # the birth date never shows


@given(st.data())
@settings(max_examples=300, deadline=None)
def test_phones(data):
    written, digits = data.draw(phones())
    masked = mask_all(_in_context(data.draw, written))
    assert digits not in masked.replace(" ", "").replace("-", "")
    assert f"{digits[:3]}****{digits[7:]}" in masked


HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


@given(st.data())
@settings(max_examples=200, deadline=None)
def test_escaped_han_runs(data):
    name = data.draw(st.text(alphabet=HAN, min_size=2, max_size=8))
    escaped = json.dumps(name)[1:-1]  # \uXXXX each
    masked = mask_all(_in_context(data.draw, escaped))
    assert escaped not in masked and name not in masked
    assert escaped[:6] + "*" * (len(name) - 1) in masked  # the first character only, as for plain Han runs


def test_the_filter_masks_messages_and_fields():
    stream = io.StringIO()
    configure_logging("INFO", stream)
    try:
        logging.getLogger("t").warning("student G41140320090315003X called +86 138-1234-5678",
                                       extra={"fields": {"body": json.dumps({"name": "王小明"})}})
    finally:
        configure_logging("INFO")
    line = stream.getvalue()
    for secret in ("41140320090315003X", "1234-", "\\u5c0f\\u660e", "小明"):
        assert secret not in line
