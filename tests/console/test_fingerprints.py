"""The password fingerprint follows the record the console keeps (#13 item 6 with #12 item 6): when an operator keeps
an incoming version or both registrations, or an authority approves or withdraws a correction, the console writes
the record itself, and password_fingerprints must say whose password counts at the next push and pull. Real ingest,
real console pages over HTTP, SQLite on disk."""
from __future__ import annotations

from consoleutil import Client, id_number
from sqlalchemy import select

from central import terminals
from central.keys import school_key
from central.models import PasswordFingerprint, Record, Terminal

SCHOOL = "4114030012"
HELD, INCOMING, OTHER = "a" * 64, "b" * 64, "c" * 64


def fingerprints(console) -> dict[str, str]:
    with console.central.sessions() as s:
        return dict(s.execute(select(PasswordFingerprint.record_id, PasswordFingerprint.fingerprint)).all())


def taken(console) -> set[str]:
    """What a school terminal pulls: the fingerprints that count."""
    with console.central.sessions() as s:
        terminal = s.get(Terminal, console.terminal())
        return {t.fingerprint for t in terminals.password_parts(s, terminal, console.central.data_keys)[1]}


def test_the_kept_version_brings_its_fingerprint(console, client):
    kept_fingerprints(console, client)


def test_the_kept_version_brings_its_fingerprint_on_postgresql(pg_console):
    made = []

    def client(username):
        made.append(Client(pg_console.url))
        assert made[-1].login(username).status_code == 303
        return made[-1]

    try:
        kept_fingerprints(pg_console, client)
    finally:
        for c in made:
            c.http.close()


def kept_fingerprints(console, client):
    console.central.write(lambda s: school_key(s, console.central.data_keys, SCHOOL, create=True))
    # content conflict, keep_incoming: the incoming version's password replaces the held one's
    draft, _ = console.push(state="submitted", password_fingerprint=HELD)
    _, content = console.push(state="submitted", record_id=draft.record_id, number=draft.id_number,
                              home_address="河南省商丘市梁园区", password_fingerprint=INCOMING)
    # another terminal pushed the same record id, keep_both: the copy kept as its own registration counts too
    number = id_number()
    held, _ = console.push(number=number, password_fingerprint=OTHER)
    _, other_terminal = console.push(record_id=held.record_id, number=number, terminal=console.terminal(tag="second"),
                                     password_fingerprint="d" * 64)
    assert fingerprints(console)[str(draft.record_id)] == HELD
    county = client("county")
    assert county.post(f"/conflicts/{content.conflict_id}/resolve",
                       {"decision": "keep_incoming", "reason": "以新内容为准"}).status_code == 303
    assert county.post(f"/conflicts/{other_terminal.conflict_id}/resolve",
                       {"decision": "keep_both", "reason": "两台终端各自采集"}).status_code == 303
    held_now = fingerprints(console)
    assert held_now[str(draft.record_id)] == INCOMING  # the rejected (replaced) version's no longer counts
    with console.central.sessions() as s:
        copy = s.scalar(select(Record.record_id).where(Record.record_id != str(held.record_id),
                                                       Record.id_number == console.central.data_keys.id_digest(number)))
    assert held_now[copy] == "d" * 64 and held_now[str(held.record_id)] == OTHER
    assert {INCOMING, OTHER, "d" * 64} <= taken(console) and HELD not in taken(console)

    # the correction approved and then withdrawn: the fingerprint stays that of the version kept
    signed, _ = console.push(password_fingerprint="e" * 64)
    school = client("school1")
    assert "更正申请已提交" in school.post(f"/records/{signed.record_id}/correction",
                                       {"reason": "电话填错", "contact_phone": "13912345678"}).text
    page = county.get("/corrections").text
    correction_id = int(page.split("/corrections/")[1].split("/decide")[0])
    assert county.post(f"/corrections/{correction_id}/decide", {"decision": "approve"}).status_code == 303
    assert fingerprints(console)[str(signed.record_id)] == "e" * 64

    # the terminal refuses it (its record purged there), the authority withdraws it: still the kept version's
    from central.console import corrections
    from kiosk.wire import CorrectionAck

    console.central.write(lambda s: corrections.acknowledge(s, console.terminal(), [CorrectionAck(
        correction_id=correction_id, outcome="refused", version=0, code="not_held")]))
    assert "终端上已没有该记录" in county.get("/corrections?status=approved").text
    assert county.post(f"/corrections/{correction_id}/delivery",
                       {"action": "withdraw", "comment": "终端已清理该记录"}).status_code == 303
    with console.central.sessions() as s:
        assert s.get(Record, str(signed.record_id)).version == 1
    assert fingerprints(console)[str(signed.record_id)] == "e" * 64 and "e" * 64 in taken(console)
