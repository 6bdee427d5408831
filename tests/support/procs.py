"""A process's children and resident memory on Linux (/proc), for the tests and benchmarks that run
`kiosk-central serve` with worker processes."""
from __future__ import annotations

from pathlib import Path


def children(pid: int) -> list[int]:
    """The direct children of `pid` ([] once it is gone)."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def tree_rss(pid: int) -> int:
    """Resident set size in bytes of the process and its children (uvicorn workers)."""
    total = 0
    for each in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except FileNotFoundError:
            pass
    return total
