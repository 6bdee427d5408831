"""Export for the provincial platform: a streamed ZIP of photos/<name>.jpg, documents/<name>.jpg and an xlsx of
the fields in the student-status conventions, signed records only, after checks.

Streamed: records are read in batches and each JPEG goes out as it is read; the spreadsheet is written row by
row to a temporary file (openpyxl write-only) and copied in last. Memory does not grow with the county.
"""
from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from central.models import Attachment, Record
from kiosk.identity import mask_id
from kiosk.policy import load_policies

from .models import AttachmentCheck
from .progress import live
from .records import category_labels, keys_of, record_data
from .scope import Scope

NAMINGS = {"id_number": ("证件号码（默认）", "identity.id_number"), "student_number": ("学籍号", "student_number"),
           "exam_number": ("考生号", "exam_number")}
BATCH = 200
MAX_PROBLEMS = 200
ID_TYPES = {"resident": "1", "foreign_2017": "9", "foreign_2023": "9", "passport": "A"}
PERMIT_TYPES = {"81": "6", "82": "7", "83": "8"}  # 港澳台居民居住证: Hong Kong, Macao, Taiwan


@cache
def layouts() -> dict:
    return json.loads(Path(__file__).with_name("data").joinpath("export-columns.json").read_text("utf-8"))


def layout(policy: str) -> dict:
    return layouts().get(policy) or layouts()["default"]


def pick(data, path: str):
    for part in path.split("."):
        if isinstance(data, list):
            data = data[int(part)] if part.isdigit() and int(part) < len(data) else None
        elif isinstance(data, dict):
            data = data.get(part)
        else:
            return None
    return data


def id_type(identity: dict) -> str:
    kind = identity.get("card_type", "resident")
    if kind == "hk_mo_tw_permit":
        return PERMIT_TYPES.get(str(identity.get("id_number", ""))[:2], "Z")
    return ID_TYPES.get(kind, "Z")


def cell(data: dict, column: dict, names: dict[str, str], labels: dict[str, str]) -> str:
    value, convert = pick(data, column["field"]), column.get("convert", "")
    if convert == "gender":
        return {"1": "1", "2": "2"}.get(str(value or ""), "")
    if convert == "ethnicity":
        return str(value).zfill(2) if value else ""
    if convert == "yyyymmdd":
        return str(value or "").replace("-", "")
    if convert == "id_type":
        return id_type(value or {})
    if convert == "category":
        return labels.get(value, value or "")
    if convert.startswith("claim:"):
        return "1" if convert[6:] in (value or []) else "0"
    if convert.startswith("file:"):
        return names.get(convert[5:], "")
    return "" if value is None else str(value)


def signed(scope: Scope):
    return select(Record.record_id, Record.payload, Record.school_code).where(
        scope.records(), live(), Record.state == "signed").order_by(Record.school_code, Record.record_id)


def file_stem(data: dict, naming: str) -> str:
    return str(pick(data, NAMINGS[naming][1]) or "")


def run_check(central, scope: Scope, naming: str) -> tuple[int, list[str]]:
    """check() in a read transaction (SQLite's one writer stays free for pushes), then the JPEG results kept."""
    found: dict[tuple[str, str], str] = {}
    with central.sessions() as session:
        count, problems = check(session, central.storage, scope, naming, found)
    if found:
        central.write(lambda s: [s.merge(AttachmentCheck(sha256=sha, spec=spec, problem=problem))
                                 for (sha, spec), problem in found.items()])
    return count, problems


