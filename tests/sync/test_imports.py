"""What the terminal's sync side loads into the kiosk process."""
import subprocess
import sys
from pathlib import Path

_PROBE = """
import sys
from kiosk.sync.client import open_client
import httpx
httpx.Client().close()
print(sorted(name for name in ("click", "pygments", "rich") if name in sys.modules))
"""


def test_httpx_comes_without_its_command_line_client():
    """httpx loads its CLI (click, rich, pygments: 5.7 MB of RSS) when they are installed; the kiosk never runs it."""
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.split()[-1] == "[]"
