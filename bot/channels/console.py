"""The terminal channel (`surveybot chat`): the same dispatcher, engine and storage as WeChat."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from bot.dispatch.envelope import Channel, Dispatcher, Envelope, Outcome
from flows.events import Inbound, Intent

QUIT_WORDS = frozenset({"/quit", "/exit", "退出"})


def envelope_for(user: str, text: str | None, *, intent: Intent | None = None) -> Envelope:
    inbound = Inbound(now=datetime.now(UTC), text=text, intent=intent)
    return Envelope(Channel.CONSOLE, user, uuid.uuid4().hex, inbound)


def show(outcome: Outcome, output: Callable[[str], None]) -> None:
    for message in outcome.messages:
        output(message.text)
        output("")


async def run_console(
    dispatcher: Dispatcher,
    user: str,
    read: Callable[[], str],
    output: Callable[[str], None],
) -> None:
    """Chat until end of input or /quit. `read` raises EOFError at the end (like input())."""
    show(await dispatcher.handle(envelope_for(user, None, intent=Intent.START)), output)
    while True:
        try:
            line = read()
        except (EOFError, KeyboardInterrupt):
            return
        if line.strip().lower() in QUIT_WORDS:
            return
        show(await dispatcher.handle(envelope_for(user, line)), output)
