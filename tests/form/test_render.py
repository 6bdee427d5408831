"""The rendered form: text, fonts, one page, photo, QR, wrapping of long values, hostile input."""
import datetime as dt
import re
import subprocess

import cv2
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kiosk.errors import KioskError
from kiosk.form import parse_payload, render_form
from kiosk.form import texts
from kiosk.policy import get_policy
from kiosk.qr import read_qr
from kiosk.record import Guardian, StudyEntry, validate_record

PAGE_WIDTH = 595.28
RIGHT_EDGE = PAGE_WIDTH - 14 * 72 / 25.4  # the grid's right border (14 mm margin)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pages(pdf_tool, pdf) -> int:
    return int(re.search(r"^Pages:\s+(\d+)$", pdf_tool("pdfinfo", pdf), re.M).group(1))


def word_boxes(pdf_tool, pdf) -> list[tuple[float, float, str]]:
    html = pdf_tool("pdftotext", pdf, "-bbox")
    return [(float(a), float(b), w) for a, b, w in re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"'
                                                             r' yMax="[\d.]+">([^<]*)</word>', html)]


def long_record(record):
    """Every free-text field at its longest valid length (kiosk.record.validate), three guardians, long history."""
    identity = record.identity.model_copy(update={"name": "欧阳" + "明" * 18,
                                                  "address": "河南省商丘市睢阳区" + "文化路幸福里小区" * 7})
    history = [StudyEntry(start=e.start, end=e.end, school="商丘市睢阳区" + "实验" * 27, role="班长兼学习委员兼团支书",
                          witness="赵" * 50) for e in record.study_history]
    guardians = [Guardian(name="Alexander " + "Longname" * 5, relation="父亲", phone="13803700001",
                          work_unit="商丘市" + "建设发展投资集团" * 7),
                 Guardian(name="司马" + "秀" * 18, relation="母亲", phone="0370-12345678", work_unit="睢" * 60),
                 Guardian(name="王" * 20, relation="祖父", phone="13903700002", work_unit="")]
    return record.model_copy(update={"identity": identity, "school_name": "商丘市" + "第一初级中学" * 9 + "分校",
                                     "home_address": "河南省商丘市" + "睢阳区文化路八十八号" * 9 + "一",
                                     "guardians": guardians, "study_history": history})


def test_form_content(record, signer, photo, pdf_tool):
    form = render_form(record, signer, photo=photo)
    text = squash(pdf_tool("pdftotext", form.pdf))
    policy = get_policy(record.policy)
    expected = [policy.form_title, record.name, record.id_number, "汉族", "2009年03月15日", "居民身份证",
                record.school_name, record.school_code, record.student_number, record.contact_phone, "已验证",
                record.home_address, policy.claims["allocation"], policy.category("grade9").label,
                record.terminal_id, str(record.record_id), "第1次打印"]
    expected += [v for g in record.guardians for v in (g.name, g.relation, g.phone, g.work_unit)]
    expected += [v for e in record.study_history for v in (e.school, e.role, e.witness, e.start.replace("-", "."))]
    expected += [texts.DECLARATION, texts.PLEDGE, "考生签字", "监护人签字", "审核意见", "学校/报名点（盖章）"]
    for value in expected:
        assert squash(value) in text, value
    assert form.missing_glyphs == "" and form.text_size == 10.5


def test_font_embedded_as_subset_and_one_page(record, signer, photo, pdf_tool):
    form = render_form(record, signer, photo=photo)
    fonts = pdf_tool("pdffonts", form.pdf).splitlines()[2:]
    assert all_embedded(fonts) and any("WenQuanYiMicroHei" in line for line in fonts)
    assert not any("Helvetica" in line for line in fonts)  # empty table cells used to name it, unembedded
    assert pages(pdf_tool, form.pdf) == 1
    assert "pts (A4)" in pdf_tool("pdfinfo", form.pdf)


def test_photo_present_or_placeholder(record, signer, photo, pdf_tool):
    with_photo = pdf_tool("pdfimages", render_form(record, signer, photo=photo).pdf, "-list").splitlines()[2:]
    assert len(with_photo) == 1 and with_photo[0].split()[3:5] == ["450", "600"]
    without = render_form(record, signer)
    assert pdf_tool("pdfimages", without.pdf, "-list").splitlines()[2:] == []
    assert "未采集" in pdf_tool("pdftotext", without.pdf)
    damaged = render_form(record, signer, photo=b"\xff\xd8 not really a jpeg")
    assert "未采集" in pdf_tool("pdftotext", damaged.pdf) and pages(pdf_tool, damaged.pdf) == 1


def test_qr_decodes_to_the_signed_payload(record, signer, photo, tmp_path, artifacts):
    """Several print times (each a different code) rendered at 150 dpi all decode: the printed code scans reliably.
    Decoded with the operator's reader (kiosk.qr, zxing-cpp), the one the sign-off scan uses."""
    for minute in range(5):
        printed_at = dt.datetime(2024, 3, 4, 10, minute, 17, tzinfo=dt.timezone.utc)
        form = render_form(record, signer, photo=photo, printed_at=printed_at)
        (tmp_path / "f.pdf").write_bytes(form.pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(tmp_path / "f.pdf"),
                        str(tmp_path / "f")], check=True)
        decoded = read_qr(cv2.imread(str(tmp_path / "f.png")))
        assert decoded == form.payload.text()
    parsed = parse_payload(decoded)
    assert parsed.record_id == record.record_id and parsed.content_hash == record.content_hash()
    assert parsed.signature_valid(signer)