def check(session: Session, storage, scope: Scope, naming: str,
          found: dict[tuple[str, str], str]) -> tuple[int, list[str]]:
    """(signed records, problems in Chinese): both JPEGs present and within the policy's spec, a unique file
    name for each. JPEG results new to the console go into `found`; kept by hash, a later export reads no
    image twice."""
    policies = load_policies()
    held = set()
    problems, stems, count, keys = [], {}, 0, keys_of(session)
    for row in session.execute(signed(scope).execution_options(yield_per=BATCH)):
        count += 1
        data = record_data(row, keys)
        who = f"{data.get('school_name', '')} {mask_id(pick(data, 'identity.id_number') or '')}"
        stem = file_stem(data, naming)
        if not stem:
            problems.append(f"{who}：缺少{NAMINGS[naming][0]}，无法命名文件")
        elif stem in stems:
            problems.append(f"{who}：文件名与另一考生重复（{NAMINGS[naming][0]}相同）")
        stems[stem] = True
        policy = policies.get(data.get("policy", ""))
        for kind, label in (("photo", "照片"), ("document", "证件照")):
            sha = data.get(f"{kind}_sha256", "")
            if not sha:
                problems.append(f"{who}：没有{label}")
                continue
            if sha not in held and session.get(Attachment, sha) is None:
                problems.append(f"{who}：服务器上没有该{label}文件")
                continue
            held.add(sha)
            problem = _spec_problem(session, storage, sha, policy, kind, found) if policy else "采集政策未知"
            if problem:
                problems.append(f"{who}：{label}{problem}")
        if len(problems) >= MAX_PROBLEMS:
            problems.append("问题过多，仅显示前 200 条")
            break
    return count, problems


def _spec_problem(session: Session, storage, sha: str, policy, kind: str, found: dict) -> str:
    key = (sha, f"{policy.name}:{kind}")
    if key in found:
        return found[key]
    known = session.get(AttachmentCheck, key)
    if known is not None:
        return known.problem
    found[key] = jpeg_problem(storage.get(sha), getattr(policy, kind))
    return found[key]


def jpeg_problem(data: bytes, spec) -> str:
    from PIL import Image, UnidentifiedImageError

    if len(data) > spec.max_bytes:
        return f"大小 {len(data)} 字节，超过 {spec.max_bytes} 字节"
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError):
        return "不是有效的 JPEG 图像"
    if image.format != "JPEG":
        return "不是 JPEG 格式"
    if image.size != (spec.width, spec.height):
        return f"尺寸 {image.size[0]}×{image.size[1]}，应为 {spec.width}×{spec.height}"
    dpi = image.info.get("dpi", (0, 0))
    if min(float(d) for d in dpi) + 0.5 < spec.min_dpi:
        return f"精度低于 {spec.min_dpi} dpi"
    return ""


class _Sink(io.RawIOBase):
    """Where zipfile writes (unseekable: it then writes data descriptors); stream() hands the bytes on."""

    def __init__(self):
        super().__init__()
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def stream(sessions, storage, scope: Scope, naming: str = "id_number") -> Iterator[bytes]:
    """The ZIP's bytes, batch by batch (run check() first)."""
    from openpyxl import Workbook

    labels, sink = category_labels(), _Sink()
    book = Workbook(write_only=True)
    sheet, layout_used = None, None
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive, \
            sessions() as session:
        keys = keys_of(session)
        for n, row in enumerate(session.execute(signed(scope).execution_options(yield_per=BATCH))):
            data = record_data(row, keys)
            if sheet is None:
                layout_used = layout(data.get("policy", ""))
                sheet = book.create_sheet(layout_used["sheet"])
                sheet.append([c["header"] for c in layout_used["columns"]])
            stem = file_stem(data, naming)
            names = {"photo": f"photos/{stem}.jpg", "document": f"documents/{stem}.jpg"}
            for kind, name in names.items():
                archive.writestr(name, storage.get(data[f"{kind}_sha256"]))
            sheet.append([cell(data, c, names, labels) for c in layout_used["columns"]])
            if n % 20 == 19:
                yield sink.take()
        if sheet is None:
            sheet = book.create_sheet(layout("")["sheet"])
            sheet.append([c["header"] for c in layout("")["columns"]])
        with tempfile.TemporaryFile() as spooled:
            book.save(spooled)
            spooled.seek(0)
            info = zipfile.ZipInfo("考生信息.xlsx")
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as target:
                while chunk := spooled.read(1 << 20):
                    target.write(chunk)
                    yield sink.take()
    yield sink.take()


def write_file(sessions, storage, scope: Scope, path: Path, naming: str = "id_number") -> None:
    with open(path, "wb") as out:
        out.writelines(stream(sessions, storage, scope, naming))
