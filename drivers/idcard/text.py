"""The 256-byte text block (UTF-16LE, space padded) <-> IdentityCard, for the four chip layouts.

One table per layout drives both directions: decode() for the driver, encode() for the simulator's fixtures,
so the simulator exercises exactly the decoder the kiosk runs.
"""
from __future__ import annotations

import datetime as dt

from kiosk.devices.card_reader import CardReadFailed
from kiosk.identity import LONG_TERM, CardType, IdentityCard

TEXT_SIZE = 256
TYPE_OFFSET = 248

# (IdentityCard field or a layout-only name, byte offset, byte length)
_COMMON = [
    ("name", 0, 30), ("gender_code", 30, 2), ("ethnicity_code", 32, 4), ("birth_date", 36, 16),
    ("address", 52, 70), ("id_number", 122, 36), ("authority", 158, 30), ("valid_from", 188, 16),
    ("valid_until", 204, 16),
]
LAYOUTS: dict[CardType, list[tuple[str, int, int]]] = {
    CardType.RESIDENT: _COMMON,
    CardType.HK_MO_TW_PERMIT: _COMMON + [("permit_number", 220, 18), ("issue_count", 238, 4)],
    CardType.FOREIGN_2017: [
        ("english_name", 0, 120), ("gender_code", 120, 2), ("id_number", 122, 30), ("nationality", 152, 6),
        ("name", 158, 30), ("valid_from", 188, 16), ("valid_until", 204, 16), ("birth_date", 220, 16),
        ("card_version", 236, 4), ("authority_code", 240, 8),
    ],
    CardType.FOREIGN_2023: [
        ("name", 0, 30), ("gender_code", 30, 2), ("renewal_count", 32, 4), ("birth_date", 36, 16),
        ("english_name_1", 52, 70), ("id_number", 122, 36), ("valid_from", 188, 16), ("valid_until", 204, 16),
        ("english_name_2", 220, 22), ("nationality", 242, 6), ("previous_number_link", 250, 6),
    ],
}
TYPE_CHARS = {CardType.HK_MO_TW_PERMIT: "J", CardType.FOREIGN_2017: "I", CardType.FOREIGN_2023: "Y"}
_TYPE_BY_CHAR = {char: kind for kind, char in TYPE_CHARS.items()} | {" ": CardType.RESIDENT, "\0": CardType.RESIDENT}
_DATES = {"birth_date", "valid_from", "valid_until"}
_ENGLISH_PART_1 = 35  # characters in the 'Y' layout's first English-name field


def card_type_of(block: bytes) -> CardType:
    char = block[TYPE_OFFSET : TYPE_OFFSET + 2].decode("utf-16-le", errors="replace")
    try:
        return _TYPE_BY_CHAR[char]
    except KeyError:
        raise CardReadFailed("无法识别该证件，请放置居民身份证或居住证", detail=f"unknown card type {char!r}") from None


def decode(block: bytes, photo_wlt: bytes = b"", fingerprint: bytes = b"") -> IdentityCard:
    """IdentityCard from the chip's text block; CardReadFailed when the block is not a valid layout."""
    if len(block) != TEXT_SIZE:
        raise CardReadFailed(detail=f"text block of {len(block)} bytes")
    kind = card_type_of(block)
    raw = {name: _field(block, offset, size) for name, offset, size in LAYOUTS[kind]}
    if kind is CardType.FOREIGN_2023:
        raw["english_name"] = (raw.pop("english_name_1") + raw.pop("english_name_2")).rstrip()
    values = {name: text.rstrip(" \0") for name, text in raw.items()}
    try:
        for name in _DATES:
            values[name] = _date(values[name], allow_long_term=name == "valid_until")
    except ValueError as exc:
        raise CardReadFailed(detail=f"bad date on card: {exc.__class__.__name__}") from None
    return IdentityCard(card_type=kind, photo_wlt=photo_wlt, fingerprint=fingerprint, **values)


def _field(block: bytes, offset: int, size: int) -> str:
    try:
        return block[offset : offset + size].decode("utf-16-le")
    except UnicodeDecodeError:
        raise CardReadFailed(detail=f"undecodable text at offset {offset}") from None


def _date(text: str, allow_long_term: bool) -> dt.date | None:
    if allow_long_term and text == LONG_TERM:
        return None
    if len(text) != 8 or not text.isdigit():
        raise ValueError("not YYYYMMDD")
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))


def encode(card: IdentityCard) -> bytes:
    """The exact 256-byte block a chip would hold for card (ValueError if a field does not fit)."""
    block = bytearray(" ".encode("utf-16-le") * (TEXT_SIZE // 2))
    values = {name: getattr(card, name, "") for name, _, _ in LAYOUTS[card.card_type]}
    if card.card_type is CardType.FOREIGN_2023:
        values["english_name_1"] = card.english_name[:_ENGLISH_PART_1]
        values["english_name_2"] = card.english_name[_ENGLISH_PART_1:]
    for name, offset, size in LAYOUTS[card.card_type]:
        value = values[name]
        if name in _DATES:
            value = value.strftime("%Y%m%d") if value else LONG_TERM
        data = str(value).encode("utf-16-le")
        if len(data) > size:
            raise ValueError(f"{name} needs {len(data)} bytes, the layout has {size}")
        block[offset : offset + len(data)] = data
    type_char = TYPE_CHARS.get(card.card_type, " ")
    block[TYPE_OFFSET : TYPE_OFFSET + 2] = type_char.encode("utf-16-le")
    return bytes(block)
