import json
import stat

from kiosk.config import TerminalConfig
from provisioning.cli import main


def test_init_writes_config_and_private_key(tmp_path, capsys):
    config_path = tmp_path / "etc" / "kiosk.toml"
    assert main(["init", "--config", str(config_path), "--data-dir", str(tmp_path / "data"), "--terminal-id", "T-9",
                 "--role", "point", "--county", "411403"]) == 0
    config = TerminalConfig.load(config_path)
    assert (config.terminal_id, config.role, config.county_code) == ("T-9", "point", "411403")
    key = tmp_path / "data" / "kiosk.db.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert main(["init", "--config", str(config_path), "--data-dir", str(tmp_path / "data"), "--terminal-id", "T-9",
                 "--role", "point", "--county", "411403"]) == 1
    assert "已存在" in capsys.readouterr().err


def test_selftest_reports_each_check(tmp_path, capsys):
    config_path = tmp_path / "kiosk.toml"
    main(["init", "--config", str(config_path), "--data-dir", str(tmp_path / "data"), "--terminal-id", "T-9",
          "--role", "school", "--school", "4114030012", "--county", "411403"])
    capsys.readouterr()
    code = main(["selftest", "--config", str(config_path), "--json"])
    report = json.loads(capsys.readouterr().out)
    names = {c["name"]: c for c in report["checks"]}
    assert {"store", "policy", "font", "disk"} <= set(names)
    assert names["store"]["ok"] and code == (0 if report["ok"] else 1)


def test_selftest_fails_on_a_tampered_audit_log(tmp_path, capsys):
    import sqlite3

    from kiosk.record import example_record
    from kiosk.store import Store
    config_path = tmp_path / "kiosk.toml"
    main(["init", "--config", str(config_path), "--data-dir", str(tmp_path / "data"), "--terminal-id", "T-9",
          "--role", "school", "--school", "4114030012", "--county", "411403"])
    store = Store(tmp_path / "data" / "kiosk.db")
    record = example_record()
    store.save(record)
    store.apply(record.record_id, "submit", "student")
    store.close()
    db = sqlite3.connect(tmp_path / "data" / "kiosk.db")
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("UPDATE audit_log SET actor='x'")
    db.commit()
    capsys.readouterr()
    assert main(["selftest", "--config", str(config_path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert "篡改" in next(c for c in report["checks"] if c["name"] == "store")["message"]


def test_bad_config_is_a_chinese_error(tmp_path, capsys):
    bad = tmp_path / "kiosk.toml"
    bad.write_text('role = "office"\n')
    assert main(["selftest", "--config", str(bad)]) == 1
    assert "配置文件有误" in capsys.readouterr().err
