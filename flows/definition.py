"""Flow files (YAML) become `Flow` objects here; nothing else reads them.

Structure (keys, types, enum values, spec_version) is validated while reading, and every
problem is collected before `FlowFileError` is raised. Then `flows.check.check_flow` runs
the semantic rules, so a `Flow` returned from this module is always valid.

yes_no questions may omit `options`: the loader adds `yes` (是 / Yes) and `no` (否 / No),
the ids the engine expects. The question named by the `contact:` section gets
`role: contact`; flow files do not set `role` themselves.

`integer` and `decimal` questions take `min_value` / `max_value` and `unit`; `note`
questions are shown on the way to the next question and never answered; any question may
carry a `constraint_message` (the flow's own words for a refused answer). The top-level
`next` names the flow offered once this one is completed. docs/xlsform.md maps all of
these to XLSForm columns. `organisation:` names the questions of the organisation
step and `counting:` what reports count once (flows.check_organisation).
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from flows.check import check_flow
from flows.errors import FlowFileError, Problem, question_place
from flows.flow_yaml import TOP, read_yaml, read_yaml_file
from flows.model import (
    NO,
    SPEC_VERSION,
    YES,
    Clause,
    ContactRules,
    CountingUnit,
    FieldKind,
    Flow,
    Option,
    OrganisationRules,
    Question,
    QuestionType,
    Segment,
    SnapshotMode,
    Text,
)
from flows.rounds import read_previous

CONTACT_ROLE = "contact"


def _keys(required: str, optional: str = "") -> dict[str, bool]:
    """The keys a mapping accepts → whether each is required."""
    return dict.fromkeys(required.split(), True) | dict.fromkeys(optional.split(), False)


_FLOW_KEYS = _keys(
    "spec_version id version title preface closing questions",
    "followup next contact snapshots segments reminder_after_hours previous_round"
    " organisation counting",
)
_QUESTION_SCALARS: dict[str, type] = {
    "required": bool,
    "min_selected": int,
    "max_selected": int,
    "max_length": int,
    "required_unless": str,
    "snapshot": bool,
    "min_value": int,
    "max_value": int,
    "unit": str,
}
_QUESTION_KEYS = _keys(
    "id type text",
    "options when notice constraint_message field number " + " ".join(_QUESTION_SCALARS),
)
_OPTION_KEYS = _keys("id text", "exclusive aliases")
_CLAUSE_KEYS = _keys("question any_of")
_TEXT_KEYS = _keys("", "zh en")  # a missing language is check_flow's finding, not ours
_CONTACT_KEYS = _keys("question", "right_now updates on_request details")
_SEGMENT_KEYS = _keys("by", "within")
_ORGANISATION_KEYS = _keys("question", "key plant ask colleagues_see_answers")
_TYPE_NAMES = {bool: "a boolean", int: "an integer", str: "a string", list: "a list"}

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


def load_flow(path: Path | str) -> Flow:
    """Read and validate a flow file. OSError propagates; bad content is FlowFileError."""
    return parse_flow(read_yaml_file(path), source=str(path))


def load_flow_text(content: str, *, source: str = "<text>") -> Flow:
    """A flow from the text of a flow file (e.g. a version kept in the survey registry)."""
    return parse_flow(read_yaml(content, source=source), source=source)


def parse_flow(data: object, *, source: str = "<data>") -> Flow:
    """Turn already-parsed YAML/JSON data into a valid Flow, or raise FlowFileError."""
    reader = _Reader()
    flow = reader.flow(data)
    if reader.problems or flow is None:
        raise FlowFileError(reader.problems, source=source)
    problems = check_flow(flow)
    if problems:
        raise FlowFileError(problems, source=source)
    return flow


def _join(place: str, key: object) -> str:
    return f"{place}.{key}" if place else str(key)


def _describe(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    kind = {bool: "boolean", int: "integer", float: "number", str: "string"}.get(type(value))
    return f"{kind or type(value).__name__} {value!r}"


_BLANK = Text("", "")
_YES_NO_OPTIONS = (Option(YES, Text("是", "Yes")), Option(NO, Text("否", "No")))


def _or(value: T | None, default: T) -> T:
    return default if value is None else value


class _Reader:
    """Reads plain data into model objects, collecting every structural problem.

    An unusable value is reported and replaced by a placeholder so reading goes on and
    the author sees every problem at once; parse_flow discards the result whenever
    anything was reported, so placeholders never escape.
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def report(self, place: str, message: str) -> None:
        self.problems.append(Problem(place, message))

    def mapping(self, value: object, place: str, keys: dict[str, bool]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.report(place or TOP, f"must be a mapping, got {_describe(value)}")
            return {}
        for key in value:
            if key not in keys:
                # A high cutoff: a wrong hint ('choices' → 'notice') is worse than none.
                hint = difflib.get_close_matches(str(key), list(keys), n=1, cutoff=0.8)
                extra = f"; did you mean {hint[0]!r}?" if hint else f" (allowed: {', '.join(keys)})"
                self.report(_join(place, key), f"unknown key{extra}")
        # An empty value (`followup:`) counts as absent: YAML gives None for it.
        present = {k: v for k, v in value.items() if k in keys and v is not None}
        for key, required in keys.items():
            if required and key not in present:
                self.report(_join(place, key), "missing required key")
        return present

    def scalar(self, data: dict[str, Any], key: str, place: str, kind: type[T]) -> T | None:
        if key not in data:
            return None
        value = data[key]
        # bool is an int in Python, but `max_selected: true` is a mistake, not 1.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.report(_join(place, key), f"must be {_TYPE_NAMES[kind]}, got {_describe(value)}")
            return None
        return value

    def string(self, data: dict[str, Any], key: str, place: str) -> str:
        return _or(self.scalar(data, key, place, str), "")

    def choice(self, data: dict[str, Any], key: str, place: str, enum: type[E]) -> E | None:
        value = self.scalar(data, key, place, str)
        if value is None:
            return None
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            self.report(_join(place, key), f"must be one of {allowed}; got {value!r}")
            return None

    def text(self, data: dict[str, Any], key: str, place: str) -> Text | None:
        if key not in data:
            return None
        place = _join(place, key)
        raw = self.mapping(data[key], place, _TEXT_KEYS)
        # A missing language becomes "" so check_flow reports it, once, the same way for
        # flows from files and flows built in code.
        return Text(zh=self.string(raw, "zh", place), en=self.string(raw, "en", place))

    def items(self, data: dict[str, Any], key: str, place: str) -> list[Any]:
        return _or(self.scalar(data, key, place, list), [])

    def strings(self, data: dict[str, Any], key: str, place: str) -> tuple[str, ...]:
        out = []
        for i, item in enumerate(self.items(data, key, place)):
            if isinstance(item, str):
                out.append(item)
            else:
                self.report(f"{_join(place, key)}[{i}]", f"must be a string, got {_describe(item)}")
        return tuple(out)

    def flow(self, data: object) -> Flow | None:
        if data is None:
            self.report(TOP, "the file is empty")
            return None
        spec = data.get("spec_version") if isinstance(data, dict) else None
        # A future spec may mean anything by its keys: report only the version.
        if isinstance(spec, int) and not isinstance(spec, bool) and spec != SPEC_VERSION:
            self.report("spec_version", f"unsupported {spec}; this reader knows {SPEC_VERSION}")
            return None
        top = self.mapping(data, "", _FLOW_KEYS)
        # Read in file order so problems are listed top to bottom.
        spec = _or(self.scalar(top, "spec_version", "", int), SPEC_VERSION)
        flow_id, version = self.string(top, "id", ""), self.scalar(top, "version", "", int)
        title, preface = self.text(top, "title", ""), self.text(top, "preface", "")
        closing, followup = self.text(top, "closing", ""), self.text(top, "followup", "")
        next_flow = self.scalar(top, "next", "", str)
        hours = top.get("reminder_after_hours", 20.0)
        if isinstance(hours, bool) or not isinstance(hours, int | float):
            self.report("reminder_after_hours", f"must be a number, got {_describe(hours)}")
            hours = 20.0
        raw_questions = self.items(top, "questions", "")
        questions = tuple(self.question(raw, i) for i, raw in enumerate(raw_questions))
        contact = self.contact(top["contact"]) if "contact" in top else None
        snapshots = self.choice(top, "snapshots", "", SnapshotMode) or SnapshotMode.AFTER_EACH
        raw_segments = self.items(top, "segments", "")
        segments = tuple(self.segment(s, f"segments[{i}]") for i, s in enumerate(raw_segments))
        previous, problems = (
            read_previous(top["previous_round"])
            if "previous_round" in top
            else (
                None,
                [],
            )
        )
        self.problems.extend(problems)
        organisation = self.organisation(top["organisation"]) if "organisation" in top else None
        counting = self.choice(top, "counting", "", CountingUnit) or CountingUnit.RESPONDENT
        if contact is not None:
            questions = tuple(
                replace(q, role=CONTACT_ROLE) if q.id == contact.question else q for q in questions
            )
        return Flow(
            spec_version=spec,
            id=flow_id,
            version=_or(version, 1),
            title=title or _BLANK,
            preface=preface or _BLANK,
            closing=closing or _BLANK,
            followup=followup,
            next=next_flow,
            reminder_after_hours=float(hours),
            questions=questions,
            contact=contact,
            snapshots=snapshots,
            segments=segments,
            previous_round=previous,
            organisation=organisation,
            counting=counting,
        )

    def question(self, raw: object, index: int) -> Question:
        place = question_place(index, raw.get("id") if isinstance(raw, dict) else None)
        data = self.mapping(raw, place, _QUESTION_KEYS)
        qid = self.string(data, "id", place)
        qtype = self.choice(data, "type", place, QuestionType) or QuestionType.TEXT
        text = self.text(data, "text", place) or _BLANK
        raw_options = self.items(data, "options", place)
        options = tuple(self.option(o, f"{place}.options[{i}]") for i, o in enumerate(raw_options))
        if qtype is QuestionType.YES_NO and "options" not in data:
            options = _YES_NO_OPTIONS
        raw_when = self.items(data, "when", place)
        when = tuple(self.clause(c, f"{place}.when[{i}]") for i, c in enumerate(raw_when))
        notice = self.text(data, "notice", place)
        message = self.text(data, "constraint_message", place)
        kind = self.choice(data, "field", place, FieldKind)
        extra: dict[str, Any] = {}
        if "number" in data:
            extra["number"] = self.number(data["number"], place)
        for key, scalar_type in _QUESTION_SCALARS.items():
            value = self.scalar(data, key, place, scalar_type)
            if value is not None:
                extra[key] = value
        return Question(
            id=qid,
            type=qtype,
            text=text,
            options=options,
            when=when,
            notice=notice,
            constraint_message=message,
            field=kind,
            **extra,
        )

    def number(self, value: object, place: str) -> str | None:
        """`number: 5` or `number: "10a"`; checked further by flows.numbering."""
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str):
            return value.strip().casefold()
        self.report(
            _join(place, "number"), f"must be a number like 5 or 10a, got {_describe(value)}"
        )
        return None

    def option(self, raw: object, place: str) -> Option:
        data = self.mapping(raw, place, _OPTION_KEYS)
        return Option(
            id=self.string(data, "id", place),
            text=self.text(data, "text", place) or _BLANK,
            exclusive=bool(self.scalar(data, "exclusive", place, bool)),
            aliases=self.strings(data, "aliases", place),
        )

    def clause(self, raw: object, place: str) -> Clause:
        data = self.mapping(raw, place, _CLAUSE_KEYS)
        # `any_of: []` is structurally fine; check_flow explains why it never holds.
        return Clause(self.string(data, "question", place), self.strings(data, "any_of", place))

    def segment(self, raw: object, place: str) -> Segment:
        data = self.mapping(raw, place, _SEGMENT_KEYS)
        within = data.get("within", {})
        if not isinstance(within, dict):
            self.report(f"{place}.within", f"must be a mapping, got {_describe(within)}")
            within = {}
        pairs = []
        for question_id, option_id in within.items():
            if isinstance(question_id, str) and isinstance(option_id, str):
                pairs.append((question_id, option_id))
            else:
                self.report(
                    _join(f"{place}.within", question_id),
                    f"must map a question id to an option id, got {_describe(option_id)}",
                )
        return Segment(by=self.string(data, "by", place), within=tuple(pairs))

    def contact(self, raw: object) -> ContactRules:
        data = self.mapping(raw, "contact", _CONTACT_KEYS)
        return ContactRules(
            question=self.string(data, "question", "contact"),
            right_now=self.scalar(data, "right_now", "contact", str),
            updates=self.scalar(data, "updates", "contact", str),
            on_request=self.scalar(data, "on_request", "contact", str),
            detail_questions=self.strings(data, "details", "contact"),
        )

    def organisation(self, raw: object) -> OrganisationRules:
        data = self.mapping(raw, "organisation", _ORGANISATION_KEYS)
        return OrganisationRules(
            question=self.string(data, "question", "organisation"),
            key=self.scalar(data, "key", "organisation", str),
            plant=self.scalar(data, "plant", "organisation", str),
            ask=self.scalar(data, "ask", "organisation", str),
            colleagues_see_answers=bool(
                self.scalar(data, "colleagues_see_answers", "organisation", bool)
            ),
        )
