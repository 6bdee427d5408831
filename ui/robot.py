"""The scripted robot: a whole registration on simulated devices, driven through the same session methods the UI
uses. `kiosk run` runs it (until the touch UI exists it is the most complete thing the kiosk does end to end), and
the end-to-end test runs it too.

What is real here: the GA 467 frames on a pseudo-terminal between the card-reader simulator and the production
driver; FaceMesh guidance on camera frames of a real face; the document pipeline on a rendered card; the encrypted
store; a real central server (uvicorn on loopback) with enrollment, signed requests and the sync worker; the form
PDF through the print service. Only the people are scripted.

The set-up pieces (start_backend, start_card_simulator, demo_camera, demo_scanner, print_service) are shared with
the touch app (ui/app.py), which opens the same simulated devices and embedded server and lets a person do the rest.
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.config import TerminalConfig
from kiosk.errors import KioskError
from kiosk.identity import IdentityCard, mask_id
from kiosk.policy import Policy, get_policy
from kiosk.record import example_record

Say = Callable[[str], None]
DEMO_PASSWORD = "Kaoshi2024ok"


@dataclass
class RobotResult:
    record_id: str
    state: str
    print_count: int
    pdf: Path | None
    photo: Path
    document: Path
    server_copies: int
    outbox_depth: int
    steps: list[str] = field(default_factory=list)


def expect(session, reached, wanted) -> None:
    """The robot checks every step as a person reads the screen: an error message stops the run."""
    if reached is not wanted:
        raise KioskError("；".join(session.errors.values()) or session.prompt,
                         detail=f"robot expected {wanted.value}, session at {reached.value}")


def demo_moment(policy: Policy, category: str) -> dt.datetime:
    """An hour after the category's first window opens: the collection calendar is data from past years."""
    return policy.localize(policy.category(category).windows[0].start) + dt.timedelta(hours=1)


@dataclass
class Backend:
    """Everything behind the session: policy, store, sync (client, worker), roster, the terminal, the clock."""

    config: TerminalConfig
    policy: Policy
    workdir: Path
    store: object  # kiosk.store.Store
    worker: object  # kiosk.sync.worker.SyncWorker
    client: object  # httpx.Client
    terminal: object  # kiosk.eligibility.Terminal
    roster: object  # kiosk.eligibility.RosterTable | None
    server: object | None = None  # central.embedded.EmbeddedServer when embedded
    start: dt.datetime | None = None  # simulated time at start-up; None: the real clock
    example: object | None = None  # the demo student's record (the simulated card) when embedded
    _started: float = field(default_factory=time.monotonic)

    def clock(self) -> dt.datetime:
        """The session's clock: real time, or simulated time running on from `start` (so idle timeouts work)."""
        if self.start is None:
            return dt.datetime.now(dt.timezone.utc)
        return self.start + dt.timedelta(seconds=time.monotonic() - self._started)

    def session(self, **kwargs):
        from kiosk.session import RegistrationSession

        kwargs.setdefault("clock", self.clock)
        kwargs.setdefault("idle_timeout", dt.timedelta(seconds=self.config.idle_timeout_seconds))
        return RegistrationSession(self.policy, self.terminal, self.store, self.roster, **kwargs)

    def close(self) -> None:
        for closing in (self.worker.stop, self.client.close, self.store.close,
                        self.server.stop if self.server else None):
            if closing:
                try:
                    closing()
                except Exception:  # noqa: BLE001 - closing down: close the rest anyway
                    pass


