"""Terminal side of sync: enrollment and key, signed HTTP client, outbox worker, pulled configuration.

The wire schema shared with central/ is kiosk.sync.wire.
"""
from .client import SignedAuth, open_client, send_self_test
from .config import ConfigCache
from .identity import TerminalIdentity, enroll
from .worker import SyncStatus, SyncWorker

__all__ = ["ConfigCache", "SignedAuth", "SyncStatus", "SyncWorker", "TerminalIdentity", "enroll", "open_client",
           "send_self_test"]
