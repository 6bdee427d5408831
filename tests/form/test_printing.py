"""The print service: render the stored record, print through the Printer protocol, transition and audit."""
import pytest

from drivers.printer import FilePrinter
from drivers.printer.cups_printer import CupsPrinter
from kiosk.devices.printer import JobState, Printer, Retry
from kiosk.errors import KioskError
from kiosk.form import PrintService, parse_payload, terminal_signer, verify
from kiosk.record import RecordState


def service(store, printer, timeout=20.0) -> PrintService:
    return PrintService(store, printer, terminal_signer(store), timeout=timeout)


def test_print_and_reprint_through_cups(cupsd, store, submitted, pdf_tool):
    queue = cupsd.add_queue()
    printer = CupsPrinter(queue.name, server=cupsd.socket, poll_interval=0.05)
    first = service(store, printer).print_record(submitted.record_id)
    assert first.ok and first.record.state is RecordState.PRINTED and first.record.print_count == 1
    text = pdf_tool("pdftotext", queue.output)
    assert submitted.name in text and submitted.id_number in text and "第1次打印" in text
    assert len(pdf_tool("pdfimages", queue.output, "-list").splitlines()) == 3  # header lines + the photo
    second = service(store, printer).print_record(submitted.record_id)
    assert second.ok and store.get(submitted.record_id).print_count == 2
    assert "第2次打印" in pdf_tool("pdftotext", queue.output)
    prints = [e for e in store.audit_entries(submitted.record_id) if e.action == "print"]
    assert [e.details["print_count"] for e in prints] == [1, 2]
    assert prints[0].details["printer"] == queue.name and prints[0].details["job_state"] == "completed"
    assert verify(second.form.payload.text(), store).ok
    assert store.verify_audit_chain()


def test_failed_print_is_audited_and_changes_nothing(cupsd, store, submitted):
    queue = cupsd.add_queue("media-empty")
    printer = CupsPrinter(queue.name, server=cupsd.socket, poll_interval=0.05)
    outcome = service(store, printer).print_record(submitted.record_id)
    assert not outcome.ok and outcome.job.state is JobState.STOPPED and "缺纸" in outcome.job.student_message
    assert outcome.job.retry is Retry.AFTER_FIX
    after = store.get(submitted.record_id)
    assert after.state is RecordState.SUBMITTED and after.print_count == 0
    failed = [e for e in store.audit_entries(submitted.record_id) if e.action == "print_failed"]
    assert len(failed) == 1 and failed[0].details["retry"] == "after_fix"
    assert "media-empty-error" in failed[0].details["reasons"]
    assert failed[0].from_state == failed[0].to_state == "submitted"
    # the operator fixes the paper and switches the queue to a working device: the retry prints and counts
    conn = cupsd.connection()
    conn.setPrinterDevice(queue.name, f"kiosktest:{queue.output}")
    printer.resume()
    retry = service(store, printer).print_record(submitted.record_id)
    assert retry.ok and store.get(submitted.record_id).print_count == 1
    assert retry.job.operator_alert == ""  # a working backend clears the reasons it set, as real ones do


def test_refused_submit_is_audited(cupsd, store, submitted):
    queue = cupsd.add_queue()
    cupsd.connection().rejectJobs(queue.name)
    outcome = service(store, CupsPrinter(queue.name, server=cupsd.socket)).print_record(submitted.record_id)
    assert not outcome.ok and outcome.job.job_id == 0
    assert [e.action for e in store.audit_entries(submitted.record_id)][-1] == "print_failed"


def test_file_printer(tmp_path, store, submitted):
    printer = FilePrinter(tmp_path / "printed")
    assert isinstance(printer, Printer) and printer.status().ready
    outcome = service(store, printer).print_record(submitted.record_id)
    assert outcome.ok and (tmp_path / "printed").glob("*.pdf")
    path = outcome.job.details["path"]
    assert open(path, "rb").read() == outcome.form.pdf
    assert parse_payload(outcome.form.payload.text()).record_id == submitted.record_id


def test_file_printer_write_failure(tmp_path, store, submitted):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    outcome = service(store, FilePrinter(blocker / "sub")).print_record(submitted.record_id)
    assert not outcome.ok and "打印失败" in outcome.job.student_message
    assert store.audit_entries(submitted.record_id)[-1].action == "print_failed"


def test_drafts_and_signed_records_are_not_printed(tmp_path, store, submitted):
    printer = FilePrinter(tmp_path / "printed")
    store.apply(submitted.record_id, "revise", "student")
    with pytest.raises(KioskError) as caught:
        service(store, printer).print_record(submitted.record_id)
    assert "不能执行此操作" in caught.value.message
    assert not list((tmp_path / "printed").glob("*.pdf")) if (tmp_path / "printed").exists() else True


def test_render_failure_is_audited(tmp_path, store, submitted):
    store.apply(submitted.record_id, "revise", "student")
    record = store.get(submitted.record_id)
    store.save(record.model_copy(update={"home_address": "河" * 10_000}))
    store.apply(submitted.record_id, "submit", "student")
    with pytest.raises(KioskError):
        service(store, FilePrinter(tmp_path / "printed")).print_record(submitted.record_id)
    assert store.audit_entries(submitted.record_id)[-1].action == "print_failed"


def test_signed_record_is_reprinted_only_after_a_correction(tmp_path, store, submitted):
    """A signed record's form is not printed again, except once for the version an approved correction made."""
    printer = FilePrinter(tmp_path / "printed")
    for action in ("print", "sign"):
        store.apply(submitted.record_id, action, "operator:1")
    with pytest.raises(KioskError) as caught:
        service(store, printer).print_record(submitted.record_id)
    assert "不能执行此操作" in caught.value.message
    store.apply(submitted.record_id, "correct", "central", approver="county", changes={"contact_phone": "13912345678"})
    outcome = service(store, printer).print_record(submitted.record_id, "operator:1")
    assert outcome.ok and outcome.record.state is RecordState.SIGNED and outcome.record.version == 2
    assert outcome.form.payload.version == 2 and outcome.form.payload.signature_valid(terminal_signer(store))
    with pytest.raises(KioskError):
        service(store, printer).print_record(submitted.record_id)  # reprinted once: signed again
