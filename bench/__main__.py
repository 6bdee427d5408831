"""Runs every bench/bench_*.py module's run() -> list[Row] and prints one table.

Usage: python -m bench [NAME ...]   (NAME filters modules, e.g. `python -m bench store idcard`)
"""
import importlib
import pkgutil
import sys
import traceback
from pathlib import Path

from bench import Row


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    rows: list[Row] = []
    failed = 0
    for name in names:
        try:
            rows.extend(importlib.import_module(f"bench.{name}").run())
        except Exception:  # a broken benchmark is reported, the others still run
            failed += 1
            traceback.print_exc()
    width = max([len(r.name) for r in rows] + [10])
    print(f"{'benchmark':<{width}}  {'value':>12} {'unit':<8} {'reference':>12} {'kind':<9} {'ratio':>7}  verdict")
    for r in rows:
        print(f"{r.name:<{width}}  {r.value:>12.4g} {r.unit:<8} {r.reference:>12.4g} {r.reference_kind:<9} "
              f"{r.ratio:>7.3f}  {r.verdict} {r.note}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
