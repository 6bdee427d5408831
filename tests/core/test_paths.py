import os
import stat

from kiosk.paths import TerminalPaths


def test_every_file_derives_from_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("KIOSK_DATA_DIR", raising=False)
    paths = TerminalPaths.at(tmp_path / "d")
    for name in ("store", "device_key", "sync_dir", "pulled_policies", "printed", "selftest", "logs", "operators"):
        assert tmp_path / "d" in getattr(paths, name).parents
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "env"))
    assert TerminalPaths.at().data_dir == tmp_path / "env"


def test_ensure_makes_a_private_data_dir(tmp_path):
    paths = TerminalPaths.at(tmp_path / "d").ensure()
    assert stat.S_IMODE(os.stat(paths.data_dir).st_mode) == 0o700
    assert paths.printed.is_dir() and paths.sync_dir.is_dir()
