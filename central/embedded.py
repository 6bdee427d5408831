"""The central server in a thread of this process, on loopback: the kiosk's default when no server is configured
(a stand-alone demo or a single registration point), and the tests' real server."""
from __future__ import annotations

import logging
import socket
import threading
import time

from .settings import Settings


def server_options() -> dict:
    """uvicorn's fast HTTP parser and event loop (uvicorn[standard]), named so a missing one is seen in the log;
    the pure-Python ones when they are not installed."""
    try:
        import httptools  # noqa: F401
        import uvloop  # noqa: F401
    except ImportError:
        logging.getLogger(__name__).warning("httptools/uvloop not installed: slower HTTP path")
        return {"http": "auto", "loop": "auto"}
    return {"http": "httptools", "loop": "uvloop"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmbeddedServer:
    """central's app under a real uvicorn on 127.0.0.1."""

    def __init__(self, settings: Settings, port: int | None = None):
        import uvicorn

        from .app import create_app

        self.app = create_app(settings)
        self.central = self.app.state.central
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_config=None,
                                                    access_log=False, lifespan="off",
                                                    **server_options()))
        self.thread = threading.Thread(target=self.server.run, name="central", daemon=True)
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.central.engine.dispose()

    def enroll_code(self, role: str, school: str, county: str) -> str:
        from . import terminals

        return self.central.write(lambda s: terminals.create_code(s, role, school, county))

    def __enter__(self) -> "EmbeddedServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
