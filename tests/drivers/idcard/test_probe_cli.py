"""Auto-detect and the `kiosk idcard` commands, against simulators on real ptys."""
import json
import signal
import subprocess
import sys
from pathlib import Path


from drivers.idcard.probe import probe, probe_port
from drivers.idcard.simulator import SimCard, control
from ui.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


def test_probe_finds_readers_at_their_baud_rate(make_sim, resident, tmp_path):
    fast = make_sim(resident)
    slow = make_sim(resident, baud=19200)
    not_a_reader = tmp_path / "plain"
    not_a_reader.write_text("")
    found = probe([str(fast.link), str(slow.link), str(not_a_reader), str(tmp_path / "missing")])
    assert [(r.port, r.baud) for r in found] == [(str(fast.link), 115200), (str(slow.link), 19200)]
    assert found[0].sam_id == "05.01-20101118-0012345678-1234567890"


def test_probe_of_a_silent_port_is_none(make_sim):
    sim = make_sim(None, warmup=60)  # still warming up: answers nothing
    assert probe_port(str(sim.link), bauds=(115200, 9600)) is None


def test_cli_read_prints_the_card_as_json(make_sim, card_file, capsys):
    card = SimCard.load(card_file)
    sim = make_sim(card)
    assert main(["idcard", "read", "--port", str(sim.link), "--timeout", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    expected = card.identity.as_json()
    for key in ("card_type", "name", "gender", "gender_code", "ethnicity", "ethnicity_code", "birth_date",
                "address", "id_number", "authority", "valid_from", "valid_until"):
        assert data[key] == expected[key], key
    if card.identity.card_type.value == "resident" and card.appended_addresses:
        assert data["appended_address"] == card.appended_addresses[-1]


def test_cli_read_without_a_card_fails_in_chinese(make_sim, resident, capsys):
    sim = make_sim(resident, placed=False)
    assert main(["idcard", "read", "--port", str(sim.link), "--timeout", "0.3"]) == 3
    assert "请将身份证放在感应区" in capsys.readouterr().err


def test_cli_read_of_a_missing_port_fails_in_chinese(tmp_path, capsys):
    assert main(["idcard", "read", "--port", str(tmp_path / "none"), "--timeout", "0.3"]) == 3
    assert "读卡器未连接" in capsys.readouterr().err


def test_cli_probe_json(make_sim, resident, capsys):
    sim = make_sim(resident)
    assert main(["idcard", "probe", "--port", str(sim.link), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["readers"][0]["baud"] == 115200


def test_cli_simulate_is_steered_through_its_control_socket(tmp_path):
    link, ctl = tmp_path / "ttySIM", tmp_path / "sim.ctl"
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "idcard", "simulate", "--card", str(FIXTURES / "foreign_2023.json"),
         "--link", str(link), "--control", str(ctl), "--warmup", "0", "--absent"],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])
    try:
        assert "模拟读卡器已启动" in process.stdout.readline()
        assert json.loads(control(ctl, "status").split(" ", 1)[1])["present"] is False
        assert control(ctl, "place").startswith("ok")
        assert control(ctl, "fault nonsense").startswith("error")
        assert control(ctl, "fault garbage on=read").startswith("ok")
        read = subprocess.run([sys.executable, "-m", "ui.cli", "idcard", "read", "--port", str(link), "--json"],
                              capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[2])
        assert read.returncode == 0, read.stderr
        assert json.loads(read.stdout)["english_name"] == "ANDERSON-WILLIAMS, ANNA KATHARINA ELIZABETH"
        assert control(ctl, "vanish").startswith("ok") and not link.exists()
        assert control(ctl, "return").startswith("ok") and link.exists()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert not link.exists() and not ctl.exists()


def test_cli_control_without_a_simulator(tmp_path, capsys):
    assert main(["idcard", "control", "--socket", str(tmp_path / "none.ctl"), "status"]) == 1
    assert "无法连接模拟读卡器" in capsys.readouterr().err


def test_cli_simulate_with_a_broken_card_file_fails_in_chinese(tmp_path, capsys):
    broken = tmp_path / "card.json"
    broken.write_text('{"name": "张三"')
    assert main(["idcard", "simulate", "--card", str(broken), "--link", str(tmp_path / "tty")]) == 1
    assert "证件文件无法读取" in capsys.readouterr().err


def test_control_place_with_a_bad_card_file_is_an_error_reply(make_sim, resident, tmp_path):
    sim = make_sim(resident)
    incomplete = tmp_path / "incomplete.json"
    incomplete.write_text('{"name": "张三"}')
    assert sim.command(f"place {incomplete}").startswith("error")
    assert sim.command(f"place {tmp_path / 'missing.json'}").startswith("error")
    assert sim.command("fault status zz").startswith("error")
    assert sim.command("").startswith("error") and sim.command("dance").startswith("error")
    assert sim.present and sim.card is resident
