"""A respondent's session as a versioned, JSON-serialisable snapshot.

The engine returns a new `SessionState` for every inbound message; storage keeps it
as JSON (`to_json` / `from_json`). A respondent finishes on the flow version they started.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

import orjson

from flows.model import Lang

STATE_VERSION = 1


class Status(StrEnum):
    NEW = "new"  # nothing sent yet
    LANGUAGE = "language"  # waiting for the language choice
    ACTIVE = "active"  # answering questions
    COMPLETED = "completed"  # finished (answers may still be changed)
    CONTACT = "contact"  # filling in the contact form outside the survey ("contact me")


class Pending(StrEnum):
    """A yes/no confirmation the respondent must give before something destructive."""

    RESTART = "restart"
    DELETE = "delete"
    REUSE = "reuse"  # "用这些联系方式吗？": the details given through 联系我, for the survey's form


@dataclass(frozen=True)
class Answer:
    options: tuple[str, ...] = ()
    text: str | None = None
    original: str | None = None  # a number's text as written ("1.5万吨"), see flows.quantities

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.options:
            out["o"] = list(self.options)
        if self.text is not None:
            out["t"] = self.text
        if self.original is not None:
            out["r"] = self.original
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Answer:
        return cls(options=tuple(data.get("o", ())), text=data.get("t"), original=data.get("r"))


@dataclass(frozen=True)
class SessionState:
    flow_id: str
    flow_version: int
    status: Status = Status.NEW
    lang: Lang = Lang.BOTH
    current: str | None = None  # question id being asked
    history: tuple[str, ...] = ()  # questions asked before `current`, oldest first
    answers: Mapping[str, Answer] = field(default_factory=dict)
    retries: int = 0  # invalid answers in a row for `current`
    pending: Pending | None = None
    editing: bool = False  # changing one answer after completion
    started_at: str | None = None  # ISO timestamps, set from Inbound.now
    updated_at: str | None = None
    completed_at: str | None = None
    # The "contact me" form filled outside the survey (status CONTACT): question id → text.
    form: Mapping[str, str] = field(default_factory=dict)
    resume_status: Status | None = None  # where to return after the contact form
    # Contact details given through "联系我" (question id → text), offered again when the
    # survey's own contact form comes, so nobody types their name twice.
    given: Mapping[str, str] = field(default_factory=dict)
    # The earlier round's answers on this survey's questions (flows.rounds), offered to
    # keep; `revising`: the question whose earlier answer the respondent chose to change.
    previous: Mapping[str, Answer] = field(default_factory=dict)
    revising: str | None = None

    def evolve(self, **changes: Any) -> SessionState:
        """A copy with `changes`, as `dataclasses.replace` makes it, without its per-field
        getattr and `__init__` (a message evolves its state several times; no field has
        a default that depends on another, and there is no `__post_init__`)."""
        if not _FIELD_NAMES.issuperset(changes):
            return replace(self, **changes)  # raises TypeError naming the unknown field
        new = object.__new__(type(self))
        values = new.__dict__  # frozen: filled through the instance dict, as __init__ does
        values.update(self.__dict__)
        values.update(changes)
        return new

    def to_json(self) -> str:
        return orjson.dumps(
            {
                "v": STATE_VERSION,
                "flow_id": self.flow_id,
                "flow_version": self.flow_version,
                "status": self.status.value,
                "lang": self.lang.value,
                "current": self.current,
                "history": list(self.history),
                "answers": {k: a.to_json() for k, a in self.answers.items()},
                "retries": self.retries,
                "pending": self.pending.value if self.pending else None,
                "editing": self.editing,
                "started_at": self.started_at,
                "updated_at": self.updated_at,
                "completed_at": self.completed_at,
                "form": dict(self.form),
                "resume_status": self.resume_status.value if self.resume_status else None,
                "given": dict(self.given),
                **(
                    {"previous": {k: a.to_json() for k, a in self.previous.items()}}
                    if self.previous
                    else {}
                ),
                **({"revising": self.revising} if self.revising else {}),
            }
        ).decode()  # compact, non-ASCII as is: what json.dumps(separators=…) wrote

    @classmethod
    def from_json(cls, raw: str) -> SessionState:
        data = orjson.loads(raw)
        if data.get("v") != STATE_VERSION:
            raise ValueError(f"unsupported session state version {data.get('v')!r}")
        return cls(
            flow_id=data["flow_id"],
            flow_version=int(data["flow_version"]),
            status=Status(data["status"]),
            lang=Lang(data["lang"]),
            current=data.get("current"),
            history=tuple(data.get("history", ())),
            answers={k: Answer.from_json(v) for k, v in data.get("answers", {}).items()},
            retries=int(data.get("retries", 0)),
            pending=Pending(data["pending"]) if data.get("pending") else None,
            editing=bool(data.get("editing", False)),
            started_at=data.get("started_at"),
            updated_at=data.get("updated_at"),
            completed_at=data.get("completed_at"),
            form=dict(data.get("form", {})),
            resume_status=Status(data["resume_status"]) if data.get("resume_status") else None,
            given=dict(data.get("given", {})),
            previous={k: Answer.from_json(v) for k, v in data.get("previous", {}).items()},
            revising=data.get("revising"),
        )


_FIELD_NAMES = frozenset(f.name for f in fields(SessionState))

# States parsed from their JSON text, newest last. A respondent's next message reads back
# the text their last one saved (`remember`), so it is not parsed again; the text is the
# key, so a state found here is exactly what parsing it would give.
PARSED_KEPT = 1024
# An OrderedDict: a plain dict's oldest entry is found by skipping the slots of the
# entries deleted before it, a scan that grows with the churn.
_parsed: OrderedDict[str, SessionState] = OrderedDict()
_parsed_lock = threading.Lock()


def parse_state(raw: str) -> SessionState:
    """`SessionState.from_json(raw)`, parsed once while it stays among the last
    PARSED_KEPT texts parsed or saved. States are never changed in place."""
    state = _parsed.get(raw)
    if state is None:
        state = SessionState.from_json(raw)
        remember(raw, state)
    return state


def remember(raw: str, state: SessionState) -> None:
    """`raw` is `state.to_json()`: a later `parse_state(raw)` returns `state`."""
    with _parsed_lock:
        if len(_parsed) >= PARSED_KEPT:
            _parsed.popitem(last=False)  # the oldest
        _parsed[raw] = state
