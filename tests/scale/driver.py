"""WeChat's side of a load test: many respondents, every push delivered 1–4 times.

Each copy of a push is delivered as WeChat does: if the answer is not a 200 (a 503 from
a worker that lost its database, a connection reset by a killed worker, a timeout), the
same push — same MsgId, or same user + CreateTime for an event — is sent again. Every
retry is counted by reason; every request's duration is kept.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import httpx

from benchmarks.respondents import Respondent
from bot.devtools.wechat_sim import SimReply, WeChatSimulator
from tests.scale.server import AES_KEY, APP_ID, TOKEN

MAX_ATTEMPTS = 40  # per copy; WeChat gives up after 3 retries, a test needs certainty
RETRY_PAUSE_S = 0.25


@dataclass
class LoadReport:
    sent: int = 0  # HTTP requests made
    pushes: int = 0  # distinct pushes (messages and events)
    retries: Counter[str] = field(default_factory=Counter)  # reason → count
    slowest_s: float = 0.0
    slowest_failure_s: float = 0.0  # the slowest request that did not answer 200
    inconsistent: list[str] = field(default_factory=list)  # copies answered differently
    abandoned: list[str] = field(default_factory=list)  # copies never answered 200
    done: int = 0  # pushes finished (for tests that act mid-load)
    success_only: int = 0  # 200 "success" without a passive reply (over the budget)
    # (monotonic start, seconds taken, "200" or the failure) of every request
    requests: list[tuple[float, float, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.pushes} pushes, {self.sent} requests, retries {dict(self.retries)}, "
            f"{self.success_only} answered 'success', "
            f"slowest {self.slowest_s:.2f}s (failure {self.slowest_failure_s:.2f}s)"
        )


class WeChatLoad:
    def __init__(
        self,
        base_url: str,
        *,
        seed: int,
        concurrency: int = 50,
        timeout_s: float = 10.0,
        max_copies: int = 4,
    ) -> None:
        self.base_url = base_url
        self.rng = random.Random(seed)
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_copies = max_copies
        self.report = LoadReport()
        self._msg_ids = itertools.count(7_000_000_000_000_000_000)
        self._create_times = itertools.count(1_800_000_000)

    async def run(self, people: Sequence[Respondent]) -> LoadReport:
        limits = httpx.Limits(max_connections=self.concurrency * 4, max_keepalive_connections=64)
        async with httpx.AsyncClient(timeout=self.timeout_s, limits=limits) as client:
            gate = asyncio.Semaphore(self.concurrency)

            async def one(person: Respondent) -> None:
                async with gate:
                    await self._respondent(client, person)

            await asyncio.gather(*(one(p) for p in people))
        return self.report

    async def _respondent(self, client: httpx.AsyncClient, person: Respondent) -> None:
        # The server has an EncodingAESKey: half the respondents in safe mode, half in
        # compatible mode (plaintext fields beside the signed ciphertext).
        safe = self.rng.random() < 0.5
        sim = WeChatSimulator(
            TOKEN, APP_ID, AES_KEY, self.base_url, client=client, compatible=not safe
        )
        create_time = next(self._create_times)
        await self._push(person.openid, lambda: sim.send_event(
            person.openid, "subscribe", create_time=create_time
        ))  # fmt: skip
        for text in person.texts:
            await self._push(person.openid, partial(
                sim.send_text, person.openid, text, msg_id=next(self._msg_ids)
            ))  # fmt: skip

    async def _push(self, openid: str, send: Callable[[], Awaitable[SimReply]]) -> None:
        """Deliver one push 1–max_copies times, the first `together` of them at once."""
        self.report.pushes += 1
        copies = self.rng.randint(1, self.max_copies)
        together = self.rng.randint(1, copies)
        replies = list(await asyncio.gather(*(self._deliver(send) for _ in range(together))))
        for _ in range(copies - together):
            replies.append(await self._deliver(send))
        answered = [r for r in replies if r is not None]
        if len(answered) < len(replies):
            self.report.abandoned.append(openid)
        # "success" = over the reply budget: the reply goes out later (customer service).
        self.report.success_only += sum(1 for r in answered if r.text is None)
        texts = {r.text for r in answered if r.text is not None}
        if len(texts) > 1:
            self.report.inconsistent.append(f"{openid}: {sorted(texts)}")
        self.report.done += 1

    async def _deliver(self, send: Callable[[], Awaitable[SimReply]]) -> SimReply | None:
        for _ in range(MAX_ATTEMPTS):
            self.report.sent += 1
            started = time.monotonic()
            reason, reply = "", None
            try:
                reply = await send()
            except httpx.TimeoutException:
                reason = "timeout"
            except httpx.TransportError as error:
                reason = type(error).__name__
            elapsed = time.monotonic() - started
            self.report.slowest_s = max(self.report.slowest_s, elapsed)
            if reply is not None and reply.status == 200:
                self.report.requests.append((started, elapsed, "200"))
                return reply
            reason = reason or f"http {reply.status if reply else '?'}"
            self.report.requests.append((started, elapsed, reason))
            self.report.slowest_failure_s = max(self.report.slowest_failure_s, elapsed)
            self.report.retries[reason] += 1
            await asyncio.sleep(RETRY_PAUSE_S)
        return None
