"""A private cupsd for the tests that print (tests/drivers/printer, tests/form, tests/provisioning, tests/ui), with
the pdf_tool fixture that reads what was printed. Their conftests import the fixtures from here.

The private cupsd follows the checked recipe in /work/shared/reference/test-peripherals.md: foreground cupsd with
its own config, spool and Unix socket under a /tmp directory whose every path component is readable by the lp user
(filters and backends run as lp; pytest's tmp_path, mode 0700, breaks them). ServerBin is a folder of links into
/usr/lib/cups plus our `kiosktest` backend, which writes the job to a file or reports a fault
("STATE: +media-empty-error" ...) the way a real backend does.
"""
from __future__ import annotations

import grp
import hashlib
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cups
import pytest

CUPS_LIB = Path("/usr/lib/cups")

PPD = """*PPD-Adobe: "4.3"
*FormatVersion: "4.3"
*FileVersion: "1.0"
*LanguageVersion: English
*LanguageEncoding: ISOLatin1
*PCFileName: "KIOSKPDF.PPD"
*Manufacturer: "Kiosk"
*Product: "(Kiosk PDF)"
*ModelName: "Kiosk PDF pass-through"
*ShortNickName: "Kiosk PDF"
*NickName: "Kiosk PDF pass-through"
*PSVersion: "(3010.000) 0"
*LanguageLevel: "3"
*ColorDevice: True
*DefaultColorSpace: RGB
*FileSystem: False
*Throughput: "1"
*LandscapeOrientation: Plus90
*TTRasterizer: Type42
*cupsVersion: 2.4
*cupsFilter2: "application/vnd.cups-pdf application/pdf 0 -"
*OpenUI *PageSize/Media Size: PickOne
*OrderDependency: 10 AnySetup *PageSize
*DefaultPageSize: A4
*PageSize A4/A4: "<</PageSize[595 842]>>setpagedevice"
*CloseUI: *PageSize
*DefaultPageRegion: A4
*PageRegion A4/A4: "<</PageSize[595 842]>>setpagedevice"
*DefaultImageableArea: A4
*ImageableArea A4/A4: "0 0 595 842"
*DefaultPaperDimension: A4
*PaperDimension A4/A4: "595 842"
"""

# kiosktest:/path/out.pdf?fault=NAME ; no fault: write the job to the file. Faults behave like real backends:
# paper, jam and door stop the queue (exit 4); offline keeps retrying like the usb backend; hang never answers.
BACKEND = r"""#!/bin/sh
if [ $# -eq 0 ]; then echo 'direct kiosktest "Unknown" "Kiosk test printer"'; exit 0; fi
path="${DEVICE_URI#kiosktest:}"
fault=""
case "$path" in *\?fault=*) fault="${path#*\?fault=}"; path="${path%%\?*}";; esac
copy() { if [ -n "$6" ]; then cat "$6" > "$path"; else cat > "$path"; fi; }
case "$fault" in
  "") echo "STATE: -media-empty-error,media-jam-error,door-open-error,offline-report" >&2; copy "$@"; exit 0;;
  toner-low) echo "STATE: +toner-low-report" >&2; copy "$@"; exit 0;;
  media-empty|media-jam|door-open) echo "STATE: +$fault-error" >&2; echo "ERROR: $fault" >&2; exit 4;;
  offline) echo "STATE: +offline-report" >&2; echo "INFO: printer not responding, retrying" >&2; sleep 300;;
  fail) echo "ERROR: simulated failure" >&2; exit 1;;
  cancel) echo "ERROR: job refused by device" >&2; exit 5;;
  hang) sleep 300; exit 0;;
esac
echo "ERROR: unknown fault $fault" >&2
exit 1
"""


@dataclass(frozen=True)
class Queue:
    name: str
    output: Path  # where a completed job's PDF lands


