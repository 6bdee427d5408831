"""Schema of the local store, versioned through PRAGMA user_version; each migration runs once, in order."""

MIGRATIONS: list[str] = [
    # 1: records, versions, attachments, audit log (append-only), outbox
    """
    CREATE TABLE records (
        record_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        state TEXT NOT NULL,
        policy TEXT NOT NULL,
        category TEXT NOT NULL,
        id_lookup TEXT NOT NULL,           -- HMAC of the ID number (device key), for duplicate checks
        payload BLOB NOT NULL,             -- sealed JSON of the record
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        confirmed_version INTEGER,         -- highest version the server acknowledged
        confirmed_at TEXT
    );
    CREATE INDEX records_id_lookup ON records(id_lookup);
    CREATE TABLE record_versions (
        record_id TEXT NOT NULL REFERENCES records(record_id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        state TEXT NOT NULL,
        payload BLOB NOT NULL,
        saved_at TEXT NOT NULL,
        PRIMARY KEY (record_id, version, state)
    );
    CREATE TABLE attachments (
        record_id TEXT NOT NULL REFERENCES records(record_id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('photo', 'document')),
        sha256 TEXT NOT NULL,
        data BLOB NOT NULL,                -- sealed JPEG bytes
        PRIMARY KEY (record_id, kind)
    );
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        record_id TEXT NOT NULL,
        action TEXT NOT NULL,
        actor TEXT NOT NULL,
        from_state TEXT NOT NULL,
        to_state TEXT NOT NULL,
        version INTEGER NOT NULL,
        details TEXT NOT NULL,             -- JSON, no personal data
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL                 -- SHA-256 chain over the entries: tampering shows
    );
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        state TEXT NOT NULL,
        enqueued_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT NOT NULL DEFAULT '',
        UNIQUE (record_id, version, state)
    );
    """,
]
