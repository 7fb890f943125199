"""A tiny driver for golden conversations: send messages, read replies and effects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flows.engine import step
from flows.events import Inbound, Intent, Step
from flows.model import Flow
from flows.reply_registry import template_name, template_params
from flows.state import SessionState

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


class Script:
    def __init__(self, flow: Flow, *, now: datetime = START) -> None:
        self.flow = flow
        self.state: SessionState | None = None
        self.now = now
        self.last: Step | None = None

    def send(
        self,
        text: str | None = None,
        *,
        intent: Intent | None = None,
        wait: timedelta = timedelta(seconds=20),
    ) -> Step:
        self.now += wait
        self.last = step(self.flow, self.state, Inbound(now=self.now, text=text, intent=intent))
        self.state = self.last.state
        return self.last

    def answer_all(self, *texts: str) -> None:
        for text in texts:
            self.send(text)

    @property
    def keys(self) -> list[str]:
        assert self.last is not None
        return [template_name(r) for r in self.last.replies]

    @property
    def effects(self) -> list[object]:
        assert self.last is not None
        return list(self.last.effects)

    @property
    def current(self) -> str | None:
        assert self.state is not None
        return self.state.current

    def reply(self, key: str) -> dict[str, object]:
        assert self.last is not None
        for r in self.last.replies:
            if template_name(r) == key:
                return template_params(r)
        raise AssertionError(f"no {key!r} reply in {self.keys}")
