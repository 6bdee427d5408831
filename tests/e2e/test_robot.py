"""The whole registration end to end on simulated devices, as `kiosk run` does it."""
import json
import subprocess
import sys

from PIL import Image

from kiosk.config import TerminalConfig
from ui.robot import run_robot


def test_registration_end_to_end(tmp_path):
    lines = []
    result = run_robot(TerminalConfig(), workdir=tmp_path, say=lines.append)
    assert result.state == "signed" and result.print_count == 1
    assert result.server_copies == 1 and result.outbox_depth == 0
    text = subprocess.run(["pdftotext", str(result.pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "王小明" in text and "41140320090315003X" in text
    with Image.open(result.photo) as photo:
        assert photo.size == (450, 600) and photo.info["dpi"] == (300, 300)
    assert result.photo.stat().st_size <= 30_000
    assert result.document.stat().st_size <= 50_000
    assert "41140320090315003X" not in str(result.document)  # no ID number in a file name outside the export
    assert any("读卡成功" in line for line in lines) and any("同步完成" in line for line in lines)
    assert not any("41140320090315003X" in line for line in lines)  # the screen log masks the number


# `kiosk run` as the console script runs it, in an interpreter where scikit-image cannot be imported: the kiosk
# needs it nowhere (photo, document, form, sync), only the photo tests do.
KIOSK_WITHOUT_SKIMAGE = 'import sys; sys.modules["skimage"] = None; from ui.cli import main; sys.exit(main())'


def test_return_hukou_at_a_point_through_the_cli(tmp_path):
    out = subprocess.run([sys.executable, "-c", KIOSK_WITHOUT_SKIMAGE, "run", "--category", "return_hukou",
                          "--data", str(tmp_path), "--json"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    data = json.loads(out.stdout)
    assert data["state"] == "signed" and data["server_copies"] == 1
    assert "41140320090315003X" not in out.stdout and "003X" in out.stdout  # masked in --json too
