"""Network checks: is the central server reachable, and how far is this terminal's clock from the server's.

One unsigned GET of the server's health endpoint answers both: a signed request would be refused when the clock
is far off (the server allows 5 minutes), which is exactly when the technician needs the number. The skew comes
from the HTTP Date header (one-second resolution, enough for thresholds of 30 s and 5 min), measured against the
midpoint of the request.
"""
from __future__ import annotations

from email.utils import parsedate_to_datetime

import httpx

from kiosk.files import read_json
from kiosk.sync.wire import API

from .checks import Check, Context

SKEW_WARNING_S, SKEW_ERROR_S = 30.0, 300.0


def server_url(ctx: Context) -> str:
    """The enrolled server, else the configured one, else "" (the embedded server)."""
    enrolled = read_json(ctx.paths.sync_dir / "terminal.json", {}) or {}
    return (enrolled.get("server") or ctx.config.server_url or "").rstrip("/")


def probe_server(ctx: Context, transport: httpx.BaseTransport | None = None) -> tuple[Check, Check]:
    """(server reachability, clock skew)."""
    url = server_url(ctx)
    if not url:
        note = "未配置中心服务器（使用内置服务器，记录不会上传到县区）"
        return (Check("server", "warning", note, "server_url empty: embedded server"),
                Check("clock", "warning", "未配置中心服务器，无法核对时钟", "no server to compare with"))
    started = ctx.clock()
    try:
        with httpx.Client(timeout=httpx.Timeout(ctx.timeout, connect=min(ctx.timeout, 5.0)),
                          transport=transport) as client:
            response = client.get(f"{url}{API}/health")
    except httpx.HTTPError as exc:
        unreachable = Check("server", "error", "无法连接中心服务器，请检查网线/无线网络和服务器地址",
                            f"{url}: {exc.__class__.__name__}: {exc}")
        return unreachable, Check("clock", "warning", "无法连接中心服务器，未能核对时钟", "server unreachable")
    finished = ctx.clock()
    if response.status_code != 200:
        return (Check("server", "error", "中心服务器工作不正常，请联系县区管理员",
                      f"{url}: health HTTP {response.status_code}"),
                Check("clock", "warning", "中心服务器工作不正常，未能核对时钟", "no health answer"))
    reachable = Check("server", "ready", "中心服务器连接正常",
                      f"{url}: health in {1000 * (finished - started):.0f} ms")
    return reachable, clock_check(response.headers.get("date"), (started + finished) / 2)


def clock_check(date_header: str | None, local: float) -> Check:
    if not date_header:
        return Check("clock", "warning", "中心服务器未返回时间，无法核对时钟", "no Date header")
    try:
        server = parsedate_to_datetime(date_header).timestamp() + 0.5  # Date truncates to the second
    except (TypeError, ValueError):
        return Check("clock", "warning", "中心服务器返回的时间无法识别", f"bad Date header {date_header[:60]!r}")
    skew = local - server
    detail = f"terminal clock {skew:+.0f} s from the server"
    ahead = "快" if skew > 0 else "慢"
    if abs(skew) > SKEW_ERROR_S:
        return Check("clock", "error", f"终端时钟比服务器{ahead}{abs(skew) / 60:.0f}分钟，采集时间判断会出错，"
                                       "且无法上传记录：请校准时间（timedatectl / NTP）", detail)
    if abs(skew) > SKEW_WARNING_S:
        return Check("clock", "warning", f"终端时钟比服务器{ahead}{abs(skew):.0f}秒，请校准时间", detail)
    return Check("clock", "ready", "终端时钟准确", detail)
