"""kiosk-provision operator add/list/remove/read-badge: the registry the badge login reads, and a real pcscd + vpcd."""
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.badge.login import LoginState, OperatorLogin
from drivers.badge.registry import JsonOperatorRegistry
from kiosk.config import TerminalConfig
from kiosk.devices.badge import BadgeEvent, BadgeEventKind, verify_pin
from provisioning import operators
from provisioning.cli import main

UID = "04A1B2C3D4E5F6"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(tmp_path, capsys) -> Path:
    path = tmp_path / "kiosk.toml"
    assert main(["init", "--config", str(path), "--data-dir", str(tmp_path / "data"), "--terminal-id", "T-9",
                 "--role", "school", "--school", "4114030012", "--county", "411403"]) == 0
    capsys.readouterr()
    return path


def registry_of(config: Path) -> JsonOperatorRegistry:
    return JsonOperatorRegistry(TerminalConfig.load(config).data_dir / "operators.json")


def add(config, *extra, pin="482913", monkeypatch=None, **fields) -> int:
    fields = {"id": "op-001", "name": "王晓明", "role": "operator", "badge_uid": UID} | fields
    argv = ["operator", "add", "--config", str(config), "--pin-stdin", *extra]
    for key, value in fields.items():
        argv += [f"--{key.replace('_', '-')}", value]
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(pin + "\n"))
    return main(argv)


def test_add_registers_an_operator_the_badge_login_accepts(config, capsys, monkeypatch):
    assert add(config, monkeypatch=monkeypatch, badge_uid="04:a1:b2:c3:d4:e5:f6", role="supervisor") == 0
    out = capsys.readouterr().out
    assert "王**" in out and "王晓明" not in out and "482913" not in out and "**********E5F6" in out

    registry = registry_of(config)
    assert stat.S_IMODE(registry.path.stat().st_mode) == 0o600
    operator = registry.by_badge(UID)
    assert (operator.id, operator.name, operator.role) == ("op-001", "王晓明", "supervisor")
    assert "482913" not in registry.path.read_text() and verify_pin("482913", operator.pin_hash)

    login = OperatorLogin(registry)
    login.handle(BadgeEvent(BadgeEventKind.INSERTED, "Virtual PCD 00 00", UID))
    assert login.enter_pin("482913") and login.operator.id == "op-001"


def test_pin_is_typed_twice_without_echo(config, capsys, monkeypatch):
    typed = iter(["735194", "735194"])
    prompts = []
    monkeypatch.setattr(operators.getpass, "getpass", lambda prompt: prompts.append(prompt) or next(typed))
    assert main(["operator", "add", "--config", str(config), "--id", "op-002", "--name", "李华", "--role",
                 "operator", "--badge-uid", "08112233"]) == 0
    assert len(prompts) == 2 and verify_pin("735194", registry_of(config).by_id("op-002").pin_hash)

    typed = iter(["735194", "735195"])
    assert main(["operator", "add", "--config", str(config), "--id", "op-003", "--name", "赵敏", "--role",
                 "operator", "--badge-uid", "08112244"]) == 1
    assert "不一致" in capsys.readouterr().err and registry_of(config).by_id("op-003") is None


@pytest.mark.parametrize("fields, pin, message", [
    ({"badge_uid": "XYZ"}, "482913", "卡号须为"),
    ({"id": "工号1"}, "482913", "工号须为"),
    ({"name": "  "}, "482913", "姓名不能为空"),
    ({}, "4829", "6至12位数字"),
    ({}, "123456", "过于简单"),
])
def test_add_refuses_bad_input(config, capsys, monkeypatch, fields, pin, message):
    assert add(config, pin=pin, monkeypatch=monkeypatch, **fields) == 2
    assert message in capsys.readouterr().err and registry_of(config).all() == []


def test_add_refuses_a_taken_id_or_badge_unless_replacing(config, capsys, monkeypatch):
    assert add(config, monkeypatch=monkeypatch) == 0
    assert add(config, monkeypatch=monkeypatch, badge_uid="08112233") == 1
    assert "--replace" in capsys.readouterr().err
    assert add(config, monkeypatch=monkeypatch, id="op-002") == 1
    assert "已登记给工号 op-001" in capsys.readouterr().err

    assert add(config, "--replace", monkeypatch=monkeypatch, badge_uid="08112233", pin="590371") == 0
    registry = registry_of(config)
    assert registry.by_badge(UID) is None and verify_pin("590371", registry.by_badge("08112233").pin_hash)


