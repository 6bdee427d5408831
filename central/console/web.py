"""The console's web plumbing: templates, the signed-in operator, CSRF-checked forms, Chinese error pages."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from kiosk.identity import mask_id, mask_name

from . import accounts
from .models import ROLE_LABELS
from .scope import Scope

log = logging.getLogger(__name__)
COOKIE = "kc_session"
PREFIX = "/console"
MAX_FORM_BYTES = 64 * 1024
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                        autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
def local_time(moment) -> str:
    """A stored time as Asia/Shanghai wall-clock time (SQLite gives it back naive, in UTC)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


TEMPLATES.filters.update(mask_id=mask_id, mask_name=mask_name, local=local_time)
TEMPLATES.globals.update(ROLE_LABELS=ROLE_LABELS, PREFIX=PREFIX)


@dataclass
class Console:
    central: object
    policy: accounts.Policy = field(default_factory=accounts.Policy)
    online_s: int = 10 * 60  # a terminal silent longer than this is flagged offline
    recent: dict = field(default_factory=dict)  # scope -> (when, dashboard figures), see progress.recent_overview


@dataclass(frozen=True)
class Operator:
    user_id: int
    username: str
    display_name: str
    scope: Scope
    csrf: str

    @property
    def label(self) -> str:
        return f"{self.display_name or self.username}（{ROLE_LABELS[self.scope.role]} {self.scope.code}）"


class LoginRequired(Exception):
    pass


class Problem(Exception):
    """A Chinese message shown on an error page with its status (404 for anything out of scope)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def not_found() -> Problem:
    return Problem(404, "页面不存在或不在您的管理范围内")


def console_of(request: Request) -> Console:
    return request.app.state.console


def _operator(console: Console, token: str) -> Operator | None:
    def work(session):
        found = accounts.current(session, token, console.policy)
        if found is None:
            return None
        user, row = found
        return Operator(user.user_id, user.username, user.display_name, Scope(user.role, user.scope_code), row.csrf)

    return console.central.write(work)


def operator(request: Request) -> Operator:
    """Dependency of every page: the signed-in operator, else a redirect to the login page."""
    found = _operator(console_of(request), request.cookies.get(COOKIE, ""))
    if found is None:
        raise LoginRequired()
    return found


Who = Annotated[Operator, Depends(operator)]  # the signed-in operator of a page


async def posted(request: Request, limit: int = MAX_FORM_BYTES) -> tuple[Operator, dict]:
    """The operator and the form of a POST whose CSRF token matches the session's; bounded before reading."""
    try:
        length = int(request.headers.get("content-length", ""))
    except ValueError:
        raise Problem(411, "请求缺少长度信息") from None
    if length > limit:
        raise Problem(413, f"提交的内容过大（上限 {limit // 1024} KB）")
    who = await run_in_threadpool(operator, request)
    form = await request.form(max_files=1, max_fields=200)
    if not accounts.csrf_ok_token(who.csrf, str(form.get("csrf_token", ""))):
        log.warning("console csrf refused", extra={"fields": {"user": who.user_id, "path": request.url.path}})
        raise Problem(403, "页面已过期或请求来源不明，请刷新页面后重试")
    return who, form


def render(request: Request, template: str, who: Operator | None = None, status: int = 200, **context):
    html = TEMPLATES.get_template(template).render(request=request, op=who, **context)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(PREFIX + path, status_code=303)


def clean(value, limit: int) -> str:
    """Text from a request, bounded and without NUL (PostgreSQL text cannot hold it)."""
    return str(value or "").replace("\x00", "")[:limit]


def as_int(value, default: int = 0, low: int = 0, high: int = 10**9) -> int:
    try:
        return min(max(int(value), low), high)
    except (TypeError, ValueError):
        return default


async def _login_required(request: Request, _exc: LoginRequired):
    return RedirectResponse(f"{PREFIX}/login", status_code=303)


async def _problem(request: Request, exc: Problem):
    return render(request, "error.html", None, status=exc.status, message=exc.message)


HANDLERS = {LoginRequired: _login_required, Problem: _problem}
