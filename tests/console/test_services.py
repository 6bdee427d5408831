"""Console rules over real HTTP and the real ingest: roster CSV and limits, conflict decisions, who approves a
correction, progress counts."""
from __future__ import annotations

from consoleutil import id_number
from sqlalchemy import select

from central.console import progress
from central.console.models import RecordFlag
from central.console.records import record_data, roster_entry
from central.console.scope import Scope
from central.models import Conflict, Record


def _csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    lines = ["姓名,性别,身份证号,学籍号,学校,班级,类别"] + [",".join(r) for r in rows]
    return "\n".join(lines).encode(encoding)


def test_roster_csv_and_limits(console, client):
    c = client("school1")
    number = id_number(sex="female")
    body = _csv([["刘洋", "女", number, "G" + number, "4114030012", "九年级1班", "grade9"]], "gb18030")
    preview = c.post("/roster", files={"file": ("名单.csv", body, "text/csv")})
    assert preview.status_code == 303
    page = c.get(preview.headers["location"].removeprefix("/console"))
    assert "刘洋" in page.text and "新增" in page.text
    other = c.post("/roster", files={"file": ("x.csv", _csv([["王五", "男", id_number(), "G9", "4114030013", "", "grade9"]]),
                                               "text/csv")})
    assert "不在您的管理范围内" in c.get(other.headers["location"].removeprefix("/console")).text
    assert client("school2").get(preview.headers["location"].removeprefix("/console")).status_code == 404
    headless = c.post("/roster", files={"file": ("x.csv", "姓名,性别\n张三,男".encode(), "text/csv")})
    assert headless.status_code == 400 and "表头缺少列" in headless.text
    broken = c.post("/roster", files={"file": ("x.xlsx", b"PK\x03\x04 not really", "application/zip")})
    assert broken.status_code == 400 and "无法读取该 xlsx 文件" in broken.text
    huge = c.post("/roster", files={"file": ("x.csv", b"a" * (9 * 1024 * 1024), "text/csv")})
    assert huge.status_code == 413 and "过大" in huge.text
    assert c.get("/records/not-a-record").status_code == 404 and c.get("/conflicts/abc").status_code == 404


def test_conflict_decisions(console, client):
    number = id_number()
    held, _ = console.push(number=number)
    point = console.terminal("P411403001", "411403", role="point")
    incoming, same_id = console.push(number=number, terminal=point, category="return_hukou", claims=[])
    _, other_terminal = console.push(record_id=held.record_id, number=number, terminal=console.terminal(tag="second"))
    draft, _ = console.push(state="submitted")
    _, content = console.push(state="submitted", record_id=draft.record_id, number=draft.id_number,
                              home_address="河南省商丘市梁园区")
    assert [r.outcome for r in (same_id, other_terminal, content)] == ["conflict"] * 3
    c = client("county")
    assert c.post(f"/conflicts/{same_id.conflict_id}/resolve", {"decision": "keep_incoming", "reason": ""}
                  ).status_code == 400
    assert c.post(f"/conflicts/{same_id.conflict_id}/resolve", {"decision": "keep_held", "reason": "重复报名"}
                  ).status_code == 303
    assert "该冲突已处理" in c.post(f"/conflicts/{same_id.conflict_id}/resolve",
                                 {"decision": "keep_both", "reason": "x"}).text
    assert "不能这样处理" in c.post(f"/conflicts/{other_terminal.conflict_id}/resolve",
                                 {"decision": "keep_incoming", "reason": "x"}).text
    assert c.post(f"/conflicts/{other_terminal.conflict_id}/resolve",
                  {"decision": "keep_both", "reason": "两台终端各自采集"}).status_code == 303
    assert c.post(f"/conflicts/{content.conflict_id}/resolve",
                  {"decision": "keep_incoming", "reason": "以新内容为准"}).status_code == 303
    assert client("county2").get(f"/conflicts/{content.conflict_id}").status_code == 404
    with console.central.sessions() as s:
        flags = s.scalars(select(RecordFlag.record_id)).all()
        same_number = s.scalars(select(Record.record_id).where(
            Record.id_number == console.central.data_keys.id_digest(number))).all()
        replaced = s.get(Record, str(draft.record_id))
        still_open = s.scalars(select(Conflict).where(Conflict.status == "open")).all()
    assert flags == [str(incoming.record_id)]  # the new record set aside, the held one untouched
    assert len(same_number) == 3  # held, incoming (voided) and the other terminal's kept as its own
    assert "梁园区" in record_data(replaced, console.central.data_keys)["home_address"] and not still_open
    assert "梁园区" not in replaced.payload and number not in replaced.payload  # sealed at rest


