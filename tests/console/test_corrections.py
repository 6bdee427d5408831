"""An approved correction reaches the terminal: the console (real HTTP, loopback uvicorn) approves it, the kiosk's sync
worker (a real store on disk, signed requests) pulls and applies it once, the session's reprint prints the new
version, and central verifies the reprinted paper from its rasterised QR."""
from __future__ import annotations

import subprocess
import uuid
from urllib.parse import quote

import cv2
import httpx
import pytest
from consoleutil import Kiosk
from sqlalchemy import select

from central.console.models import CorrectionRequest
from central.models import Record as HeldRecord
from central.models import RecordVersion, TerminalAudit
from drivers.printer import FilePrinter
from kiosk.corrections import apply_correction
from kiosk.eligibility import Terminal
from kiosk.policy import get_policy
from kiosk.record import RecordState, example_card
from kiosk.session import RegistrationSession, Step
from kiosk.wire import API, Correction

PHONE, ADDRESS = "13912345678", "河南省商丘市睢阳区新址路6号"


@pytest.fixture
def kiosk(console, tmp_path):
    made = Kiosk(console, tmp_path / "kiosk")
    yield made
    made.close()


def correct(client, record, **changes) -> int:
    """The school asks, the county approves (the console's pages); returns the correction's id."""
    asked = client("school1").post(f"/records/{record.record_id}/correction", {"reason": "电话和住址填错", **changes})
    assert "更正申请已提交" in asked.text
    county = client("county")
    page = county.get("/corrections").text
    correction_id = int(page.split("/corrections/")[1].split("/decide")[0])
    assert county.post(f"/corrections/{correction_id}/decide", {"decision": "approve"}).status_code == 303
    return correction_id


