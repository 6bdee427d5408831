"""What the core needs from a printer: submit a PDF, follow the job to its end, say what went wrong.

drivers/printer implements it over CUPS (pycups) and as a file printer for machines without CUPS. The driver
translates printer and job states into the plain data below, with the Chinese message for the student and the
alert for the operator already filled in, so the core and the UI only show them.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


class JobState(str, enum.Enum):
    PENDING = "pending"
    HELD = "held"
    PROCESSING = "processing"
    STOPPED = "stopped"  # the printer stopped with the job still queued (out of paper, jam, paused...)
    CANCELED = "canceled"
    ABORTED = "aborted"
    COMPLETED = "completed"
    TIMED_OUT = "timed_out"  # our own deadline passed (CUPS retries a dead printer forever)

    @property
    def final(self) -> bool:
        return self in (JobState.CANCELED, JobState.ABORTED, JobState.COMPLETED)


class Retry(str, enum.Enum):
    """What may happen next after an attempt."""

    NONE = "none"  # printed: a reprint is still allowed and counted
    NOW = "now"  # transient: the student may press 重新打印 at once
    AFTER_FIX = "after_fix"  # an operator must fix the printer (paper, jam, door, power) and resume it first


@dataclass(frozen=True)
class PrinterStatus:
    name: str
    ready: bool  # accepting jobs and not stopped; warnings (toner low) do not make it unready
    state: str  # "idle", "processing", "stopped"
    reasons: tuple[str, ...] = ()  # IPP printer-state-reasons as reported, "none" removed
    student_message: str = ""  # Chinese, short, says what to do next ("" when all is well)
    operator_alert: str = ""  # Chinese, for the operator console ("" when nothing to do)
    retry: Retry = Retry.NONE


@dataclass(frozen=True)
class PrintJob:
    printer: str
    job_id: int
    state: JobState
    reasons: tuple[str, ...] = ()  # job-state-reasons plus the printer's reasons that explain the state
    student_message: str = ""
    operator_alert: str = ""
    retry: Retry = Retry.NONE
    details: dict = field(default_factory=dict)  # driver facts for the audit log (never personal data)

    @property
    def ok(self) -> bool:
        return self.state is JobState.COMPLETED


@runtime_checkable
class Printer(Protocol):
    name: str

    def status(self) -> PrinterStatus:
        """The printer's current state, translated."""

    def submit(self, pdf: bytes, title: str) -> PrintJob:
        """Queues one PDF. A refused job (service down, queue missing or not accepting) comes back as job_id 0,
        state ABORTED, with its messages filled in: printer trouble is data, never an exception."""

    def wait(self, job: PrintJob, timeout: float) -> PrintJob:
        """Follows the job until it ends, the printer stops, or `timeout` seconds pass; a job that cannot finish
        is canceled so it never prints later unexpectedly. Returns the final, translated state."""
