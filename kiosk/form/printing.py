"""The print service: render the stored record's form, print it through the Printer protocol, follow the job, and
record the outcome. A completed job applies the "print" transition (reprints allowed and counted); every attempt,
also a failed one, is in the audit log."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from kiosk.devices.printer import Printer, PrintJob
from kiosk.errors import KioskError
from kiosk.record import AuditEntry, Record, transition

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
               timeout: float = DEFAULT_TIMEOUT) -> tuple[PrintJob, RenderedForm]:
    """Renders and prints one form and waits for its end (no store involved)."""
    form = render_form(record, signer, photo=photo)
    job = printer.submit(form.pdf, job_title(record))
    return printer.wait(job, timeout), form


class PrintService:
    def __init__(self, store, printer: Printer, signer: Signer, *, timeout: float = DEFAULT_TIMEOUT):
        self.store, self.printer, self.signer, self.timeout = store, printer, signer, timeout

    def print_record(self, record_id, actor: str = "student") -> PrintOutcome:
        record = self.store.get(record_id)
        transition(record, "print", actor)  # refuses early (drafts, signed records) with the lifecycle's message
        try:
            photo = self.store.attachment(record_id, "photo")
        except KioskError:
            photo = None  # the form keeps an empty frame for a pasted photo
        try:
            job, form = print_form(record, self.printer, self.signer, photo=photo, timeout=self.timeout)
        except KioskError as exc:
            self._audit_failure(record, actor, {"printer": self.printer.name, "error": exc.detail or exc.message})
            raise
        details = {"printer": job.printer, "job_id": job.job_id, "job_state": job.state.value,
                   "reasons": list(job.reasons), "printed_at": form.payload.printed_at.isoformat(),
                   **({"operator_alert": job.operator_alert} if job.operator_alert else {}),
                   **({"missing_glyphs": len(form.missing_glyphs)} if form.missing_glyphs else {})}
        if job.ok:
            record = self.store.apply(record_id, "print", actor, **details)
        else:
            self._audit_failure(record, actor, {**details, "retry": job.retry.value})
        log.info("form print attempt", extra={"fields": {"record_id": str(record.record_id), "ok": job.ok,
                                                         "state": job.state.value}})
        return PrintOutcome(job, record, form)

    def _audit_failure(self, record: Record, actor: str, details: dict) -> None:
        self.store.append_audit(AuditEntry(str(record.record_id), "print_failed", actor, record.state.value,
                                           record.state.value, record.version, dt.datetime.now(dt.timezone.utc),
                                           details))
