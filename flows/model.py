"""The survey as data: plain, frozen dataclasses shared by the loader, the checker and the engine.

Nothing here does I/O. A `Flow` is what a flow file (YAML) becomes after
`flows.definition.load_flow`; the engine only ever sees these types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

T = TypeVar("T")

SPEC_VERSION = 1
YES = "yes"
NO = "no"


class Lang(StrEnum):
    """The respondent's reply language. BOTH is the seed's bilingual layout (the default)."""

    ZH = "zh"
    EN = "en"
    BOTH = "both"


class QuestionType(StrEnum):
    SINGLE = "single_choice"
    MULTI = "multiple_choice"
    YES_NO = "yes_no"
    TEXT = "text"
    FIELD = "field"
    INTEGER = "integer"  # a whole number, optionally within [min_value, max_value]
    DECIMAL = "decimal"  # a number with or without a fraction, the same range rules
    NOTE = "note"  # display only: shown on the way to the next question, never answered


class FieldKind(StrEnum):
    """Form fields with their own validation (flows.answer_parsing)."""

    NAME = "name"
    COMPANY = "company"
    PHONE = "phone"
    EMAIL = "email"
    TEXT = "text"
    USCC = "uscc"  # 统一社会信用代码, check digit per GB 32100-2015 (flows.organisation)


# The longest value a field takes, whatever its question's `max_length` (flows.fields).
FIELD_MAX_LENGTH: dict[FieldKind, int] = {
    FieldKind.NAME: 50,
    FieldKind.COMPANY: 100,
}


@dataclass(frozen=True)
class Text:
    """A bilingual text. Both languages are mandatory (`surveybot check` enforces it)."""

    zh: str
    en: str

    def get(self, lang: Lang) -> str:
        if lang is Lang.EN:
            return self.en
        if lang is Lang.ZH:
            return self.zh
        return f"{self.zh} {self.en}" if self.zh != self.en else self.zh


@dataclass(frozen=True)
class Option:
    id: str
    text: Text
    exclusive: bool = False
    # Near forms accepted as this option ("不需要", "暂时不需要" for 暂不需要): flow data.
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Clause:
    """Holds when `question` was answered (and is itself relevant) with any of `any_of`."""

    question: str
    any_of: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    text: Text
    options: tuple[Option, ...] = ()
    required: bool = True
    # All clauses must hold for the question to be asked.
    when: tuple[Clause, ...] = ()
    # Before the prompt, shown once (e.g. the PIPL personal-information notice).
    notice: Text | None = None
    min_selected: int = 1
    max_selected: int | None = None
    max_length: int = 500
    field: FieldKind | None = None
    # Required unless this other question has an answer (mobile *or* e-mail).
    required_unless: str | None = None
    # Show the live peer snapshot after this question is answered.
    snapshot: bool = True
    # Marks the follow-up contact question (its option ids drive contact effects).
    role: str | None = None
    # Integer questions: the accepted range, both ends included (None: unbounded).
    min_value: int | None = None
    max_value: int | None = None
    # The flow's own words for a refused answer (XLSForm's constraint_message).
    constraint_message: Text | None = None
    # The survey's own number ("5", "10a"); flows.numbering derives one when absent.
    number: str | None = None

    # Numeric questions: the unit answers are converted to (flows.units), e.g. "tCO2e".
    unit: str | None = None

    def option(self, option_id: str) -> Option | None:
        for opt in self.options:
            if opt.id == option_id:
                return opt
        return None

    @property
    def length_limit(self) -> int:
        """The longest answer taken: `max_length`, within its field's own bound (what the
        question's hint says: "at most 50 characters" for a name)."""
        cap = FIELD_MAX_LENGTH.get(self.field) if self.field is not None else None
        return min(self.max_length, cap) if cap is not None else self.max_length

    @property
    def is_choice(self) -> bool:
        return self.type in (QuestionType.SINGLE, QuestionType.MULTI, QuestionType.YES_NO)

    @property
    def is_numeric(self) -> bool:
        return self.type in (QuestionType.INTEGER, QuestionType.DECIMAL)

    @property
    def is_note(self) -> bool:
        return self.type is QuestionType.NOTE


class SnapshotMode(StrEnum):
    """When a respondent sees live figures (the flow file's `snapshots:`)."""

    AFTER_EACH = "after_each"  # after each answer, on completion, and on request
    ON_COMPLETION = "on_completion"  # only once the survey is completed
    OFF = "off"  # never


