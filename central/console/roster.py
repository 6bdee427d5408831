"""学籍 roster import: parse xlsx or CSV, validate each row (Chinese messages), preview the changes, apply.

Applied rows go into central's `roster` table, the one terminals pull with their config (central/terminals.py);
gender, class and category go beside it in console_roster_details.

Return-to-hukou candidates (类别 回户籍) also go on the list of their hukou county (return_candidates), which that
county's registration points pull: the optional column 户籍所在县（区） names the county (6-digit code); a county's
own upload defaults to that county. A county's (or city's, province's) upload is the county providing its list;
their school may lie outside the uploader's scope (it is not written to that school's roster then). A school's
roster naming a hukou county adds the student to that county's list without making it the county's own.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from central import terminals
from central.models import RosterEntry, School
from kiosk.identity import check_id_number
from kiosk.policy import load_policies

from .models import RosterDetail, RosterImport
from .records import keys_of, roster_entry, roster_key, seal, unseal
from .scope import Scope

MAX_ROWS = 50_000
MAX_ERRORS_SHOWN = 500
COLUMNS = {"name": ("姓名",), "gender": ("性别",), "id_number": ("身份证号", "身份证号码", "证件号码"),
           "student_number": ("学籍号", "学籍辅号", "全国学籍号"), "school": ("学校", "学校名称", "学校代码"),
           "class_name": ("年级/班级", "班级", "年级", "年级班级"), "category": ("类别", "报考类别")}
OPTIONAL = {"hukou_county": ("户籍所在县（区）", "户籍所在县(区)", "户籍县区", "户籍县区代码", "户籍所在县区代码")}
LABELS = {key: names[0] for key, names in COLUMNS.items()}  # the required columns, as the upload page lists them
ALL_LABELS = {**LABELS, **{key: names[0] for key, names in OPTIONAL.items()}}
COUNTY = re.compile(r"\d{6}")
RETURN_HUKOU = "return_hukou"
STUDENT_NUMBER = re.compile(r"[0-9A-Za-z]{1,40}")
GENDERS = {"男": "男", "女": "女", "1": "男", "2": "女"}


class RosterError(Exception):
    """The file as a whole cannot be read (Chinese)."""


@dataclass
class Checked:
    rows: list[dict] = field(default_factory=list)  # valid rows with their change
    errors: list[dict] = field(default_factory=list)  # {"row", "column", "message"}
    counts: dict = field(default_factory=dict)


def read_table(filename: str, data: bytes) -> list[list[str]]:
    """The cells of the first sheet (xlsx) or of a CSV file (UTF-8 or GB18030), as strings."""
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        return _xlsx(data)
    if filename.lower().endswith((".csv", ".txt")) or data[:2] != b"PK":
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise RosterError("无法识别文件编码，请另存为 UTF-8 编码的 CSV 或 xlsx 文件")
        rows = []
        for row in csv.reader(io.StringIO(text)):
            rows.append([c.replace("\x00", "").strip() for c in row])
            if len(rows) > MAX_ROWS + 1:
                raise RosterError(f"名单超过 {MAX_ROWS} 行，请分批导入")
        return rows
    raise RosterError("仅支持 xlsx 或 CSV 文件")


def _xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise RosterError("无法读取该 xlsx 文件，请确认文件未损坏（不支持旧版 xls 格式）") from None
    rows = []
    for row in book.worksheets[0].iter_rows(values_only=True):
        rows.append(["" if c is None else str(c).replace("\x00", "").strip() for c in row])
        if len(rows) > MAX_ROWS + 1:
            raise RosterError(f"名单超过 {MAX_ROWS} 行，请分批导入")
    book.close()
    return rows


def _header(row: list[str]) -> dict[str, int]:
    found = {}
    for index, cell in enumerate(row):
        for key, names in {**COLUMNS, **OPTIONAL}.items():
            if cell.replace(" ", "") in names and key not in found:
                found[key] = index
    missing = [LABELS[k] for k in COLUMNS if k not in found]
    if missing:
        raise RosterError(f"表头缺少列：{'、'.join(missing)}（需要：{'、'.join(LABELS.values())}）")
    return found


def _categories() -> dict[str, str]:
    """Code and label -> code, over every policy."""
    known = {}
    for policy in load_policies().values():
        for c in policy.categories:
            known[c.code], known[c.label] = c.code, c.code
    return known


def check(session: Session, scope: Scope, table: list[list[str]]) -> Checked:
    if not table:
        raise RosterError("文件为空")
    columns = _header(table[0])
    schools = {s.code: s for s in session.scalars(select(School).where(scope.schools()))}
    by_name = {s.name: s for s in schools.values()}
    categories = _categories()
    result, seen_id, seen_number = Checked(), {}, {}

    def error(line: int, key: str, message: str) -> None:
        result.errors.append({"row": line, "column": ALL_LABELS[key], "message": message})

    for line, raw in enumerate(table[1:], start=2):
        cells = {k: (raw[i] if i < len(raw) else "") for k, i in columns.items()}
        cells.setdefault("hukou_county", "")
        if not any(cells.values()):
            continue
        before = len(result.errors)
        for key in ("name", "gender", "id_number", "student_number", "school", "category"):
            if not cells[key]:
                error(line, key, f"{LABELS[key]}不能为空")
        id_check = check_id_number(cells["id_number"]) if cells["id_number"] else None
        if id_check is not None:
            for message in id_check.errors:
                error(line, "id_number", message)
        gender = GENDERS.get(cells["gender"])
        if cells["gender"] and gender is None:
            error(line, "gender", "性别应为“男”或“女”")
        elif gender and id_check is not None and id_check.valid and id_check.gender != gender:
            error(line, "gender", "性别与身份证号码不一致")
        if cells["student_number"] and not STUDENT_NUMBER.fullmatch(cells["student_number"]):
            error(line, "student_number", "学籍号应为1至40位字母或数字")
        school = schools.get(cells["school"]) or by_name.get(cells["school"])
        if cells["category"] and cells["category"] not in categories:
            error(line, "category", f"类别“{cells['category'][:20]}”不是采集政策中的报考类别")
        county = _return_county(scope, cells, categories, lambda m: error(line, "hukou_county", m))
        if cells["school"] and school is None and not (county and scope.regional):
            error(line, "school", f"学校“{cells['school'][:40]}”不存在或不在您的管理范围内")
        number = id_check.id_number if id_check else ""
        for key, value, seen in (("id_number", number, seen_id), ("student_number", cells["student_number"],
                                                                   seen_number)):
            if value and value in seen:
                error(line, key, f"与第{seen[value]}行的{LABELS[key]}重复")
            elif value:
                seen[value] = line
        if len(result.errors) == before:
            result.rows.append({"line": line, "name": cells["name"][:50], "gender": gender, "id_number": number,
                                "student_number": cells["student_number"], "school_code": school.code if school
                                else "", "class_name": cells["class_name"][:50],
                                "category": categories[cells["category"]], "return_county": county or "",
                                "return_source": "authority" if scope.regional else "school",
                                "return_school": school.code if school and school.county_code == county else ""})
    _changes(session, result)
    return result


def _return_county(scope: Scope, cells: dict, categories: dict, error) -> str | None:
    """The hukou county whose list a return-to-hukou row goes on (None: not such a row, or an error said why)."""
    if categories.get(cells["category"]) != RETURN_HUKOU:
        return None
    county = cells["hukou_county"] or (scope.code if scope.role == "county" else "")
    if not county:
        error("回户籍报考的考生请填写户籍所在县（区）代码（6位数字）")
    elif not COUNTY.fullmatch(county):
        error("户籍所在县（区）代码应为6位数字")
    elif scope.regional and not county.startswith(scope.code):
        error(f"户籍所在县（区）“{county}”不在您的管理范围内")
    else:
        return county
    return None


def _changes(session: Session, result: Checked) -> None:
    """Marks each valid row new / changed / unchanged against the roster, and refuses an ID number that another
    student number already holds (another school's 学籍). The roster is looked up by its keyed HMACs."""
    keys = keys_of(session)
    numbers = {roster_key(keys, r["student_number"]): r["student_number"] for r in result.rows}
    ids = {keys.id_digest(r["id_number"]): r["id_number"] for r in result.rows}
    held, details, holders = {}, {}, {}
    for start in range(0, len(numbers), 500):
        chunk = list(numbers)[start:start + 500]
        held.update({numbers[e.student_number]: e for e in session.scalars(
            select(RosterEntry).where(RosterEntry.student_number.in_(chunk)))})
        details.update({numbers[d.student_number]: d for d in session.scalars(
            select(RosterDetail).where(RosterDetail.student_number.in_(chunk)))})
    for start in range(0, len(ids), 500):
        holders.update({ids[digest]: key for digest, key in session.execute(
            select(RosterEntry.id_number, RosterEntry.student_number)
            .where(RosterEntry.id_number.in_(list(ids)[start:start + 500]))).all()})
    kept = []
    for row in result.rows:
        holder = holders.get(row["id_number"])
        if holder and holder != roster_key(keys, row["student_number"]):
            result.errors.append({"row": row["line"], "column": LABELS["id_number"],
                                  "message": "该身份证号已在另一学籍号下登记（可能在其他学校），请核实"})
            continue
        old, detail = held.get(row["student_number"]), details.get(row["student_number"])
        if not row["school_code"]:  # only on a county's return-to-hukou list (its school is elsewhere)
            row["change"], row["fields"] = "new", []
        elif old is None:
            row["change"], row["fields"] = "new", []
        else:
            entry = roster_entry(keys, old)
            was = {"name": entry["name"], "id_number": entry["id_number"], "school_code": old.school_code,
                   "gender": detail.gender if detail else None, "class_name": detail.class_name if detail else None,
                   "category": detail.category if detail else None}
            row["fields"] = [k for k, v in was.items() if v != row[k]]
            row["change"] = "changed" if row["fields"] else "unchanged"
        kept.append(row)
    result.rows = kept
    result.errors.sort(key=lambda e: e["row"])
    result.counts = {kind: sum(1 for r in kept if r["change"] == kind) for kind in ("new", "changed", "unchanged")}
    result.counts["errors"] = len({e["row"] for e in result.errors})


def save_preview(session: Session, user_id: int, filename: str, checked: Checked) -> RosterImport:
    row = RosterImport(user_id=user_id, filename=filename[:200], status="preview",
                       rows=seal(checked.rows, keys_of(session), "roster_imports"),
                       summary={"counts": checked.counts, "errors": checked.errors[:MAX_ERRORS_SHOWN],
                                "more_errors": max(0, len(checked.errors) - MAX_ERRORS_SHOWN)})
    session.add(row)
    session.flush()
    return row


def preview_rows(session: Session, imported: RosterImport) -> list[dict]:
    return unseal(imported.rows, keys_of(session), "roster_imports") or []


def apply(session: Session, imported: RosterImport) -> dict:
    """Central's roster rows written (sealed) by central.terminals.load_schools; the console's details beside
    them under the same keyed 学籍号."""
    keys = keys_of(session)
    checked = preview_rows(session, imported)
    rows = [r for r in checked if r["change"] != "unchanged" and r["school_code"]]
    terminals.load_schools(session, [], rows, keys)
    terminals.load_returns(session, [{**r, "school_code": r["return_school"]} for r in checked
                                     if r.get("return_county")], keys)
    for r in rows:
        session.merge(RosterDetail(student_number=roster_key(keys, r["student_number"]), gender=r["gender"],
                                   class_name=r["class_name"], category=r["category"],
                                   import_id=imported.import_id))
    imported.status = "applied"
    return {"applied": len(rows), **imported.summary["counts"]}  # return-list rows are upserted every time
