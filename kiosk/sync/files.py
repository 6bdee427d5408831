"""The file helpers sync uses; they live in kiosk/files.py (one copy for the whole terminal)."""
from kiosk.files import read_json, write_atomic, write_json

__all__ = ["read_json", "write_atomic", "write_json"]
