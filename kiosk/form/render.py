"""The registration form (报名登记表): one A4 page made with ReportLab from a record, its policy and photo.

The page is a stack of grid tables of the same total width, so their borders meet as one government-style form:
basic information with the photo box (merged cells), guardians, study history, the declaration and integrity
pledge with signature lines, the review box with the QR code, and a footer naming terminal, record and print time.
Every value sits in a Paragraph, so long names and addresses wrap inside their cells. If a long record does not
fit on one page at the normal size, the text is set smaller until it does.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Image, LayoutError, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kiosk.clock import SHANGHAI, utcnow
from kiosk.errors import KioskError
from kiosk.policy import Policy, get_policy
from kiosk.record import Record

from . import texts
from .fonts import FONT_NAME, missing_glyphs, para_text, style
from .payload import FormPayload, make_payload
from .qr import QRFlowable, encode
from .signing import Signer

log = logging.getLogger(__name__)

MARGIN = 14 * mm
WIDTH = A4[0] - 2 * MARGIN  # 182 mm
SIDE = 14 * mm  # the vertical section label column
SIZES = (10.5, 9.5, 8.5, 7.5, 6.5)  # body text sizes tried until the form fits on one page
PHOTO_W, PHOTO_H = 33 * mm, 44 * mm  # 3:4 like the 450 x 600 photo


@dataclass(frozen=True)
class RenderedForm:
    pdf: bytes
    payload: FormPayload
    missing_glyphs: str  # characters no font of the chain has; the operator corrects them by hand on the paper
    text_size: float  # the body size that fitted one page


def render_form(record: Record, signer: Signer, *, photo: bytes | None = None, policy: Policy | None = None,
                printed_at: dt.datetime | None = None, terminal_id: str | None = None) -> RenderedForm:
    policy = policy or get_policy(record.policy)
    printed_at = (printed_at or utcnow()).astimezone(SHANGHAI)
    payload = make_payload(record, signer, printed_at, terminal_id)
    qr = encode(payload.text())
    for size in SIZES:
        form = _Form(record, policy, photo, payload, qr, size)
        if not _fits(form):
            continue
        pdf, pages = _build(form)
        if pages == 1:
            missing = missing_glyphs(*_all_text(record, policy))
            if missing:
                log.warning("form has characters the font lacks", extra={"fields": {"count": len(missing)}})
            return RenderedForm(pdf, payload, missing, size)
    raise KioskError("填写内容过长，报名登记表无法打印在一页内，请精简后重新提交",
                     detail=f"form of {record.record_id} needs more than one page even at {SIZES[-1]} pt")


TOP, BOTTOM = 12 * mm, 10 * mm
FRAME_PADDING = 6  # points, ReportLab's default frame padding on each side


def _fits(form: "_Form") -> bool:
    """Cheap check before building: the story's laid-out height against the page frame's."""
    available = A4[1] - TOP - BOTTOM - 2 * FRAME_PADDING
    height = 0.0
    for flowable in form.story():
        height += flowable.wrap(WIDTH, available)[1]
        if height > available:
            return False
    return True


def _build(form: "_Form") -> tuple[bytes, int]:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=TOP,
                            bottomMargin=BOTTOM, initialFontName=FONT_NAME, title=form.policy.form_title,
                            author=form.policy.authority,
                            creator="henan-exam-kiosk", subject=str(form.record.record_id))
    try:
        doc.build(form.story())
    except LayoutError:  # one cell taller than a page: it cannot fit at this size
        return b"", 0
    return buffer.getvalue(), doc.page


def _all_text(record: Record, policy: Policy) -> list[str]:
    card = record.card
    parts = [card.name, card.address, card.authority, record.school_name, record.student_number, record.home_address,
             policy.form_title]
    parts += [f"{g.name}{g.relation}{g.work_unit}{g.phone}" for g in record.guardians]
    parts += [f"{e.school}{e.role}{e.witness}" for e in record.study_history]
    return parts


def verified_mark(record: Record) -> str:
    """No ID card: the identity was typed by an operator from the household register page, and the form says so."""
    return f"（工作人员已核验，工号{record.operator_verified}）" if record.operator_verified else ""


class _Form:
    def __init__(self, record: Record, policy: Policy, photo: bytes | None, payload: FormPayload, qr, size: float):
        self.record, self.policy, self.photo, self.size = record, policy, photo, size
        self.payload, self.qr = payload, qr
        self.pad = size * 0.62

    # -- cells ----------------------------------------------------------------------------------------------------
    def p(self, value, *, scale: float = 1.0, align: str = "left") -> Paragraph:
        return Paragraph(para_text(value), style(round(self.size * scale, 1), align))

    def label(self, value) -> Paragraph:
        return self.p(value, align="center")

    def side(self, value: str) -> Paragraph:
        return Paragraph("<br/>".join(value), style(self.size, "center", 1.25))

    def grid(self, rows, widths, extra=(), header_rows=0) -> Table:
        table = Table(rows, colWidths=widths)
        commands = [
            ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
            ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),  # empty cells too: otherwise Helvetica, unembedded
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), self.pad),
            ("BOTTOMPADDING", (0, 0), (-1, -1), self.pad),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            # CJK wrapping lets closing punctuation (。，) hang past the line: room for it inside the border
            ("RIGHTPADDING", (0, 0), (-1, -1), 2 + self.size),
        ]
        if header_rows:
            commands.append(("BACKGROUND", (1, 0), (-1, header_rows - 1), colors.Color(0.93, 0.93, 0.93)))
        table.setStyle(TableStyle(commands + list(extra)))
        return table

    # -- sections -------------------------------------------------------------------------------------------------
    def story(self) -> list:
        return [
            Paragraph(para_text(self.policy.form_title), style(round(self.size * 1.6, 1), "center")),
            Spacer(0, 1.5 * mm),
            self.p(texts.SUBTITLE, scale=0.8, align="center"),
            Spacer(0, 2.5 * mm),
            self.basic(), self.guardians(), self.study(), self.declaration(), self.review(),
            Spacer(0, 1.5 * mm),
            self.footer(),
        ]

    def photo_cell(self):
        if self.photo:
            try:
                reader = ImageReader(io.BytesIO(self.photo))
                reader.getSize()
                return Image(io.BytesIO(self.photo), width=PHOTO_W, height=PHOTO_H)
            except Exception:  # a damaged attachment must not stop the form: the frame is left for a pasted photo
                log.warning("photo attachment unreadable, printing an empty frame")
        frame = Table([[Paragraph(texts.NO_PHOTO, style(self.size, "center"))]], colWidths=PHOTO_W,
                      rowHeights=PHOTO_H)
        frame.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, colors.grey),
                                   ("FONTNAME", (0, 0), (-1, -1), FONT_NAME),
                                   ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        return frame

    def basic(self) -> Table:
        r, card, policy = self.record, self.record.card, self.policy
        category = policy.category(r.category)
        claims = "；".join(policy.claims.get(c, c) for c in r.claims) or texts.NONE
        phone = r.contact_phone + (texts.PHONE_CONFIRMED if r.phone_confirmed and r.contact_phone else "")
        L, p = self.label, self.p
        rows = [
            [L("姓名"), p(card.name), L("性别"), p(card.gender), self.photo_cell()],
            [L("民族"), p(card.ethnicity or "—"), L("出生日期"), p(f"{card.birth_date:%Y年%m月%d日}"), ""],
            [L("证件类型"), p(card.card_type.label + verified_mark(r)), L("证件号码"), p(card.id_number), ""],
            [L("报考类别"), p(category.label if category else r.category), "", "", ""],
            [L("就读学校"), p(r.school_name), L("学校代码"), p(r.school_code), ""],
            [L("学籍号"), p(r.student_number), L("联系电话"), p(phone), ""],
            [L("户籍地址"), p(card.address or "—"), "", "", ""],
            [L("家庭住址"), p(r.home_address), "", "", ""],
            [L("资格申报"), p(claims), "", "", ""],
        ]
        widths = [22 * mm, 52 * mm, 22 * mm, WIDTH - 96 * mm - PHOTO_W - 4 * mm, PHOTO_W + 4 * mm]
        spans = [("SPAN", (4, 0), (4, 5)), ("SPAN", (1, 3), (3, 3)), ("ALIGN", (4, 0), (4, 0), "CENTER")]
        spans += [("SPAN", (1, i), (4, i)) for i in (6, 7, 8)]
        return self.grid(rows, widths, spans)

    def guardians(self) -> Table:
        header = ["", self.label("称谓"), self.label("姓名"), self.label("工作单位"), self.label("联系电话")]
        rows = [header] + [["", self.label(g.relation), self.p(g.name), self.p(g.work_unit or "—"), self.p(g.phone)]
                           for g in self.record.guardians]
        rows += [["", "", "", "", ""]] * max(0, 3 - len(rows))
        rows[0][0] = self.side("监护人")
        widths = [SIDE, 20 * mm, 34 * mm, WIDTH - SIDE - 94 * mm, 40 * mm]
        return self.grid(rows, widths, [("SPAN", (0, 0), (0, -1))], header_rows=1)

    def study(self) -> Table:
        header = ["", self.label("起止年月"), self.label("学校"), self.label("任何职务"), self.label("证明人")]
        rows = [header] + [["", self.label(f"{e.start.replace('-', '.')}—{e.end.replace('-', '.')}"),
                            self.p(e.school), self.label(e.role or texts.NONE), self.p(e.witness)]
                           for e in self.record.study_history]
        rows += [["", "", "", "", ""]] * max(0, 3 - len(rows))
        rows[0][0] = self.side("学习简历")
        widths = [SIDE, 36 * mm, WIDTH - SIDE - 100 * mm, 30 * mm, 34 * mm]
        return self.grid(rows, widths, [("SPAN", (0, 0), (0, -1))], header_rows=1)

    def declaration(self) -> Table:
        sign = self.p(f"{texts.CANDIDATE_SIGN}\n\n\n{texts.DATE_BLANK}")
        guardian = self.p(f"{texts.GUARDIAN_SIGN}\n\n\n{texts.DATE_BLANK}")
        rows = [
            [self.side("声明与承诺"), self.p(texts.DECLARATION, scale=0.92), ""],
            ["", self.p(texts.PLEDGE, scale=0.92), ""],
            ["", sign, guardian],
        ]
        half = (WIDTH - SIDE) / 2
        extra = [("SPAN", (0, 0), (0, -1)), ("SPAN", (1, 0), (2, 0)), ("SPAN", (1, 1), (2, 1)),
                 ("TOPPADDING", (1, 2), (2, 2), self.size * 1.2), ("BOTTOMPADDING", (1, 2), (2, 2), self.size)]
        return self.grid(rows, [SIDE, half, half], extra)

    def review(self) -> Table:
        qr_size = 30 * mm
        box = self.p(f"{texts.REVIEW}\n\n\n\n\n{texts.REVIEWER}")
        qr_cell = [QRFlowable(self.qr, qr_size), self.p(texts.QR_CAPTION, scale=0.75, align="center")]
        rows = [[self.side("审核"), box, qr_cell]]
        extra = [("VALIGN", (1, 0), (1, 0), "TOP"), ("ALIGN", (2, 0), (2, 0), "CENTER"),
                 ("TOPPADDING", (2, 0), (2, 0), 1), ("BOTTOMPADDING", (2, 0), (2, 0), 1)]
        return self.grid(rows, [SIDE, WIDTH - SIDE - qr_size - 4 * mm, qr_size + 4 * mm], extra)

    def footer(self) -> Paragraph:
        r, at = self.record, self.payload.printed_at.astimezone(SHANGHAI)
        text = (f"终端编号：{self.payload.terminal_id or '—'}　记录编号：{r.record_id}　版本：{r.version}　"
                f"第{r.print_count + 1}次打印　打印时间：{at:%Y-%m-%d %H:%M}")
        return self.p(text, scale=0.72)
