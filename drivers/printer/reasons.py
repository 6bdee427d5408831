"""IPP printer and job states and reasons -> the student's message, the operator's alert and the retry path.

Pure functions over IPP keywords (RFC 8011, PWG 5100.9), so they are tested table-style and shared by every
printer driver. A reason keyword may carry a severity suffix (-error, -warning, -report); it is ignored here.
"""
from __future__ import annotations

from dataclasses import dataclass

from kiosk.devices.printer import JobState, PrinterStatus, PrintJob, Retry

SEVERITY_SUFFIXES = ("-error", "-warning", "-report")
ASK_STAFF = "请联系现场工作人员处理后重新打印"


@dataclass(frozen=True)
class Fault:
    student: str
    operator: str
    retry: Retry
    blocking: bool = True  # False: a warning, the job still prints


# Base keyword -> fault. Order of FAULTS is the order of importance when several reasons are present.
FAULTS: dict[str, Fault] = {
    "media-jam": Fault(f"打印机卡纸，{ASK_STAFF}", "打印机卡纸：请清除卡纸后恢复打印机", Retry.AFTER_FIX),
    "media-empty": Fault(f"打印机缺纸，{ASK_STAFF}", "打印机缺纸：请加入A4纸后恢复打印机", Retry.AFTER_FIX),
    "media-needed": Fault(f"打印机缺纸，{ASK_STAFF}", "打印机缺纸：请加入A4纸后恢复打印机", Retry.AFTER_FIX),
    "door-open": Fault(f"打印机舱门未关好，{ASK_STAFF}", "打印机舱门打开：请关好舱门后恢复打印机", Retry.AFTER_FIX),
    "cover-open": Fault(f"打印机舱门未关好，{ASK_STAFF}", "打印机盖板打开：请关好盖板后恢复打印机", Retry.AFTER_FIX),
    "toner-empty": Fault(f"打印机碳粉用尽，{ASK_STAFF}", "碳粉用尽：请更换硒鼓/墨粉后恢复打印机", Retry.AFTER_FIX),
    "marker-supply-empty": Fault(f"打印机碳粉用尽，{ASK_STAFF}", "耗材用尽：请更换后恢复打印机", Retry.AFTER_FIX),
    "offline": Fault(f"打印机未连接，{ASK_STAFF}", "打印机离线：请检查电源和数据线后恢复打印机", Retry.AFTER_FIX),
    "connecting-to-device": Fault(f"打印机未连接，{ASK_STAFF}", "无法连接打印机：请检查电源和数据线",
                                  Retry.AFTER_FIX),
    "shutdown": Fault(f"打印机未开机，{ASK_STAFF}", "打印机已关机：请开机后恢复打印机", Retry.AFTER_FIX),
    "paused": Fault(f"打印机已暂停，{ASK_STAFF}", "打印队列已暂停：检查打印机后执行恢复（cupsenable）",
                    Retry.AFTER_FIX),
    "toner-low": Fault("", "碳粉不足：请尽快更换硒鼓/墨粉", Retry.NONE, blocking=False),
    "marker-supply-low": Fault("", "耗材不足：请尽快更换", Retry.NONE, blocking=False),
    "media-low": Fault("", "纸张不多：请及时加纸", Retry.NONE, blocking=False),
}
STOPPED_UNKNOWN = Fault(f"打印机暂停工作，{ASK_STAFF}", "打印机已停止：请查看打印机面板和CUPS错误日志后恢复",
                        Retry.AFTER_FIX)
NOT_ACCEPTING = Fault(f"打印机暂不接受打印任务，{ASK_STAFF}", "打印队列拒绝任务：请执行 cupsaccept 后重试",
                      Retry.AFTER_FIX)
JOB_FAULTS: dict[JobState, Fault] = {
    JobState.HELD: Fault("打印任务被挂起，请点击“重新打印”；如仍失败请联系工作人员",
                         "打印任务被挂起：检查队列的挂起设置（job-hold-until）", Retry.NOW),
    JobState.ABORTED: Fault("打印失败，请点击“重新打印”；如仍失败请联系工作人员",
                            "打印任务被中止：请查看CUPS错误日志", Retry.NOW),
    JobState.CANCELED: Fault("打印已取消，请点击“重新打印”", "打印任务被取消", Retry.NOW),
    JobState.TIMED_OUT: Fault(f"打印机长时间无响应，{ASK_STAFF}",
                              "打印任务超时未完成，已取消：请检查打印机电源、连接和队列", Retry.AFTER_FIX),
}


