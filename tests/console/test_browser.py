"""The console in headless Debian Chromium (Playwright) against the real server on loopback: operators of
different scopes, roster import with errors, audits, conflicts, corrections, export; screenshots of each page at
tablet (1024x768) and desktop (1440x900) sizes into artifacts/console/."""
from __future__ import annotations

import io
import zipfile

import pytest
from consoleutil import ARTIFACTS, PASSWORD, id_number
from sqlalchemy import select

from central.console.records import record_data, roster_entry
from central.models import Record, RecordVersion, RosterEntry

SIZES = {"tablet": (1024, 768), "desktop": (1440, 900)}


@pytest.fixture
def tab(chromium):
    context = chromium.new_context(viewport={"width": 1024, "height": 768}, accept_downloads=True, locale="zh-CN")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def login(tab, console, username: str) -> None:
    tab.goto(f"{console.url}/console/login")
    tab.fill("input[name=username]", username)
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{console.url}/console/")


def shoot(tab, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for size, (width, height) in SIZES.items():
        tab.set_viewport_size({"width": width, "height": height})
        tab.screenshot(path=str(ARTIFACTS / f"{name}-{size}.png"), full_page=True)
    tab.set_viewport_size({"width": 1024, "height": 768})


def test_scopes_see_their_own(console, tab):
    mine, _ = console.push(school="4114030012")
    theirs, _ = console.push(school="4114030013")
    console.push(school="4114020001", state="printed")
    tab.goto(f"{console.url}/console/login")
    shoot(tab, "login")
    login(tab, console, "school1")
    shoot(tab, "dashboard-school")
    tab.goto(f"{console.url}/console/students")
    assert tab.get_by_text(mine.identity["name"]).count() >= 1
    assert tab.locator(f"a[href='/console/records/{theirs.record_id}']").count() == 0
    shoot(tab, "students-school")
    response = tab.goto(f"{console.url}/console/records/{theirs.record_id}")
    assert response.status == 404 and "不在您的管理范围" in tab.content()
    tab.goto(f"{console.url}/console/")
    tab.click("text=退出")
    login(tab, console, "city")
    tab.goto(f"{console.url}/console/students")
    assert tab.locator("a[href^='/console/records/']").count() == 3
    tab.goto(f"{console.url}/console/")
    shoot(tab, "dashboard-city")
    assert "梁园区实验中学" in tab.content() and "睢阳区第二初级中学" in tab.content()
    tab.goto(f"{console.url}/console/users")
    shoot(tab, "users")
    tab.goto(f"{console.url}/console/audit")
    assert "login" in tab.content()
    shoot(tab, "audit")


def _roster_xlsx(good: list[str]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "性别", "身份证号", "学籍号", "学校", "年级/班级", "类别"])
    sheet.append(["张伟", "男", good[0], "G" + good[0], "商丘市第一初级中学", "九年级3班", "九年级在就读学校所在地报考"])
    sheet.append(["李娜", "女", good[1], "G" + good[1], "4114030012", "九年级3班", "grade9"])
    sheet.append(["王强", "男", good[0][:-1] + ("0" if good[0][-1] != "0" else "1"), "G1", "4114030012", "九年级1班",
                  "grade9"])  # check digit wrong
    sheet.append(["赵敏", "女", good[1], "G2", "4114030012", "九年级2班", "grade9"])  # duplicate ID number
    sheet.append(["孙丽", "女", good[2], "G" + good[2], "不存在的中学", "九年级2班", "grade9"])  # unknown school
    sheet.append(["周杰", "女", good[3], "G" + good[3], "4114030012", "九年级2班", "grade9"])  # gender mismatch
    sheet.append(["吴刚", "男", good[4], "G" + good[4], "4114020001", "九年级2班", "grade9"])  # other county
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_roster_import_with_errors(console, tab, tmp_path):
    good = [id_number(sex="male"), id_number(sex="female"), id_number(sex="female"), id_number(sex="male"),
            id_number(sex="male")]
    path = tmp_path / "学籍名单.xlsx"
    path.write_bytes(_roster_xlsx(good))
    login(tab, console, "county")
    tab.goto(f"{console.url}/console/roster")
    shoot(tab, "roster")
    tab.set_input_files("input[type=file]", str(path))
    tab.click("text=上传并预览")
    tab.wait_for_url("**/console/roster/*")
    html = tab.content()
    for message in ("身份证号码校验位不正确", "与第3行的身份证号重复", "学校“不存在的中学”不存在或不在您的管理范围内",
                    "性别与身份证号码不一致", "学校“4114020001”不存在或不在您的管理范围内"):
        assert message in html, message
    assert tab.locator(".card b").first.inner_text() == "2"  # two new students
    shoot(tab, "roster-preview")
    with console.central.sessions() as s:
        keys = console.central.data_keys
        assert s.scalar(select(RosterEntry).where(RosterEntry.id_number == keys.id_digest(good[0]))) is None
    tab.click("text=确认导入")
    tab.wait_for_selector("text=已导入")
    with console.central.sessions() as s:
        rows = [roster_entry(keys, r) for r in s.scalars(select(RosterEntry))]
        from central import terminals
        from central.models import Terminal

        terminal = s.get(Terminal, console.terminal())
        pulled = terminals.roster_for(s, terminal, keys)
    assert sorted(r["name"] for r in rows) == ["张伟", "李娜"]
    assert sorted(r.id_number for r in pulled) == sorted(good[:2])  # what the school's terminal pulls
    tab.goto(f"{console.url}/console/pending?school=4114030012")
    assert "张伟" in tab.content() and "九年级3班" in tab.content()
    shoot(tab, "pending")


