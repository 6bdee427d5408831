"""A private PostgreSQL cluster (Debian's postgresql 15 on a private directory and port) for the central and console
tests, and a fresh database on it per test."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from central.embedded import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


@pytest.fixture(scope="session")
def postgres():
    """A private PostgreSQL cluster for the session; yields a base URL without database name."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL binaries absent (/usr/lib/postgresql/15/bin): install Debian's postgresql")
    root = Path(tempfile.mkdtemp(prefix="central-pg-"))
    shutil.chown(root, "postgres", "postgres")
    os.chmod(root, 0o700)
    port = free_port()
    as_postgres = lambda cmd: subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", cmd], check=True,  # noqa: E731
                                             capture_output=True, timeout=60)
    as_postgres(f"{PG_BIN}/initdb -D {root}/data -A trust -U postgres")
    as_postgres(f"{PG_BIN}/pg_ctl -D {root}/data -o '-k {root} -p {port} -c listen_addresses=127.0.0.1 "
                f"-c fsync=off -c max_connections=200' -l {root}/log -w start")
    yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    as_postgres(f"{PG_BIN}/pg_ctl -D {root}/data -m fast stop")
    shutil.rmtree(root, ignore_errors=True)


def new_pg_database(base: str) -> str:
    import psycopg

    name = f"central_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{base}/{name}"
