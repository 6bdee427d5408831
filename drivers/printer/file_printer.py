"""A printer for machines without CUPS (development, a kiosk whose printer is down): PDFs land in a directory."""
from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

from kiosk.devices.printer import JobState, PrinterStatus, PrintJob
from kiosk.files import write_atomic

from .reasons import WRITE_FAILED, refused, unreachable


class FilePrinter:
    def __init__(self, directory: str | os.PathLike, name: str = "file"):
        self.directory = Path(directory)
        self.name = name
        self._ids = itertools.count(1)

    def status(self) -> PrinterStatus:
        self.directory.mkdir(parents=True, exist_ok=True)
        if not os.access(self.directory, os.W_OK):
            return unreachable(self.name, WRITE_FAILED, "directory-not-writable")
        return PrinterStatus(self.name, True, "idle")

    def submit(self, pdf: bytes, title: str) -> PrintJob:
        job_id = next(self._ids)
        safe = re.sub(r"[^0-9A-Za-z._-]+", "_", title)[:80] or "job"
        path = self.directory / f"{job_id:04d}-{safe}.pdf"
        try:
            write_atomic(path, pdf)
        except OSError as exc:
            return refused(unreachable(self.name, WRITE_FAILED, "write-failed"), {"error": exc.strerror or str(exc)})
        return PrintJob(self.name, job_id, JobState.COMPLETED, details={"path": str(path)})

    def wait(self, job: PrintJob, timeout: float) -> PrintJob:
        return job
