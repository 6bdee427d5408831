"""update with tiny release trees built here (a bin/kiosk-provision script is the new version's own start and
self-test): a good bundle, a bad one (fails its health check -> rollback), one that hangs (not healthy in time),
a bad signature and a tampered payload refused, an update during a registration waits for the lock."""
from __future__ import annotations

import json
import tarfile
import threading
import time
from pathlib import Path

import pytest

from kiosk.errors import KioskError
from kiosk.paths import TerminalPaths
from kiosk.update_lock import RegistrationLock
from provisioning import bundle
from provisioning.cli import main
from provisioning.update import Releases, apply

SCRIPTS = {"good": "echo '{\"ok\": true}'\nexit 0", "bad": "echo 'ImportError: no module kiosk' >&2\nexit 1",
           "hang": "sleep 30"}


@pytest.fixture
def keys(tmp_path):
    private, public = tmp_path / "release.key", tmp_path / "release.pub"
    bundle.generate_key(private, public)
    return bundle.load_private_key(private), str(public)


@pytest.fixture
def make_bundle(tmp_path, keys):
    def make(version: str, behaviour: str = "good", key=None, script: str | None = None) -> Path:
        tree = tmp_path / "src" / version
        (tree / "bin").mkdir(parents=True)
        path = tree / "bin" / "kiosk-provision"
        path.write_text(f"#!/bin/sh\n{script or SCRIPTS[behaviour]}\n")
        path.chmod(0o755)
        (tree / "VERSION").write_text(version)
        return bundle.build(tree, version, key or keys[0], tmp_path / f"kiosk-{version}.bundle")
    return make


def run_update(terminal, prefix, path, keys, *extra) -> int:
    return main(["update", "--bundle", str(path), *terminal.args, "--prefix", str(prefix), "--service", "none",
                 "--release-key", keys[1], *extra])


