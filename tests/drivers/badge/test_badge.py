"""Operator badges: PIN hashing, the JSON registry, the login rules, and a real pcscd + vpcd round trip."""
import stat

import pytest

from drivers.badge.login import LoginState, OperatorLogin
from drivers.badge.registry import JsonOperatorRegistry
from kiosk.devices.badge import (BadgeEvent, BadgeEventKind, Operator, ReaderLostReason, check_badge_uid, check_pin,
                                 hash_pin, verify_pin)

UID = bytes.fromhex("04A1B2C3D4E5F6")


@pytest.fixture
def registry(tmp_path):
    registry = JsonOperatorRegistry(tmp_path / "operators.json")
    registry.add(Operator("op-001", "王老师", UID.hex().upper(), hash_pin("482913")))
    return registry


def test_pin_hash_is_salted_scrypt_and_verifies():
    first, second = hash_pin("482913"), hash_pin("482913")
    assert first != second and first.startswith("scrypt$") and "482913" not in first
    assert verify_pin("482913", first) and not verify_pin("482914", first)
    assert not verify_pin("482913", "plain$482913") and not verify_pin("482913", "garbage")


def test_registry_is_a_private_json_file(registry, tmp_path):
    assert stat.S_IMODE((tmp_path / "operators.json").stat().st_mode) == 0o600
    assert registry.by_badge("04:a1:b2:c3:d4:e5:f6").id == "op-001"
    assert registry.by_badge("DEADBEEF") is None
    with pytest.raises(ValueError):
        registry.add(Operator("op-002", "李老师", "04a1b2c3d4e5f6", hash_pin("1")))
    assert registry.remove("op-001") and not registry.remove("op-001")
    assert registry.all() == []


def test_registry_reads_entries_written_before_roles(tmp_path):
    path = tmp_path / "operators.json"
    path.write_text('{"operators": [{"id": "op-1", "name": "王老师", "badge_uid": "04A1B2C3", "pin_hash": "x"}]}')
    assert JsonOperatorRegistry(path).by_id("op-1").role == "operator"


def test_pin_and_uid_rules():
    assert check_pin("482913") is None and check_pin("90817263544") is None
    assert "6至12位" in check_pin("4829") and "6至12位" in check_pin("48291a") and check_pin("4" * 13)
    assert "过于简单" in check_pin("111111") and check_pin("123456") and check_pin("987654")
    assert check_badge_uid("04:a1:b2:c3:d4:e5:f6") is None and check_badge_uid("08112233") is None
    assert check_badge_uid("081122") and check_badge_uid("0811223") and check_badge_uid("XYZ12345")


def inserted(uid: str | None) -> BadgeEvent:
    return BadgeEvent(BadgeEventKind.INSERTED, "Virtual PCD 00 00", uid)


def test_login_rules(registry):
    login = OperatorLogin(registry, max_attempts=3)
    assert login.state is LoginState.NO_BADGE and not login.enter_pin("482913")
    assert login.handle(inserted("CAFEBABE")) is LoginState.UNKNOWN_BADGE
    assert login.handle(inserted(None)) is LoginState.UNKNOWN_BADGE
    assert login.handle(inserted(UID.hex())) is LoginState.NEED_PIN
    assert not login.enter_pin("000000") and login.message == "PIN码错误，还可尝试2次"
    assert login.enter_pin("482913") and login.operator.name == "王老师"
    assert login.handle(BadgeEvent(BadgeEventKind.REMOVED, "r")) is LoginState.NO_BADGE
    assert login.operator is None


def test_a_lost_reader_logs_out_until_it_is_back(registry):
    login = OperatorLogin(registry)
    login.handle(inserted(UID.hex()))
    assert login.enter_pin("482913")
    lost = BadgeEvent(BadgeEventKind.READER_LOST, "", reason=ReaderLostReason.SERVICE)
    assert login.handle(lost) is LoginState.READER_LOST and login.operator is None
    assert "读卡器" in login.message and "联系技术人员" in login.message and not login.enter_pin("482913")
    assert login.handle(BadgeEvent(BadgeEventKind.REMOVED, "r")) is LoginState.READER_LOST
    assert login.handle(BadgeEvent(BadgeEventKind.READER_READY, "r")) is LoginState.NO_BADGE
    unplugged = BadgeEvent(BadgeEventKind.READER_LOST, "", reason=ReaderLostReason.NO_READER)
    assert login.handle(unplugged) is LoginState.READER_LOST and "未检测到" in login.message


def test_too_many_wrong_pins_lock_until_the_badge_is_pulled(registry):
    login = OperatorLogin(registry, max_attempts=2)
    login.handle(inserted(UID.hex()))
    login.enter_pin("1")
    login.enter_pin("2")
    assert login.state is LoginState.LOCKED and not login.enter_pin("482913")
    login.handle(BadgeEvent(BadgeEventKind.REMOVED, "r"))
    login.handle(inserted(UID.hex()))
    assert login.enter_pin("482913")