def start_backend(config: TerminalConfig, workdir: Path, *, category: str = "grade9", at: dt.datetime | None = None,
                  say: Say = print) -> Backend:
    """The store, sync worker and roster; with an empty server_url an embedded central server on loopback with the
    demo student on its roster, a freshly enrolled terminal, and simulated time an hour into the category window."""
    from kiosk.eligibility import RosterEntry, RosterTable, Terminal
    from kiosk.store import Store
    from kiosk.sync.client import open_client
    from kiosk.sync.config import ConfigCache
    from kiosk.sync.identity import TerminalIdentity, enroll
    from kiosk.sync.worker import SyncWorker

    policy = get_policy(config.policy)
    server = example = None
    sync_dir = workdir / "sync"
    if config.server_url:
        identity = TerminalIdentity.load(sync_dir)
        start = at
    else:
        from central import terminals
        from central.embedded import EmbeddedServer
        from central.settings import Settings

        start = at or demo_moment(policy, category)
        example = example_record(start.date())
        card = example.card
        say(f"工作目录 {workdir}；模拟时间 {start:%Y-%m-%d %H:%M}（{policy.name}）")
        server = EmbeddedServer(Settings(data_dir=workdir / "central"))
        server.central.write(lambda s: terminals.load_schools(
            s, [{"code": config.school_code, "name": config.school_name, "county_code": config.county_code}],
            [{"student_number": example.student_number, "id_number": card.id_number, "name": card.name,
              "school_code": config.school_code}]))
        code = server.enroll_code(config.role, config.school_code, config.county_code)
        identity = enroll(server.url, code, sync_dir, app_version="demo")
        say(f"终端已注册：{identity.terminal_id}（{server.url}）")
    client = open_client(identity)
    cache = ConfigCache(sync_dir)
    try:
        cache.pull(client)
    except Exception as exc:  # noqa: BLE001 - offline: the last good copy serves
        if server is not None:
            raise
        say(f"无法连接中心服务器，使用上次的配置（{type(exc).__name__}）")
    pulled = cache.last_good()
    roster = RosterTable({r.id_number: RosterEntry(r.school_code, r.student_number)
                          for r in pulled.roster}) if pulled else None
    say(f"已拉取配置：{len(pulled.roster) if pulled else 0} 名本校学生")
    store = Store(workdir / "kiosk.db")
    worker = SyncWorker(store, client, sync_dir).start()
    terminal = Terminal(identity.terminal_id, identity.role, identity.school_code, identity.county_code)
    return Backend(config, policy, workdir, store, worker, client, terminal, roster, server, start, example)


def start_card_simulator(link: Path, card: IdentityCard | None, *, control: Path | None = None,
                         warmup: float = 0.2):
    """The GA 467 reader simulator on a pty at `link` (card not yet laid), steerable through `control`."""
    from drivers.idcard.simulator import SimCard, Simulator

    sim = Simulator(link, SimCard.from_json(card.as_json()) if card else None, warmup=warmup, control=control)
    return sim.start()


def read_card(link: Path, card: IdentityCard, say: Say, timeout: float = 20.0) -> IdentityCard:
    """Starts the reader simulator on a pty at `link`, lays the card, and reads it through the production poller."""
    from drivers.idcard.poller import CardPoller
    from kiosk.devices.card_reader import CardEventKind

    warmup = 0.2
    sim = start_card_simulator(link, card, warmup=warmup)
    time.sleep(warmup)  # the SAM answers only after its warm-up (the poller would report the reader lost meanwhile)
    poller = CardPoller(str(link), interval=0.1)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = poller.poll()
            if event is None:
                continue
            if event.kind is CardEventKind.READER_READY:
                say("读卡器就绪；考生放置身份证")
                sim.place()
            elif event.kind is CardEventKind.READ:
                return event.card
            elif event.kind in (CardEventKind.FAILED, CardEventKind.READER_LOST):
                say(f"读卡：{event.error.message}")
        raise KioskError("读卡超时", detail="no card read from the simulator")
    finally:
        poller.close()
        sim.stop()


class LoopingCamera:
    """Plays a camera's script again and again, the clock running on (a demo that never runs out of frames)."""

    def __init__(self, camera):
        self.camera, self._offset, self._last = camera, 0.0, 0.0

    def open(self) -> None:
        self.camera.open()

    @property
    def connected(self) -> bool:
        return self.camera.connected

    def read(self, timeout: float | None = None):
        from kiosk.devices.camera import Frame

        frame = self.camera.read(timeout)
        if frame is None:
            self._offset = self._last + 1 / self.camera.fps
            self.camera.open()
            frame = self.camera.read(timeout)
        self._last = frame.timestamp + self._offset
        return Frame(frame.image, self._last, frame.index)

    def close(self) -> None:
        self.camera.close()


