"""Fixtures of the observability tests: reading /metrics, capturing JSON log lines."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.observability.logging import QUIET_LOGGERS, JsonFormatter, RedactPersonalData
from tests.bot.wechat_harness import harness  # noqa: F401  (fixture: the real app)

# A realistic openid: "o" + 27 characters.
OPENID = "oLVPpjqs9BhvzwPj5A-vTYAX3GLc"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient, base_url: str = "http://wechat.test") -> Samples:
    res = await client.get(f"{base_url}/metrics")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(res.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """How much a sample grew between two scrapes (the registry outlives each test)."""
    return value(after, name, **labels) - value(before, name, **labels)


@dataclass
class CapturedLogs:
    stream: io.StringIO

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line]


@pytest.fixture
def json_logs() -> Iterator[CapturedLogs]:
    """Every record of the test as `surveybot serve` writes it (JSON, redacted), at DEBUG."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactPersonalData())
    root = logging.getLogger()
    quiet = {name: logging.getLogger(name) for name in QUIET_LOGGERS}
    saved = root.level, {name: lg.level for name, lg in quiet.items()}
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name, floor in QUIET_LOGGERS.items():
        quiet[name].setLevel(floor)
    try:
        yield CapturedLogs(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            quiet[name].setLevel(level)
