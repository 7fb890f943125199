"""Moving a respondent in progress from one version of a survey to a newer one.

Publishing a changed survey never touches existing answers by itself: a respondent in
progress finishes on the version their session records. Staff may instead publish the
new version with an explicit mapping (a small YAML file, see docs/surveys.md):

    from_version: 1
    questions: {old_question_id: new_question_id, dropped_question_id: null}
    options: {question_id: {old_option_id: new_option_id, dropped_option: null}}

Questions (and options) with the same id in both versions map to themselves; anything
of the old version missing from the new one must be mapped or dropped explicitly, or the
mapping is refused. `migrate` is pure: it re-keys the answers, keeps only those that
are valid answers of the new version, and returns the effects that move the stored
answer rows and counters with them. Pure, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flows.answer_moves import finish
from flows.events import AnswerCleared, AnswerRecorded, Effect, Step
from flows.model import Flow, Question, QuestionType
from flows.navigation import is_empty, is_required, next_unanswered
from flows.replies import (
    SurveyUpdated,
)
from flows.sprint import Sprint, prompt
from flows.state import Answer, SessionState, Status

# Only these positions move: a respondent in the contact form or finished stays put.
MOVABLE = (Status.LANGUAGE, Status.ACTIVE)
_CHOICE = (QuestionType.SINGLE, QuestionType.MULTI, QuestionType.YES_NO)
_COMPATIBLE = {
    QuestionType.SINGLE: _CHOICE,
    QuestionType.MULTI: _CHOICE,
    QuestionType.YES_NO: _CHOICE,
    QuestionType.TEXT: (QuestionType.TEXT, QuestionType.FIELD),
    QuestionType.FIELD: (QuestionType.TEXT, QuestionType.FIELD),
    QuestionType.INTEGER: (QuestionType.INTEGER, QuestionType.DECIMAL),
    QuestionType.DECIMAL: (QuestionType.DECIMAL,),
}


class MappingError(ValueError):
    """The mapping file is malformed or does not fit the two versions."""


@dataclass(frozen=True)
class SurveyMapping:
    from_version: int
    questions: Mapping[str, str | None] = field(default_factory=dict)
    options: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "from_version": self.from_version,
                "questions": dict(self.questions),
                "options": {q: dict(o) for q, o in self.options.items()},
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_data(cls, data: Any) -> SurveyMapping:
        """From parsed YAML/JSON; every shape error is a MappingError naming the key."""
        if not isinstance(data, dict):
            raise MappingError("a mapping is a mapping of from_version, questions, options")
        unknown = set(data) - {"from_version", "questions", "options"}
        if unknown:
            raise MappingError(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        version = data.get("from_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise MappingError("from_version must be a positive whole number")
        questions = _id_map(data.get("questions") or {}, "questions")
        raw_options = data.get("options") or {}
        if not isinstance(raw_options, dict):
            raise MappingError("options must map question ids to {old: new} mappings")
        options = {_slug(q, "options"): _id_map(m, f"options.{q}") for q, m in raw_options.items()}
        return cls(version, questions, options)

    @classmethod
    def from_json(cls, raw: str) -> SurveyMapping:
        return cls.from_data(json.loads(raw))

    def question_target(self, question_id: str) -> str | None:
        return self.questions.get(question_id, question_id)

    def option_target(self, question_id: str, option_id: str) -> str | None:
        return self.options.get(question_id, {}).get(option_id, option_id)


def _slug(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise MappingError(f"{where}: ids are non-empty strings, not {value!r}")
    return value


def _id_map(raw: object, where: str) -> dict[str, str | None]:
    if not isinstance(raw, dict):
        raise MappingError(f"{where} must map old ids to new ids (or null)")
    out: dict[str, str | None] = {}
    for old, new in raw.items():
        out[_slug(old, where)] = None if new is None else _slug(new, f"{where}.{old}")
    return out


def check_mapping(old: Flow, new: Flow, mapping: SurveyMapping) -> list[str]:
    """Every reason `mapping` cannot move respondents from `old` to `new` (empty: fine)."""
    return list(_problems(old, new, mapping))


def _problems(old: Flow, new: Flow, mapping: SurveyMapping) -> Iterator[str]:
    if old.id != new.id:
        yield f"the versions belong to different surveys ({old.id}, {new.id})"
    if mapping.from_version != old.version:
        yield f"from_version {mapping.from_version} is not the old version {old.version}"
    for qid in [*mapping.questions, *mapping.options]:
        if not old.has_question(qid):
            yield f"question {qid!r} is not in version {old.version}"
    for question in old.questions:
        if question.is_note:
            continue
        target = mapping.question_target(question.id)
        if target is None:
            continue
        if not new.has_question(target):
            yield (
                f"question {question.id!r} of version {old.version} is not in version "
                f"{new.version}: map it to a question or drop it (null)"
            )
            continue
        yield from _question_problems(question, new.question(target), mapping)


def _question_problems(old_q: Question, new_q: Question, mapping: SurveyMapping) -> Iterator[str]:
    allowed = _COMPATIBLE.get(old_q.type, ())
    if new_q.type not in allowed:
        yield (
            f"question {old_q.id!r} ({old_q.type.value}) cannot become "
            f"{new_q.id!r} ({new_q.type.value})"
        )
        return
    if old_q.is_numeric and old_q.unit != new_q.unit:
        yield (
            f"question {old_q.id!r} ({old_q.unit or 'no unit'}) cannot become "
            f"{new_q.id!r} ({new_q.unit or 'no unit'}): its numbers would change meaning"
        )
        return
    if not old_q.is_choice:
        return
    for option_id in mapping.options.get(old_q.id, {}):
        if old_q.option(option_id) is None:
            yield f"option {option_id!r} is not an option of question {old_q.id!r}"
    for option in old_q.options:
        target = mapping.option_target(old_q.id, option.id)
        if target is not None and new_q.option(target) is None:
            yield (
                f"option {option.id!r} of question {old_q.id!r} is not an option of "
                f"{new_q.id!r} in the new version: map it or drop it (null)"
            )


def migrate(
    old: Flow, new: Flow, mapping: SurveyMapping, state: SessionState, now: datetime
) -> Step:
    """Move `state` (on `old`) to `new`; the caller checked `check_mapping` at publish."""
    moved: dict[str, Answer] = {}
    for qid, answer in state.answers.items():
        target = mapping.question_target(qid) if old.has_question(qid) else None
        if target is None or not new.has_question(target):
            continue
        options = tuple(o for o in (mapping.option_target(qid, opt) for opt in answer.options) if o)
        candidate = Answer(
            options=tuple(dict.fromkeys(options)), text=answer.text, original=answer.original
        )
        if _fits(new.question(target), candidate, moved):
            moved[target] = candidate
    effects: list[Effect] = [
        AnswerCleared(qid) for qid, answer in state.answers.items() if not is_empty(answer)
    ]
    effects += [
        AnswerRecorded(qid, answer.options, answer.text, answer.original)
        for qid, answer in moved.items()
        if not is_empty(answer)
    ]
    migrated = state.evolve(
        flow_version=new.version,
        answers=moved,
        history=tuple(q for q in (_target(old, mapping, h) for h in state.history) if q in moved),
        retries=0,
    )
    sprint = Sprint(new, migrated, now, effects=effects)
    if migrated.status is Status.ACTIVE:
        following = next_unanswered(new, moved)
        sprint.update(current=following.id if following else None)
        sprint.say(SurveyUpdated())
        if following is None:
            finish(sprint)
            return Step(sprint.state, tuple(sprint.replies), tuple(sprint.effects))
    else:
        sprint.say(SurveyUpdated())
    prompt(sprint)
    return Step(sprint.state, tuple(sprint.replies), tuple(sprint.effects))


def _target(old: Flow, mapping: SurveyMapping, question_id: str) -> str | None:
    return mapping.question_target(question_id) if old.has_question(question_id) else None


def _fits(question: Question, answer: Answer, earlier: Mapping[str, Answer]) -> bool:
    """Whether `answer` is a valid answer of the new `question` (else it is asked again)."""
    if is_empty(answer):
        return not is_required(question, earlier)
    if question.is_choice:
        if answer.text is not None and not answer.options:
            return False
        if any(question.option(o) is None for o in answer.options):
            return False
        if question.type is not QuestionType.MULTI:
            return len(answer.options) == 1
        exclusive = any(_exclusive(question, o) for o in answer.options)
        if exclusive and len(answer.options) > 1:
            return False
        limit = question.max_selected or len(question.options)
        return question.min_selected <= len(answer.options) <= limit
    if answer.options or answer.text is None:
        return False
    if question.is_numeric:
        return _in_range(question, answer.text)
    return len(answer.text) <= question.max_length


def _exclusive(question: Question, option_id: str) -> bool:
    option = question.option(option_id)
    return option is not None and option.exclusive


def _in_range(question: Question, text: str) -> bool:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return False
    if question.type is QuestionType.INTEGER and value != value.to_integral_value():
        return False
    low, high = question.min_value, question.max_value
    return (low is None or value >= low) and (high is None or value <= high)
