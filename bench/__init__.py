"""Benchmarks: `python -m bench` prints one table; every figure is a ratio to a bound or a same-run baseline."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    name: str  # what was measured
    value: float  # the measured figure
    unit: str
    reference: float  # the bound (a goal) or a baseline measured in the same run
    reference_kind: str  # "goal <=", "goal >=", "baseline"
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.reference if self.reference else float("inf")

    @property
    def verdict(self) -> str:
        if self.reference_kind == "goal <=":
            return "ok" if self.value <= self.reference else "MISS"
        if self.reference_kind == "goal >=":
            return "ok" if self.value >= self.reference else "MISS"
        return ""
