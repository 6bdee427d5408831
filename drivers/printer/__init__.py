"""Printer drivers: CUPS through pycups, and a file printer; both implement kiosk.devices.printer.Printer."""
from .file_printer import FilePrinter
from .reasons import describe_job, describe_printer

__all__ = ["FilePrinter", "describe_job", "describe_printer"]


def open_printer(name: str | None = None, *, server: str | None = None, directory: str | None = None):
    """A file printer when a directory is given, else the CUPS queue `name` (default queue when None)."""
    if directory:
        return FilePrinter(directory)
    from .cups_printer import CupsPrinter  # pycups only where CUPS is used

    return CupsPrinter(name, server=server)
