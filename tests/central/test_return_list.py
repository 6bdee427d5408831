"""Registration points get their county's list of return-to-hukou candidates (issue #12 item 2), and the kiosk's
eligibility check at a point uses it. A real loopback server, the console's roster import, real kiosk stores."""
from __future__ import annotations

from central import terminals
from central.console import roster
from central.console.scope import Scope
from kiosk.eligibility import NOT_ON_RETURN_LIST
from kiosk.session import Step
from tests.support.central import valid_id
from tests.support.kioskflow import IN_RETURN, card, open_terminal

SCHOOLS = [{"code": "4114030012", "name": "商丘市第一初级中学", "county_code": "411403"},
           {"code": "4101020001", "name": "郑州市某中学", "county_code": "410102"},
           {"code": "4114020001", "name": "梁园区实验中学", "county_code": "411402"}]
HEADER = ["姓名", "性别", "身份证号", "学籍号", "学校", "年级/班级", "类别"]


def row(number: str, name: str, school: str, category: str, *extra: str) -> list[str]:
    gender = "男" if int(number[16]) % 2 else "女"
    return [name, gender, number, "G" + number, school, "九年级1班", category, *extra]


def upload(server, scope: Scope, table: list[list[str]]) -> roster.Checked:
    """What the console's roster page does: check (preview), then apply."""
    def work(session):
        checked = roster.check(session, scope, table)
        if checked.rows:
            roster.apply(session, roster.save_preview(session, 1, "名单.csv", checked))
        return checked

    return server.central.write(work)


def test_the_console_preview_shows_the_return_list(server):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "console"))
    from consoleutil import Client

    from central.console import accounts

    server.central.write(lambda s: (terminals.load_schools(s, SCHOOLS), accounts.add_user(
        s, "county", "county", "411403", "Kaoshi-2024-ok")))
    c = Client(server.url)
    try:
        assert c.login("county", "Kaoshi-2024-ok").status_code == 303
        assert "户籍所在县（区）" in c.get("/roster").text
        body = "\n".join(",".join(r) for r in [HEADER, row(valid_id(301), "回乡庚", "郑州市某中学", "return_hukou")])
        preview = c.post("/roster", files={"file": ("名单.csv", body.encode(), "text/csv")})
        page = c.get(preview.headers["location"].removeprefix("/console"))
        assert page.status_code == 200 and "（外县区学校），列入 411403 回户籍名单" in page.text
    finally:
        c.http.close()


def test_points_pull_their_countys_list_and_the_kiosk_uses_it(server, tmp_path):
    from central.console import accounts

    server.central.write(lambda s: (terminals.load_schools(s, SCHOOLS), accounts.add_user(
        s, "county", "county", "411403", "Kaoshi-2024-ok")))
    listed, unlisted, pupil, named, elsewhere = (valid_id(n) for n in (201, 202, 203, 204, 205))
    # the county 411403 uploads: a return-to-hukou candidate studying in Zhengzhou, and one of its own pupils
    checked = upload(server, Scope("county", "411403"), [
        HEADER, row(listed, "回乡甲", "郑州市某中学", "回户籍所在地报考"), row(pupil, "本地乙", "4114030012", "grade9")])
    assert not checked.errors, checked.errors
    # a school in 410102 names one of its students returning to 411402 (that county uploaded nothing itself)
    checked = upload(server, Scope("school", "4101020001"), [
        HEADER + ["户籍所在县（区）"], row(named, "回乡丙", "4101020001", "return_hukou", "411402")])
    assert not checked.errors, checked.errors
    # a school roster's return row without the hukou county, or with a bad one: refused in Chinese
    bad = upload(server, Scope("school", "4101020001"), [
        HEADER + ["户籍所在县（区）"], row(elsewhere, "丁", "4101020001", "return_hukou", ""),
        row(valid_id(206), "戊", "4101020001", "return_hukou", "41140X")])
    assert [e["message"] for e in bad.errors] == ["回户籍报考的考生请填写户籍所在县（区）代码（6位数字）",
                                                  "户籍所在县（区）代码应为6位数字"]

    point = open_terminal(server, tmp_path / "point", role="point", school="P411403", at=IN_RETURN)
    free = open_terminal(server, tmp_path / "free", role="point", school="P411402", county="411402", at=IN_RETURN)
    school = open_terminal(server, tmp_path / "school", at=IN_RETURN)
    try:
        pulled = point.pulled.cache.last_good()
        assert [r.id_number for r in pulled.return_candidates] == [listed] and pulled.return_list
        assert pulled.return_candidates[0].school_code == ""  # its school lies outside the county
        assert pulled.roster == []  # not the county's ordinary students
        other = free.pulled.cache.last_good()
        assert [r.id_number for r in other.return_candidates] == [named] and not other.return_list
        assert school.pulled.cache.last_good().return_candidates == []
        assert [r.id_number for r in school.pulled.cache.last_good().roster] == [pupil]

        session = point.session()
        assert session.card_read(card(listed), "return_hukou") is Step.IDENTITY, session.refusal
        assert session.record.student_number == "G" + listed  # from the county's list
        session = point.session()
        assert session.card_read(card(unlisted), "return_hukou") is Step.REFUSED
        assert session.refusal == [NOT_ON_RETURN_LIST] and "学籍所在学校" in NOT_ON_RETURN_LIST
        # the county 411402 provided no list itself: anyone returning there registers as before
        session = free.session()
        assert session.card_read(card(unlisted), "return_hukou") is Step.IDENTITY, session.refusal
        # the list follows what the county uploads next
        upload(server, Scope("county", "411403"), [HEADER, row(unlisted, "回乡己", "梁园区实验中学", "return_hukou")])
        assert point.worker.pull_config()
        session = point.session()
        assert session.card_read(card(unlisted), "return_hukou") is Step.IDENTITY, session.refusal
    finally:
        for core in (point, free, school):
            core.close()
    # sealed at rest (names and ID numbers), re-sealed by rotate-key
    from central.rotate import rotate

    for path in tmp_path.rglob("central.db*"):
        data = path.read_bytes()
        assert "回乡甲".encode() not in data and listed.encode() not in data, path
    assert rotate(server.central)["return_candidates"] == 3