def test_long_values_wrap_inside_cells(record, signer, photo, pdf_tool, artifacts):
    record = long_record(record)
    assert not validate_record(record, get_policy(record.policy), __import__("datetime").date.today()).keys() & {
        "school_name", "home_address", "guardians[0].work_unit", "study_history[0].school"}
    form = render_form(record, signer, photo=photo)
    assert pages(pdf_tool, form.pdf) == 1
    text = squash(pdf_tool("pdftotext", form.pdf))
    for value in (record.name, record.card.address, record.school_name, record.home_address,
                  record.guardians[0].work_unit, record.guardians[1].name, record.study_history[0].school):
        assert squash(value) in text, value
    boxes = word_boxes(pdf_tool, form.pdf)
    assert boxes and max(x_max for _, x_max, _ in boxes) <= RIGHT_EDGE
    (artifacts / "long.pdf").write_bytes(form.pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(artifacts / "long.pdf"),
                    str(artifacts / "long")], check=True)


def test_many_history_lines_shrink_to_one_page(record, signer, pdf_tool):
    entry = record.study_history[-1]
    record = record.model_copy(update={"study_history": list(record.study_history) + [entry] * 14})
    form = render_form(record, signer)
    assert pages(pdf_tool, form.pdf) == 1 and form.text_size < 10.5


def test_ten_thousand_characters_refused_not_crashed(record, signer):
    huge = record.model_copy(update={"home_address": "河" * 10_000})
    problems = validate_record(huge, get_policy(huge.policy), __import__("datetime").date.today())
    assert "过长" in problems["home_address"]  # refused upstream, at entry
    with pytest.raises(KioskError) as caught:  # and the renderer says so in Chinese instead of spilling pages
        render_form(huge, signer)
    assert "一页" in caught.value.message


def test_markup_and_control_characters_print_literally(record, signer, pdf_tool):
    guardians = [record.guardians[0].model_copy(update={"work_unit": "A&B <b>公司</b> &amp; 5>3"})]
    record = record.model_copy(update={"guardians": guardians, "home_address": "文化路\x00\x07\u200b88号\n二单元"})
    text = pdf_tool("pdftotext", render_form(record, signer).pdf)
    assert "A&B <b>公司</b> &amp; 5>3" in text and "文化路88号" in squash(text)


def all_embedded(fonts: list[str]) -> bool:
    """pdffonts rows: every font an embedded subset (emb, sub and uni all "yes")."""
    rows = [line.split() for line in fonts if line.strip()]
    return bool(rows) and all(re.match(r"^[A-Z]{6}\+", r[0]) and r[-5:-2] == ["yes", "yes", "yes"] for r in rows)


def test_rare_name_characters_set_in_fallback_faces(record, signer, pdf_tool):
    """刘䶮 (Ext-A), 𠈌 (Ext-B), 𫗭 (Ext-C): printed with the same font chain as the UI, each face embedded."""
    identity = {**record.identity, "name": "刘䶮"}
    form = render_form(record.model_copy(update={"identity": identity, "school_name": "商丘𠈌𫗭中学"}), signer)
    assert form.missing_glyphs == ""
    assert "刘䶮" in squash(pdf_tool("pdftotext", form.pdf)) and "商丘𠈌𫗭中学" in squash(pdf_tool("pdftotext", form.pdf))
    fonts = pdf_tool("pdffonts", form.pdf).splitlines()[2:]
    assert all_embedded(fonts) and any("HanaMinA" in f for f in fonts) and any("HanaMinB" in f for f in fonts)


def test_characters_the_font_lacks_are_reported(record, signer):
    form = render_form(record.model_copy(update={"school_name": "商丘\U0002ebf0中学"}), signer)  # Ext-I: no face
    assert form.missing_glyphs == "\U0002ebf0"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(address=st.text(max_size=300), school=st.text(max_size=80))
def test_any_text_renders_or_refuses_in_chinese(record, signer, address, school):
    try:
        form = render_form(record.model_copy(update={"home_address": address, "school_name": school}), signer)
    except KioskError as exc:
        assert exc.message
    else:
        assert form.pdf.startswith(b"%PDF")


def test_example_png_for_review(record, signer, photo, artifacts):
    """Writes artifacts/form/example.png: the form as printed, to look at by eye."""
    form = render_form(record, signer, photo=photo)
    (artifacts / "example.pdf").write_bytes(form.pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-singlefile", str(artifacts / "example.pdf"),
                    str(artifacts / "example")], check=True)
    assert (artifacts / "example.png").stat().st_size > 10_000


def test_a_slimmed_face_embeds_the_same_subset_and_widths_as_reportlabs_own():
    """The form's faces are kept slim for the process's life (kiosk.form.fonts._slim: ~8 MB less for the body font)
    and their files mapped, not read; the glyphs, metrics and widths embedded are byte for byte ReportLab's."""
    from reportlab.pdfbase.ttfonts import TTFont

    from kiosk.form import fonts

    full = TTFont("Full", fonts.FONT_PATH, subfontIndex=0)
    slim = fonts._face("Slim", fonts.FONT_PATH)
    assert slim.face.glyphToChar is None and len(slim.face.hmetrics) == len(full.face.hmetrics)
    assert not isinstance(slim.face._ttf_data, bytes)  # the file mapped, not held on the heap (5 MB)
    for table in ("charToGlyph", "charWidths"):  # packed, the same entries
        packed, plain = getattr(slim.face, table), getattr(full.face, table)
        assert not isinstance(packed, dict) and dict(packed.items()) == plain
        assert 0x10FFFF not in packed and "A" not in packed and packed.get(-1, "none") == "none"
    assert list(slim.face.glyphPos) == full.face.glyphPos
    text = "报名登记表王小明郑州市金水区ABC123（）—"
    chars = [0] + [ord(c) for c in text]
    assert slim.face.makeSubset(chars) == full.face.makeSubset(chars)
    assert slim.stringWidth(text, 10.5) == full.stringWidth(text, 10.5)