def test_good_then_bad_bundle_rolls_back(terminal, tmp_path, make_bundle, keys, capsys):
    prefix, releases = tmp_path / "opt", Releases(tmp_path / "opt")
    assert run_update(terminal, prefix, make_bundle("1.0.0"), keys) == 0
    assert run_update(terminal, prefix, make_bundle("1.1.0"), keys) == 0
    assert "已升级到版本 1.1.0" in capsys.readouterr().out
    assert (releases.version("current"), releases.version("previous")) == ("1.1.0", "1.0.0")
    assert (prefix / "current" / "VERSION").read_text() == "1.1.0"
    assert run_update(terminal, prefix, make_bundle("1.2.0", "bad"), keys) == 1
    assert "未通过健康检查，已自动回退到 1.1.0" in capsys.readouterr().err
    assert (releases.version("current"), releases.version("previous")) == ("1.1.0", "1.0.0")
    assert not (prefix / "releases" / "1.2.0").exists()
    assert run_update(terminal, prefix, make_bundle("1.3.0", "hang"), keys, "--health-timeout", "1") == 1
    assert releases.version("current") == "1.1.0"
    outcomes = [(e["to"], e["outcome"]) for e in releases.history()]
    assert outcomes == [("1.0.0", "installed"), ("1.1.0", "installed"), ("1.2.0", "rolled back"),
                        ("1.3.0", "rolled back")]
    assert "did not finish" in releases.history()[-1]["reason"]
    assert main(["status", *terminal.args, "--prefix", str(prefix), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["software"]["current"] == "1.1.0" and status["software"]["previous"] == "1.0.0"


def test_bad_signature_and_tampered_payload_are_refused(terminal, tmp_path, make_bundle, keys, capsys):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    prefix = tmp_path / "opt"
    assert run_update(terminal, prefix, make_bundle("1.0.0"), keys) == 0
    forged = make_bundle("6.6.6", key=Ed25519PrivateKey.generate())
    assert run_update(terminal, prefix, forged, keys) == 1
    assert "签名校验失败" in capsys.readouterr().err
    # a genuine manifest with another payload: the hash gives it away
    genuine = make_bundle("2.0.0")
    with tarfile.open(genuine) as tar:
        manifest, sig = tar.extractfile("manifest.json").read(), tar.extractfile("manifest.sig").read()
        payload = bytearray(tar.extractfile("payload.tar.gz").read())
    payload[-20] ^= 0xFF
    tampered = tmp_path / "tampered.bundle"
    with tarfile.open(tampered, "w") as tar:
        for name, data in (("manifest.json", manifest), ("manifest.sig", sig), ("payload.tar.gz", bytes(payload))):
            bundle._add(tar, name, data)
    assert run_update(terminal, prefix, tampered, keys) == 1
    assert "内容与清单不符" in capsys.readouterr().err
    (tmp_path / "junk.bundle").write_bytes(b"not a tar at all" * 100)
    assert run_update(terminal, prefix, tmp_path / "junk.bundle", keys) == 1
    assert "升级包无效" in capsys.readouterr().err
    assert Releases(prefix).version("current") == "1.0.0"
    assert sorted(p.name for p in (prefix / "releases").iterdir()) == ["1.0.0"]


def test_update_waits_for_a_registration_to_finish(terminal, tmp_path, make_bundle, keys):
    prefix = tmp_path / "opt"
    first, second = make_bundle("1.0.0"), make_bundle("1.1.0")
    apply(first, prefix=prefix, config=str(terminal.config_path), release_key=keys[1])
    registration = RegistrationLock(TerminalPaths.at(terminal.config.data_dir).update_lock)
    assert registration.acquire()
    waiting, done = threading.Event(), []
    worker = threading.Thread(target=lambda: done.append(apply(
        second, prefix=prefix, config=str(terminal.config_path), release_key=keys[1], on_wait=waiting.set)))
    worker.start()
    assert waiting.wait(30)
    time.sleep(0.3)
    assert Releases(prefix).version("current") == "1.0.0" and not done  # not applied while the student registers
    registration.release()
    worker.join(30)
    assert done and Releases(prefix).version("current") == "1.1.0"
    # a registration that does not end: the update gives up after its wait, nothing changed
    assert registration.acquire()
    with pytest.raises(KioskError, match="仍有考生在登记"):
        apply(make_bundle("1.2.0"), prefix=prefix, config=str(terminal.config_path), release_key=keys[1], wait=0.3)
    registration.release()
    assert Releases(prefix).version("current") == "1.1.0"


def test_no_registration_starts_while_an_update_holds_the_lock(tmp_path):
    from kiosk.update_lock import exclusive

    lock = RegistrationLock(tmp_path / "update.lock")
    with exclusive(tmp_path / "update.lock", timeout=1):
        assert not lock.acquire() and not lock.held
    assert lock.acquire() and lock.held
    lock.release()
    lock.release()  # harmless twice


def test_rollback_restores_a_store_the_failed_release_migrated(terminal, tmp_path, make_bundle, keys, queue_record):
    import sqlite3
    import sys

    from kiosk.store import Store

    queue_record()
    store_path = TerminalPaths.at(terminal.config.data_dir).store
    schema = sqlite3.connect(store_path).execute("PRAGMA user_version").fetchone()[0]
    migrate = (f"{sys.executable} -c \"import sqlite3; db = sqlite3.connect('{store_path}'); "
               f"db.execute('PRAGMA user_version=99'); db.commit()\"\nexit 1")
    prefix = tmp_path / "opt"
    assert run_update(terminal, prefix, make_bundle("1.0.0"), keys) == 0
    assert run_update(terminal, prefix, make_bundle("2.0.0", script=migrate), keys) == 1
    assert sqlite3.connect(store_path).execute("PRAGMA user_version").fetchone()[0] == schema
    assert "store restored" in Releases(prefix).history()[-1]["reason"]
    store = Store(store_path)  # the old release opens it, the queued record is still there
    assert store.outbox_depth() == 1
    store.close()


def test_wheel_set_bundle_becomes_a_venv(terminal, tmp_path, keys):
    """kind "wheels": a fresh venv in place, the wheel installed without an index; its console script is the
    health check."""
    import base64
    import hashlib
    import zipfile

    files = {"fieldapp/__init__.py": b"def main():\n    print('{\"ok\": true}')\n",
             "fieldapp-3.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: fieldapp\nVersion: 3.0\n",
             "fieldapp-3.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                             b"Tag: py3-none-any\n",
             "fieldapp-3.0.dist-info/entry_points.txt": b"[console_scripts]\nkiosk-provision = fieldapp:main\n"}
    digest = lambda d: base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode()  # noqa: E731
    record = "".join(f"{n},sha256={digest(d)},{len(d)}\n" for n, d in files.items())
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    with zipfile.ZipFile(wheels / "fieldapp-3.0-py3-none-any.whl", "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
        z.writestr("fieldapp-3.0.dist-info/RECORD", record + "fieldapp-3.0.dist-info/RECORD,,\n")
    model = wheels / "share" / "kiosk" / "models" / "face" / "model.bin"  # data no wheel carries
    model.parent.mkdir(parents=True)
    model.write_bytes(b"weights")
    path = bundle.build(wheels, "3.0", keys[0], tmp_path / "wheels.bundle", kind="wheels")
    prefix = tmp_path / "opt"
    assert run_update(terminal, prefix, path, keys) == 0
    assert Releases(prefix).version("current") == "3.0"
    assert (prefix / "current" / "bin" / "kiosk-provision").exists()
    assert (prefix / "current" / "share" / "kiosk" / "models" / "face" / "model.bin").read_bytes() == b"weights"
