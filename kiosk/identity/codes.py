"""Code tables read from the chip: gender (GB/T 2261.1) and ethnicity (GB 3304, plus SDK codes 97/98)."""
import json
from functools import cache
from importlib import resources


@cache
def _tables() -> dict:
    return json.loads(resources.files(__package__).joinpath("data/codes.json").read_text(encoding="utf-8"))


def gender_name(code: str) -> str:
    """'1' -> '男'; unknown codes give '未知'."""
    return _tables()["gender"].get(code.strip(), "未知")


def ethnicity_name(code: str) -> str:
    """'01' -> '汉族'; unknown codes give ''."""
    return _tables()["ethnicity"].get(code.strip().zfill(2), "")


def ethnicity_codes() -> dict[str, str]:
    return dict(_tables()["ethnicity"])