def demo_camera(*, loop: bool = False, fps: float = 15):
    """A scripted student: sits too far left, moves to the centre, holds still, blinks (about 3.2 s to a shot);
    with loop=True the script repeats (a retake gets its own shot)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import cv2
    from skimage import data

    from drivers.camera.scripted import Pose, ScriptedCamera, Subject

    subject = Subject(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR), close_mouth=True)
    blink = [(3.0, Pose(eyes_closed=True)), (3.1, Pose(eyes_closed=True)), (3.15, Pose())]
    script = [(0, Pose(face_x=0.25)), (1.0, Pose(face_x=0.25)), (1.6, Pose()), (2.9, Pose())] + blink + [(6, Pose())]
    camera = ScriptedCamera(subject, script, fps=fps, size=(960, 1280))
    return LoopingCamera(camera) if loop else camera


def take_photo(policy: Policy, say: Say) -> bytes:
    """The scripted student in front of the photo session; the session captures."""
    from kiosk.photo import PhotoSession

    camera = demo_camera()
    session = PhotoSession(policy.photo)
    camera.open()
    shown = None
    try:
        while (frame := camera.read()) is not None:
            state = session.feed(frame)
            if state.message != shown:
                say(f"拍照提示：{state.message}")
                shown = state.message
            if state.shots:
                return session.choose(0).jpeg
        raise KioskError("未能拍到合格照片", detail="scripted subject produced no shot")
    finally:
        camera.close()
        session.close()


def demo_scanner(card: IdentityCard | None = None):
    from drivers.scanner.simulated import SimulatedDocumentCamera

    scanner = SimulatedDocumentCamera()
    if card is not None:
        scanner.lay(card)
    return scanner


def scan_document(card: IdentityCard, policy: Policy) -> bytes:
    from kiosk.document import make_document

    return make_document(demo_scanner(card).scan(), card.id_number, policy.document).jpeg


def print_service(store, printer):
    from kiosk.form.printing import PrintService
    from kiosk.form.signing import HmacSigner

    return PrintService(store, printer, HmacSigner.from_device_key(store.key))


def open_printer(config: TerminalConfig, workdir: Path):
    """The file printer (PDFs into workdir/printed) or a CUPS queue by name."""
    if config.printer == "file":
        from drivers.printer.file_printer import FilePrinter

        return FilePrinter(workdir / "printed")
    from drivers.printer.cups_printer import CupsPrinter

    return CupsPrinter(config.printer)


def run_robot(config: TerminalConfig, *, category: str = "grade9", at: dt.datetime | None = None,
              workdir: Path | None = None, say: Say = print) -> RobotResult:
    from sqlalchemy import func, select

    from central import models
    from drivers.printer.file_printer import FilePrinter
    from kiosk.session import Step

    workdir = Path(workdir or tempfile.mkdtemp(prefix="kiosk-run-"))
    steps: list[str] = []

    def step(text: str) -> None:
        steps.append(text)
        say(text)

    backend = start_backend(config.model_copy(update={"server_url": ""}), workdir, category=category, at=at,
                            say=step)
    policy, store, worker, server, example = backend.policy, backend.store, backend.worker, backend.server, \
        backend.example
    moment = backend.start
    card = example.card
    session = backend.session(clock=lambda: moment)
    try:
        read = read_card(workdir / "idcard", card, step)
        step(f"读卡成功：{read.card_type.label}，号码 {mask_id(read.id_number)}")
        if session.card_read(read, category) is not Step.IDENTITY:
            raise KioskError("；".join(session.refusal))
        claims = [c for c in example.claims if c in policy.category(category).claims]
        expect(session, session.confirm_identity(), Step.CATEGORY)
        expect(session, session.set_category(school_name=config.school_name, claims=claims), Step.GUARDIANS)
        expect(session, session.set_guardians(example.guardians), Step.HISTORY)
        expect(session, session.set_history(example.study_history), Step.CONTACT)
        expect(session, session.set_contact(example.contact_phone, example.home_address), Step.PHOTO)
        step("已填写报考类别、监护人、学习简历、联系方式")
        photo = take_photo(policy, step)
        expect(session, session.photo_taken(photo), Step.DOCUMENT)
        document = scan_document(read, policy)
        expect(session, session.document_scanned(document), Step.REVIEW)
        step(f"照片 {len(photo)} 字节，证件图像 {len(document)} 字节")
        expect(session, session.confirm_review(), Step.PASSWORD)
        expect(session, session.set_password(DEMO_PASSWORD, DEMO_PASSWORD), Step.PRINT)
        worker.kick()
        outcome = print_service(store, FilePrinter(workdir / "printed")).print_record(session.record.record_id)
        session.printed(ok=outcome.ok)
        step(f"打印：{outcome.job.state.value}" + (f"，{outcome.job.student_message}"
                                                 if outcome.job.student_message else ""))
        record = store.apply(session.record.record_id, "sign", "operator:demo")
        step("工作人员确认签字，记录已锁定")
        worker.kick()
        deadline = time.monotonic() + 30
        while store.outbox_depth() and time.monotonic() < deadline:
            time.sleep(0.05)
        with server.central.sessions() as db:
            copies = db.scalar(select(func.count()).select_from(models.Record))
        pdfs = sorted((workdir / "printed").glob("*.pdf"))
        (workdir / "photo.jpg").write_bytes(photo)
        (workdir / read.id_number).with_suffix(".jpg").write_bytes(document)
        step(f"同步完成：待发送 {store.outbox_depth()} 条")
        return RobotResult(str(record.record_id), record.state.value, record.print_count,
                           pdfs[-1] if pdfs else None, workdir / "photo.jpg",
                           (workdir / read.id_number).with_suffix(".jpg"), copies, store.outbox_depth(), steps)
    finally:
        backend.close()