def test_operator_logs_in_and_out_with_a_virtual_badge_on_real_pcscd(pcscd, registry):
    from drivers.badge.pcsc import PcscBadgeReader
    from drivers.badge.vicc import VirtualBadge

    reader = PcscBadgeReader(reader_filter=pcscd.reader)
    badge, stranger = VirtualBadge(UID), VirtualBadge(bytes.fromhex("08112233"))
    login = OperatorLogin(registry)
    try:
        badge.insert()
        event = reader.next_event(timeout=15)
        assert event is not None and event.kind is BadgeEventKind.INSERTED and event.uid == UID.hex().upper()
        assert b"\xff\xca\x00\x00\x00" in badge.apdus
        assert login.handle(event) is LoginState.NEED_PIN
        assert login.enter_pin("482913") and login.state is LoginState.LOGGED_IN

        badge.remove()
        event = reader.next_event(timeout=15)
        assert event is not None and event.kind is BadgeEventKind.REMOVED
        assert login.handle(event) is LoginState.NO_BADGE and login.operator is None

        stranger.insert()
        event = reader.next_event(timeout=15)
        assert event.uid == "08112233" and login.handle(event) is LoginState.UNKNOWN_BADGE
        stranger.remove()
        assert reader.next_event(timeout=15).kind is BadgeEventKind.REMOVED
    finally:
        badge.remove()
        stranger.remove()
        reader.close()


def pump(login: OperatorLogin, reader, until: LoginState) -> list[BadgeEvent]:
    """Feeds the reader's events to the login until it reaches `until`; the wait only guards against a hang."""
    seen = []
    while login.state is not until:
        event = reader.next_event(timeout=20)
        assert event is not None, f"no badge event; still {login.state} after {seen}"
        seen.append(event)
        login.handle(event)
    return seen


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_login_survives_a_pcscd_restart(pcscd, registry, how):
    """pcscd restarted (stop) or crashed (kill) while an operator is logged in: logged out, reader lost; once
    pcscd is back, the badge logs in again without restarting anything."""
    from drivers.badge.pcsc import PcscBadgeReader
    from drivers.badge.vicc import VirtualBadge

    reader = PcscBadgeReader(reader_filter=pcscd.reader, retry=0.2)
    badge = VirtualBadge(UID)
    login = OperatorLogin(registry)
    try:
        badge.insert()
        pump(login, reader, LoginState.NEED_PIN)
        assert login.enter_pin("482913") and login.operator.id == "op-001"

        getattr(pcscd, how)()
        events = pump(login, reader, LoginState.READER_LOST)
        assert [e.kind for e in events] == [BadgeEventKind.REMOVED, BadgeEventKind.READER_LOST]
        assert events[1].reason is ReaderLostReason.SERVICE and reader.lost is ReaderLostReason.SERVICE
        assert login.operator is None and "连接中断" in login.message and not login.enter_pin("482913")
        badge.remove()  # vpcd dropped the badge with pcscd; the technician lays it on again below

        pcscd.start()
        events = pump(login, reader, LoginState.NO_BADGE)
        assert [e.kind for e in events] == [BadgeEventKind.READER_READY] and reader.lost is None
        badge.insert()
        events = pump(login, reader, LoginState.NEED_PIN)
        assert events[-1].uid == UID.hex().upper()
        assert login.enter_pin("482913") and login.state is LoginState.LOGGED_IN

        badge.remove()
        pump(login, reader, LoginState.NO_BADGE)
    finally:
        badge.remove()
        reader.close()
        pcscd.start()  # no-op when it runs


def test_reader_opened_while_pcscd_is_down_reports_lost_then_ready(pcscd, registry):
    from drivers.badge.pcsc import PcscBadgeReader
    from drivers.badge.vicc import VirtualBadge

    badge = VirtualBadge(UID)
    pcscd.stop()
    reader = PcscBadgeReader(reader_filter=pcscd.reader, retry=0.2)
    login = OperatorLogin(registry)
    try:
        pump(login, reader, LoginState.READER_LOST)
        assert reader.lost is ReaderLostReason.SERVICE
        pcscd.start()
        pump(login, reader, LoginState.NO_BADGE)
        badge.insert()
        pump(login, reader, LoginState.NEED_PIN)
    finally:
        badge.remove()
        reader.close()
        pcscd.start()


def test_no_matching_reader_is_reported(pcscd, registry):
    from drivers.badge.pcsc import PcscBadgeReader

    reader = PcscBadgeReader(reader_filter="No Such Reader")
    login = OperatorLogin(registry)
    try:
        events = pump(login, reader, LoginState.READER_LOST)
        assert events[0].reason is ReaderLostReason.NO_READER and "未检测到" in login.message
    finally:
        reader.close()
