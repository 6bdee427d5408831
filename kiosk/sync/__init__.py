"""Terminal side of sync: enrollment and key, signed HTTP client, outbox worker, pulled configuration.

The wire schema shared with central/ is kiosk.sync.wire. Wiring in the composition root (ui/):

    identity = TerminalIdentity.load(data_dir / "sync")           # after `kiosk sync enroll`
    worker = SyncWorker(store, open_client(identity), data_dir / "sync", app_version=...,
                        peripherals=lambda: {"card_reader": "ok", ...}).start()
    ... store.save(...) / store.apply(...); worker.kick()         # returns at once
    worker.status().message                                       # Chinese line for the screen
    load_policies(worker.config.policy_dir)                       # pulled policies (last good copy)
    worker.config.last_good().roster                              # roster of a school terminal, offline too
    worker.stop()
"""
from .client import SignedAuth, open_client, send_self_test
from .config import ConfigCache
from .identity import TerminalIdentity, enroll
from .worker import SyncStatus, SyncWorker

__all__ = ["ConfigCache", "SignedAuth", "SyncStatus", "SyncWorker", "TerminalIdentity", "enroll", "open_client",
           "send_self_test"]