def test_approved_correction_reaches_the_terminal_and_the_reprint(console, client, kiosk, tmp_path):
    record = kiosk.signed_record()
    rid = str(record.record_id)
    correction_id = correct(client, record, contact_phone=PHONE, home_address=ADDRESS)
    with console.central.sessions() as s:  # central holds the corrected version, still signed
        held = s.get(HeldRecord, rid)
        assert (held.version, held.state) == (2, "signed")
        corrected_hash = held.content_hash
    assert "待终端同步" in client("county").get("/corrections?status=approved").text

    assert kiosk.worker.pull_config()
    acks = kiosk.worker.apply_corrections()
    assert [(a.correction_id, a.outcome, a.version) for a in acks] == [(correction_id, "applied", 2)]
    local = kiosk.store.get(rid)
    assert (local.version, local.state, local.contact_phone, local.home_address) == (2, RecordState.SIGNED,
                                                                                     PHONE, ADDRESS)
    assert local.content_hash() == corrected_hash and local.locked
    entry = kiosk.store.audit_entries(rid)[-1]
    assert (entry.action, entry.actor, entry.version) == ("correct", "central", 2)
    assert entry.details["approver"] == "county" and entry.details["fields"] == ["contact_phone", "home_address"]
    assert PHONE not in str(entry.details) and kiosk.store.verify_audit_chain()
    assert "终端已更新" in client("county").get("/corrections?status=approved").text
    assert kiosk.worker.drain() == 1  # the corrected version confirmed: central already has it

    # a second sync applies nothing: central no longer sends the correction
    audit_before = len(kiosk.store.audit_entries(rid))
    assert kiosk.worker.pull_config() and kiosk.worker.config.last_good().corrections == []
    assert kiosk.worker.apply_corrections() == []
    assert len(kiosk.store.audit_entries(rid)) == audit_before

    # the candidate's card: the session offers the corrected form's reprint (no reopen, the record stays signed)
    session = RegistrationSession(policy=get_policy("henan-2024"),
                                  terminal=Terminal(kiosk.identity.terminal_id, "school", school_code="4114030012"),
                                  store=kiosk.store)
    assert session.card_read(example_card(), "grade9") is Step.PRINTED
    assert session.reprint() is Step.PRINT
    assert session.print_form(FilePrinter(tmp_path / "printed")) is Step.DONE
    assert session.record.state is RecordState.SIGNED and session.record.version == 2
    assert [e.action for e in kiosk.store.audit_entries(rid)][-2:] == ["correct", "reprint"]
    pdf = next((tmp_path / "printed").glob("*.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert PHONE in text and ADDRESS in text and "版本：2" in text
    payload = session.print_outcome.form.payload
    assert payload.version == 2 and payload.terminal_id == kiosk.identity.terminal_id
    session.reset()  # printed: a second card read is refused as signed, no second reprint offered
    assert session.card_read(example_card(), "grade9") is Step.REFUSED

    # the reprinted paper, read back from its pixels, verifies at central against the terminal's enrolled key
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    decoded, _, _ = cv2.QRCodeDetectorAruco().detectAndDecode(cv2.imread(str(tmp_path / "page.png")))
    assert decoded == payload.text()
    verdict = client("school1").get(f"/verify?qr={quote(decoded)}").text
    assert "纸质表与系统记录一致（第2版" in verdict and "签名：有效" in verdict
    old_paper = client("school1").get(f"/verify?qr={quote(_old_paper(kiosk, record))}").text
    assert "此纸质表作废" in old_paper

    assert kiosk.worker.drain() == 1  # the reprint (print count) reaches central: still version 2
    with console.central.sessions() as s:
        held = s.get(HeldRecord, rid)
        assert (held.version, held.state, held.content_hash) == (2, "signed", corrected_hash)


def _old_paper(kiosk, record) -> str:
    """The QR of the form printed before the correction (version 1), signed by the same terminal."""
    import datetime as dt

    from kiosk.form import make_payload, terminal_signer

    return make_payload(record, terminal_signer(kiosk.store), dt.datetime.now(dt.UTC),
                        terminal_id=kiosk.identity.terminal_id).text()


def test_pushes_cannot_overwrite_the_corrected_version(console, client, kiosk):
    record = kiosk.signed_record()
    correct(client, record, contact_phone=PHONE)
    stale = record.model_copy(update={"print_count": record.print_count + 3})  # v1 again, reprinted meanwhile
    assert kiosk.push(stale).outcome in ("updated", "already_have")
    forged = record.model_copy(update={"version": 2, "contact_phone": "13800000000"})  # its own v2
    assert kiosk.push(forged).outcome == "conflict"
    newer = record.model_copy(update={"version": 3})
    assert kiosk.push(newer).outcome == "conflict"  # signed: locked
    with console.central.sessions() as s:
        held = s.get(HeldRecord, str(record.record_id))
        version = s.get(RecordVersion, (str(record.record_id), 2))
        assert (held.version, held.content_hash) == (2, version.content_hash)
    kiosk.worker.pull_config()
    assert [a.outcome for a in kiosk.worker.apply_corrections()] == ["applied"]
    assert kiosk.store.get(record.record_id).contact_phone == PHONE


def test_crash_between_apply_and_acknowledgement(console, client, kiosk):
    """Applied, then the terminal died before telling central: after the restart it is acknowledged, not re-applied."""
    record = kiosk.signed_record()
    correct(client, record, contact_phone=PHONE)
    kiosk.worker.pull_config()
    pending = kiosk.worker.config.last_good().corrections
    assert apply_correction(kiosk.store, pending[0]).outcome == "applied"  # ... and no acknowledgement sent
    kiosk.close()
    kiosk.open()  # the restart
    assert [a.outcome for a in kiosk.worker.apply_corrections()] == ["applied"]
    assert [e.action for e in kiosk.store.audit_entries(record.record_id)].count("correct") == 1
    kiosk.worker.pull_config()
    assert kiosk.worker.config.last_good().corrections == []


def test_forged_or_foreign_corrections_are_refused(console, client, kiosk, tmp_path):
    record = kiosk.signed_record()
    correction_id = correct(client, record, contact_phone=PHONE)
    kiosk.worker.pull_config()
    real = kiosk.worker.config.last_good().corrections[0]

    def refused(**changes) -> str:
        ack = apply_correction(kiosk.store, Correction.model_validate({**real.model_dump(), **changes}))
        assert ack.outcome == "refused"
        return ack.code

    assert refused(record_id=uuid.uuid4()) == "not_held"  # another terminal's record, or an unknown one
    assert refused(from_version=3, version=4) == "version_moved"
    assert refused(changes={"contact_phone": "13800000000"}) == "content_differs"  # values other than central's
    assert refused(changes={"name": "李四"}) == "bad_fields"
    assert refused(changes={"contact_phone": "12345"}) == "bad_fields"
    assert kiosk.store.get(record.record_id).version == 1  # nothing half-applied

    # another terminal acknowledges this terminal's correction, or an unknown one: refused, audited, no 5xx
    other = Kiosk(console, tmp_path / "other")
    try:
        for ack in ({"correction_id": correction_id, "outcome": "applied", "version": 2},
                    {"correction_id": 987654, "outcome": "refused", "version": 0, "code": "not_held"}):
            response = other.client.post(f"{API}/corrections/ack", json={"acks": [ack]})
            assert response.status_code == 200
            assert response.json()["results"][0]["ok"] is False
            assert "not an approved correction of this terminal" in response.json()["results"][0]["reason"]
        for body in ({"acks": []}, {"acks": [{"correction_id": "x"}]}, {"acks": [{"correction_id": 1,
                     "outcome": "applied", "version": 2, "extra": 1}]}):
            assert other.client.post(f"{API}/corrections/ack", json=body).status_code == 422
        assert other.client.post(f"{API}/corrections/ack", content=b"{" * 70_000).status_code == 413
    finally:
        other.close()
    with console.central.sessions() as s:
        assert s.get(CorrectionRequest, correction_id).delivered_at is None
        assert s.scalar(select(TerminalAudit).where(TerminalAudit.code == "unknown_correction")) is not None
    kiosk.worker.pull_config()
    assert [c.correction_id for c in kiosk.worker.config.last_good().corrections] == [correction_id]

    # a correction the terminal cannot apply is reported back: the console says why
    with console.central.sessions() as s:
        assert s.get(CorrectionRequest, correction_id).delivery == ""
    kiosk.store.apply(record.record_id, "request_correction", "operator:7", reason="本地更正")  # moved on locally
    assert [a.code for a in kiosk.worker.apply_corrections()] == ["version_moved"]
    page = client("county").get("/corrections?status=approved").text
    assert "终端未能更新：终端上的记录已有其他新版本" in page


def test_ack_endpoint_needs_a_signed_request(console):
    response = httpx.post(f"{console.url}{API}/corrections/ack", json={"acks": [
        {"correction_id": 1, "outcome": "applied", "version": 2}]})
    assert response.status_code == 401


def _refused_version_moved(client, kiosk, record) -> int:
    """An approved correction the terminal refuses: its record moved on locally (a correction asked for there)."""
    correction_id = correct(client, record, contact_phone=PHONE)
    kiosk.store.apply(record.record_id, "request_correction", "operator:7", reason="本地更正")
    kiosk.worker.pull_config()
    assert [a.code for a in kiosk.worker.apply_corrections()] == ["version_moved"]
    kiosk.worker.pull_config()
    assert kiosk.worker.config.last_good().corrections == []  # refused: central stops sending it
    return correction_id


def test_a_refused_correction_is_resent_after_the_cause_is_fixed(console, client, kiosk):
    """#12 item 6: a refusal was final (never sent again, only logged): the authority re-sends it, audited, and the
    terminal's operator sees the refusal among the day's problems (ID tail only) until it is applied."""
    from central.console.models import AuditEntry as ConsoleAudit
    from kiosk.operator import OperatorDesk

    record = kiosk.signed_record()
    correction_id = _refused_version_moved(client, kiosk, record)
    desk = OperatorDesk(kiosk.store)
    problems = [p for p in desk.summary().problems if "更正未能应用" in p]
    assert problems == ["4114**********" + record.id_number[-4:] + "：中心下发的更正未能应用（本终端的记录已有其他新版本，"
                        "不能应用此更正），请联系上级教育行政部门重新下发或撤回"]
    assert record.name not in problems[0]
    assert "重新下发到终端" in client("county").get("/corrections?status=approved").text
    assert "重新下发到终端" not in client("school1").get("/corrections?status=approved").text
    # only a refused correction, only by the authority above the school
    assert client("school1").post(f"/corrections/{correction_id}/delivery", {"action": "resend"}).status_code == 400

    kiosk.store.apply(record.record_id, "reject_correction", "operator:7")  # the cause fixed: signed v1 again
    assert client("county").post(f"/corrections/{correction_id}/delivery",
                                 {"action": "resend", "comment": "终端已恢复"}).status_code == 303
    assert "重新下发" in client("county").post(f"/corrections/{correction_id}/delivery",
                                             {"action": "resend"}).text  # not refused any more: nothing to re-send
    assert "待终端同步" in client("county").get("/corrections?status=approved").text
    kiosk.worker.pull_config()
    assert [(a.outcome, a.version) for a in kiosk.worker.apply_corrections()] == [("applied", 2)]
    assert kiosk.store.get(record.record_id).contact_phone == PHONE
    assert "终端已更新" in client("county").get("/corrections?status=approved").text
    assert not [p for p in desk.summary().problems if "更正未能应用" in p]  # applied: no longer a problem
    with console.central.sessions() as s:
        actions = s.scalars(select(ConsoleAudit.action).where(ConsoleAudit.target == str(record.record_id))).all()
    assert "correction.resend" in actions


def test_a_refused_correction_is_withdrawn(console, client, kiosk):
    """Withdrawn: central's record back at the version the terminal holds, the corrected version gone, the page and
    the record say so, and the school may ask for a correction again (approved without a version clash)."""
    record = kiosk.signed_record()
    rid = str(record.record_id)
    with console.central.sessions() as s:
        original = s.get(HeldRecord, rid).content_hash
    correction_id = _refused_version_moved(client, kiosk, record)
    county = client("county")
    assert "上一次批准的更正尚未在终端更新" in client("school1").post(
        f"/records/{rid}/correction", {"reason": "再次更正", "contact_phone": "13712345678"}).text
    assert "撤回更正时请填写说明" in county.post(f"/corrections/{correction_id}/delivery", {"action": "withdraw"}).text
    assert county.post(f"/corrections/{correction_id}/delivery",
                       {"action": "withdraw", "comment": "终端记录另有更正"}).status_code == 303
    with console.central.sessions() as s:
        held = s.get(HeldRecord, rid)
        assert (held.version, held.state, held.content_hash) == (1, "signed", original)
        assert s.get(RecordVersion, (rid, 2)) is None
        assert s.get(CorrectionRequest, correction_id).status == "withdrawn"
    page = county.get("/corrections?status=withdrawn").text
    assert "撤回：终端记录另有更正" in page
    assert "已撤回" in client("school1").get(f"/records/{rid}").text
    assert county.post(f"/corrections/{correction_id}/delivery", {"action": "resend"}).status_code == 400
    kiosk.worker.pull_config()
    assert kiosk.worker.config.last_good().corrections == []

    kiosk.store.apply(record.record_id, "reject_correction", "operator:7")
    second = correct(client, record, contact_phone="13712345678")
    kiosk.worker.pull_config()
    assert [(a.correction_id, a.outcome) for a in kiosk.worker.apply_corrections()] == [(second, "applied")]