def test_correction_needs_the_authority_above(console, client):
    record, _ = console.push()
    school = client("school1")
    assert "请填写至少一项" in school.post(f"/records/{record.record_id}/correction", {"reason": "x"}).text
    assert "11位手机号码" in school.post(f"/records/{record.record_id}/correction",
                                      {"reason": "x", "contact_phone": "123"}).text
    assert "更正申请已提交" in school.post(f"/records/{record.record_id}/correction",
                                       {"reason": "地址有误", "home_address": "河南省商丘市睢阳区新华路1号"}).text
    assert "已有待审批" in school.post(f"/records/{record.record_id}/correction",
                                   {"reason": "y", "home_address": "河南省商丘市"}).text
    with console.central.sessions() as s:
        from central.console.models import CorrectionRequest

        correction_id = s.scalar(select(CorrectionRequest.correction_id))
    assert "上级教育行政部门审批" in school.post(f"/corrections/{correction_id}/decide",
                                          {"decision": "approve"}).text
    assert client("county2").post(f"/corrections/{correction_id}/decide", {"decision": "approve"}).status_code == 404
    county = client("county")
    assert "请填写说明" in county.post(f"/corrections/{correction_id}/decide", {"decision": "reject"}).text
    assert county.post(f"/corrections/{correction_id}/decide", {"decision": "reject", "comment": "证明材料不足"}
                       ).status_code == 303
    with console.central.sessions() as s:
        assert s.get(Record, str(record.record_id)).version == 1


def test_progress_counts(console):
    from central import terminals

    numbers = [id_number() for _ in range(3)]
    console.central.write(lambda s: terminals.load_schools(s, [], [
        {"student_number": f"G{n}", "id_number": n, "name": "学生", "school_code": "4114030012"} for n in numbers]))
    console.push(number=numbers[0])
    console.push(number=numbers[1], state="printed")
    console.push(school="4114020001")
    with console.central.sessions() as s:
        county = progress.overview(s, Scope("county", "411403"))
        city = progress.overview(s, Scope("city", "4114"))
        school2 = progress.overview(s, Scope("school", "4114030013"))
        pending = s.execute(progress.not_started(Scope("school", "4114030012"))).all()
    states = dict(county["states"])
    assert (states["未开始"], states["已打印"], states["已签字确认"], county["total"]) == (1, 1, 1, 2)
    assert city["total"] == 3 and school2["total"] == 0
    assert [roster_entry(console.central.data_keys, entry)["id_number"] for entry, _ in pending] == [numbers[2]]
    assert all(numbers[2] not in entry.name + entry.id_number for entry, _ in pending)  # sealed, HMAC
    assert county["days"][-1][1] == 2


def test_fleet_shows_heartbeat_and_clock_skew(console, client):
    import json
    import secrets
    import time

    import httpx

    from kiosk.sync import wire

    terminal = console.terminal()
    body = json.dumps({"app_version": "2.0.1", "peripherals": {"reader": "ok", "printer": "jam"},
                       "outbox_depth": 7}).encode()
    stamp, nonce = str(int(time.time()) + 42), secrets.token_hex(8)
    signature = console.keys[terminal].sign(wire.signing_message("POST", "/api/v1/heartbeat", stamp, nonce, body))
    response = httpx.post(f"{console.url}/api/v1/heartbeat", content=body, headers={
        "content-type": "application/json", wire.H_TERMINAL: terminal, wire.H_TIMESTAMP: stamp, wire.H_NONCE: nonce,
        wire.H_SIGNATURE: signature.hex()})
    assert response.status_code == 200
    page = client("county").get("/fleet").text
    assert "2.0.1" in page and "printer：jam" in page and "在线" in page
    assert "+42 秒" in page or "+41 秒" in page or "+43 秒" in page
