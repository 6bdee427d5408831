"""Engine, sessions and migrations (Alembic, run programmatically at start)."""
from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=8)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged record survives power loss
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Brings the schema to the newest revision; safe to run at every start."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def session_factory(engine: Engine, **info) -> sessionmaker[Session]:
    """Sessions whose .info carries info (e.g. data_keys: code that seals reaches the key through its session)."""
    return sessionmaker(engine, expire_on_commit=False, info=info)


class GroupCommit:
    """Runs queued units of work together in one write transaction, in arrival order, from one thread."""

    MAX_GROUP = 64

    def __init__(self, write):
        self._write, self._queue = write, queue.SimpleQueue()
        threading.Thread(target=self._run, name="group-commit", daemon=True).start()

    def submit(self, work):
        done = Future()
        self._queue.put((work, done))
        return done.result()

    def _run(self) -> None:
        while True:
            group = [self._queue.get()]
            while len(group) < self.MAX_GROUP:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                results = self._write(lambda session: [work(session) for work, _ in group])
            except Exception:  # one unit failed: run each alone, so only its own caller sees the error
                for work, done in group:
                    try:
                        done.set_result(self._write(work))
                    except Exception as exc:
                        done.set_exception(exc)
                continue
            for (_, done), result in zip(group, results):
                done.set_result(result)
