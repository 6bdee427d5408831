"""The crash-safe, encrypted local store (SQLite WAL, one file)."""
from .crypto import DeviceKey
from .store import OutboxItem, Store, preview

__all__ = ["DeviceKey", "OutboxItem", "Store", "preview"]
