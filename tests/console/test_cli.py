"""`kiosk-central user ...` creates the first province account; disable and reset-password take effect."""
from __future__ import annotations

import json

from central.cli import main


def test_user_commands(tmp_path, capsys, monkeypatch):
    data = ["--data", str(tmp_path / "central")]
    monkeypatch.setenv("NEW_PASSWORD", "Province-2024-first")
    assert main(["user", "add", "admin", "--role", "province", "--scope", "41", "--password-env", "NEW_PASSWORD",
                 *data]) == 0
    assert main(["user", "add", "admin", "--role", "province", "--scope", "41", "--password-env", "NEW_PASSWORD",
                 *data]) == 1
    assert "用户名已存在" in capsys.readouterr().err
    assert main(["user", "add", "x", "--role", "county", "--scope", "4114", "--password-env", "NEW_PASSWORD",
                 *data]) == 1
    assert "6位数字" in capsys.readouterr().err
    monkeypatch.setenv("SHORT", "short")
    assert main(["user", "add", "y", "--role", "city", "--scope", "4114", "--password-env", "SHORT", *data]) == 1
    capsys.readouterr()
    assert main(["user", "list", "--json", *data]) == 0
    users = json.loads(capsys.readouterr().out)
    assert users == [{"username": "admin", "role": "province", "scope": "41", "disabled": False,
                      "display_name": ""}]

    from central.app import Central
    from central.console import accounts
    from central.settings import Settings

    monkeypatch.setenv("NEW_PASSWORD", "Province-2024-second")
    assert main(["user", "reset-password", "admin", "--password-env", "NEW_PASSWORD", *data]) == 0
    central = Central(Settings(data_dir=tmp_path / "central"))
    policy = accounts.Policy()
    assert central.write(lambda s: accounts.login(s, "admin", "Province-2024-first", policy))[0] is None
    assert central.write(lambda s: accounts.login(s, "admin", "Province-2024-second", policy))[0] is not None
    assert main(["user", "disable", "admin", *data]) == 0
    assert central.write(lambda s: accounts.login(s, "admin", "Province-2024-second", policy))[0] is None
    central.engine.dispose()
