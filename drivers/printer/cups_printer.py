"""A CUPS queue through pycups: list queues, submit a PDF, follow the job with our own deadline.

One short-lived connection per call (a Unix socket or localhost), so a cupsd restart between calls is harmless and
the object can be shared between threads. CUPS itself never gives up on an unreachable printer: `wait` does.
"""
from __future__ import annotations

import logging
import os
import tempfile
import time

import cups

from kiosk.devices.printer import JobState, PrinterStatus, PrintJob

from .reasons import (NO_SUCH_QUEUE, NOT_ACCEPTING, SERVICE_DOWN, clean_reasons, describe_job, describe_printer,
                      refused, unreachable)

log = logging.getLogger(__name__)

PRINTER_STATES = {3: "idle", 4: "processing", 5: "stopped"}
JOB_STATES = {3: JobState.PENDING, 4: JobState.HELD, 5: JobState.PROCESSING, 6: JobState.STOPPED,
              7: JobState.CANCELED, 8: JobState.ABORTED, 9: JobState.COMPLETED}
PRINTER_ATTRIBUTES = ["printer-state", "printer-state-reasons", "printer-is-accepting-jobs", "printer-name"]
JOB_ATTRIBUTES = ["job-id", "job-state", "job-state-reasons", "job-printer-state-message"]
IPP_NOT_FOUND = 1030
IPP_NOT_ACCEPTING = 1286


class CupsUnavailable(Exception):
    pass


def connect(server: str | None) -> cups.Connection:
    try:
        return cups.Connection(host=server) if server else cups.Connection()
    except RuntimeError as exc:  # pycups: "failed to connect to server"
        raise CupsUnavailable(str(exc)) from None


def list_queues(server: str | None = None) -> list[PrinterStatus]:
    """Every queue the CUPS server knows, translated; [] when the server is not running."""
    try:
        printers = connect(server).getPrinters()
    except CupsUnavailable:
        return []
    return [_translate(name, attrs) for name, attrs in sorted(printers.items())]


def _translate(name: str, attrs: dict) -> PrinterStatus:
    return describe_printer(name, PRINTER_STATES.get(attrs.get("printer-state"), "stopped"),
                            attrs.get("printer-state-reasons", ()), bool(attrs.get("printer-is-accepting-jobs", True)))


class CupsPrinter:
    def __init__(self, name: str | None = None, *, server: str | None = None, poll_interval: float = 0.1,
                 fault_grace: float = 10.0):
        """fault_grace: how long a job may sit on a printer reporting a fault (offline, out of paper while
        processing) before we give up on it; a quick fix by the operator within that time still prints."""
        self.server = server or os.environ.get("CUPS_SERVER") or None
        self.poll_interval = poll_interval
        self.fault_grace = fault_grace
        if name is None:
            try:
                name = connect(self.server).getDefault()
            except CupsUnavailable:
                name = None
        self.name = name or ""

    def status(self) -> PrinterStatus:
        try:
            attrs = connect(self.server).getPrinterAttributes(self.name, requested_attributes=PRINTER_ATTRIBUTES)
        except CupsUnavailable:
            return unreachable(self.name, SERVICE_DOWN, "cups-unavailable")
        except cups.IPPError:
            return unreachable(self.name, NO_SUCH_QUEUE, "queue-not-found")
        return _translate(self.name, attrs)

    def resume(self) -> PrinterStatus:
        """The operator's "fixed it" button: enable the queue and accept jobs again."""
        conn = connect(self.server)
        conn.enablePrinter(self.name)
        conn.acceptJobs(self.name)
        return self.status()

    def submit(self, pdf: bytes, title: str, options: dict | None = None) -> PrintJob:
        before = self.status()
        if before.state == "unreachable":
            return refused(before, {"error": before.reasons[0]})
        with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
            f.write(pdf)
            f.flush()
            try:
                job_id = connect(self.server).printFile(self.name, f.name, title, dict(options or {}))
            except CupsUnavailable:
                return refused(unreachable(self.name, SERVICE_DOWN, "cups-unavailable"))
            except cups.IPPError as exc:
                status, message = exc.args[0], exc.args[1] if len(exc.args) > 1 else ""
                log.warning("print job refused", extra={"fields": {"printer": self.name, "ipp_status": status}})
                printer = self.status()
                if printer.ready:  # refused although it looks fine: say "not accepting", the likely cause
                    printer = PrinterStatus(self.name, False, printer.state, printer.reasons, NOT_ACCEPTING.student,
                                            NOT_ACCEPTING.operator, NOT_ACCEPTING.retry)
                return refused(printer, {"ipp_status": status, "error": str(message)})
        log.info("print job submitted", extra={"fields": {"printer": self.name, "job_id": job_id}})
        return PrintJob(self.name, job_id, JobState.PENDING)

    def job(self, job_id: int) -> tuple[JobState, tuple[str, ...]]:
        attrs = connect(self.server).getJobAttributes(job_id, requested_attributes=JOB_ATTRIBUTES)
        return JOB_STATES.get(attrs.get("job-state"), JobState.PENDING), clean_reasons(attrs.get("job-state-reasons"))

    def cancel(self, job_id: int) -> None:
        try:
            connect(self.server).cancelJob(job_id)
        except (cups.IPPError, CupsUnavailable):
            pass  # already ended, or the server is gone (then it prints nothing either)

    def wait(self, job: PrintJob, timeout: float) -> PrintJob:
        if job.job_id == 0:  # refused at submit
            return job
        started = time.monotonic()
        deadline = started + timeout
        faulted_since: float | None = None
        while True:
            try:
                state, reasons = self.job(job.job_id)
            except CupsUnavailable:
                state, reasons = JobState.PENDING, ("cups-unavailable",)
            except cups.IPPError:  # the job vanished (purged history, another spool): it cannot be followed
                state, reasons = JobState.ABORTED, ("job-not-found",)
            printer = self.status()
            now = time.monotonic()
            faulted_since = (faulted_since or now) if not printer.ready else None
            late = now >= deadline or (faulted_since is not None and now - faulted_since >= self.fault_grace)
            outcome = self._outcome(state, printer, late)
            if outcome is not None:
                if not outcome.final:
                    self.cancel(job.job_id)  # it must not print later, unnoticed, when someone fixes the printer
                result = describe_job(printer, job.job_id, outcome, reasons,
                                      {"cups_state": state.value, "waited_s": round(time.monotonic() - started, 2)})
                log.info("print job ended", extra={"fields": {"printer": self.name, "job_id": job.job_id,
                                                              "state": result.state.value,
                                                              "reasons": list(result.reasons)}})
                return result
            time.sleep(self.poll_interval)

    @staticmethod
    def _outcome(state: JobState, printer: PrinterStatus, late: bool) -> JobState | None:
        """The state to report now, or None to keep waiting."""
        if state.final or state is JobState.HELD:
            return state
        if printer.state in ("stopped", "unreachable"):
            return JobState.STOPPED  # CUPS keeps the job queued on a stopped printer: nobody is coming
        if late:
            return JobState.TIMED_OUT
        return None
