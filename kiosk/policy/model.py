"""Collection policies: one data file per year and issuing authority (kiosk/policy/data/*.json).

A new year is a new file (dropped into the package data or into a directory named by KIOSK_POLICY_DIR, or pulled
from the central server): no code change.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

Role = Literal["school", "point"]
ROLE_LABELS = {"school": "学校采集终端", "point": "指定报名点"}


class Window(BaseModel):
    """A collection window, local time of the policy's timezone; open from start (inclusive) to end (exclusive)."""

    model_config = ConfigDict(frozen=True)
    start: dt.datetime
    end: dt.datetime

    @model_validator(mode="after")
    def _ordered(self):
        if self.end <= self.start:
            raise ValueError("window end must be after its start")
        return self


class Category(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str
    label: str
    windows: list[Window] = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    roster_required: bool  # the student's 学籍 must be at the terminal's school
    claims: list[str] = []  # qualification claims a candidate of this category may make
    role_refusal: str = ""  # Chinese: why a terminal of another role refuses this category
    claims_refusal: str = ""  # Chinese: why a claim outside `claims` is refused


class ImageSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    width: int
    height: int
    min_dpi: int
    max_bytes: int  # bytes; 30 KB / 50 KB are taken as 30,000 / 50,000 so they hold for either reading of "KB"


class PhotoSpec(ImageSpec):
    head_ratio: float  # head height (crown to chin) over photo height
    background: Literal["blue"]


class DocumentSpec(ImageSpec):
    filename: str  # format string with {id_number}


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    year: int
    authority: str
    source: str
    form_title: str
    timezone: str = "Asia/Shanghai"
    categories: list[Category]
    claims: dict[str, str] = {}  # claim code -> Chinese label
    photo: PhotoSpec
    document: DocumentSpec

    @model_validator(mode="after")
    def _claims_known(self):
        for category in self.categories:
            unknown = set(category.claims) - set(self.claims)
            if unknown:
                raise ValueError(f"category {category.code} names unknown claims {sorted(unknown)}")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def category(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)

    def localize(self, naive: dt.datetime) -> dt.datetime:
        return naive.replace(tzinfo=self.tz) if naive.tzinfo is None else naive
