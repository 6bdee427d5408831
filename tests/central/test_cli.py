"""The command lines end to end: `kiosk-central serve/enroll-code` as a process, `kiosk sync enroll/push/status`."""
from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from central.embedded import free_port
from kiosk.record import example_record
from kiosk.store import Store
from tests.support.central import jpeg, wait_until


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def central_process(tmp_path):
    data, port = tmp_path / "central", free_port()
    process = subprocess.Popen([sys.executable, "-m", "central.cli", "--log-level", "WARNING", "serve", "--data",
                                str(data), "--port", str(port)])
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _healthy(url) or process.poll() is not None, timeout=30, step=0.1)
    assert process.poll() is None
    yield data, url
    process.terminate()
    process.wait(10)


def run(argv, capsys) -> tuple[int, dict]:
    from ui.cli import main

    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


def test_enroll_push_status(central_process, tmp_path, capsys):
    data, url = central_process
    out = subprocess.run([sys.executable, "-m", "central.cli", "--log-level", "WARNING", "enroll-code", "--data",
                          str(data), "--role", "school", "--school", "4114030012", "--county", "411403", "--json"],
                         check=True, capture_output=True, text=True).stdout
    code = json.loads(out)["code"]
    kiosk_dir = tmp_path / "kiosk"
    rc, enrolled = run(["sync", "enroll", "--server", url, "--code", code, "--data", str(kiosk_dir), "--json"],
                       capsys)
    assert rc == 0 and enrolled["role"] == "school" and enrolled["terminal_id"].startswith("T-411403-")
    store = Store(kiosk_dir / "kiosk.db")
    import hashlib
    photo, document = jpeg("cli-p"), jpeg("cli-d", (800, 600))
    record = example_record(photo_sha256=hashlib.sha256(photo).hexdigest(),
                            document_sha256=hashlib.sha256(document).hexdigest())
    store.save(record, photo=photo, document=document)
    store.apply(record.record_id, "submit", "student")
    store.close()
    rc, status = run(["sync", "status", "--data", str(kiosk_dir), "--json"], capsys)
    assert rc == 0 and status["queued"] == 1 and status["next_try"]
    rc, pushed = run(["sync", "push", "--data", str(kiosk_dir), "--json"], capsys)
    assert rc == 0 and pushed["sent"] == 1 and pushed["queued"] == 0
    rc, status = run(["sync", "status", "--data", str(kiosk_dir), "--json"], capsys)
    assert status["queued"] == 0 and status["message"] == "全部已上传" and status["last_success_at"]
