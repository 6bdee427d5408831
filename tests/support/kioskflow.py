"""A terminal's core (store, pulled configuration, unstarted sync worker, sessions) enrolled with a loopback
central, and a student walked through the session as the touch app does: the tests call the worker's steps (the
central tests of password reuse and return-to-hukou lists)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import random
from zoneinfo import ZoneInfo

from kiosk.clock import SimulatedClock
from kiosk.config import TerminalConfig
from kiosk.document import DocumentImage
from kiosk.eligibility import Terminal
from kiosk.photo import CONFIRMATIONS, FinalPhoto
from kiosk.record import Guardian, StudyEntry, example_card
from kiosk.session import Step
from kiosk.sync.client import open_client
from kiosk.sync.config import ConfigCache
from kiosk.sync.identity import enroll
from kiosk.sync.worker import SyncWorker
from kiosk.terminal import PulledConfig, TerminalCore, open_store
from tests.support.central import jpeg

TZ = ZoneInfo("Asia/Shanghai")
IN_GRADE9 = dt.datetime(2024, 3, 5, 10, 0, tzinfo=TZ)  # henan-2024: grade9 window
IN_RETURN = dt.datetime(2024, 4, 2, 10, 0, tzinfo=TZ)  # return_hukou window
GUARDIANS = [Guardian(name="王建国", relation="父亲", phone="13803700001")]


def open_terminal(server, directory, role: str = "school", school: str = "4114030012", county: str = "411403",
                  at: dt.datetime = IN_GRADE9) -> TerminalCore:
    """Enrolled, configuration pulled once; the worker is not started (tests call drain() and pull_config())."""
    config = TerminalConfig(data_dir=directory, server_url=server.url, role=role, school_code=school,
                            county_code=county)
    paths = config.paths.ensure()
    identity = enroll(server.url, server.enroll_code(role, school, county), paths.sync_dir, app_version="test")
    client = open_client(identity, timeout=10)
    ConfigCache(paths.sync_dir).pull(client)
    clock = SimulatedClock(at)
    store = open_store(paths, clock)
    pulled = PulledConfig(paths, config.policy)
    worker = SyncWorker(store, client, paths.sync_dir, app_version="test", on_config=pulled.reload,
                        start_spread_s=0, backoff_base_s=0.02, backoff_cap_s=0.2, rng=random.Random(3))
    station = Terminal(identity.terminal_id, role, identity.school_code, identity.county_code)
    return TerminalCore(config, paths, clock, store, pulled, station, worker=worker, client=client)


def card(id_number: str, name: str = "王小明"):
    gender = "1" if int(id_number[16]) % 2 else "2"
    return dataclasses.replace(example_card(), id_number=id_number, name=name, gender_code=gender)


def walk_to_password(session, student, category: str = "grade9") -> None:
    """From laying the card to the password step (the photo and document are the policy's real JPEGs)."""
    assert session.card_read(student, category) is Step.IDENTITY, session.refusal
    assert session.confirm_identity() is Step.CATEGORY
    assert session.set_category(school_name="商丘市第一初级中学") is Step.GUARDIANS, session.errors
    assert session.set_guardians(GUARDIANS) is Step.HISTORY
    today = session.clock().date()
    history = [StudyEntry(start="2021-09", end=f"{today.year}-{today.month:02d}", school="商丘市第一初级中学",
                          witness="赵老师")]
    assert session.set_history(history) is Step.CONTACT, session.errors
    assert session.set_contact("13803700001", "河南省商丘市睢阳区文化路88号") is Step.PHOTO
    photo = FinalPhoto(jpeg(f"photo-{student.id_number}"), 90, None, None, [])
    assert session.photo_taken(photo, [c.code for c in CONFIRMATIONS]) is Step.DOCUMENT
    document = DocumentImage(jpeg(f"doc-{student.id_number}", (800, 600)), 90, "document.jpg", None, [])
    assert session.document_scanned(document) is Step.REVIEW, session.errors
    assert session.confirm_review() is Step.PASSWORD, session.errors