def base_reason(reason: str) -> str:
    for suffix in SEVERITY_SUFFIXES:
        if reason.endswith(suffix):
            return reason[: -len(suffix)]
    return reason


def clean_reasons(reasons) -> tuple[str, ...]:
    if isinstance(reasons, str):
        reasons = [reasons]
    return tuple(r for r in (reasons or ()) if r and r != "none")


def _faults(reasons: tuple[str, ...]) -> list[Fault]:
    present = {base_reason(r) for r in reasons}
    return [fault for key, fault in FAULTS.items() if key in present]


def describe_printer(name: str, state: str, reasons, accepting: bool = True) -> PrinterStatus:
    """state is "idle", "processing" or "stopped"; reasons the printer-state-reasons keywords."""
    reasons = clean_reasons(reasons)
    faults = _faults(reasons)
    blocking = [f for f in faults if f.blocking]
    warnings = [f.operator for f in faults if not f.blocking]
    if blocking:
        main = blocking[0]
    elif state == "stopped":
        main = STOPPED_UNKNOWN
    elif not accepting:
        main = NOT_ACCEPTING
    else:
        return PrinterStatus(name, True, state, reasons, "", "；".join(warnings), Retry.NONE)
    alert = "；".join([main.operator] + warnings)
    return PrinterStatus(name, False, state, reasons, main.student, alert, main.retry)


def describe_job(printer: PrinterStatus, job_id: int, state: JobState, job_reasons=(),
                 details: dict | None = None) -> PrintJob:
    """The job's outcome, explained by the job's own state or, when the job is stuck, by the printer's."""
    reasons = clean_reasons(job_reasons)
    details = dict(details or {})
    if state is JobState.COMPLETED:
        # a completed job can still leave the operator something to do (toner low)
        return PrintJob(printer.name, job_id, state, reasons + printer.reasons, "", printer.operator_alert,
                        Retry.NONE, details)
    if state in (JobState.PENDING, JobState.PROCESSING, JobState.STOPPED, JobState.TIMED_OUT) and not printer.ready:
        return PrintJob(printer.name, job_id, state, reasons + printer.reasons, printer.student_message,
                        printer.operator_alert, printer.retry, details)
    fault = JOB_FAULTS.get(state)
    if fault is None:  # still pending/processing on a ready printer: not an outcome yet
        return PrintJob(printer.name, job_id, state, reasons, "", "", Retry.NONE, details)
    alert = "；".join(a for a in (fault.operator, printer.operator_alert) if a)
    return PrintJob(printer.name, job_id, state, reasons + printer.reasons, fault.student, alert, fault.retry,
                    details)
SERVICE_DOWN = Fault(f"打印服务未启动，{ASK_STAFF}", "无法连接CUPS打印服务：请检查cups服务是否运行", Retry.AFTER_FIX)
NO_SUCH_QUEUE = Fault(f"未找到打印机，{ASK_STAFF}", "打印队列不存在：请检查终端配置中的打印机名称", Retry.AFTER_FIX)
WRITE_FAILED = Fault(f"打印失败，{ASK_STAFF}", "无法写出打印文件：请检查磁盘空间和目录权限", Retry.AFTER_FIX)


def unreachable(name: str, fault: Fault, reason: str) -> PrinterStatus:
    """A printer we cannot even ask (service down, queue missing)."""
    return PrinterStatus(name, False, "unreachable", (reason,), fault.student, fault.operator, fault.retry)


def refused(printer: PrinterStatus, details: dict | None = None) -> PrintJob:
    """A job the printer would not take: no job id, nothing queued."""
    return PrintJob(printer.name, 0, JobState.ABORTED, printer.reasons, printer.student_message,
                    printer.operator_alert, printer.retry, dict(details or {}))
