"""Personal data at rest on the server (issue #10): private modes, sealed record JSON and attachments, ID numbers
as keyed HMACs, no plaintext anywhere in the database, its WAL, the attachment folder or a PostgreSQL dump;
orphaned temp files removed at start; the data key rotates."""
from __future__ import annotations

import json
import stat
import subprocess


from central import models, terminals
from central.rotate import rotate
from kiosk.record import Record as WireRecord
from tests.support.central import Server
from tests.support.postgres import PG_BIN


def _secrets(records) -> set[bytes]:
    found = set()
    for r in records:
        for text in (r.name, r.id_number, r.contact_phone, r.home_address, r.identity["address"],
                     *(g.name for g in r.guardians), *(g.phone for g in r.guardians)):
            if text:
                found.add(text.encode())
                found.add(json.dumps(text).strip('"').encode())  # as \uXXXX escapes
    return found | {b"JFIF"}  # a JPEG's header: attachments must be ciphertext


def _scan(blobs: dict[str, bytes], secrets: set[bytes]) -> list[str]:
    return [f"{name}: {secret[:12]!r}" for name, data in blobs.items() for secret in secrets if secret in data]


def _files(directory) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def _pg_dump(db_url: str) -> bytes:
    url = db_url.replace("postgresql+psycopg://", "postgresql://")
    return subprocess.run([str(PG_BIN / "pg_dump"), "--data-only", url], check=True, capture_output=True,
                          timeout=60).stdout


def _sqlite_files(db_url: str) -> list:
    from pathlib import Path

    if not db_url.startswith("sqlite"):
        return []
    db = Path(db_url.removeprefix("sqlite:///"))
    return sorted(db.parent.glob(db.name + "*"))


def _stored(data, db_url: str) -> dict[str, bytes]:
    """Every byte the server keeps: its data folder, the SQLite file and WAL, or a dump of the PostgreSQL data."""
    blobs = _files(data)
    blobs.update({str(p): p.read_bytes() for p in _sqlite_files(db_url)})
    if db_url.startswith("postgresql"):
        blobs["pg_dump"] = _pg_dump(db_url)
    return blobs


def test_no_personal_data_in_plaintext_at_rest(make_server, make_kiosk, db_url):
    server = make_server()
    roster = [{"student_number": "G411403200903150011", "id_number": "411403200903150011", "name": "张三丰",
               "school_code": "4114030012"}]
    server.central.write(lambda s: terminals.load_schools(
        s, [{"code": "4114030012", "name": "商丘市第一初级中学", "county_code": "411403"}], roster,
        server.central.data_keys))
    a, b = make_kiosk(server), make_kiosk(server, role="point", school="P411403")
    records = [a.new_record() for _ in range(3)]
    twin = b.new_record(id_number=records[0].id_number, category="return_hukou")  # a conflict row too
    assert a.worker.drain() == 3 and b.worker.drain() == 1
    assert server.count(models.Conflict) == 1
    secrets = _secrets([*records, twin]) | {"张三丰".encode(), b"411403200903150011"}
    data = server.central.settings.data_dir
    with server.session() as s:  # held as HMACs and sealed text, readable through the key
        row = s.get(models.Record, str(records[0].record_id))
        assert row.id_number == server.central.data_keys.id_digest(records[0].id_number)
        assert WireRecord.model_validate_json(server.central.data_keys.open_json(row.payload, row.record_id)).name
    blobs = _stored(data, db_url)
    assert db_url.startswith("postgresql") or any(name.endswith("central.db-wal") for name in blobs)
    assert _scan(blobs, secrets) == []

    # modes: 0700 directories, 0600 files (the SQLite files too, wherever --db puts them)
    for path in [data, *data.rglob("*"), *_sqlite_files(db_url)]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))

    # rotate-key: everything re-sealed under the new key, still readable, still no plaintext
    old = server.central.data_keys.current
    counts = rotate(server.central)
    assert counts["records"] == 4 and counts["attachments"] == 8 and counts["roster"] == 1
    with server.session() as s:
        assert {r.key_id for r in s.query(models.Record)} == {server.central.data_keys.current} != {old}
    photo = server.central.storage.get(records[0].photo_sha256)
    assert photo == a.store.attachment(records[0].record_id, "photo")
    assert _scan(_stored(data, db_url), secrets) == []
    assert a.worker.pull_config() and a.worker.config.last_good().roster[0].name == "张三丰"


def test_orphaned_temp_files_are_removed_at_start(make_server, tmp_path):
    server = make_server()
    root = server.central.settings.data_dir / "attachments"
    orphan = root / "ab" / ".tmp-crashed"
    orphan.write_bytes(b"\xff\xd8\xff\xe0 photo bytes of a crashed upload")
    server.stop()
    from central.settings import Settings

    again = Server(Settings(data_dir=server.central.settings.data_dir, db_url=server.central.settings.db_url))
    try:
        assert not orphan.exists()
    finally:
        again.stop()


def test_rotate_key_converts_rows_from_before_sealing(server):
    """A database migrated from before this change: plain payload, plain ID number, plain roster row."""
    from sqlalchemy import insert

    from kiosk.record import example_record

    record = example_record()
    plain = record.model_dump_json()
    server.central.write(lambda s: terminals.load_schools(
        s, [{"code": "4114030012", "name": "商丘市第一初级中学", "county_code": "411403"}], [],
        server.central.data_keys))

    def legacy(session):
        session.add(models.Terminal(terminal_id="T-OLD", public_key=b"\x01" * 32, role="school",
                                    school_code="4114030012", county_code="411403", peripherals={},
                                    outbox_depth=0, last_sync_error=""))
        session.flush()
        session.execute(insert(models.Record).values(
            record_id=str(record.record_id), version=1, state="submitted", content_hash=record.content_hash(),
            terminal_id="T-OLD", id_number=record.id_number, school_code="4114030012", payload=plain, key_id=""))
        session.add(models.RosterEntry(student_number="G41140320090315003X", id_number="41140320090315003X",
                                       name="王小明", school_code="4114030012"))

    server.central.write(legacy)
    counts = rotate(server.central)
    assert counts["records"] == 1 and counts["roster"] == 1
    keys = server.central.data_keys
    with server.session() as s:
        row = s.get(models.Record, str(record.record_id))
        assert row.id_number == keys.id_digest(record.id_number) and row.key_id == keys.current
        assert keys.open_json(row.payload, row.record_id) == plain
        terminal = s.get(models.Terminal, "T-OLD")
        roster = terminals.roster_for(s, terminal, keys)
    assert [(r.student_number, r.name) for r in roster] == [("G41140320090315003X", "王小明")]
