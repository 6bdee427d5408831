"""The terminal's code has one place for each thing (issue #9), checked on its source: lifecycle transitions are
applied by the store alone, SQL names record states through the named groups (never as strings), and the clock,
the local zone and atomic file writes each live once."""
import ast
import re
from pathlib import Path

from kiosk.record import RecordState

ROOT = Path(__file__).resolve().parents[2]
TERMINAL = ("kiosk", "drivers", "provisioning", "ui")  # the terminal's packages (central/ is a separate service)


def sources(*allowed: str):
    """(relative path, syntax tree) of every module of the terminal's packages but the allowed ones."""
    for package in TERMINAL:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name not in allowed:
                yield name, ast.parse(path.read_text(encoding="utf-8"))


def calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and name in (getattr(node.func, "id", None), getattr(node.func, "attr", None))]


def test_lifecycle_transitions_are_applied_by_the_store_alone():
    """State changes go through Store.apply (transition, save and audit in one transaction); the lifecycle's own
    transition() is called by the store and nowhere else on the terminal."""
    outside = [f"{name}:{call.lineno}" for name, tree in sources("kiosk/store/store.py", "kiosk/record/lifecycle.py")
               for call in calls(tree, "transition")]
    assert outside == []


def test_sql_names_no_record_state_as_a_string():
    states = "|".join(s.value for s in RecordState)
    quoted = re.compile(rf"'({states})'")
    found = [f"{name}:{node.lineno}" for name, tree in sources() for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and re.search(r"\b(SELECT|UPDATE|DELETE|WHERE)\b", node.value) and quoted.search(node.value)]
    assert found == []


def test_the_clock_and_the_local_zone_live_in_kiosk_clock():
    """utcnow() and SHANGHAI are kiosk.clock's: no module reads the wall clock with datetime.now or builds the
    UTC+8 zone itself (the session's injected clock and the form's printed time stay one)."""
    found = []
    for name, tree in sources("kiosk/clock.py"):
        for call in calls(tree, "now"):
            if isinstance(call.func, ast.Attribute) and "datetime" in ast.unparse(call.func.value):
                found.append(f"{name}:{call.lineno} {ast.unparse(call)}")
        for call in calls(tree, "timedelta"):
            if any(k.arg == "hours" and ast.unparse(k.value) == "8" for k in call.keywords):
                found.append(f"{name}:{call.lineno} {ast.unparse(call)}")
    assert found == []


def test_files_are_replaced_atomically_in_one_place():
    """kiosk.files.write_atomic (temp file, fsync, rename, directory fsync) is the one write-then-rename. The others
    rename what is not a plain write: a release symlink and the store's SQLite backup (provisioning/update.py), the
    WAV espeak-ng wrote itself (ui/voice.py)."""
    found = [f"{name}:{call.lineno}" for name, tree in sources("kiosk/files.py", "provisioning/update.py",
                                                                "ui/voice.py")
             for call in calls(tree, "replace") if ast.unparse(call.func) == "os.replace"]
    assert found == []


def test_every_config_field_is_read_by_the_terminal():
    """Every TerminalConfig field has an effect: something outside kiosk/config.py reads it from a config, directly
    or through one of the config's properties (badge_spec, paths, orientation...)."""
    from kiosk.config import TerminalConfig

    config_module = ast.parse((ROOT / "kiosk" / "config.py").read_text(encoding="utf-8"))
    through: dict[str, set[str]] = {}  # property -> the fields it reads
    for node in ast.walk(config_module):
        if isinstance(node, ast.FunctionDef) and any(ast.unparse(d) == "property" for d in node.decorator_list):
            through[node.name] = {a.attr for a in ast.walk(node) if isinstance(a, ast.Attribute)
                                  and ast.unparse(a.value) == "self"}
    read = {node.attr for _name, tree in sources("kiosk/config.py") for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and "config" in ast.unparse(node.value).lower()}
    effective = read | {field for prop, fields in through.items() if prop in read for field in fields}
    assert sorted(set(TerminalConfig.model_fields) - effective) == []
