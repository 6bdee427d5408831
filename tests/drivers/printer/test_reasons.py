"""IPP states and reasons -> messages, table-style (the CUPS tests produce the same states for real)."""
import pytest

from drivers.printer.reasons import base_reason, describe_job, describe_printer
from kiosk.devices.printer import JobState, Retry


@pytest.mark.parametrize("state, reasons, ready, student, retry", [
    ("idle", ["none"], True, "", Retry.NONE),
    ("idle", ["toner-low-report"], True, "", Retry.NONE),
    ("processing", ["media-empty-error"], False, "缺纸", Retry.AFTER_FIX),
    ("stopped", ["media-empty-error", "paused"], False, "缺纸", Retry.AFTER_FIX),  # the cause, not the symptom
    ("stopped", ["paused", "media-jam-warning"], False, "卡纸", Retry.AFTER_FIX),
    ("stopped", ["cover-open-report"], False, "舱门", Retry.AFTER_FIX),
    ("processing", ["offline-report"], False, "未连接", Retry.AFTER_FIX),
    ("stopped", ["paused"], False, "已暂停", Retry.AFTER_FIX),
    ("stopped", [], False, "暂停工作", Retry.AFTER_FIX),
    ("stopped", ["some-vendor-thing-error"], False, "暂停工作", Retry.AFTER_FIX),
    ("idle", ["toner-empty-error"], False, "碳粉用尽", Retry.AFTER_FIX),
])
def test_printer_reasons(state, reasons, ready, student, retry):
    status = describe_printer("q", state, reasons)
    assert status.ready is ready and status.retry is retry
    assert (student in status.student_message) if student else status.student_message == ""
    if not ready:
        assert "工作人员" in status.student_message and status.operator_alert


def test_warnings_ride_along_with_the_main_alert():
    status = describe_printer("q", "stopped", ["media-jam-error", "toner-low-report", "media-low-report"])
    assert "卡纸" in status.operator_alert and "碳粉不足" in status.operator_alert and "纸张不多" in status.operator_alert
    assert "碳粉" not in status.student_message


def test_not_accepting():
    status = describe_printer("q", "idle", [], accepting=False)
    assert not status.ready and "不接受" in status.student_message


@pytest.mark.parametrize("state, student, retry", [
    (JobState.HELD, "挂起", Retry.NOW),
    (JobState.ABORTED, "打印失败", Retry.NOW),
    (JobState.CANCELED, "已取消", Retry.NOW),
    (JobState.TIMED_OUT, "无响应", Retry.AFTER_FIX),
])
def test_job_states_on_a_ready_printer(state, student, retry):
    job = describe_job(describe_printer("q", "idle", []), 7, state, ["job-canceled-by-user"])
    assert student in job.student_message and job.retry is retry and job.operator_alert and not job.ok


def test_stuck_job_explained_by_the_printer():
    printer = describe_printer("q", "stopped", ["media-empty-error", "paused"])
    job = describe_job(printer, 7, JobState.STOPPED, [])
    assert "缺纸" in job.student_message and job.reasons == ("media-empty-error", "paused")


def test_completed_job_carries_operator_warnings_only():
    job = describe_job(describe_printer("q", "idle", ["toner-low-report"]), 7, JobState.COMPLETED)
    assert job.ok and job.student_message == "" and "碳粉不足" in job.operator_alert and job.retry is Retry.NONE


@pytest.mark.parametrize("raw, base", [("media-empty-error", "media-empty"), ("toner-low-report", "toner-low"),
                                       ("media-jam-warning", "media-jam"), ("paused", "paused")])
def test_base_reason(raw, base):
    assert base_reason(raw) == base
