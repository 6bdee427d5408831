"""Password reuse refused by keyed fingerprints (issue #13 item 6): no two students of one school share a password.
Terminals and central on loopback, real stores; the password never travels or rests in clear."""
from __future__ import annotations

import logging

from sqlalchemy import select

from central import models
from central.console.models import RecordFlag
from kiosk.password_reuse import REUSED
from kiosk.session import Step
from tests.support.central import valid_id
from tests.support.kioskflow import card, open_terminal, walk_to_password

PASSWORD = "Zq7mHenan24"
SCHOOLS = [{"code": "4114030012", "name": "商丘市第一初级中学", "county_code": "411403"},
           {"code": "4114030013", "name": "睢阳区第二初级中学", "county_code": "411403"}]


def roster(*rows):
    return [{"student_number": "G" + n, "id_number": n, "name": name, "school_code": school}
            for n, name, school in rows]


def submit(core, student, password=PASSWORD) -> Step:
    session = core.session()
    walk_to_password(session, student)
    step = session.set_password(password, password)
    return step, session


def test_a_reused_password_is_refused_on_the_terminal_and_at_push(server, tmp_path, caplog):
    from central import terminals

    caplog.set_level(logging.DEBUG)
    ids = [valid_id(n) for n in (101, 102, 103, 104, 105)]
    students = roster((ids[0], "张一", "4114030012"), (ids[1], "张二", "4114030012"), (ids[2], "张三", "4114030012"),
                      (ids[3], "李四", "4114030013"))
    server.central.write(lambda s: terminals.load_schools(s, SCHOOLS, students, server.central.data_keys))
    bodies = []
    first = open_terminal(server, tmp_path / "a")
    late = open_terminal(server, tmp_path / "b")  # pulled before anyone had a password: its list is empty
    other_school = open_terminal(server, tmp_path / "c", school="4114030013")
    try:
        for core in (first, late, other_school):
            core.client.event_hooks["request"].append(lambda request: bodies.append(request.content))
        assert first.pulled.passwords.key is not None and len(first.pulled.passwords) == 0
        assert late.pulled.passwords.key == first.pulled.passwords.key  # one key per school
        assert other_school.pulled.passwords.key != first.pulled.passwords.key

        step, one = submit(first, card(ids[0], "张一"))
        assert step is Step.PRINT and one.record.password_fingerprint
        # the next student at the same terminal, before any sync: refused (its own records count)
        step, two = submit(first, card(ids[1], "张二"))
        assert step is Step.PASSWORD and two.errors["password"] == REUSED
        assert "张一" not in two.errors["password"]  # never says whose it is
        assert two.set_password("Other2024pw", "Other2024pw") is Step.PRINT
        assert first.worker.drain() == 2
        with server.session() as s:
            assert s.scalar(select(models.Record.state).where(models.Record.record_id == str(one.record.record_id)))

        # the school's other terminal had pulled before: its student passes the kiosk, central refuses at push
        step, three = submit(late, card(ids[2], "张三"))
        assert step is Step.PRINT
        assert late.worker.drain() == 0
        kept = late.store.get(three.record.record_id)
        assert kept.password_fingerprint == one.record.password_fingerprint  # kept, not lost
        assert late.store.outbox_depth() == 1
        assert "该密码过于常见或已被他人使用" in late.worker.status().message  # what the operator sees
        # after a pull the same terminal refuses it at the kiosk
        assert late.worker.pull_config()
        assert len(late.pulled.passwords) == 2
        step, again = submit(late, card(ids[2], "张三"))
        assert step is Step.PASSWORD and again.errors["password"] == REUSED
        assert again.set_password("Third2024pw", "Third2024pw") is Step.PRINT  # a new version, taken
        assert late.worker.drain() == 1
        # the owner of the password may enter it again (a revised record keeps its fingerprint)
        assert first.worker.pull_config() and len(first.pulled.passwords) == 3
        step, owner = submit(first, card(ids[0], "张一"))
        assert step is Step.PRINT and owner.record.version == 2

        # another school: the same password is fine
        step, four = submit(other_school, card(ids[3], "李四"))
        assert step is Step.PRINT and other_school.worker.drain() == 1
        with server.session() as s:
            assert s.scalar(select(models.Record.state).where(models.Record.record_id == str(four.record.record_id)))

        # decision: a voided record frees its password (the terminals' list and the push check leave it out)
        server.central.write(lambda s: s.add(RecordFlag(record_id=str(one.record.record_id), status="voided",
                                                        reason="test")))
        assert first.worker.pull_config()
        assert one.record.password_fingerprint not in first.pulled.passwords._taken
        with server.session() as s:
            taken = terminals.password_parts(s, s.get(models.Terminal, first.station.terminal_id),
                                             server.central.data_keys)[1]
        assert one.record.password_fingerprint not in {t.fingerprint for t in taken}
    finally:
        for core in (first, late, other_school):
            core.close()

    # never in clear: not on the wire, not in the logs, not in either database
    assert bodies and not any(PASSWORD.encode() in b for b in bodies)
    assert PASSWORD not in caplog.text
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.startswith("central.db") for p in files) or "postgresql" in str(server.central.engine.url)
    for path in files:
        assert PASSWORD.encode() not in path.read_bytes(), path
    # the terminals hold the school key and the fingerprints sealed (pulled config, store records)
    import base64

    school_key, fingerprint = first.pulled.passwords.key, one.record.password_fingerprint
    kiosk_files = [p for p in files if p.relative_to(tmp_path).parts[0] in ("a", "b", "c")]
    assert any(p.name == "kiosk.db" for p in kiosk_files) and any(p.name == "config.sealed" for p in kiosk_files)
    for path in kiosk_files:
        data = path.read_bytes()
        for secret in (school_key, base64.b64encode(school_key), school_key.hex().encode(), fingerprint.encode()):
            assert secret not in data, path
    with server.session() as s:
        keys = s.scalars(select(models.SchoolKey.secret)).all()
    assert len(keys) == 2 and all(k.startswith("k1:") for k in keys)  # sealed under the server data key
    # rotate-key re-seals them; the keys themselves (and so every fingerprint) stay the same
    from central.keys import _SCHOOL_KEYS, school_key
    from central.rotate import rotate

    before = {c: v for (_, c), v in _SCHOOL_KEYS.items()}
    assert rotate(server.central)["school_keys"] == 2
    _SCHOOL_KEYS.clear()
    with server.session() as s:
        assert all(k.startswith("k2:") for k in s.scalars(select(models.SchoolKey.secret)))
        assert school_key(s, server.central.data_keys, "4114030012") == before["4114030012"]
