"""Terminal side of sync: enrollment and key, signed HTTP client, outbox worker, pulled configuration.

The wire schema shared with central/ is kiosk.wire. Names below load on first use (importing kiosk.sync loads
neither httpx nor the store). Wiring in the composition root (ui/):

    identity = TerminalIdentity.load(data_dir / "sync")           # after `kiosk sync enroll`
    worker = SyncWorker(store, open_client(identity), data_dir / "sync", app_version=...,
                        peripherals=lambda: {"card_reader": "ok", ...}).start()
    ... store.save(...) / store.apply(...); worker.kick()         # returns at once
    worker.status().message                                       # Chinese line for the screen
    load_policies(worker.config.policy_dir)                       # pulled policies (last good copy)
    worker.config.last_good().roster                              # roster of a school terminal, offline too
    worker.stop()
"""
import importlib
import sys

# httpx imports its command-line client whenever click, rich and pygments are installed (uvicorn brings click): 5.7
# MB of RSS in the kiosk, which never runs it. A None entry makes that import fail, and httpx carries on without it.
sys.modules.setdefault("httpx._main", None)

_WHERE = {"SignedAuth": "client", "open_client": "client", "send_self_test": "client", "ConfigCache": "config",
          "TerminalIdentity": "identity", "enroll": "identity", "SyncStatus": "worker", "SyncWorker": "worker"}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
