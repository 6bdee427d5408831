"""A complete, valid example record: the documented record format (`kiosk record example`) and a test fixture."""
from __future__ import annotations

import datetime as dt
import uuid

from kiosk.identity import CardType, IdentityCard

from .model import Guardian, Record, StudyEntry


def example_card() -> IdentityCard:
    return IdentityCard(
        card_type=CardType.RESIDENT,
        name="王小明",
        gender_code="1",
        ethnicity_code="01",
        birth_date=dt.date(2009, 3, 15),
        address="河南省商丘市睢阳区文化路88号",
        id_number="41140320090315003X",
        authority="商丘市公安局睢阳分局",
        valid_from=dt.date(2023, 5, 10),
        valid_until=dt.date(2028, 5, 10),
    )


def _months_back(today: dt.date, months: int) -> str:
    index = today.year * 12 + today.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def example_record(today: dt.date | None = None, *, photo_sha256: str = "0" * 64,
                   document_sha256: str = "1" * 64) -> Record:
    """Study history ends this month, as the rules require; attachment hashes are placeholders unless given."""
    today = today or dt.date.today()
    return Record(
        record_id=uuid.UUID("6f1c2a9e-3b7d-4c1e-9a55-2d8f0e4b7a10"),
        policy="henan-2024",
        category="grade9",
        terminal_id="T-411403-0001",
        identity=example_card().as_json(),
        school_code="4114030012",
        school_name="商丘市第一初级中学",
        student_number="G41140320090315003X",
        guardians=[
            Guardian(name="王建国", relation="父亲", phone="13803700001", work_unit="商丘市建设局"),
            Guardian(name="李秀英", relation="母亲", phone="13903700002", work_unit="睢阳区第二小学"),
        ],
        study_history=[
            StudyEntry(start=_months_back(today, 26), end=_months_back(today, 0), school="商丘市第一初级中学",
                       role="学习委员", witness="赵老师"),
            StudyEntry(start=_months_back(today, 98), end=_months_back(today, 27), school="睢阳区文化路小学",
                       role="无", witness="孙老师"),
        ],
        contact_phone="13803700001",
        phone_confirmed=True,
        home_address="河南省商丘市睢阳区文化路88号",
        claims=["allocation"],
        photo_sha256=photo_sha256,
        document_sha256=document_sha256,
        password_hash="scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$ZXhhbXBsZWV4YW1wbGVleGFtcGxlZXhhbXBsZQ==",
    )
