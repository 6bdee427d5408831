"""Export rules beyond the browser flow: the command line, checks that refuse, naming, code conversions."""
from __future__ import annotations

import io
import zipfile

from consoleutil import id_number, jpeg
from openpyxl import load_workbook

from central.cli import main
from central.console import export


def _sheet(archive: zipfile.ZipFile) -> list[dict]:
    rows = list(load_workbook(io.BytesIO(archive.read("考生信息.xlsx"))).active.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_cli_export_and_naming(console, tmp_path, capsys):
    first, _ = console.push()
    second, _ = console.push(school="4114030013")
    console.push(school="4114020001")  # another county
    data = ["--data", str(console.central.settings.data_dir)]
    out = tmp_path / "county.zip"
    assert main(["export", "--scope", "county:411403", "-o", str(out), *data]) == 0
    assert "已导出 2 名考生" in capsys.readouterr().err
    from sqlalchemy import func, select

    from central.console.models import AttachmentCheck

    with console.central.sessions() as s:  # each JPEG checked once, kept by its hash
        assert s.scalar(select(func.count()).select_from(AttachmentCheck)) == 4
    with zipfile.ZipFile(out) as archive:
        assert sorted(n for n in archive.namelist() if n.startswith("photos/")) == sorted(
            f"photos/{r.id_number}.jpg" for r in (first, second))
        assert {r["证件号码"] for r in _sheet(archive)} == {first.id_number, second.id_number}
    by_number = tmp_path / "school.zip"
    assert main(["export", "--scope", "school:4114030012", "--naming", "student_number", "-o", str(by_number),
                 *data]) == 0
    with zipfile.ZipFile(by_number) as archive:
        assert f"documents/{first.student_number}.jpg" in archive.namelist()
        assert [r["照片文件"] for r in _sheet(archive)] == [f"photos/{first.student_number}.jpg"]
    assert main(["export", "--scope", "county:4114", "-o", str(out), *data]) == 2
    assert "6位数字" in capsys.readouterr().err


def test_checks_refuse_photos_off_spec(console, tmp_path, capsys, client):
    console.push(photo=jpeg(300, 400, 1), unchecked=True)  # not 450x600
    console.push(photo=jpeg(450, 600, 2, dpi=72), unchecked=True)
    data = ["--data", str(console.central.settings.data_dir)]
    assert main(["export", "--scope", "county:411403", "-o", str(tmp_path / "x.zip"), *data]) == 1
    err = capsys.readouterr().err
    assert "照片尺寸 300×400，应为 450×600" in err and "照片精度低于 300 dpi" in err
    assert not (tmp_path / "x.zip").exists()
    assert main(["export", "--scope", "county:411403", "--naming", "exam_number", "-o", str(tmp_path / "y.zip"),
                 *data]) == 1
    assert "缺少考生号" in capsys.readouterr().err
    c = client("county")
    refused = c.post("/export.zip", {"naming": "id_number"})
    assert refused.status_code == 409 and "检查未通过" in refused.text


def test_code_conversions():
    columns = {c["header"]: c for c in export.layout("henan-2024")["columns"]}
    identity = {"gender_code": "2", "ethnicity_code": "3", "birth_date": "2009-03-15", "card_type": "resident",
                "id_number": id_number()}
    data = {"identity": identity, "claims": [], "category": "grade9", "guardians": [{"name": "李秀英"}]}

    def value(header, **changes):
        return export.cell({**data, "identity": {**identity, **changes}}, columns[header], {}, {"grade9": "九年级"})

    assert (value("性别"), value("民族"), value("出生日期"), value("分配生资格")) == ("2", "03", "20090315", "0")
    assert value("报考类别") == "九年级" and value("监护人1姓名") == "李秀英" and value("监护人2姓名") == ""
    assert value("证件类型") == "1"
    assert value("证件类型", card_type="hk_mo_tw_permit", id_number="810000200903150011") == "6"
    assert value("证件类型", card_type="hk_mo_tw_permit", id_number="820000200903150011") == "7"
    assert value("证件类型", card_type="hk_mo_tw_permit", id_number="830000200903150011") == "8"
    assert value("证件类型", card_type="foreign_2023") == "9"
    assert value("证件类型", card_type="something_else") == "Z"
