"""The figures of one `surveybot bench burst` run and the checks it must pass."""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmarks.results import percentile

PASSIVE_TARGET_S = 4.5  # WeChat waits 5 s for a passive reply; 0.5 s kept for the network
DRAIN_TARGET = 0.8  # the broadcast drains at no less than this share of the allowed rate


@dataclass
class BurstResult:
    followers: int
    respondents: int
    seconds: float
    workers: int
    staff_replies: tuple[str, str] = ("", "")
    sample_reply: str = ""
    latencies_s: list[float] = field(default_factory=list)
    late: int = 0  # answered "success": no passive reply
    errors: int = 0  # not HTTP 200, or the connection failed
    delivered: dict[str, int] = field(default_factory=dict)  # follower → broadcast copies
    other_sends: int = 0
    refused: int = 0
    api_rate: float = 0.0
    drain_s: float | None = None  # /confirm → the last follower's copy accepted
    send_span_s: float | None = None  # first → last accepted copy
    verified: bool = False
    failed_rows: int = 0
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    server_log_tail: str = ""

    def take_api_stats(self, stats: dict[str, object], confirmed_at: float) -> None:
        copies = stats.get("copies")
        self.delivered = (
            {str(k): int(v) for k, v in copies.items()} if isinstance(copies, dict) else {}
        )
        self.other_sends = _int(stats.get("other"))
        self.refused = _int(stats.get("refused"))
        quota = stats.get("quota")
        if isinstance(quota, list) and len(quota) == 2:
            self.api_rate = float(quota[0]) / float(quota[1])
        first, last = stats.get("first_at"), stats.get("last_at")
        if isinstance(first, float) and isinstance(last, float):
            self.drain_s = last - confirmed_at
            self.send_span_s = last - first

    @property
    def answered(self) -> int:
        return len(self.latencies_s) - self.late - self.errors

    @property
    def lost(self) -> int:
        """Followers without a copy."""
        return self.followers - len(self.delivered)

    @property
    def duplicates(self) -> int:
        """Copies beyond the first to the same follower."""
        return sum(n - 1 for n in self.delivered.values() if n > 1)

    @property
    def exactly_once(self) -> bool:
        return self.lost == 0 and self.duplicates == 0

    @property
    def achieved_rate(self) -> float:
        copies = sum(self.delivered.values())
        return copies / self.drain_s if self.drain_s else 0.0

    def p(self, q: float) -> float:
        return percentile(sorted(self.latencies_s), q)

    def checks(self) -> dict[str, bool]:
        return {
            f"no passive reply later than {PASSIVE_TARGET_S} s": self.p(100) <= PASSIVE_TARGET_S,
            "every push answered (a passive reply, no error)": (
                len(self.latencies_s) == self.respondents and self.answered == self.respondents
            ),
            "every follower got the broadcast exactly once": self.exactly_once,
            f"the outbox drained at >= {DRAIN_TARGET:.0%} of the allowed rate": (
                self.achieved_rate >= DRAIN_TARGET * self.api_rate
            ),
            "no outbox row failed for good": self.failed_rows == 0,
            "db verify exact": self.verified,
        }

    def invariants_hold(self) -> bool:
        """Everything but the timing (what a tiny CI run can assert on a loaded machine)."""
        timed = ("later than", "drained at")
        return all(ok for name, ok in self.checks().items() if not any(t in name for t in timed))

    def lines(self, database: str) -> list[str]:
        ms = [1000 * self.p(q) for q in (50, 99, 100)]
        copies = sum(self.delivered.values())
        share = self.achieved_rate / self.api_rate if self.api_rate else 0.0
        drain = f"{self.drain_s:.1f} s" if self.drain_s is not None else "-"
        out = [
            f"burst: {self.followers:,} followers, {self.respondents:,} respondents over "
            f"{self.seconds:g} s, {database}, {self.workers} workers, "
            f"API {self.api_rate:g} sends/s",
            f"staff: {self.staff_replies[1]!r}",
            f"a follower's passive reply: {self.sample_reply[:120]!r}",
            f"passive replies: {len(self.latencies_s):,} pushes, {self.answered:,} answered, "
            f"{self.late} late ('success'), {self.errors} errors; "
            f"p50 {ms[0]:.0f} ms, p99 {ms[1]:.0f} ms, max {ms[2]:.0f} ms",
            f"broadcast: {copies:,} copies to {len(self.delivered):,} of {self.followers:,} "
            f"followers, {self.lost:,} lost, {self.duplicates:,} duplicates; "
            f"drained {drain} after /confirm at {self.achieved_rate:.1f} sends/s "
            f"({share:.0%} of the {self.api_rate:g}/s allowed); "
            f"{self.refused:,} sends refused by the quota (45011) and postponed; "
            f"{self.other_sends} other customer-service sends",
            "load average before / after: "
            + " / ".join(
                ", ".join(f"{x:.1f}" for x in load) for load in (self.load_before, self.load_after)
            ),  # fmt: skip
        ]
        for name, ok in self.checks().items():
            out.append(f"  {'ok ' if ok else 'NOT'} {name}")
        return out


def _int(value: object) -> int:
    return int(value) if isinstance(value, int) else 0
