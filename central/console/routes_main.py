"""Login, logout, the progress dashboard, the candidate list and the not-yet-registered list."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func, select

from central.models import Record, School

from . import accounts, progress
from .records import category_labels, keys_of, roster_entry
from .web import COOKIE, PREFIX, Operator, Who, as_int, clean, console_of, posted, redirect, render

router = APIRouter()
PAGE = 50


@router.get("/login")
def login_page(request: Request):
    return render(request, "login.html", error="")


@router.post("/login")
async def login(request: Request):
    console = console_of(request)
    if int(request.headers.get("content-length") or 0) > 4096:
        return render(request, "login.html", status=413, error="提交的内容过大")
    form = await request.form(max_files=0, max_fields=5)
    username, password = clean(form.get("username"), 64), str(form.get("password", ""))[:256]

    def work(session):
        user, reason = accounts.login(session, username, password, console.policy)
        return (accounts.open_session(session, user), "") if user else ("", reason)

    token, reason = await run_in_threadpool(console.central.write, work)
    if not token:
        return render(request, "login.html", status=401, error=reason, username=username)
    response = redirect("/")
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path=PREFIX,
                        secure=request.url.scheme == "https")
    return response


@router.post("/logout")
async def logout(request: Request):
    who, _ = await posted(request)
    token = request.cookies.get(COOKIE, "")

    def work(session):
        accounts.close_session(session, token)
        accounts.audit(session, _user(session, who), "logout", who.username)

    await run_in_threadpool(console_of(request).central.write, work)
    response = redirect("/login")
    response.delete_cookie(COOKIE, path=PREFIX)
    return response


def _user(session, who: Operator):
    from .models import User

    return session.get(User, who.user_id)


@router.get("/")
def dashboard(request: Request, who: Who):
    console = console_of(request)
    with console.central.sessions() as session:
        stats = progress.recent_overview(session, who.scope, console.recent)
    labels = category_labels()
    return render(request, "dashboard.html", who, stats=stats, labels=labels,
                  category_bars=[(labels.get(code, code), n) for code, n in stats["categories"]])


@router.get("/students")
def students(request: Request, who: Who, school: str = "", state: str = "", page: str = "1", q: str = ""):
    number = as_int(page, 1, 1)
    query = progress.in_scope(who.scope)
    q = clean(q, 18).strip().upper()
    if q:
        query = query.where(Record.id_number == console_of(request).central.data_keys.id_digest(q))
    if school:
        query = query.where(Record.school_code == clean(school, 20))
    if state in progress.STATE_LABELS:
        query = query.where(Record.state == state)
    with console_of(request).central.sessions() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        rows = session.execute(query.order_by(Record.school_code, Record.record_id)
                               .offset((number - 1) * PAGE).limit(PAGE))
        items = progress.summaries(session, rows)
        schools = session.execute(select(School.code, School.name).where(who.scope.schools())
                                  .order_by(School.code)).all()
    return render(request, "students.html", who, items=items, total=total, page=number, pages=-(-total // PAGE),
                  school=school, state=state, q=q, schools=schools, states=progress.STATE_LABELS,
                  labels=category_labels())


@router.get("/pending")
def pending(request: Request, who: Who, school: str = ""):
    """The roster students who have not registered yet, per school, for teachers to chase."""
    query = progress.not_started(who.scope)
    if school:
        query = query.where(progress.RosterEntry.school_code == clean(school, 20))
    with console_of(request).central.sessions() as session:
        keys = keys_of(session)
        rows = sorted(((roster_entry(keys, entry), detail) for entry, detail in session.execute(
            query.order_by(progress.RosterEntry.school_code).limit(5000)).all()),
            key=lambda r: (r[0]["school_code"], r[1].class_name if r[1] else "", r[0]["student_number"]))
        names = dict(session.execute(select(School.code, School.name).where(who.scope.schools())).all())
    return render(request, "pending.html", who, rows=rows, names=names, school=school)
