"""The terminal's core as the composition root builds it, against a real central server on loopback: the policy
central serves is the one applied, the roster follows what sync pulls, the retention purge runs."""
import datetime as dt
import json
from importlib import resources
from zoneinfo import ZoneInfo

import pytest

from central import terminals
from central.embedded import EmbeddedServer
from central.settings import Settings
from kiosk.clock import SimulatedClock
from kiosk.config import TerminalConfig
from kiosk.errors import KioskError
from kiosk.record import RecordState, example_card, example_record
from kiosk.session import Step
from kiosk.sync.identity import enroll
from kiosk.terminal import open_core

TZ = ZoneInfo("Asia/Shanghai")
IN_2025 = dt.datetime(2025, 3, 5, 10, 0, tzinfo=TZ)
SCHOOL = {"code": "4114030012", "name": "商丘市第一初级中学", "county_code": "411403"}


def policy_2025() -> dict:
    """The 2024 provincial notice moved a year on: what central would serve for 2025."""
    data = json.loads(resources.files("kiosk.policy").joinpath("data/henan-2024.json").read_text("utf-8"))
    data.update(name="henan-2025", year=2025)
    for category in data["categories"]:
        for window in category["windows"]:
            for key in ("start", "end"):
                window[key] = window[key].replace("2024-", "2025-")
    return data


def student(id_number: str, number: str) -> dict:
    return {"student_number": number, "id_number": id_number, "name": "王小明", "school_code": SCHOOL["code"]}


@pytest.fixture
def central(tmp_path):
    policies = tmp_path / "served-policies"
    policies.mkdir()
    (policies / "henan-2025.json").write_text(json.dumps(policy_2025(), ensure_ascii=False), encoding="utf-8")
    server = EmbeddedServer(Settings(data_dir=tmp_path / "central", policy_dir=policies))
    server.central.write(lambda s: terminals.load_schools(s, [SCHOOL], [student(example_card().id_number,
                                                                                 "G41140320090315003X")]))
    yield server
    server.stop()


def production_terminal(tmp_path, central, **config):
    paths = TerminalConfig(data_dir=tmp_path / "kiosk").paths.ensure()
    enroll(central.url, central.enroll_code("school", SCHOOL["code"], SCHOOL["county_code"]), paths.sync_dir)
    return TerminalConfig(data_dir=paths.data_dir, server_url=central.url, policy="henan-2025", **config)


def test_the_policy_central_serves_is_the_one_applied(tmp_path, central):
    config = production_terminal(tmp_path, central)
    assert not config.demo
    core = open_core(config, clock=SimulatedClock(IN_2025, frozen=True), say=lambda _: None)
    try:
        assert core.policy.name == "henan-2025" and core.policy.year == 2025  # not shipped: pulled
        assert (core.paths.pulled_policies / "henan-2025.json").exists()
        session = core.session()
        assert session.card_read(example_card(), "grade9") is Step.IDENTITY, session.refusal  # 2025 window open
        assert session.record.policy == "henan-2025"
    finally:
        core.close()


def test_the_roster_follows_what_sync_pulls(tmp_path, central):
    core = open_core(production_terminal(tmp_path, central), clock=SimulatedClock(IN_2025), say=lambda _: None)
    try:
        newcomer = "41140320090315011X"
        assert core.pulled.lookup(newcomer) is None
        central.central.write(lambda s: terminals.load_schools(s, [SCHOOL], [student(newcomer, "G-NEW")]))
        assert core.worker.pull_config()  # what the worker does every config period
        assert core.pulled.lookup(newcomer).student_number == "G-NEW"
    finally:
        core.close()


def test_a_production_terminal_runs_only_with_its_own_enrollment(tmp_path, central):
    config = production_terminal(tmp_path, central, school_code="4114030099")
    with pytest.raises(KioskError, match="注册信息不一致"):
        open_core(config, say=lambda _: None)


def test_retention_purge_runs_at_start(tmp_path, central):
    config = production_terminal(tmp_path, central, retention_days=30)
    core = open_core(config, clock=SimulatedClock(IN_2025, frozen=True), say=lambda _: None)
    store = core.store
    record = example_record(IN_2025.date()).model_copy(update={"policy": "henan-2025"})
    store.save(record)
    for action in ("submit", "print", "sign"):
        store.apply(record.record_id, action, "operator:1")
    core.worker.stop()
    for item in store.outbox_due(IN_2025 + dt.timedelta(days=1)):
        store.outbox_done(item.seq, item.record_id, item.version, now=IN_2025 - dt.timedelta(days=31))
    assert store.get(record.record_id).state is RecordState.SIGNED
    core.close()
    again = open_core(config, clock=SimulatedClock(IN_2025, frozen=True), say=lambda _: None)
    try:
        assert again.store.record_ids() == []
    finally:
        again.close()
