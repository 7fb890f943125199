"""Latency and throughput figures of one load run, printed as one table row."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

HEADER = (
    f"{'run':<28} {'requests':>8} {'errors':>6} {'late':>5} {'secs':>7} {'req/s':>8} "
    f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


@dataclass
class RunResult:
    label: str
    elapsed_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)  # status or exception → count
    late: int = 0  # 200 "success" with no passive reply: the dispatcher was over budget

    @property
    def requests(self) -> int:
        return len(self.latencies_s)

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed_s if self.elapsed_s else 0.0

    def p(self, q: float) -> float:
        return percentile(sorted(self.latencies_s), q)

    def row(self) -> str:
        ms = [1000 * self.p(q) for q in (50, 95, 99, 100)]
        return (
            f"{self.label:<28} {self.requests:>8} {sum(self.errors.values()):>6} "
            f"{self.late:>5} {self.elapsed_s:>7.1f} {self.throughput:>8.1f} "
            + " ".join(f"{v:>7.1f}" for v in ms)
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "requests": self.requests,
            "errors": dict(self.errors),
            "late": self.late,
            "elapsed_s": round(self.elapsed_s, 3),
            "throughput": round(self.throughput, 1),
            "p50_ms": round(1000 * self.p(50), 1),
            "p95_ms": round(1000 * self.p(95), 1),
            "p99_ms": round(1000 * self.p(99), 1),
            "max_ms": round(1000 * self.p(100), 1),
        }
