"""What the bot side says outside an engine step, in the engine's reply types.

The dispatcher's (bot.dispatch.service, bot.dispatch.survey_step): the follow-up survey
not open, no more pages to show, a reply not kept because it showed personal
information; and the reminder worker's reminder (bot.workers.reminders).
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.model import Text
from flows.replies import Reply


@dataclass(frozen=True)
class NextUnavailable(Reply):
    pass


@dataclass(frozen=True)
class NoMorePages(Reply):
    pass


@dataclass(frozen=True)
class ReplyNotKept(Reply):
    pass


@dataclass(frozen=True)
class Reminder(Reply):
    number: str | None
    total: int | None
    title: Text
    tap_link: bool  # WeChat: the resume word as a tap link
