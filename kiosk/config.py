"""The terminal's configuration: one TOML file written by the technician (`kiosk-provision init`).

Defaults give a simulated terminal that runs on any machine: simulated card reader and camera, a file printer and
an embedded central server.
"""
from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kiosk.errors import KioskError


class TerminalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data_dir: Path = Path("var/kiosk")  # store, device key, pulled policies and roster, terminal key
    terminal_id: str = "SIM-411403-0001"
    role: Literal["school", "point"] = "school"
    school_code: str = "4114030012"
    school_name: str = "商丘市第一初级中学"
    county_code: str = "411403"
    policy: str = "henan-2024"
    server_url: str = ""  # empty: start an embedded central server on loopback
    card_reader: str = "simulator"  # "simulator", "auto" (probe serial ports) or a port path
    camera: str = "simulator"  # "simulator", a device index ("0") or a path/URL
    document_camera: str = "simulator"
    printer: str = "file"  # "file" (PDFs into data_dir/printed) or a CUPS queue name
    idle_timeout_seconds: int = Field(120, ge=15, le=1800)
    retention_days: int = Field(180, ge=1)

    @property
    def store_path(self) -> Path:
        return self.data_dir / "kiosk.db"

    @classmethod
    def load(cls, path: str | Path | None) -> "TerminalConfig":
        if path is None:
            return cls()
        try:
            return cls.model_validate(tomllib.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise KioskError(f"找不到终端配置文件：{path}", detail=f"no config {path}") from None
        except (tomllib.TOMLDecodeError, ValidationError) as exc:
            raise KioskError("终端配置文件有误，请联系技术人员", detail=f"bad config {path}: {exc}") from None

    def to_toml(self) -> str:
        lines = []
        for key, value in self.model_dump(mode="json").items():
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        return "\n".join(lines) + "\n"
