"""The candidate record: model (also the wire schema), validation, lifecycle, password hashing, example."""
from .example import example_card, example_record
from .lifecycle import CORRECTABLE, STATE_LABELS, TRANSITIONS, AuditEntry, edit, transition
from .model import EDITABLE, LOCKED, Guardian, OperatorNote, Record, RecordState, StudyEntry
from .password import hash_password, password_problem, verify_password
from .validate import study_history_problems, validate_record

__all__ = [
    "CORRECTABLE", "EDITABLE", "LOCKED", "STATE_LABELS", "TRANSITIONS", "AuditEntry", "Guardian", "OperatorNote",
    "Record", "RecordState", "StudyEntry", "edit",
    "example_card", "example_record", "hash_password", "password_problem", "study_history_problems",
    "transition", "validate_record", "verify_password",
]
