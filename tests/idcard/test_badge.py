"""Operator badges: PIN hashing, the JSON registry, the login rules, and a real pcscd + vpcd round trip."""
import stat

import pytest

from drivers.badge.login import LoginState, OperatorLogin
from drivers.badge.registry import JsonOperatorRegistry
from kiosk.devices.badge import BadgeEvent, BadgeEventKind, Operator, hash_pin, verify_pin

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
    registry.remove("op-001")
    assert registry.all() == []


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

    reader = PcscBadgeReader(reader_filter=pcscd)
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
