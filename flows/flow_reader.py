"""Plain data of a flow file (parsed YAML or JSON) → model objects, every structural
problem collected.

`FlowReader` checks keys, types, enum values and spec_version as it reads, reporting each
problem with its place and reading on, so the author sees all of them at once. It adds
what flow files leave out: yes_no questions' `yes`/`no` options, and `role: contact` on
the question the `contact:` section names. The semantic rules are `flows.check`'s;
`flows.definition` runs both.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flows.data_reader import DataReader, accepted_keys, describe, join_place, or_default
from flows.errors import question_place
from flows.flow_yaml import TOP
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

_FLOW_KEYS = accepted_keys(
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
_QUESTION_KEYS = accepted_keys(
    "id type text",
    "options when notice constraint_message field number " + " ".join(_QUESTION_SCALARS),
)
_OPTION_KEYS = accepted_keys("id text", "exclusive aliases")
_CLAUSE_KEYS = accepted_keys("question any_of")
_CONTACT_KEYS = accepted_keys("question", "right_now updates on_request details")
_SEGMENT_KEYS = accepted_keys("by", "within")
_ORGANISATION_KEYS = accepted_keys("question", "key plant ask colleagues_see_answers")
_BLANK = Text("", "")
_YES_NO_OPTIONS = (Option(YES, Text("是", "Yes")), Option(NO, Text("否", "No")))


class FlowReader(DataReader):
    """Reads a flow file's sections into model objects (`DataReader` collects the problems)."""

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
        spec = or_default(self.scalar(top, "spec_version", "", int), SPEC_VERSION)
        flow_id, version = self.string(top, "id", ""), self.scalar(top, "version", "", int)
        title, preface = self.text(top, "title", ""), self.text(top, "preface", "")
        closing, followup = self.text(top, "closing", ""), self.text(top, "followup", "")
        next_flow = self.scalar(top, "next", "", str)
        hours = top.get("reminder_after_hours", 20.0)
        if isinstance(hours, bool) or not isinstance(hours, int | float):
            self.report("reminder_after_hours", f"must be a number, got {describe(hours)}")
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
            version=or_default(version, 1),
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
            join_place(place, "number"), f"must be a number like 5 or 10a, got {describe(value)}"
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
            self.report(f"{place}.within", f"must be a mapping, got {describe(within)}")
            within = {}
        pairs = []
        for question_id, option_id in within.items():
            if isinstance(question_id, str) and isinstance(option_id, str):
                pairs.append((question_id, option_id))
            else:
                self.report(
                    join_place(f"{place}.within", question_id),
                    f"must map a question id to an option id, got {describe(option_id)}",
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
