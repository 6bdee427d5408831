"""Server settings: one dataclass, filled from the command line (see central/cli.py) or by tests."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Settings:
    data_dir: Path = Path("central-data")
    db_url: str = ""  # default: a SQLite file in data_dir
    attachments: str = ""  # "" = files under data_dir/attachments; "s3://bucket[/prefix]" = object store
    s3_endpoint: str | None = None  # e.g. http://127.0.0.1:9000 for an S3-compatible server
    policy_dir: Path | None = None  # extra policy files served to terminals (besides the shipped ones)
    max_concurrent_uploads: int = 64  # more pushes in flight than this -> 503 + Retry-After (a memory bound)
    queue_target_s: float = 0.25  # shed pushes (503) while their queueing delay stays above this
    rate_per_terminal: float = 20.0  # requests per second per terminal (token bucket) -> 429 + Retry-After
    burst_per_terminal: int = 40
    clock_skew_s: int = 300
    enroll_code_ttl_h: int = 72
    data_key_file: str | None = None  # data keys (central.records); default $KIOSK_CENTRAL_DATA_KEY or data/keys

    def __post_init__(self):
        self.data_dir = Path(self.data_dir)

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str)

    @classmethod
    def from_json(cls, text: str) -> "Settings":
        return cls(**json.loads(text))

    @property
    def database_url(self) -> str:
        if not self.db_url:
            return f"sqlite:///{(self.data_dir / 'central.db').resolve()}"
        if self.db_url.startswith("postgresql://"):
            return "postgresql+psycopg://" + self.db_url.removeprefix("postgresql://")
        return self.db_url