@dataclass(frozen=True)
class Segment:
    """A peer segment declared in the flow file (`segments: [{within: …, by: …}]`).

    A session is in one segment per option it chose at `by`, provided it answered each
    `within` question with its option: "suppliers (role = supplier), by commodity"."""

    by: str
    within: tuple[tuple[str, str], ...] = ()  # (question id, option id), all required

    @property
    def key(self) -> str:
        """The declaration's name in the counters: `role=supplier/commodity`."""
        return "/".join([*(f"{q}={o}" for q, o in sorted(self.within)), self.by])


@dataclass(frozen=True)
class ContactRules:
    """Which answers of which question turn into follow-up effects."""

    question: str
    right_now: str | None = None  # option id → contact details asked, ContactRequested
    updates: str | None = None  # option id → RespondentSubscribed
    on_request: str | None = None  # option id → "contact me" later opens a request
    detail_questions: tuple[str, ...] = ()  # the contact form's question ids


class CountingUnit(StrEnum):
    """What reports count once (the flow file's `counting:`)."""

    RESPONDENT = "respondent"  # every chat account (the default)
    ORGANISATION = "organisation"  # every organisation, however many of its people answer
    PLANT = "plant"  # every plant (or city) of an organisation


@dataclass(frozen=True)
class OrganisationRules:
    """The organisation step (`organisation:`): which questions say who answers for whom.

    `ask` is an optional yes/no question that opens the step (one tap skips it); the
    others are asked only after its yes. None of them carries a number."""

    question: str  # the company name (field: company)
    key: str | None = None  # the 统一社会信用代码 (field: uscc), optional to answer
    plant: str | None = None  # the plant or city (free text)
    ask: str | None = None  # yes_no: "tell us your organisation?"
    # A second person of an already counted unit may see its answers (not just take over).
    colleagues_see_answers: bool = False

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(q for q in (self.ask, self.question, self.key, self.plant) if q)


@dataclass(frozen=True)
class PreviousRound:
    """The earlier survey this one repeats (`previous_round:`), as flows.mapping maps
    versions: earlier question id → this question id, and per earlier question, earlier
    option id → this option id (an option not listed keeps its id)."""

    survey: str
    questions: tuple[tuple[str, str], ...]
    options: tuple[tuple[str, str, str], ...] = ()  # (earlier question, earlier, this option)

    def earlier_question(self, question_id: str) -> str | None:
        """The earlier round's question that `question_id` (of this survey) repeats."""
        return next((old for old, new in self.questions if new == question_id), None)

    def option(self, earlier_question: str, earlier_option: str) -> str:
        for question, old, new in self.options:
            if question == earlier_question and old == earlier_option:
                return new
        return earlier_option


@dataclass(frozen=True)
class Flow:
    id: str
    version: int
    title: Text
    preface: Text
    closing: Text
    questions: tuple[Question, ...]
    spec_version: int = SPEC_VERSION
    contact: ContactRules | None = None
    followup: Text | None = None  # invitation shown on completion (e.g. the next survey)
    next: str | None = None  # id of the flow to offer once this one is completed
    snapshots: SnapshotMode = SnapshotMode.AFTER_EACH
    segments: tuple[Segment, ...] = ()
    # One reminder to a respondent who stopped mid-survey, this many hours after their
    # last message (inside WeChat's 48-hour customer-service window).
    reminder_after_hours: float = 20.0
    # This survey repeats an earlier one: mapped questions show the earlier answer to keep.
    previous_round: PreviousRound | None = None
    organisation: OrganisationRules | None = None
    counting: CountingUnit = CountingUnit.RESPONDENT
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    _derived: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({q.id: i for i, q in enumerate(self.questions)})

    def derived(self, name: str, compute: Callable[[], T]) -> T:
        """`compute()`, a pure function of this flow (which never changes), worked out
        once per flow: the numbering and the contact form are asked for on every step.
        Return immutable values from `compute` (tuples, not lists)."""
        try:
            value: T = self._derived[name]
        except KeyError:
            value = self._derived[name] = compute()
        return value

    def question(self, question_id: str) -> Question:
        return self.questions[self._index[question_id]]

    def has_question(self, question_id: str) -> bool:
        return question_id in self._index

    def position(self, question_id: str) -> int:
        return self._index[question_id]