class CupsServer:
    def __init__(self, root: Path):
        self.root = root
        self.socket = str(root / "run" / "cups.sock")
        self.process: subprocess.Popen | None = None
        self._names = itertools.count(1)

    # -- lifecycle ------------------------------------------------------------------------------------------------
    def start(self) -> "CupsServer":
        # cupsd runs filters and backends as lp: its files must be readable whatever umask the test process was
        # left with (kiosk-central's main sets 077 for the server's data, and tests call it in-process).
        previous = os.umask(0o022)
        try:
            return self._start()
        finally:
            os.umask(previous)

    def _start(self) -> "CupsServer":
        r = self.root
        for sub in ("run", "cache", "state", "log", "ppd", "out", "bin/backend"):
            (r / sub).mkdir(parents=True, exist_ok=True)
        lp_gid = grp.getgrnam("lp").gr_gid
        spool = r / "spool"
        (spool / "tmp").mkdir(parents=True, exist_ok=True)
        os.chown(spool, 0, lp_gid)
        os.chmod(spool, 0o710)
        os.chown(spool / "tmp", 0, lp_gid)
        os.chmod(spool / "tmp", 0o1770)
        os.chmod(r / "out", 0o777)
        for entry in CUPS_LIB.iterdir():
            if entry.name != "backend":
                (r / "bin" / entry.name).symlink_to(entry)
        for backend in (CUPS_LIB / "backend").iterdir():
            (r / "bin/backend" / backend.name).symlink_to(backend)
        test_backend = r / "bin/backend/kiosktest"
        test_backend.write_text(BACKEND)
        test_backend.chmod(0o755)  # 0755 runs as lp, like a real unprivileged backend
        (r / "kiosk.ppd").write_text(PPD)
        (r / "cupsd.conf").write_text(f"""LogLevel debug
Listen {self.socket}
Browsing No
WebInterface No
DefaultAuthType None
ErrorPolicy stop-printer
JobRetryInterval 1
MaxJobTime 0
PreserveJobHistory Yes
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
""")
        (r / "cups-files.conf").write_text(f"""FileDevice Yes
ServerRoot {r}
RequestRoot {spool}
TempDir {spool}/tmp
CacheDir {r}/cache
StateDir {r}/state
ServerBin {r}/bin
DataDir /usr/share/cups
AccessLog {r}/log/access_log
ErrorLog {r}/log/error_log
PageLog {r}/log/page_log
User lp
Group lp
""")
        self.process = subprocess.Popen(["cupsd", "-f", "-c", str(r / "cupsd.conf"), "-s", str(r / "cups-files.conf")],
                                        stdout=subprocess.DEVNULL, stderr=open(r / "log/stderr", "wb"))
        for _ in range(200):
            if self.process.poll() is not None:
                raise RuntimeError(f"cupsd exited: {(r / 'log/stderr').read_text()}{self.error_log()}")
            try:
                self.connection().getPrinters()
                return self
            except RuntimeError:
                time.sleep(0.05)
        raise RuntimeError("cupsd did not come up")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def connection(self) -> cups.Connection:
        return cups.Connection(host=self.socket)

    def error_log(self) -> str:
        path = self.root / "log/error_log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- queues ---------------------------------------------------------------------------------------------------
    def add_queue(self, fault: str | None = None, *, error_policy: str = "stop-printer",
                  device: str | None = None) -> Queue:
        name = f"kiosk{next(self._names)}"
        output = self.root / "out" / f"{name}.pdf"
        uri = device or (f"kiosktest:{output}" + (f"?fault={fault}" if fault else ""))
        conn = self.connection()
        conn.addPrinter(name, filename=str(self.root / "kiosk.ppd"), device=uri)
        conn.setPrinterErrorPolicy(name, error_policy)
        conn.enablePrinter(name)
        conn.acceptJobs(name)
        return Queue(name, output)


def make_root() -> Path:
    """A fresh directory under /tmp whose path components are all readable by lp (mode 0755)."""
    root = Path(tempfile.mkdtemp(prefix="kiosk-cups-", dir="/tmp"))
    root.chmod(0o755)
    return root


def cups_available() -> bool:
    return shutil.which("cupsd") is not None and (CUPS_LIB / "filter/pdftopdf").exists()



@pytest.fixture(scope="session")
def cupsd():
    if not cups_available():
        pytest.skip("cupsd (Debian package cups) is not installed: the real-CUPS tests need it")
    if os.geteuid() != 0:
        pytest.skip("the private cupsd needs root to run its filters and backends as the lp user")
    root = make_root()
    server = CupsServer(root).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pdf_tool(tmp_path):
    """pdf_tool("pdftotext", pdf_bytes_or_path, *args) -> stdout of a poppler tool run on the PDF.

    pdftotext runs in -raw mode (content-stream order) unless args say otherwise: a wrapped cell's lines stay
    together, where -layout would interleave them with the neighbouring cells' lines."""
    def run(tool: str, pdf: bytes | Path, *args: str) -> str:
        path = pdf if isinstance(pdf, Path) else tmp_path / f"in-{hashlib.sha256(pdf).hexdigest()[:8]}.pdf"
        if not isinstance(pdf, Path):
            path.write_bytes(pdf)
        if tool == "pdftotext":
            args = args or ("-raw",)
        tail = ["-"] if tool == "pdftotext" else []
        return subprocess.run([tool, *args, str(path), *tail], capture_output=True, text=True, check=True).stdout
    return run
