"""The "are you sure?" questions and what follows the answer (flows.confirmations).

Restarting, deleting one's data and reusing an earlier round's answers are confirmed
first; an answer other than yes or no is asked again, a no cancels, a yes restarts or
deletes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flows.model import Question
from flows.replies import Reply


@dataclass(frozen=True)
class ConfirmRestart(Reply):
    pass


@dataclass(frozen=True)
class ConfirmDelete(Reply):
    pass


@dataclass(frozen=True)
class ConfirmReuse(Reply):
    details: Sequence[tuple[Question, str]]


@dataclass(frozen=True)
class ConfirmInvalid(Reply):
    pass


@dataclass(frozen=True)
class Cancelled(Reply):
    pass


@dataclass(frozen=True)
class Restarted(Reply):
    pass


@dataclass(frozen=True)
class DataDeletedNotice(Reply):
    pass
