"""enroll against a real central server (central.embedded on loopback): key pair, identity 0600, pulled config;
re-enrollment rotates the key without losing the outbox."""
from __future__ import annotations

import json
import stat

from kiosk.config import TerminalConfig
from kiosk.paths import TerminalPaths
from kiosk.store import Store
from provisioning.cli import main


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_enroll_writes_identity_and_pulled_config(terminal, server, capsys):
    code = server.enroll_code("school", "4114030012", "411403")
    assert main(["enroll", *terminal.args, "--server", server.url, "--code", code]) == 0
    out = capsys.readouterr().out
    sync = TerminalPaths.at(terminal.config.data_dir).sync_dir
    config = TerminalConfig.load(terminal.config_path)
    assert f"终端编号 {config.terminal_id}" in out and "已下载采集政策和名单" in out
    assert config.server_url == server.url and config.terminal_id.startswith("T-411403-")
    assert mode(sync / "terminal.key") == 0o600 and mode(sync / "terminal.json") == 0o600
    assert json.loads((sync / "terminal.json").read_text())["terminal_id"] == config.terminal_id
    assert list((sync / "config" / "policies").glob("*.json"))
    # a second enrollment without --rotate-key is refused in Chinese, and changes nothing
    assert main(["enroll", *terminal.args, "--server", server.url, "--code", "whatever"]) == 1
    assert "已注册" in capsys.readouterr().err
    assert TerminalConfig.load(terminal.config_path).terminal_id == config.terminal_id


def test_rotation_keeps_the_outbox_and_a_bad_code_changes_nothing(terminal, server, queue_record, drain, capsys):
    first = server.enroll_code("school", "4114030012", "411403")
    assert main(["enroll", *terminal.args, "--server", server.url, "--code", first, "--json"]) == 0
    old = json.loads(capsys.readouterr().out)
    queue_record()
    queue_record()
    paths = TerminalPaths.at(terminal.config.data_dir)
    old_key = (paths.sync_dir / "terminal.key").read_bytes()
    # a wrong code: refused, the old identity stays in place
    assert main(["enroll", *terminal.args, "--server", server.url, "--code", "bad-code", "--rotate-key"]) == 1
    assert "注册码无效" in capsys.readouterr().err
    assert (paths.sync_dir / "terminal.key").read_bytes() == old_key
    assert json.loads((paths.sync_dir / "terminal.json").read_text())["terminal_id"] == old["terminal_id"]
    # a new code with --rotate-key: a new key and terminal id, the queued records still there and then pushed
    second = server.enroll_code("school", "4114030012", "411403")
    assert main(["enroll", *terminal.args, "--server", server.url, "--code", second, "--rotate-key",
                 "--json"]) == 0
    new = json.loads(capsys.readouterr().out)
    assert new["rotated"] and new["terminal_id"] != old["terminal_id"]
    assert (paths.sync_dir / "terminal.key").read_bytes() != old_key
    store = Store(paths.store)
    assert store.outbox_depth() == 2
    store.close()
    assert drain() == 0
