"""Eligibility and 分配生 audits, the county's review of a school's results, and the school's 公示 list (PDF)."""
from __future__ import annotations

import datetime as dt
import io
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.models import Record, School, utcnow

from .accounts import audit
from .models import Review, SchoolReview, User
from .progress import live, summaries
from .records import category_labels, claim_labels
from .scope import Scope

KINDS = {"eligibility": "报考资格", "allocation": "分配生资格"}
STATUSES = {"approved": "审核通过", "issues": "有问题"}


def set_review(session: Session, user: User, record: Record, kind: str, status: str, comment: str) -> str:
    """'' or a Chinese reason the review was not taken."""
    if kind not in KINDS or status not in STATUSES:
        return "审核类型或结论无效"
    if status == "issues" and not comment.strip():
        return "标记“有问题”时请填写说明"
    row = session.get(Review, (record.record_id, kind))
    before = {"status": row.status, "comment": row.comment} if row else None
    if row is None:
        row = Review(record_id=record.record_id, kind=kind, status=status, comment="", user_id=user.user_id)
        session.add(row)
    row.status, row.comment, row.user_id, row.at = status, comment.strip()[:1000], user.user_id, utcnow()
    audit(session, user, f"review.{kind}", record.record_id, before, {"status": status, "comment": row.comment})
    return ""


def reviews_of(session: Session, record_id: str) -> dict[str, Review]:
    return {r.kind: r for r in session.scalars(select(Review).where(Review.record_id == record_id))}


def school_overview(session: Session, scope: Scope) -> list[dict]:
    """Per school in scope: signed records, audited, with issues, and the county's review."""
    schools = session.scalars(select(School).where(scope.schools()).order_by(School.code)).all()
    result = []
    for school in schools:
        ids = session.scalars(select(Record.record_id).where(Record.school_code == school.code, live(),
                                                             Record.state == "signed")).all()
        statuses = [r.status for r in session.scalars(select(Review).where(Review.record_id.in_(ids),
                                                                           Review.kind == "eligibility"))]
        county = session.get(SchoolReview, school.code)
        result.append({"school": school, "signed": len(ids), "approved": statuses.count("approved"),
                       "issues": statuses.count("issues"), "county": county})
    return result


def review_school(session: Session, user: User, school: School, status: str, comment: str) -> str:
    if status not in STATUSES:
        return "审核结论无效"
    if status == "issues" and not comment.strip():
        return "标记“有问题”时请填写说明"
    row = session.get(SchoolReview, school.code)
    before = {"status": row.status, "comment": row.comment} if row else None
    if row is None:
        row = SchoolReview(school_code=school.code, status=status, user_id=user.user_id)
        session.add(row)
    row.status, row.comment, row.user_id, row.at = status, comment.strip()[:1000], user.user_id, utcnow()
    audit(session, user, "review.school", school.code, before, {"status": status, "comment": row.comment})
    return ""


def notice_entries(session: Session, school_code: str) -> list[dict]:
    """The candidates of a school whose eligibility audit passed, for the 公示 list."""
    rows = session.execute(select(Record.record_id, Record.version, Record.content_hash, Record.state,
                                  Record.school_code, Record.received_at, Record.terminal_id)
                           .where(Record.school_code == school_code, live(), Record.state == "signed"))
    items = summaries(session, rows)
    reviews = {(r.record_id, r.kind): r.status for r in session.scalars(
        select(Review).where(Review.record_id.in_([row.record_id for row, _ in items])))}
    labels, claims = category_labels(), claim_labels()
    entries = []
    for row, s in sorted(items, key=lambda pair: pair[1].student_number):
        if reviews.get((row.record_id, "eligibility")) != "approved":
            continue
        allocation = "allocation" in s.claims and reviews.get((row.record_id, "allocation")) == "approved"
        entries.append({"name": s.name, "gender": s.gender, "category": labels.get(s.category, s.category),
                        "allocation": "是" if allocation else "否",
                        "claims": "、".join(claims.get(c, c) for c in s.claims if c != "allocation")})
    return entries


def notice_pdf(school: School, entries: list[dict], period: str, contact: str) -> bytes:
    """A printable A4 公示 list in the CJK font the forms use (ReportLab)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from kiosk.form.fonts import FONT_NAME, font

    font()
    title = ParagraphStyle("t", fontName=FONT_NAME, fontSize=16, leading=22, alignment=1)
    body = ParagraphStyle("b", fontName=FONT_NAME, fontSize=10.5, leading=15, wordWrap="CJK")
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=f"{school.name}考生资格审核结果公示")
    data = [["序号", "姓名", "性别", "报考类别", "分配生资格", "其他资格"]]
    cell = ParagraphStyle("c", fontName=FONT_NAME, fontSize=10, leading=13, wordWrap="CJK")
    data += [[str(i), e["name"], e["gender"], Paragraph(escape(e["category"]), cell), e["allocation"],
              Paragraph(escape(e["claims"]), cell)] for i, e in enumerate(entries, start=1)]
    table = Table(data, repeatRows=1, colWidths=[14 * mm, 28 * mm, 14 * mm, 52 * mm, 24 * mm, 42 * mm])
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT_NAME, 10), ("GRID", (0, 0), (-1, -1), 0.5,
                                                                            colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf4"))]))
    today = dt.date.today()
    story = [Paragraph(escape(f"{school.name}考生资格审核结果公示"), title), Spacer(1, 4 * mm),
             Paragraph(escape(f"经学校审核，以下 {len(entries)} 名考生报考资格审核通过，现予公示。"
                              f"公示期：{period}。如有异议，请在公示期内向学校反映。联系方式：{contact}"), body),
             Spacer(1, 4 * mm), table, Spacer(1, 6 * mm),
             Paragraph(escape(f"{school.name}　{today.year}年{today.month}月{today.day}日"), body)]
    doc.build(story)
    return out.getvalue()
