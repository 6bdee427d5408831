"""Fail when the installed set differs from what the lock intends.

`pip check` must report only the requirements that requirements/overrides.txt drops on purpose.
"""
import subprocess
import sys
from pathlib import Path

DROPPED = {
    line.split(";")[0].strip().lower()
    for line in (Path(__file__).resolve().parent.parent / "requirements" / "overrides.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
}

out = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True).stdout
unexpected = [
    line for line in out.splitlines()
    if line.strip() and "No broken requirements" not in line
    and not any(f"requires {name}," in line.lower() or line.lower().endswith(f"requires {name}") for name in DROPPED)
]
if unexpected:
    sys.exit("dependency check failed:\n" + "\n".join(unexpected))
