"""The scripted robot: a whole registration driven through the same session methods the touch app uses, on the
terminal the composition root builds (ui/wiring.py). `kiosk run` runs it, and so does the end-to-end test.

What is real here: the GA 467 frames on a pseudo-terminal between the card-reader simulator and the production
driver; FaceMesh guidance on camera frames of a real face; the document pipeline on a rendered card; the encrypted
store; a real central server (uvicorn on loopback) with enrollment, signed requests and the sync worker; the form
PDF through the session's print path; the operator's sign-off. Only the people are scripted.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.config import TerminalConfig
from kiosk.errors import KioskError
from kiosk.identity import IdentityCard, mask_id

Say = Callable[[str], None]
DEMO_PASSWORD = "Kaoshi2024ok"
DEMO_OPERATOR = "demo"


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
        raise KioskError("；".join(session.errors.values()) or "；".join(session.refusal) or session.prompt,
                         detail=f"robot expected {wanted.value}, session at {reached.value}")


def read_card(card_reader, say: Say, timeout: float = 20.0) -> IdentityCard:
    """Polls the reader (the production poller on the simulator's pty); lays the demo card once it is ready."""
    from kiosk.devices.card_reader import CardEventKind

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = card_reader.poller.poll()
        if event is None:
            continue
        if event.kind is CardEventKind.READER_READY:
            say("读卡器就绪；考生放置身份证")
            card_reader.simulate("place")
        elif event.kind is CardEventKind.READ:
            return event.card
        elif event.kind in (CardEventKind.FAILED, CardEventKind.READER_LOST):
            say(f"读卡：{event.error.message}")
    raise KioskError("读卡超时", detail="no card read from the simulator")


def take_photo(camera, spec, say: Say):
    """The scripted student in front of the photo session; the session captures. Returns the FinalPhoto."""
    from kiosk.photo import PhotoSession

    session = PhotoSession(spec)
    camera.open()
    shown = None
    try:
        for _ in range(2000):
            frame = camera.read()
            if frame is None:
                break
            state = session.feed(frame)
            if state.message != shown:
                say(f"拍照提示：{state.message}")
                shown = state.message
            if state.shots:
                return session.choose(0)
        raise KioskError("未能拍到合格照片", detail="scripted subject produced no shot")
    finally:
        camera.close()
        session.close()


def run_robot(config: TerminalConfig, *, category: str = "grade9", at: dt.datetime | None = None,
              workdir: Path | None = None, say: Say = print) -> RobotResult:
    from sqlalchemy import func, select

    from central import models
    from kiosk.document import make_document
    from kiosk.session import Step

    from .wiring import build

    steps: list[str] = []

    def step(text: str) -> None:
        steps.append(text)
        say(text)

    kiosk = build(config.model_copy(update={"server_url": "", "demo": True}), data_dir=workdir, category=category,
                  at=at, say=step)
    policy, store, devices, paths = kiosk.policy, kiosk.store, kiosk.devices, kiosk.paths
    session = kiosk.session()
    try:
        read = read_card(devices.card_reader, step)
        devices.card_read(read)
        step(f"读卡成功：{read.card_type.label}，号码{mask_id(read.id_number)}")
        expect(session, session.card_read(read, category), Step.IDENTITY)
        example = kiosk.demo.student
        claims = [c for c in example.claims if c in policy.category(category).claims]
        expect(session, session.confirm_identity(), Step.CATEGORY)
        expect(session, session.set_category(school_name=config.school_name, claims=claims), Step.GUARDIANS)
        expect(session, session.set_guardians(example.guardians), Step.HISTORY)
        expect(session, session.set_history(example.study_history), Step.CONTACT)
        expect(session, session.set_contact(example.contact_phone, example.home_address), Step.PHOTO)
        step("已填写报考类别、监护人、学习简历、联系方式")
        photo = take_photo(devices.open_camera(), policy.photo, step)
        expect(session, session.photo_taken(photo, [c.code for c in photo.confirmations]), Step.DOCUMENT)
        document = make_document(devices.scanner.scan(), read.id_number, policy.document)
        expect(session, session.document_scanned(document, session.face_match(document)), Step.REVIEW)
        step(f"照片{len(photo.jpeg)}字节，证件图像{len(document.jpeg)}字节")
        expect(session, session.confirm_review(), Step.PASSWORD)
        expect(session, session.set_password(DEMO_PASSWORD, DEMO_PASSWORD), Step.PRINT)
        reached = session.print_form(devices.printer)
        job = session.print_outcome.job
        step(f"打印：{job.state.value}" + (f"，{job.student_message}" if job.student_message else ""))
        expect(session, reached, Step.DONE)
        record = session.operator_sign(DEMO_OPERATOR)
        step("工作人员确认签字，记录已锁定")
        deadline = time.monotonic() + 30
        while store.outbox_depth() and time.monotonic() < deadline:
            time.sleep(0.05)
        with kiosk.demo.server.central.sessions() as db:
            copies = db.scalar(select(func.count()).select_from(models.Record))
        pdfs = sorted(paths.printed.glob("*.pdf"))
        paths.demo.mkdir(parents=True, exist_ok=True)
        photo_file, document_file = paths.demo / "photo.jpg", paths.demo / "document.jpg"  # no ID number in names
        photo_file.write_bytes(photo.jpeg)
        document_file.write_bytes(document.jpeg)
        step(f"同步完成：待发送{store.outbox_depth()}条")
        return RobotResult(str(record.record_id), record.state.value, record.print_count, pdfs[-1] if pdfs else None,
                           photo_file, document_file, copies, store.outbox_depth(), steps)
    finally:
        kiosk.close()
