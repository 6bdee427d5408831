"""Operator accounts: argon2 password hashes, login with lockout, sessions with CSRF tokens and expiry, audit."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from central.models import School, utcnow

from .models import ROLES, AuditEntry, OperatorSession, User
from .records import keys_of, seal
from .scope import Scope, scope_problem

log = logging.getLogger(__name__)
HASHER = PasswordHasher()
DUMMY_HASH = HASHER.hash("not a password of anyone")  # verified against for unknown names: same timing


@dataclass
class Policy:
    """Session and lockout rules (tests shorten them)."""

    max_failures: int = 5
    lockout_s: int = 15 * 60
    idle_s: int = 30 * 60
    absolute_s: int = 12 * 3600


class AccountError(Exception):
    """A Chinese sentence for the person at the command line or the page."""


def password_problem(password: str) -> str:
    if not 10 <= len(password) <= 128:
        return "密码长度应为10至128位"
    if len(set(password)) < 5:
        return "密码过于简单"
    return ""


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None else moment


def audit(session: Session, who: User | None, action: str, target: str = "", before=None, after=None,
          actor: str = "cli") -> None:
    """actor: who acted when no signed-in user did (the command line, an attempt to log in)."""
    keys = keys_of(session)
    session.add(AuditEntry(user_id=who.user_id if who else None, username=who.username if who else actor,
                           action=action, target=target,
                           before=seal(before, keys, "audit") if before is not None else "",
                           after=seal(after, keys, "audit") if after is not None else ""))
    log.info("console action", extra={"fields": {"user": who.user_id if who else "cli", "action": action,
                                                 "target": target}})


def user_view(user: User) -> dict:
    return {"username": user.username, "role": user.role, "scope": user.scope_code, "disabled": user.disabled,
            "display_name": user.display_name}


def add_user(session: Session, username: str, role: str, scope_code: str, password: str, display_name: str = "",
             by: User | None = None) -> User:
    if role not in ROLES:
        raise AccountError(scope_problem(role, scope_code))
    problem = scope_problem(role, scope_code) or password_problem(password)
    if not username or len(username) > 64 or not username.isprintable():
        problem = problem or "用户名应为1至64个可见字符"
    if problem:
        raise AccountError(problem)
    if session.scalar(select(User).where(User.username == username)):
        raise AccountError("用户名已存在")
    if by is not None:
        county = ""
        if role == "school":
            county = session.scalar(select(School.county_code).where(School.code == scope_code)) or ""
        if not Scope(by.role, by.scope_code).covers(Scope(role, scope_code), county) or role == by.role:
            raise AccountError("只能为本级管辖范围内的下级单位创建账号")
    user = User(username=username, role=role, scope_code=scope_code, password_hash=HASHER.hash(password),
                display_name=display_name, disabled=False, failed_logins=0)
    session.add(user)
    session.flush()
    audit(session, by, "user.add", username, None, user_view(user))
    return user


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError("找不到该用户")
    return user


def disable_user(session: Session, username: str, by: User | None = None) -> None:
    user = _user(session, username)
    before = user_view(user)
    user.disabled = True
    for s in session.scalars(select(OperatorSession).where(OperatorSession.user_id == user.user_id,
                                                           OperatorSession.ended_at.is_(None))):
        s.ended_at = utcnow()
    audit(session, by, "user.disable", username, before, user_view(user))


def reset_password(session: Session, username: str, password: str, by: User | None = None) -> None:
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    user = _user(session, username)
    user.password_hash, user.failed_logins, user.locked_until = HASHER.hash(password), 0, None
    audit(session, by, "user.reset_password", username)


def list_users(session: Session) -> list[dict]:
    return [user_view(u) for u in session.scalars(select(User).order_by(User.username))]


def login(session: Session, username: str, password: str, policy: Policy) -> tuple[User | None, str]:
    """(user, '') or (None, Chinese reason). Failures count towards a lockout of the account."""
    user = session.scalar(select(User).where(User.username == username[:64]))
    now = utcnow()
    if user is None:
        _verify(DUMMY_HASH, password)
        return None, "用户名或密码错误"
    if user.locked_until and aware(user.locked_until) > now:
        audit(session, None, "login.locked", user.username, actor="(login)")
        return None, "登录失败次数过多，账号已暂时锁定，请15分钟后再试或联系上级管理员"
    if user.disabled or not _verify(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= policy.max_failures:
            user.locked_until, user.failed_logins = now + dt.timedelta(seconds=policy.lockout_s), 0
            audit(session, None, "login.lockout", user.username, actor="(login)")
        else:
            audit(session, None, "login.failed", user.username, actor="(login)")
        return None, "用户名或密码错误"
    user.failed_logins, user.locked_until = 0, None
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    audit(session, user, "login", user.username)
    return user, ""


def _verify(stored: str, password: str) -> bool:
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: User) -> str:
    token = secrets.token_urlsafe(32)
    session.add(OperatorSession(token_hash=_token_hash(token), user_id=user.user_id, csrf=secrets.token_urlsafe(32)))
    return token


def current(session: Session, token: str, policy: Policy) -> tuple[User, OperatorSession] | None:
    """The session's user if the session is open, not idle past idle_s and younger than absolute_s."""
    if not token or len(token) > 100:
        return None
    row = session.get(OperatorSession, _token_hash(token))
    if row is None or row.ended_at is not None:
        return None
    now = utcnow()
    if (now - aware(row.last_seen_at)).total_seconds() > policy.idle_s or \
            (now - aware(row.created_at)).total_seconds() > policy.absolute_s:
        row.ended_at = now
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    row.last_seen_at = now
    return user, row


def close_session(session: Session, token: str) -> None:
    row = session.get(OperatorSession, _token_hash(token)) if token else None
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()


def csrf_ok_token(expected: str, sent: str) -> bool:
    return bool(sent) and hmac.compare_digest(expected.encode(), sent.encode())
