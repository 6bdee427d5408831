"""Is collection open for this terminal role, category and instant? With the reason in Chinese and the next opening."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .model import ROLE_LABELS, Policy


@dataclass(frozen=True)
class WindowStatus:
    open: bool
    reason: str  # Chinese
    next_open: dt.datetime | None = None  # aware, in the policy's timezone
    closes: dt.datetime | None = None  # when open: the end of the current window

    def as_json(self) -> dict:
        return {
            "open": self.open,
            "reason": self.reason,
            "next_open": self.next_open.isoformat() if self.next_open else None,
            "closes": self.closes.isoformat() if self.closes else None,
        }


def _fmt(moment: dt.datetime) -> str:
    return f"{moment.year}年{moment.month}月{moment.day}日{moment.hour}时" + (
        f"{moment.minute}分" if moment.minute else ""
    )


def window_status(policy: Policy, role: str, category_code: str, at: dt.datetime) -> WindowStatus:
    """`at` must be timezone-aware (the server's clock is the reference); naive times are taken as policy-local."""
    category = policy.category(category_code)
    if category is None:
        labels = "、".join(c.label for c in policy.categories)
        return WindowStatus(False, f"{policy.year}年无此报考类别（本年度类别：{labels}）")
    at = policy.localize(at).astimezone(policy.tz)
    if role not in category.roles:
        where = "、".join(ROLE_LABELS[r] for r in category.roles)
        reason = category.role_refusal or f"{category.label}考生须在{where}进行信息采集"
        return WindowStatus(False, reason)
    windows = sorted((policy.localize(w.start), policy.localize(w.end)) for w in category.windows)
    for start, end in windows:
        if start <= at < end:
            return WindowStatus(True, f"{category.label}信息采集进行中，截止时间{_fmt(end)}", closes=end)
        if at < start:
            return WindowStatus(False, f"{category.label}信息采集尚未开始，开始时间{_fmt(start)}", next_open=start)
    return WindowStatus(False, f"{category.label}信息采集已于{_fmt(windows[-1][1])}结束")