def test_review_and_public_notice(console, tab):
    record, _ = console.push()
    login(tab, console, "school1")
    tab.goto(f"{console.url}/console/records/{record.record_id}")
    shoot(tab, "record")
    eligibility = tab.locator("form:has(input[value=eligibility])")
    eligibility.locator("button[value=issues]").click()
    assert "请填写说明" in tab.content()
    eligibility = tab.locator("form:has(input[value=eligibility])")
    eligibility.locator("button[value=approved]").click()
    tab.wait_for_selector("text=审核结果已保存")
    tab.locator("form:has(input[value=allocation])").locator("button[value=approved]").click()
    tab.wait_for_selector("text=审核结果已保存")
    response = tab.request.get(f"{console.url}/console/schools/4114030012/notice.pdf?period=3月25日至3月31日"
                                f"&contact=张老师 0370-1234567")
    assert response.status == 200 and response.body()[:4] == b"%PDF"
    text = _pdf_text(response.body())
    assert record.identity["name"] in text and "3月25日至3月31日" in text and "张老师" in text
    tab.goto(f"{console.url}/console/")
    tab.click("text=退出")
    login(tab, console, "county")
    tab.goto(f"{console.url}/console/reviews")
    row = tab.locator("tr:has-text('商丘市第一初级中学')")
    row.locator("input[name=comment]").fill("抽查无误")
    row.locator("button[value=approved]").click()
    tab.wait_for_selector("td:has-text('审核通过 抽查无误')")
    shoot(tab, "reviews")
    tab.goto(f"{console.url}/console/verify")
    tab.fill("input[name=qr]", "HNZK1|not-a-form")
    tab.click("button:has-text('核验')")
    tab.wait_for_selector("text=二维码内容无法识别")
    shoot(tab, "verify")


