"""central/ loads the shared wire schema, not the terminal's sync client or store (issue #10)."""
from __future__ import annotations

import subprocess
import sys


def test_central_app_loads_neither_the_store_nor_the_sync_client():
    code = ("import sys, central.app; print(sorted(m for m in ('kiosk.store', 'kiosk.sync.worker', 'kiosk.sync.client',"
            " 'httpx') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"
