"""status, logs (the bundle is grepped for personal data), identify, decommission (refused while unsynced, then the
server revokes the terminal and keys and personal data are gone)."""
from __future__ import annotations

import json
import tarfile
import time

import httpx

from kiosk import identify
from kiosk.paths import TerminalPaths
from kiosk.sync import TerminalIdentity, open_client
from kiosk.sync.wire import API
from provisioning.cli import main

NAME, ID_NUMBER, PHONE = "欧阳娜娜", "41140320090315003X", "13812345678"


def test_log_bundle_has_no_personal_data(terminal, enrolled, queue_record, tmp_path, capsys):
    paths = TerminalPaths.at(terminal.config.data_dir)
    queue_record()
    # what a crashed library might leave in a log file, unmasked
    (paths.logs / "kiosk.jsonl").write_text(
        json.dumps({"level": "error", "msg": f"card read for {NAME} {ID_NUMBER}, phone {PHONE}"},
                   ensure_ascii=False) + "\nTraceback: ValueError('" + ID_NUMBER + "')\n", encoding="utf-8")
    assert main(["selftest", *terminal.args, "--core", "--no-upload"]) == 0
    capsys.readouterr()
    out = tmp_path / "bundle.tar.gz"
    assert main(["logs", *terminal.args, "--prefix", str(tmp_path / "opt"), "--out", str(out), "--json"]) == 0
    members = json.loads(capsys.readouterr().out)["members"]
    assert "logs/kiosk.jsonl" in members and "status.json" in members
    assert any(m.startswith("selftest/") for m in members)
    with tarfile.open(out) as tar:
        names = tar.getnames()
        text = "\n".join(tar.extractfile(m).read().decode() for m in tar.getmembers())
    for secret in (NAME, ID_NUMBER, PHONE, "娜娜"):
        assert secret not in text
    assert "4114**********003X" in text and "138****5678" in text
    assert not any(n.endswith((".db", ".key", "operators.json")) or "config/" in n for n in names)


def test_status_in_chinese(terminal, enrolled, queue_record, tmp_path, capsys):
    queue_record()
    assert main(["status", *terminal.args, "--prefix", str(tmp_path / "opt")]) == 0
    out = capsys.readouterr().out
    assert f"终端编号：{enrolled.terminal_id}（已注册）" in out and "待上传记录：1条" in out
    assert "尚未做过自检" in out


def test_identify_request_is_picked_up_and_expires(terminal, capsys):
    path = TerminalPaths.at(terminal.config.data_dir).identify_request
    assert main(["identify", *terminal.args, "--seconds", "30"]) == 0
    assert "闪烁屏幕并鸣响30秒" in capsys.readouterr().out
    left = identify.pending(path)
    assert left is not None and 25 < left <= 30
    assert identify.pending(path, now=time.time() + 31) is None and not path.exists()  # expired: cleared
    assert main(["identify", *terminal.args, "--json"]) == 0 and identify.pending(path)
    assert main(["identify", *terminal.args, "--stop"]) == 0 and identify.pending(path) is None
    path.write_text("{garbage")
    assert identify.pending(path) is None and not path.exists()
    import wave

    with wave.open(str(identify.write_beep(path.with_name("beep.wav")))) as tone:
        assert tone.getnchannels() == 1 and 0.2 < tone.getnframes() / tone.getframerate() < 0.3


def test_decommission_refuses_while_unsynced_then_wipes_and_is_revoked(terminal, enrolled, server, queue_record,
                                                                       drain, capsys):
    paths = TerminalPaths.at(terminal.config.data_dir)
    queue_record()
    assert main(["decommission", *terminal.args]) == 1
    assert "确认请加 --yes" in capsys.readouterr().err
    assert main(["decommission", *terminal.args, "--yes"]) == 1
    assert "还有1条记录未上传" in capsys.readouterr().err
    assert paths.store.exists() and (paths.sync_dir / "terminal.key").exists()
    identity = TerminalIdentity.load(paths.sync_dir)
    assert drain() == 0
    assert main(["decommission", *terminal.args, "--yes"]) == 0
    out = capsys.readouterr().out
    assert "已注销" in out and "中心服务器已吊销本终端" in out
    for gone in (paths.store, paths.device_key, paths.sync_dir, paths.operators):
        assert not gone.exists(), gone
    assert paths.data_dir.exists()
    with open_client(identity) as client:  # the old key is refused from now on
        assert client.get(f"{API}/config").status_code == 403


def test_decommission_with_the_server_away_is_refused_unless_offline(terminal, enrolled, server):
    server.stop()
    assert main(["decommission", *terminal.args, "--yes"]) == 1
    assert (TerminalPaths.at(terminal.config.data_dir).sync_dir / "terminal.key").exists()
    assert main(["decommission", *terminal.args, "--yes", "--offline"]) == 0
    assert not TerminalPaths.at(terminal.config.data_dir).device_key.exists()


def test_a_terminal_cannot_retire_another(terminal, enrolled, server):
    with open_client(enrolled) as client:
        assert client.post(f"{API}/decommission", json={"terminal_id": "T-411403-OTHER"}).status_code == 409
        assert client.get(f"{API}/config").status_code == 200
    assert httpx.post(f"{server.url}{API}/decommission", json={"terminal_id": enrolled.terminal_id}).status_code == 401
