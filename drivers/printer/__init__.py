"""Printer drivers: CUPS through pycups, and a file printer; both implement kiosk.devices.printer.Printer."""
from .file_printer import FilePrinter
from .reasons import describe_job, describe_printer

__all__ = ["FilePrinter", "describe_job", "describe_printer", "open"]

FILE = "file"


def open(spec: str | None = None, *, directory: str | None = None, server: str | None = None):  # noqa: A001
    """The printer named by the config: "file" (PDFs into `directory`: the terminal's printed/ folder), else a
    CUPS queue by name (None: the CUPS default queue). pycups is loaded here, so a kiosk without it fails at start."""
    if spec == FILE:
        if not directory:
            raise ValueError("the file printer needs a directory")
        return FilePrinter(directory)
    from drivers import load

    return load("drivers.printer.cups_printer", "打印机").CupsPrinter(spec, server=server)
