"""The print service: render the stored record's form, print it through the Printer protocol, follow the job, and
record the outcome. A completed job applies the "print" transition (reprints allowed and counted), or "reprint" for a
signed record whose corrected version awaits its form (kiosk.corrections); every attempt, also a failed one, is in
the audit log."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from kiosk.clock import Clock
from kiosk.devices.printer import Printer, PrintJob, Retry
from kiosk.errors import KioskError
from kiosk.policy import Policy
from kiosk.record import AuditEntry, Record

from .render import RenderedForm, render_form
from .signing import Signer

log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = 90.0  # seconds; a healthy printer finishes a page in well under half of this


@dataclass(frozen=True)
class PrintOutcome:
    job: PrintJob
    record: Record  # after the "print" transition when the job completed
    form: RenderedForm | None

    @property
    def ok(self) -> bool:
        return self.job.ok


def job_title(record: Record) -> str:
    """No personal data: CUPS keeps job titles in its logs and job lists."""
    return f"form-{record.record_id.hex[:12]}-v{record.version}"


def print_form(record: Record, printer: Printer, signer: Signer, *, photo: bytes | None = None,
               timeout: float = DEFAULT_TIMEOUT, printed_at: dt.datetime | None = None) -> tuple[PrintJob, RenderedForm]:
    """Renders and prints one form and waits for its end (no store involved: a record file from the CLI)."""
    form = render_form(record, signer, photo=photo, printed_at=printed_at)
    job = printer.submit(form.pdf, job_title(record))
    return printer.wait(job, timeout), form


class PrintService:
    """Prints stored records: the policy the terminal applies (pulled or shipped), the store's clock, every attempt
    audited. Used by the session (student prints and reprints) and by `kiosk form print` (operator)."""

    def __init__(self, store, printer: Printer, signer: Signer, *, policy: Policy | None = None,
                 clock: Clock | None = None, timeout: float = DEFAULT_TIMEOUT, terminal_id: str | None = None):
        self.store, self.printer, self.signer, self.timeout = store, printer, signer, timeout
        self.policy, self.terminal_id = policy, terminal_id
        self.clock = clock or store.clock

    def print_record(self, record_id, actor: str = "student") -> PrintOutcome:
        """Renders the stored record (refused early for drafts and signed records with the lifecycle's message, but
        for a corrected one), prints it, and applies the counted transition when the job completed."""
        from kiosk.corrections import awaiting_reprint

        action = "reprint" if awaiting_reprint(self.store, self.store.get(record_id)) else "print"
        record = self.store.check(record_id, action)
        photo = self.store.attachment_or_none(record_id, "photo")  # none: an empty frame; a broken seal raises
        policy = self.policy if self.policy is not None and self.policy.name == record.policy else None
        try:
            form = render_form(record, self.signer, photo=photo, policy=policy, printed_at=self.clock(),
                               terminal_id=self.terminal_id)
            job = self.printer.wait(self.printer.submit(form.pdf, job_title(record)), self.timeout)
        except KioskError as exc:
            self._audit_failure(record, actor, {"printer": self.printer.name, "error": exc.detail or exc.message})
            raise
        details = {"printer": job.printer, "job_id": job.job_id, "job_state": job.state.value,
                   "reasons": list(job.reasons), "printed_at": form.payload.printed_at.isoformat(),
                   **({"operator_alert": job.operator_alert} if job.operator_alert else {}),
                   **({"missing_glyphs": len(form.missing_glyphs)} if form.missing_glyphs else {})}
        if job.ok:
            record = self.store.apply(record_id, action, actor, **details)
        else:
            self._audit_failure(record, actor, {**details, "retry": job.retry.value})
        log.info("form print attempt", extra={"fields": {"record_id": str(record.record_id), "ok": job.ok,
                                                         "state": job.state.value}})
        return PrintOutcome(job, record, form)

    def print_with_retries(self, record_id, actor: str = "student", *, attempts: int = 2) -> PrintOutcome:
        """print_record, tried again after a transient failure (Retry.NOW) up to `attempts` in all; every attempt is
        audited. The outcome of the last one."""
        for _attempt in range(max(1, attempts)):
            outcome = self.print_record(record_id, actor)
            if outcome.ok or outcome.job.retry is not Retry.NOW:
                break
        return outcome

    def _audit_failure(self, record: Record, actor: str, details: dict) -> None:
        self.store.append_audit(AuditEntry(str(record.record_id), "print_failed", actor, record.state.value,
                                           record.state.value, record.version, self.clock(), details))