def _pdf_text(pdf: bytes) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_conflict_and_correction(console, tab):
    number = id_number()
    first, _ = console.push(number=number)
    point = console.terminal("P411403001", "411403", role="point")
    _, result = console.push(number=number, terminal=point, category="return_hukou", claims=[])
    assert result.outcome == "conflict"
    login(tab, console, "county")
    tab.goto(f"{console.url}/console/conflicts")
    shoot(tab, "conflicts")
    tab.click(f"a[href='/console/conflicts/{result.conflict_id}']")
    tab.check("input[value=keep_both]")
    tab.click("text=确认处理")
    assert "请填写处理理由" not in tab.content()
    tab.wait_for_url("**/conflicts/*")
    tab.fill("textarea[name=reason]", "两人同号，经核实为两名不同考生")
    tab.click("text=确认处理")
    tab.wait_for_url("**/conflicts?status=resolved")
    tab.goto(f"{console.url}/console/conflicts/{result.conflict_id}")
    assert "两条均保留" in tab.content()
    shoot(tab, "conflict")
    tab.goto(f"{console.url}/console/")
    tab.click("text=退出")

    login(tab, console, "school1")
    tab.goto(f"{console.url}/console/records/{first.record_id}")
    tab.fill("input[name=contact_phone]", "13912345678")
    tab.fill("textarea[name=reason]", "联系电话填写错误")
    tab.click("text=提交更正申请")
    tab.wait_for_selector("text=更正申请已提交")
    tab.goto(f"{console.url}/console/corrections")
    assert tab.locator("button[value=approve]").count() == 0  # the school cannot approve its own request
    tab.goto(f"{console.url}/console/")
    tab.click("text=退出")
    login(tab, console, "county")
    tab.goto(f"{console.url}/console/corrections")
    assert "13803700001" in tab.content() and "13912345678" in tab.content()  # before and after
    shoot(tab, "corrections")
    tab.fill("input[name=comment]", "同意")
    tab.click("button[value=approve]")
    tab.wait_for_url("**/corrections?status=approved")
    with console.central.sessions() as s:
        row = s.get(Record, str(first.record_id))
        versions = s.scalars(select(RecordVersion.version).where(RecordVersion.record_id == row.record_id)).all()
    assert (row.version, row.state, sorted(versions)) == (2, "signed", [1, 2])  # still signed: a new version
    assert "待终端同步" in tab.content()  # on its way to the record's terminal
    shoot(tab, "corrections-approved")
    assert record_data(row, console.central.data_keys)["contact_phone"] == "13912345678"
    assert "13912345678" not in row.payload  # the corrected version sealed too

    # the terminal refuses it (its record purged there): the county withdraws it from the page
    from central.console import corrections
    from kiosk.wire import CorrectionAck

    with console.central.sessions() as s:
        correction_id = s.scalar(select(corrections.CorrectionRequest.correction_id))
    console.central.write(lambda s: corrections.acknowledge(s, console.terminal(), [CorrectionAck(
        correction_id=correction_id, outcome="refused", version=0, code="not_held")]))
    tab.goto(f"{console.url}/console/corrections?status=approved")
    assert "终端未能更新" in tab.content()
    shoot(tab, "corrections-refused")
    tab.fill("form[action$='/delivery'] input[name=comment]", "终端已按保留期限清理该记录")
    tab.click("button[value=withdraw]")
    tab.wait_for_url("**/corrections?status=withdrawn")
    assert "撤回：终端已按保留期限清理该记录" in tab.content()
    shoot(tab, "corrections-withdrawn")


def test_fleet_page(console, tab):
    from central.models import Terminal, utcnow

    terminal = console.terminal()
    quiet = console.terminal("4114030013")

    def beat(session):
        t = session.get(Terminal, terminal)
        t.last_seen_at, t.outbox_depth, t.app_version = utcnow(), 3, "1.2.0"
        t.peripherals = {"reader": "ok", "camera": "ok", "printer": "paper_out"}

    console.central.write(beat)
    console.push()
    login(tab, console, "county")
    tab.goto(f"{console.url}/console/fleet")
    html = tab.content()
    assert "在线" in html and "离线" in html and "printer：paper_out" in html and "1.2.0" in html
    tab.select_option("select[name=role]", "school")
    tab.fill("input[name=code]", "4114030013")
    tab.click("form[action='/console/fleet/codes'] button")
    code = tab.locator(".flash strong").inner_text()
    assert len(code) == 14
    tab.once("dialog", lambda dialog: dialog.accept())
    tab.locator(f"form[action='/console/fleet/{quiet}/revoke'] button").click()
    tab.wait_for_selector("text=已吊销")
    shoot(tab, "fleet")


def test_export_download(console, tab, tmp_path):
    from openpyxl import load_workbook

    signed, _ = console.push()
    console.push(state="printed")  # not signed: not exported
    other, _ = console.push(school="4114030013")
    login(tab, console, "county")
    tab.goto(f"{console.url}/console/export")
    tab.click("button:has-text('导出前检查')")
    tab.wait_for_selector("text=检查通过")
    shoot(tab, "export")
    with tab.expect_download() as info:
        tab.click("button:has-text('下载 ZIP')")
    path = tmp_path / "export.zip"
    info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert {f"photos/{signed.id_number}.jpg", f"documents/{signed.id_number}.jpg",
                f"photos/{other.id_number}.jpg", "考生信息.xlsx"} <= names
        assert len([n for n in names if n.startswith("photos/")]) == 2
        assert archive.read(f"photos/{signed.id_number}.jpg")[:2] == b"\xff\xd8"
        sheet = load_workbook(io.BytesIO(archive.read("考生信息.xlsx"))).active
    rows = list(sheet.iter_rows(values_only=True))
    header, data = rows[0], {r[5]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert header[:6] == ("姓名", "性别", "民族", "出生日期", "证件类型", "证件号码")
    row = data[signed.id_number]
    assert (row["性别"], row["民族"], row["证件类型"], row["分配生资格"]) == ("1", "01", "1", "1")
    assert row["出生日期"] == signed.id_number[6:14] and row["照片文件"] == f"photos/{signed.id_number}.jpg"
