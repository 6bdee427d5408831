"""The CUPS driver against a real private cupsd: jobs printed for real, each printer fault produced for real."""
import re
import time

import cups
import pytest

from drivers.printer.cups_printer import CupsPrinter, list_queues
from kiosk.devices.printer import JobState, Printer, Retry
from kiosk.form import render_form

TIMEOUT = 20.0  # generous: only a hung printer reaches it, and that test sets its own


@pytest.fixture(scope="module")
def form_pdf(cupsd):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.form import Ed25519Signer
    from kiosk.record import example_record

    return render_form(example_record(), Ed25519Signer(Ed25519PrivateKey.generate())).pdf


def printer_for(cupsd, fault=None, **kw) -> tuple[CupsPrinter, object]:
    queue = cupsd.add_queue(fault, **kw)
    return CupsPrinter(queue.name, server=cupsd.socket, poll_interval=0.05, fault_grace=1.0), queue


def assert_canceled_soon(cupsd, job_id):
    """Cancel is asynchronous in cupsd (the backend is killed first); poll until it shows."""
    for _ in range(200):
        if cupsd.connection().getJobAttributes(job_id)["job-state"] == cups.IPP_JOB_CANCELED:
            return
        time.sleep(0.05)
    assert cupsd.connection().getJobAttributes(job_id)["job-state"] == cups.IPP_JOB_CANCELED


def test_queue_listed_and_ready(cupsd):
    printer, queue = printer_for(cupsd)
    assert isinstance(printer, Printer)
    names = {q.name: q for q in list_queues(cupsd.socket)}
    assert names[queue.name].ready and names[queue.name].student_message == ""
    assert printer.status().ready


def test_job_printed_for_real(cupsd, form_pdf, pdf_tool, record):
    printer, queue = printer_for(cupsd)
    job = printer.wait(printer.submit(form_pdf, "form-test"), TIMEOUT)
    assert job.ok and job.state is JobState.COMPLETED and job.retry is Retry.NONE
    assert job.student_message == "" and job.operator_alert == ""
    text = pdf_tool("pdftotext", queue.output)
    assert record.name in text and record.id_number in text
    assert re.search(r"^Pages:\s+1$", pdf_tool("pdfinfo", queue.output), re.M)


@pytest.mark.parametrize("fault, student, operator", [
    ("media-empty", "缺纸", "加入A4纸"),
    ("media-jam", "卡纸", "清除卡纸"),
    ("door-open", "舱门", "关好舱门"),
])
def test_backend_faults_stop_the_printer(cupsd, form_pdf, fault, student, operator):
    printer, queue = printer_for(cupsd, fault)
    job = printer.wait(printer.submit(form_pdf, "form-test"), TIMEOUT)
    assert job.state is JobState.STOPPED and not job.ok
    assert any(r.startswith(fault) for r in job.reasons)
    assert student in job.student_message and "工作人员" in job.student_message
    assert operator in job.operator_alert
    assert job.retry is Retry.AFTER_FIX
    assert not queue.output.exists()
    # the stuck job was canceled: it will not print by surprise once someone fixes the printer
    assert_canceled_soon(cupsd, job.job_id)


def test_offline_printer_gives_up_after_grace(cupsd, form_pdf):
    """Like the usb backend: it reports offline-report and keeps retrying; the job would wait forever."""
    printer, queue = printer_for(cupsd, "offline")
    job = printer.wait(printer.submit(form_pdf, "form-test"), TIMEOUT)
    assert job.state is JobState.TIMED_OUT and "offline-report" in job.reasons
    assert "未连接" in job.student_message and "离线" in job.operator_alert and job.retry is Retry.AFTER_FIX
    assert_canceled_soon(cupsd, job.job_id)


def test_paused_printer(cupsd, form_pdf):
    printer, queue = printer_for(cupsd)
    cupsd.connection().disablePrinter(queue.name, reason="maintenance")
    status = printer.status()
    assert not status.ready and "paused" in status.reasons and "暂停" in status.student_message
    job = printer.wait(printer.submit(form_pdf, "form-test"), TIMEOUT)
    assert job.state is JobState.STOPPED and "已暂停" in job.student_message and job.retry is Retry.AFTER_FIX
    # the operator's fix: resume, then the reprint goes through
    assert printer.resume().ready
    assert printer.wait(printer.submit(form_pdf, "form-test"), TIMEOUT).ok


def test_toner_low_prints_and_alerts_operator(cupsd, form_pdf):
    printer, queue = printer_for(cupsd, "toner-low")
    job = printer.wait(printer.submit(form_pdf, "form-test"), TIMEOUT)
    assert job.ok and queue.output.exists()
    assert job.student_message == "" and "碳粉不足" in job.operator_alert


def test_held_job(cupsd, form_pdf):
    printer, _ = printer_for(cupsd)
    job = printer.wait(printer.submit(form_pdf, "form-test", {"job-hold-until": "indefinite"}), TIMEOUT)
    assert job.state is JobState.HELD and "挂起" in job.student_message and job.retry is Retry.NOW


def test_aborted_job(cupsd, form_pdf):
    printer, _ = printer_for(cupsd, "fail", error_policy="abort-job")
    job = printer.wait(printer.submit(form_pdf, "form-test"), TIMEOUT)
    assert job.state is JobState.ABORTED and "重新打印" in job.student_message and "中止" in job.operator_alert
    assert job.retry is Retry.NOW


def test_canceled_job(cupsd, form_pdf):
    printer, _ = printer_for(cupsd, "cancel")
    job = printer.wait(printer.submit(form_pdf, "form-test"), TIMEOUT)
    assert job.state is JobState.CANCELED and "已取消" in job.student_message and job.retry is Retry.NOW


def test_canceled_by_operator(cupsd, form_pdf):
    printer, queue = printer_for(cupsd)
    conn = cupsd.connection()
    job = printer.submit(form_pdf, "form-test", {"job-hold-until": "indefinite"})
    conn.cancelJob(job.job_id)
    assert printer.wait(job, TIMEOUT).state is JobState.CANCELED


def test_hung_printer_times_out_and_job_is_canceled(cupsd, form_pdf):
    printer, queue = printer_for(cupsd, "hang")
    job = printer.wait(printer.submit(form_pdf, "form-test"), timeout=1.5)
    assert job.state is JobState.TIMED_OUT and "无响应" in job.student_message and "超时" in job.operator_alert
    assert job.retry is Retry.AFTER_FIX
    assert_canceled_soon(cupsd, job.job_id)


def test_rejecting_queue_refuses_at_submit(cupsd, form_pdf):
    printer, queue = printer_for(cupsd)
    cupsd.connection().rejectJobs(queue.name)
    job = printer.submit(form_pdf, "form-test")
    assert job.job_id == 0 and job.state is JobState.ABORTED and "不接受" in job.student_message
    assert printer.wait(job, TIMEOUT) == job


def test_missing_queue_and_dead_server(cupsd, form_pdf):
    missing = CupsPrinter("no-such-queue", server=cupsd.socket)
    assert "未找到打印机" in missing.status().student_message
    assert missing.submit(form_pdf, "t").job_id == 0
    dead = CupsPrinter("x", server=str(cupsd.root / "run" / "nothing.sock"))
    status = dead.status()
    assert not status.ready and "打印服务未启动" in status.student_message and "CUPS" in status.operator_alert
    assert dead.submit(form_pdf, "t").state is JobState.ABORTED
    assert list_queues(str(cupsd.root / "run" / "nothing.sock")) == []
