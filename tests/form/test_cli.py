"""`kiosk record example` and `kiosk form render|print|verify|queues` through the real entry point."""
import datetime as dt
import json

from kiosk.policy import get_policy
from kiosk.record import Record, RecordState, validate_record
from kiosk.store import Store
from ui.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_record_example_is_a_complete_valid_record(capsys):
    code, out, _ = run(capsys, "record", "example")
    record = Record.model_validate_json(out)
    assert code == 0 and validate_record(record, get_policy(record.policy), dt.date.today()) == {}
    code, out_json, _ = run(capsys, "record", "example", "--json")
    assert json.loads(out_json)["identity"]["name"] == record.name


def test_render_print_verify(capsys, tmp_path, cupsd, pdf_tool, monkeypatch):
    code, out, _ = run(capsys, "record", "example")
    (tmp_path / "rec.json").write_text(out)
    data = str(tmp_path)
    code, out, _ = run(capsys, "form", "render", str(tmp_path / "rec.json"), "-o", str(tmp_path / "f.pdf"),
                       "--data", data, "--json")
    rendered = json.loads(out)
    assert code == 0 and rendered["bytes"] > 0 and "王小明" in pdf_tool("pdftotext", tmp_path / "f.pdf")

    queue = cupsd.add_queue()
    code, out, _ = run(capsys, "form", "print", str(tmp_path / "rec.json"), "--printer", queue.name,
                       "--server", cupsd.socket, "--data", data, "--json")
    printed = json.loads(out)
    assert code == 0 and printed["state"] == "completed" and printed["counted"] is False
    assert "41140320090315003X" in pdf_tool("pdftotext", queue.output)

    code, out, _ = run(capsys, "form", "queues", "--server", cupsd.socket, "--json")
    assert queue.name in [q["name"] for q in json.loads(out)["queues"]]

    code, out, _ = run(capsys, "form", "verify", rendered["payload"], "--data", data)
    assert code == 1 and "没有该考生记录" in out  # rendered from a file, never stored here
    record = Record.model_validate_json((tmp_path / "rec.json").read_text())
    store = Store(tmp_path / "kiosk.db")
    store.save(record.model_copy(update={"state": RecordState.SUBMITTED}))
    store.close()
    code, out, _ = run(capsys, "form", "verify", rendered["payload"], "--data", data, "--json")
    assert code == 0 and json.loads(out)["ok"] is True


def test_print_failure_exit_code_and_message(capsys, tmp_path, cupsd):
    code, out, _ = run(capsys, "record", "example")
    (tmp_path / "rec.json").write_text(out)
    queue = cupsd.add_queue("media-jam")
    code, out, _ = run(capsys, "form", "print", str(tmp_path / "rec.json"), "--printer", queue.name,
                       "--server", cupsd.socket, "--data", str(tmp_path))
    assert code == 3 and "卡纸" in out and "运维提示" in out


def test_bad_input_gives_chinese_errors(capsys, tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    code, _, err = run(capsys, "form", "render", str(tmp_path / "bad.json"), "-o", str(tmp_path / "x.pdf"),
                       "--data", str(tmp_path))
    assert code == 1 and "记录文件格式不正确" in err
    code, _, err = run(capsys, "form", "render", str(tmp_path / "missing.json"), "-o", str(tmp_path / "x.pdf"),
                       "--data", str(tmp_path))
    assert code == 1 and "找不到记录文件" in err
    code, _, err = run(capsys, "form", "verify", "garbage", "--data", str(tmp_path))
    assert code == 1 and "二维码内容无法识别" in err


def test_file_printer_cli(capsys, tmp_path):
    code, out, _ = run(capsys, "record", "example")
    (tmp_path / "rec.json").write_text(out)
    code, out, _ = run(capsys, "form", "print", str(tmp_path / "rec.json"), "--to-dir", str(tmp_path / "out"),
                       "--data", str(tmp_path))
    assert code == 0 and "打印完成" in out and len(list((tmp_path / "out").glob("*.pdf"))) == 1
