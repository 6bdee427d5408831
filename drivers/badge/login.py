"""Operator login: a registered badge in the reader plus its operator's PIN; pulling the badge logs out.

Losing the reader (pcscd restarting or crashing, the reader unplugged) logs out too: the badge can no longer be
seen, so nobody may act as its operator. The state stays READER_LOST, with a Chinese message for the operator
screen, until the reader is back; then the badge is presented again as usual.
"""
from __future__ import annotations

import enum
import logging

from kiosk.devices.badge import BadgeEvent, BadgeEventKind, Operator, OperatorRegistry, ReaderLostReason, verify_pin

log = logging.getLogger(__name__)


class LoginState(str, enum.Enum):
    NO_BADGE = "no_badge"
    UNKNOWN_BADGE = "unknown_badge"
    NEED_PIN = "need_pin"
    LOGGED_IN = "logged_in"
    LOCKED = "locked"  # too many wrong PINs: pull the badge to start again
    READER_LOST = "reader_lost"  # the badge reader or its service is gone: logged out until it is back


PROMPTS = {
    LoginState.NO_BADGE: "请插入或放置工作人员卡",
    LoginState.UNKNOWN_BADGE: "此卡未登记，请使用本人的工作人员卡或联系管理员",
    LoginState.NEED_PIN: "请输入PIN码",
    LoginState.LOGGED_IN: "已登录",
    LoginState.LOCKED: "PIN码错误次数过多，请取出工作人员卡并联系管理员",
    LoginState.READER_LOST: "工作人员卡读卡器连接中断，已退出登录。正在自动重连，如长时间未恢复请联系技术人员",
}

LOST_MESSAGES = {
    ReaderLostReason.SERVICE: PROMPTS[LoginState.READER_LOST],
    ReaderLostReason.NO_READER: "未检测到工作人员卡读卡器，已退出登录。请检查读卡器连接线，或联系技术人员",
}


class OperatorLogin:
    def __init__(self, registry: OperatorRegistry, max_attempts: int = 5):
        self.registry = registry
        self.max_attempts = max_attempts
        self.state = LoginState.NO_BADGE
        self.message = PROMPTS[self.state]  # Chinese, for the operator screen
        self._candidate: Operator | None = None
        self._failures = 0

    @property
    def operator(self) -> Operator | None:
        """The logged-in operator, if any."""
        return self._candidate if self.state is LoginState.LOGGED_IN else None

    def handle(self, event: BadgeEvent) -> LoginState:
        if event.kind is BadgeEventKind.READER_LOST:
            if self.state is LoginState.LOGGED_IN:
                log.warning("operator logged out: badge reader lost",
                            extra={"fields": {"operator": self._candidate.id, "reason": _value(event.reason)}})
            self._candidate, self._failures = None, 0
            self._set(LoginState.READER_LOST)
            self.message = LOST_MESSAGES.get(event.reason, self.message)
            return self.state
        if event.kind is BadgeEventKind.READER_READY:
            if self.state is LoginState.READER_LOST:
                return self._set(LoginState.NO_BADGE)
            return self.state
        if event.kind is BadgeEventKind.REMOVED:
            if self.state is LoginState.READER_LOST:
                return self.state  # the reader reports what it saw before it was lost
            if self.state is LoginState.LOGGED_IN:
                log.info("operator logged out", extra={"fields": {"operator": self._candidate.id}})
            self._candidate, self._failures = None, 0
            return self._set(LoginState.NO_BADGE)
        self._candidate = self.registry.by_badge(event.uid) if event.uid else None
        self._failures = 0
        if self._candidate is None:
            log.warning("unregistered badge", extra={"fields": {"reader": event.reader}})
            return self._set(LoginState.UNKNOWN_BADGE)
        return self._set(LoginState.NEED_PIN)

    def enter_pin(self, pin: str) -> bool:
        if self.state is not LoginState.NEED_PIN:
            return False
        if verify_pin(pin, self._candidate.pin_hash):
            log.info("operator logged in", extra={"fields": {"operator": self._candidate.id}})
            self._set(LoginState.LOGGED_IN)
            self.message = f"已登录：{self._candidate.name}"
            return True
        self._failures += 1
        left = self.max_attempts - self._failures
        log.warning("wrong operator PIN", extra={"fields": {"operator": self._candidate.id, "left": left}})
        if left <= 0:
            self._set(LoginState.LOCKED)
        else:
            self.message = f"PIN码错误，还可尝试{left}次"
        return False

    def _set(self, state: LoginState) -> LoginState:
        self.state, self.message = state, PROMPTS[state]
        return state


def _value(reason: ReaderLostReason | None) -> str:
    return reason.value if reason else "unknown"
