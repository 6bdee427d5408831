"""The terminal's configuration: one TOML file written by the technician (`kiosk-provision init`).

Defaults give a demo terminal that runs on any machine: simulated card reader, cameras and a file printer, and an
embedded central server with the demo student on its roster. Every field has an effect:

- data_dir: every file the terminal keeps (kiosk.paths.TerminalPaths); default $KIOSK_DATA_DIR or /var/lib/kiosk
- demo: embedded central server, fresh enrollment, simulated time inside a collection window; defaults to true
  exactly when no server_url is given; a production terminal (demo = false) needs server_url and an enrollment
- terminal_id, role, school_code, county_code: in production checked against what enrollment assigned (a terminal
  configured for one school never runs with another's enrollment); in the demo, what the embedded server enrolls
  (terminal_id empty: the id central assigns)
- school_name: shown on screen and offered as the school of the terminal's own students
- policy: the collection policy applied (pulled from central when it serves one of that name, else shipped)
- card_reader, camera, document_camera, printer, badge_reader: device specs, opened by drivers.<kind>.open at start-up
- idle_timeout_seconds: the session's idle timeout; retention_days: how long confirmed, signed records stay
- screen_size: the touch panel, "WIDTHxHEIGHT" (1280x800, 1920x1080, or 1080x1920 for a portrait panel: a height
  above the width lays the screens out in portrait); fullscreen: a borderless window over the whole display
"""
from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kiosk.errors import KioskError
from kiosk.paths import TerminalPaths, resolve_data_dir


class TerminalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data_dir: Path = Field(default_factory=resolve_data_dir)
    demo: bool = True  # default: true without server_url (see the module docstring)
    terminal_id: str = ""
    role: Literal["school", "point"] = "school"
    school_code: str = "4114030012"
    school_name: str = "商丘市第一初级中学"
    county_code: str = "411403"
    policy: str = "henan-2024"
    server_url: str = ""
    card_reader: str = "simulator"  # "simulator", "auto" (probe serial ports) or a port path
    badge_reader: str = "auto"  # operator badges: "simulator", "pcsc[:name filter]"; auto: simulator in the demo
    camera: str = "simulator"  # "simulator", a device index ("0") or a path/URL
    document_camera: str = "simulator"  # "simulator", "sane[:device]", a device index or a path
    printer: str = "file"  # "file" (PDFs into data_dir/printed) or a CUPS queue name
    idle_timeout_seconds: int = Field(120, ge=15, le=1800)
    retention_days: int = Field(180, ge=1)
    screen_size: str = Field("1280x800", pattern=r"^[1-9][0-9]{2,3}x[1-9][0-9]{2,3}$")
    fullscreen: bool = False

    @property
    def orientation(self) -> Literal["landscape", "portrait"]:
        width, height = (int(v) for v in self.screen_size.split("x"))
        return "portrait" if height > width else "landscape"

    @model_validator(mode="after")
    def _mode(self) -> "TerminalConfig":
        if "demo" not in self.model_fields_set:
            self.__dict__["demo"] = not self.server_url  # derived, not chosen: stays out of model_fields_set
        if self.demo and self.server_url:
            raise ValueError("demo = true runs an embedded server: leave server_url empty or set demo = false")
        if not self.demo and not self.server_url:
            raise ValueError("demo = false needs server_url (the central server)")
        return self

    @property
    def badge_spec(self) -> str:
        """The operator badge reader to open: "auto" is the simulator in the demo, PC/SC in production."""
        if self.badge_reader == "auto":
            return "simulator" if self.demo else "pcsc"
        return self.badge_reader

    @property
    def paths(self) -> TerminalPaths:
        return TerminalPaths(self.data_dir)

    @property
    def store_path(self) -> Path:
        return self.paths.store

    @classmethod
    def load(cls, path: str | Path | None, **overrides) -> "TerminalConfig":
        """The file's settings (defaults without a file), then `overrides` (command-line flags) on top."""
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8")) if path is not None else {}
            return cls.model_validate({**data, **{k: v for k, v in overrides.items() if v is not None}})
        except (FileNotFoundError, IsADirectoryError):
            raise KioskError(f"找不到终端配置文件：{path}", detail=f"no config {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise KioskError(f"无法读取终端配置文件：{path}", detail=f"config read failed: {exc}") from None
        except (tomllib.TOMLDecodeError, ValidationError) as exc:
            raise KioskError("终端配置文件有误，请联系技术人员", detail=f"bad config {path}: {exc}") from None

    def to_toml(self) -> str:
        lines = []
        derived = set() if "demo" in self.model_fields_set else {"demo"}  # re-derived from server_url on load
        for key, value in self.model_dump(mode="json", exclude=derived).items():
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        return "\n".join(lines) + "\n"
