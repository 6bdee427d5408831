"""Roster import, the fleet, the schools' audit results and 公示 list, and the export."""
from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select

from central.models import School

from . import export as exporting
from . import fleet, review, roster
from .accounts import audit
from .models import RosterImport, User
from .web import (
    MAX_UPLOAD_BYTES,
    Operator,
    Who,
    as_int,
    clean,
    console_of,
    not_found,
    posted,
    redirect,
    render,
)

router = APIRouter()
log = logging.getLogger(__name__)


def _write(request: Request, who: Operator, work):
    return console_of(request).central.write(lambda session: work(session, session.get(User, who.user_id)))


@router.get("/roster")
def roster_page(request: Request, who: Who):
    return render(request, "roster.html", who, error="", columns=roster.LABELS.values())


@router.post("/roster")
async def roster_upload(request: Request):
    who, form = await posted(request, limit=MAX_UPLOAD_BYTES)
    upload = form.get("file")
    if upload is None or not hasattr(upload, "read"):
        return render(request, "roster.html", who, status=400, error="请选择名单文件",
                      columns=roster.LABELS.values())
    data, filename = await upload.read(MAX_UPLOAD_BYTES + 1), upload.filename or "roster"

    def work(session, user):
        checked = roster.check(session, who.scope, roster.read_table(filename, data))
        imported = roster.save_preview(session, user.user_id, filename, checked)
        audit(session, user, "roster.preview", str(imported.import_id), None, checked.counts)
        return imported.import_id

    try:
        import_id = await run_in_threadpool(_write, request, who, work)
    except roster.RosterError as exc:
        return render(request, "roster.html", who, status=400, error=str(exc), columns=roster.LABELS.values())
    return redirect(f"/roster/{import_id}")


def _import(session, who: Operator, import_id: str) -> RosterImport:
    found = session.get(RosterImport, as_int(import_id, -1, -1))
    if found is None or found.user_id != who.user_id:
        raise not_found()
    return found


@router.get("/roster/{import_id}")
def roster_preview(request: Request, who: Who, import_id: str):
    with console_of(request).central.sessions() as session:
        imported = _import(session, who, import_id)
        rows = [r for r in roster.preview_rows(session, imported) if r["change"] != "unchanged"]
        names = dict(session.execute(select(School.code, School.name)).all())
    return render(request, "roster_preview.html", who, imported=imported, rows=rows[:2000], more=len(rows) - 2000,
                  names=names, summary=imported.summary)


@router.post("/roster/{import_id}")
async def roster_apply(request: Request, import_id: str):
    who, form = await posted(request)
    apply = form.get("action") == "apply"

    def work(session, user):
        imported = _import(session, who, import_id)
        if imported.status != "preview":
            return "该名单已处理"
        if apply:
            audit(session, user, "roster.apply", str(imported.import_id), None, roster.apply(session, imported))
        else:
            imported.status = "discarded"
            audit(session, user, "roster.discard", str(imported.import_id))
        return ""

    error = await run_in_threadpool(_write, request, who, work)
    if error:
        return render(request, "error.html", who, status=400, message=error)
    return redirect(f"/roster/{import_id}")


def _fleet_page(request: Request, who: Operator, code: str = "", error: str = ""):
    console = console_of(request)
    with console.central.sessions() as session:
        rows = fleet.fleet(session, who.scope, console.online_s)
        schools = session.execute(select(School.code, School.name).where(who.scope.schools())
                                  .order_by(School.code)).all()
    return render(request, "fleet.html", who, rows=rows, schools=schools, code=code, error=error,
                  online_min=console.online_s // 60, status=400 if error else 200)


@router.get("/fleet")
def fleet_page(request: Request, who: Who):
    return _fleet_page(request, who)


@router.post("/fleet/{terminal_id}/revoke")
async def fleet_revoke(request: Request, terminal_id: str):
    who, _ = await posted(request)

    def work(session, user):
        terminal = fleet.terminal_in_scope(session, who.scope, clean(terminal_id, 40))
        if terminal is None:
            raise not_found()
        fleet.revoke(session, terminal)
        audit(session, user, "terminal.revoke", terminal.terminal_id, {"revoked": False}, {"revoked": True})

    await run_in_threadpool(_write, request, who, work)
    return redirect("/fleet")


@router.post("/fleet/codes")
async def fleet_code(request: Request):
    who, form = await posted(request)
    role, code, county = clean(form.get("role"), 10), clean(form.get("code"), 20), clean(form.get("county"), 6)

    def work(session, user):
        issued = fleet.issue_code(session, who.scope, role, code, county)
        if issued:
            audit(session, user, "terminal.enroll_code", f"{role}:{code}")
        return issued

    issued = await run_in_threadpool(_write, request, who, work)
    return await run_in_threadpool(_fleet_page, request, who, issued, "" if issued else
                                   "该学校或报名点不在您的管理范围内，或代码有误")


@router.get("/reviews")
def reviews_page(request: Request, who: Who):
    with console_of(request).central.sessions() as session:
        schools = review.school_overview(session, who.scope)
    return render(request, "reviews.html", who, schools=schools, statuses=review.STATUSES)


def _school(session, who: Operator, code: str) -> School:
    school = session.scalar(select(School).where(School.code == clean(code, 20), who.scope.schools()))
    if school is None:
        raise not_found()
    return school


@router.post("/schools/{code}/review")
async def school_review(request: Request, code: str):
    who, form = await posted(request)

    def work(session, user):
        school = _school(session, who, code)
        if not who.scope.approves_for(school.county_code):
            return "学校的审核结果由县（区）及以上教育行政部门复核"
        return review.review_school(session, user, school, clean(form.get("status"), 2000), clean(form.get("comment"), 2000))

    error = await run_in_threadpool(_write, request, who, work)
    if error:
        return render(request, "error.html", who, status=400, message=error)
    return redirect("/reviews")


@router.get("/schools/{code}/notice.pdf")
def notice(request: Request, who: Who, code: str, period: str = "", contact: str = ""):
    with console_of(request).central.sessions() as session:
        school = _school(session, who, code)
        entries = review.notice_entries(session, school.code)
    pdf = review.notice_pdf(school, entries, period[:100] or "（未填写）", contact[:100] or "（未填写）")
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(school.code + '-gongshi.pdf')}",
        "Cache-Control": "no-store"})