def test_list_masks_names_and_badges_and_remove(config, capsys, monkeypatch):
    assert main(["operator", "list", "--config", str(config)]) == 0
    assert "尚未登记" in capsys.readouterr().out
    add(config, monkeypatch=monkeypatch)
    add(config, monkeypatch=monkeypatch, id="op-002", name="李华", role="supervisor", badge_uid="08112233",
        pin="590371")
    capsys.readouterr()

    assert main(["operator", "list", "--config", str(config), "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["registry"] == str(registry_of(config).path)
    assert listing["operators"] == [
        {"id": "op-001", "name": "王**", "role": "operator", "badge_uid": "**********E5F6"},
        {"id": "op-002", "name": "李*", "role": "supervisor", "badge_uid": "****2233"},
    ]
    assert main(["operator", "list", "--config", str(config)]) == 0
    text = capsys.readouterr().out
    assert "主管" in text and "王晓明" not in text and "pin" not in text.lower()

    assert main(["operator", "remove", "--config", str(config), "--id", "op-001"]) == 0
    assert [op.id for op in registry_of(config).all()] == ["op-002"]
    assert main(["operator", "remove", "--config", str(config), "--id", "op-001"]) == 1
    assert "未找到工号为 op-001" in capsys.readouterr().err


def test_pin_stdin_through_the_installed_command(config):
    """The console script as a script would call it: the PIN as one line on stdin."""
    command = [str(Path(sys.executable).with_name("kiosk-provision")), "operator", "add", "--config", str(config),
               "--id", "op-009", "--name", "周老师", "--role", "operator", "--badge-uid", "08AABBCC", "--pin-stdin"]
    done = subprocess.run(command, input="660428\n", capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert verify_pin("660428", registry_of(config).by_id("op-009").pin_hash)


# --- read-badge against a real pcscd with vsmartcard's vpcd -----------------------------------------------------


def read_badge_process(config, pcscd, *extra) -> subprocess.Popen:
    command = [str(Path(sys.executable).with_name("kiosk-provision")), "operator", "read-badge", "--config",
               str(config), "--reader", pcscd.reader, *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env=os.environ | {"PYTHONUNBUFFERED": "1"})


def test_read_badge_waits_for_a_badge_then_it_is_registered_and_logs_in(config, pcscd, monkeypatch):
    from drivers.badge.pcsc import PcscBadgeReader
    from drivers.badge.vicc import VirtualBadge

    badge = VirtualBadge(bytes.fromhex(UID))
    process = read_badge_process(config, pcscd, "--json")
    try:
        assert "请将工作人员卡放在读卡器上" in process.stderr.readline()  # it watches the reader and waits
        badge.insert()
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert json.loads(out) == {"uid": UID, "reader": pcscd.reader, "registered_to": None}
        badge.remove()

        assert add(config, monkeypatch=monkeypatch, badge_uid=json.loads(out)["uid"]) == 0
        reader = PcscBadgeReader(reader_filter=pcscd.reader)
        login = OperatorLogin(registry_of(config))
        try:
            badge.insert()
            event = reader.next_event(timeout=20)
            assert event is not None and login.handle(event) is LoginState.NEED_PIN
            assert login.enter_pin("482913") and login.operator.name == "王晓明"
        finally:
            reader.close()
    finally:
        badge.remove()
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_read_badge_tells_who_a_registered_badge_belongs_to(config, pcscd, monkeypatch, capsys):
    from drivers.badge.vicc import VirtualBadge

    add(config, monkeypatch=monkeypatch)
    capsys.readouterr()
    badge = VirtualBadge(bytes.fromhex(UID))
    badge.insert()  # already on the reader when the command starts
    try:
        assert main(["operator", "read-badge", "--config", str(config), "--reader", pcscd.reader]) == 0
        captured = capsys.readouterr()
        assert captured.out.strip() == UID
        assert "已登记给工号 op-001（王**）" in captured.err and "王晓明" not in captured.err
    finally:
        badge.remove()


def test_read_badge_without_pcscd_says_so(config, pcscd, capsys):
    pcscd.stop()
    try:
        assert main(["operator", "read-badge", "--config", str(config), "--timeout", "1"]) == 1
    finally:
        pcscd.start()
    err = capsys.readouterr().err
    assert "pcscd" in err and "未运行" in err


def test_read_badge_with_no_badge_times_out_with_a_message(config, pcscd, capsys):
    assert main(["operator", "read-badge", "--config", str(config), "--reader", pcscd.reader,
                 "--timeout", "0.5"]) == 1
    assert "未检测到工作人员卡" in capsys.readouterr().err
