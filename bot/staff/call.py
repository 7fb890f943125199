"""One staff command being carried out, and what it produced (for the reply and the audit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.dispatch.envelope import Message
from bot.settings import StaffMember
from bot.staff.commands import StaffRequest
from flows.replies import Reply

Say = Callable[[Reply], list[Message]]  # renders staff replies (bilingual)


@dataclass(frozen=True)
class Call:
    """One staff command being carried out: in its read transaction, then (for what it
    changes) in the message's short write transaction (`bot.dispatch.staff_dispatch`)."""

    session: Session
    request: StaffRequest
    member: StaffMember
    now: datetime

    @property
    def actor(self) -> str:
        return str(self.member)


@dataclass(frozen=True)
class Result:
    messages: list[Message]
    action: str  # the audit log's action
    detail: dict[str, object] = field(default_factory=dict)  # added to the audit detail
    personal: bool = False  # shows a respondent's contact details (see Outcome.personal)


# A state change left for the write transaction, given the Call in that transaction.
Write = Callable[[Call], Result]
# What a command's read phase comes to: its reply (nothing to change), or a Write.
Planned = Result | Write
