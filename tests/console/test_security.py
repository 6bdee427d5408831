"""Accounts and sessions over real HTTP: login, lockout, CSRF, expiry, logout, scope (404), audit, logs."""
from __future__ import annotations

import logging
import time

from sqlalchemy import select

from central.console.models import AuditEntry
from central.console.records import unseal


def test_login_and_dashboard(console, client):
    c = client()
    assert c.get("/").headers["location"] == "/console/login"
    assert c.login("county", "wrong-password-1").status_code == 401
    response = c.login("county")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = c.get("/")
    assert page.status_code == 200 and "报名进度" in page.text and "county" in page.text


def test_lockout_after_repeated_failures(console, client):
    c = client()
    for _ in range(console.console.policy.max_failures):
        assert c.login("school1", "not-the-password").status_code == 401
    locked = c.login("school1")  # the right password, but the account is locked now
    assert locked.status_code == 401 and "锁定" in locked.text
    with console.central.sessions() as s:
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.target == "school1")).all()
    assert "login.lockout" in actions and "login.locked" in actions


def test_csrf_refused(console, client):
    c = client("county")
    assert c.post("/fleet/codes", {"role": "school", "code": "4114030012"}).status_code == 200
    forged = c.http.post("/fleet/codes", data={"role": "school", "code": "4114030012"})
    assert forged.status_code == 403 and "请刷新页面" in forged.text
    wrong = c.http.post("/fleet/codes", data={"role": "school", "code": "4114030012", "csrf_token": "x" * 43})
    assert wrong.status_code == 403


def test_session_expiry_and_logout(console, client):
    console.console.policy.idle_s = 1
    c = client("county")
    assert c.get("/").status_code == 200
    time.sleep(1.3)
    assert c.get("/").status_code == 303  # idle past the limit: back to the login page
    console.console.policy.idle_s = 1800
    c.login("county")
    assert c.post("/logout").status_code == 303
    assert c.get("/").status_code == 303


def test_out_of_scope_urls_are_404(console, client):
    record, _ = console.push(school="4114030012")
    other, _ = console.push(school="4114020001")
    own, foreign = f"/records/{record.record_id}", f"/records/{other.record_id}"
    school1, school2, county, county2 = (client(u) for u in ("school1", "school2", "county", "county2"))
    assert school1.get(own).status_code == 200
    assert school2.get(own).status_code == 404
    assert county.get(own).status_code == 200 and county.get(foreign).status_code == 404
    assert county2.get(foreign).status_code == 200 and county2.get(own).status_code == 404
    assert school2.post(f"{own}/review", {"kind": "eligibility", "status": "approved"}).status_code == 404
    assert school2.get("/schools/4114030012/notice.pdf").status_code == 404
    # lists show only what is in scope
    assert record.identity["name"] in county.get("/students").text
    assert f"/records/{record.record_id}" in county.get(f"/students?q={record.id_number}").text
    assert f"/records/{record.record_id}" not in county.get(f"/students?q={other.id_number}").text
    assert "商丘市第一初级中学" not in school2.get("/students").text
    assert len(county2.get("/fleet").text.split("T-411403-")) == 1


def test_every_action_is_audited(console, client):
    record, _ = console.push()
    c = client("school1")
    c.post(f"/records/{record.record_id}/review", {"kind": "eligibility", "status": "issues", "comment": "缺证明"})
    c.post(f"/records/{record.record_id}/review", {"kind": "eligibility", "status": "approved"})
    with console.central.sessions() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "review.eligibility")
                            .order_by(AuditEntry.id)).all()
    assert [e.username for e in entries] == ["school1", "school1"]
    keys = console.central.data_keys
    assert "缺证明" not in entries[1].before  # sealed at rest under the server data key
    assert unseal(entries[1].before, keys, "audit") == {"status": "issues", "comment": "缺证明"}
    assert unseal(entries[1].after, keys, "audit")["status"] == "approved"
    page = client("county").get("/audit").text
    assert "review.eligibility" in page and "缺证明" in page
    assert "review.eligibility" not in client("school2").get("/audit").text


def test_no_personal_data_in_server_logs(console, client, caplog):
    from kiosk.logs import MaskingFilter

    caplog.handler.addFilter(MaskingFilter())
    caplog.set_level(logging.DEBUG)
    record, _ = console.push()
    c = client("school1")
    c.get(f"/records/{record.record_id}")
    c.post(f"/records/{record.record_id}/correction", {"reason": "电话号码填错", "contact_phone": "13912345678"})
    c.login("school1", "wrong-password-2")
    text = caplog.text
    assert record.id_number not in text and record.identity["name"] not in text
    assert "13912345678" not in text and "wrong-password-2" not in text and "console action" in text


def test_county_assigns_school_accounts(console, client):
    county = client("county")
    made = county.post("/users", {"username": "school1-teacher", "role": "school", "scope_code": "4114030012",
                                  "password": "Teacher-2024-ok", "name": "一中教务"})
    assert made.status_code == 200 and "账号已创建" in made.text
    for role, scope in (("school", "4114020001"), ("county", "411402"), ("county", "411403"), ("city", "4114")):
        refused = county.post("/users", {"username": f"x-{scope}", "role": role, "scope_code": scope,
                                         "password": "Teacher-2024-ok"})
        assert refused.status_code == 400 and "下级单位" in refused.text, (role, scope)
    page = county.get("/users").text
    assert "school1-teacher" in page and "school3" not in page and "county2" not in page
    teacher = client()
    assert teacher.login("school1-teacher", "Teacher-2024-ok").status_code == 303
    assert teacher.get("/").status_code == 200
    assert county.post("/users/school3/disable").status_code == 404
    assert county.post("/users/school1-teacher/disable").status_code == 303
    assert client().login("school1-teacher", "Teacher-2024-ok").status_code == 401


def test_rotate_key_reseals_the_consoles_own_data(console, client):
    """kiosk-central rotate-key re-seals audit before/after under the new key (an old key can then be retired);
    a value written before sealing is sealed too."""
    from central.console.records import seal
    from central.rotate import rotate

    record, _ = console.push()
    client("school1").post(f"/records/{record.record_id}/review", {"kind": "eligibility", "status": "issues",
                                                                   "comment": "缺证明"})
    keys = console.central.data_keys
    console.central.write(lambda s: s.add(AuditEntry(username="cli", action="legacy", target="",
                                                     before='{"comment": "旧备注"}', after="")))
    old = keys.current
    counts = rotate(console.central)
    assert keys.current != old and counts["console"] >= 2
    with console.central.sessions() as s:
        entries = {e.action: e for e in s.scalars(select(AuditEntry))}
    review, legacy = entries["review.eligibility"], entries["legacy"]
    assert keys.key_of(review.after) == keys.current and unseal(review.after, keys, "audit")["comment"] == "缺证明"
    assert "旧备注" not in legacy.before and unseal(legacy.before, keys, "audit") == {"comment": "旧备注"}
    assert seal({"a": 1}, keys, "audit") != seal({"a": 1}, keys, "audit")  # a fresh nonce each time
