"""Where the terminal's parts meet (issue #9): the touch app and the robot build the terminal through the one
composition root (ui.wiring.build); a production terminal, touch app included, runs without the embedded central
server, the robot or scikit-image."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from central.embedded import EmbeddedServer
from central.settings import Settings
from kiosk.config import TerminalConfig

ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter in which scikit-image cannot be imported: the touch app's modules, then a production terminal
# built with its devices, as `kiosk run --ui` builds it. Prints what it loaded.
PRODUCTION = """
import json, sys
sys.modules["skimage"] = None  # any import of scikit-image fails
import ui.app  # the touch app's controller and screens (Kivy on SDL's offscreen driver: no window is opened here)
from kiosk.config import TerminalConfig
from ui.wiring import build

kiosk = build(TerminalConfig.load(sys.argv[1]), say=lambda _: None)
try:
    central = sorted(m for m in sys.modules if m == "central" or m.startswith("central."))
    print(json.dumps({"demo": kiosk.demo is not None, "devices": kiosk.devices.status(), "central": central,
                      "robot": "ui.robot" in sys.modules}))
finally:
    kiosk.close()
"""


@pytest.fixture
def central(tmp_path):
    server = EmbeddedServer(Settings(data_dir=tmp_path / "central"))
    yield server
    server.stop()


def test_a_production_terminal_runs_without_the_server_the_robot_or_scikit_image(tmp_path, central):
    from kiosk.sync.identity import enroll

    config = TerminalConfig(data_dir=tmp_path / "kiosk", server_url=central.url)
    enroll(central.url, central.enroll_code("school", config.school_code, config.county_code),
           config.paths.ensure().sync_dir)
    path = tmp_path / "kiosk.toml"
    path.write_text(config.to_toml(), encoding="utf-8")
    env = os.environ | {"SDL_VIDEODRIVER": "offscreen", "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1",
                        "KIVY_NO_FILELOG": "1", "KIVY_HOME": str(tmp_path / "kivy")}
    done = subprocess.run([sys.executable, "-c", PRODUCTION, str(path)], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded["demo"] is False and loaded["central"] == []  # no embedded server: not even imported
    assert loaded["robot"] is False  # the app does not import the robot
    assert loaded["devices"]["camera"] == "simulator"  # OpenCV and the demo face loaded, scikit-image never


def test_the_robot_and_the_touch_app_build_the_terminal_through_the_one_wiring(tmp_path, monkeypatch):
    import ui.app  # noqa: F401 - first: it sets the window's size in Kivy's Config before anything opens the window
    import ui.wiring
    from ui.app import KioskApp
    from ui.robot import run_robot

    class Built(Exception):
        pass

    calls = []

    def recording_build(config, **options):
        calls.append(options.get("data_dir"))
        raise Built

    monkeypatch.setattr(ui.wiring, "build", recording_build)
    with pytest.raises(Built):
        run_robot(TerminalConfig(), workdir=tmp_path / "robot", say=lambda _: None)
    with pytest.raises(Built):
        KioskApp(TerminalConfig(), workdir=tmp_path / "app", realtime_camera=False, say=lambda _: None).build()
    assert calls == [tmp_path / "robot", tmp_path / "app"]