@router.get("/export")
def export_page(request: Request, who: Who, naming: str = "id_number"):
    return render(request, "export.html", who, namings=exporting.NAMINGS, naming=naming, checked=None)


@router.post("/export")
async def export_check(request: Request):
    who, form = await posted(request)
    naming = clean(form.get("naming"), 2000)
    naming = naming if naming in exporting.NAMINGS else "id_number"
    central = console_of(request).central
    count, problems = await run_in_threadpool(exporting.run_check, central, who.scope, naming)
    return render(request, "export.html", who, namings=exporting.NAMINGS, naming=naming,
                  checked={"count": count, "problems": problems})


@router.post("/export.zip")
async def export_zip(request: Request):
    who, form = await posted(request)
    naming = clean(form.get("naming"), 2000)
    naming = naming if naming in exporting.NAMINGS else "id_number"
    central = console_of(request).central
    count, problems = await run_in_threadpool(exporting.run_check, central, who.scope, naming)
    if problems:
        return render(request, "export.html", who, status=409, namings=exporting.NAMINGS, naming=naming,
                      checked={"count": count, "problems": problems})
    await run_in_threadpool(_write, request, who, lambda s, user: audit(
        s, user, "export", f"{who.scope.role}:{who.scope.code}", None, {"records": count, "naming": naming}))
    name = f"export-{who.scope.role}-{who.scope.code}.zip"
    return StreamingResponse(exporting.stream(central.sessions, central.storage, who.scope, naming),
                             media_type="application/zip",
                             headers={"Content-Disposition": f"attachment; filename={name}"})


def _users_in_scope(session, who: Operator) -> list[User]:
    from .scope import Scope

    counties = dict(session.execute(select(School.code, School.county_code)).all())
    return [u for u in session.scalars(select(User).order_by(User.role, User.scope_code, User.username))
            if who.scope.covers(Scope(u.role, u.scope_code), counties.get(u.scope_code, ""))]


def _users_page(request: Request, who: Operator, error: str = "", flash: str = ""):
    with console_of(request).central.sessions() as session:
        users = _users_in_scope(session, who)
    return render(request, "users.html", who, users=users, error=error, flash=flash, status=400 if error else 200)


@router.get("/users")
def users_page(request: Request, who: Who):
    return _users_page(request, who)


@router.post("/users")
async def users_add(request: Request):
    """An authority gives the units below it their accounts (the county assigns the schools' permissions)."""
    from . import accounts

    who, form = await posted(request)
    fields = {k: clean(form.get(k), 200).strip() for k in ("username", "role", "scope_code", "password", "name")}

    def work(session, user):
        try:
            accounts.add_user(session, fields["username"], fields["role"], fields["scope_code"], fields["password"],
                              fields["name"], by=user)
        except accounts.AccountError as exc:
            return str(exc)
        return ""

    error = await run_in_threadpool(_write, request, who, work)
    return await run_in_threadpool(_users_page, request, who, error, "" if error else "账号已创建")


@router.post("/users/{username}/disable")
async def users_disable(request: Request, username: str):
    from . import accounts

    who, _ = await posted(request)

    def work(session, user):
        if username == who.username or username not in {u.username for u in _users_in_scope(session, who)}:
            raise not_found()
        accounts.disable_user(session, username, by=user)

    await run_in_threadpool(_write, request, who, work)
    return redirect("/users")


@router.get("/audit")
def audit_page(request: Request, who: Who, page: str = "1"):
    """The actions of the operators in scope, newest first, with before and after."""
    from .models import AuditEntry
    from .records import keys_of, unseal

    number = as_int(page, 1, 1)
    with console_of(request).central.sessions() as session:
        ids = [u.user_id for u in _users_in_scope(session, who)]
        entries = session.scalars(select(AuditEntry).where(AuditEntry.user_id.in_(ids))
                                  .order_by(AuditEntry.id.desc()).offset((number - 1) * 100).limit(100)).all()
        keys = keys_of(session)
    rows = [(e, unseal(e.before, keys, "audit"), unseal(e.after, keys, "audit")) for e in entries]
    return render(request, "audit.html", who, rows=rows, page=number)
