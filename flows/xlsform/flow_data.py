"""The workbook's sheets → flow data: the flow file's structure, ready for YAML.

Choices become each list's options; survey rows become questions (selects with their
list, `or_other`'s extra text question, plain and contact-form fields), with `relevant`,
`required` and `constraint` translated (`flows.xlsform.relevant`,
`flows.xlsform.constraint`). Every problem and ignored cell is kept in `Findings` with
its sheet and row; `flows.xlsform.to_flow` then validates the data like any flow file.
"""

from __future__ import annotations

import re
from typing import Any

from flows.model import SPEC_VERSION, FieldKind, QuestionType
from flows.xlsform.columns import Findings, Table
from flows.xlsform.constraint import parse_constraint, parse_required
from flows.xlsform.places import Places
from flows.xlsform.reader import Row, Sheet
from flows.xlsform.relevant import ExpressionError, clauses
from flows.xlsform.rules import (
    CHOICES,
    METADATA,
    OTHER_OPTION,
    OTHER_PROMPT,
    SURVEY,
    UNSUPPORTED_SHEETS,
    UNSUPPORTED_TYPES,
    YES_NO_OPTIONS,
    boolean,
)
from flows.xlsform.settings import read_settings

__all__ = ["FlowDataConverter"]

_SELECTS = {"select_one": QuestionType.SINGLE, "select_multiple": QuestionType.MULTI}
_FIELD_KINDS = [kind.value for kind in FieldKind]
_PLAIN = {
    "text": QuestionType.TEXT,
    "integer": QuestionType.INTEGER,
    "decimal": QuestionType.DECIMAL,
    "note": QuestionType.NOTE,
}
_STRICT = re.compile(r"[<>](?!=)")
_KEY_ORDER = (
    *("id", "number", "type", "field", "required", "required_unless", "min_value", "max_value"),
    "unit",
    *("min_selected", "max_selected", "max_length", "snapshot", "when", "notice", "text"),
    *("constraint_message", "options"),
)


class FlowDataConverter:
    """Reads the sheets row by row into flow data, collecting findings and the place of
    every question and option (for pointing `parse_flow`'s findings back at them)."""

    def __init__(self, sheets: dict[str, Sheet]) -> None:
        self.sheets = sheets
        self.findings = Findings()
        self.places = Places()
        self.lists: dict[str, list[tuple[str, dict[str, Any]]]] = {}  # name → (place, option)
        self.selects: dict[str, tuple[QuestionType, list[str]]] = {}
        self.dropped: set[str] = set()  # rows already reported: no knock-on problems
        self.questions: list[dict[str, Any]] = []

    def convert(self) -> dict[str, Any]:
        for name, sheet in self.sheets.items():
            if name in UNSUPPORTED_SHEETS and sheet.rows:
                self.findings.problem(f"{name} sheet", UNSUPPORTED_SHEETS[name])
        settings = read_settings(self.sheets.get("settings"), self.findings)
        data: dict[str, Any] = {"spec_version": SPEC_VERSION, **settings.header}
        self.places.settings, lang = settings.place, settings.lang
        if "choices" in self.sheets:
            self._choices(Table(self.sheets["choices"], CHOICES, self.findings, default_lang=lang))
        if "survey" not in self.sheets:
            self.findings.problem("workbook", "no survey sheet")
            return data
        survey = Table(self.sheets["survey"], SURVEY, self.findings, default_lang=lang)
        for row in survey.rows:
            self._survey_row(survey, row)
        data["questions"] = [_ordered(q) for q in self.questions]
        if settings.contact:
            data["contact"] = settings.contact
        if settings.organisation:
            data["organisation"] = settings.organisation
        return data

    # --- choices ----------------------------------------------------------------------

    def _choices(self, table: Table) -> None:
        for row in table.rows:
            place, list_name, name = (
                table.place(row),
                table.value(row, "list_name"),
                table.value(row, "name"),
            )
            if not list_name or not name:
                self.findings.problem(place, "a choice needs a list_name and a name")
                continue
            text = table.texts(row, "label")
            self._no_references(place, text)
            option: dict[str, Any] = {"id": name}
            if self._boolean(place, "exclusive", table.value(row, "exclusive")):
                option["exclusive"] = True
            aliases = [a.strip() for a in table.value(row, "aliases").split(";") if a.strip()]
            if aliases:
                option["aliases"] = aliases
            option["text"] = text
            self.lists.setdefault(list_name, []).append((place, option))

    # --- survey -----------------------------------------------------------------------

    def _survey_row(self, table: Table, row: Row) -> None:
        place = table.place(row)
        words = table.value(row, "type").lower().split()
        name = table.value(row, "name")
        if not words:
            self.findings.problem(place, "type is empty")
            return
        head = words[0]
        if head in ("begin", "end") and len(words) > 1:
            head, words = f"{head}_{words[1]}", [f"{head}_{words[1]}", *words[2:]]
        if head in METADATA:
            self.findings.note(place, f"metadata {head!r} ignored: the bot keeps its own records")
            return
        if head in UNSUPPORTED_TYPES or (head not in _SELECTS and head not in _PLAIN):
            why = UNSUPPORTED_TYPES.get(head, "supported: select_one, select_multiple, text, …")
            self.findings.problem(place, f"type {head!r} is not supported ({why})")
            self.dropped.add(name)
            return
        if not name:
            self.findings.problem(place, "name is empty: every question needs one")
            return
        question: dict[str, Any] = {"id": name}
        index = len(self.questions)
        self.places.questions.append(place)
        if head in _SELECTS:
            if not self._select(question, index, place, head, words):
                self.places.questions.pop()
                self.dropped.add(name)
                return
        else:
            if len(words) > 1:
                self.findings.problem(place, f"type {' '.join(words)!r}: {head} takes no list")
            self._plain(question, head, table.value(row, "field"), place)
        self._common(question, table, row, place)
        self.questions.append(question)
        if len(words) > 2 and words[2] == "or_other":
            self._or_other(question, place)

    def _select(
        self, question: dict[str, Any], index: int, place: str, head: str, words: list[str]
    ) -> bool:
        if len(words) < 2 or len(words) > 3 or (len(words) == 3 and words[2] != "or_other"):
            self.findings.problem(place, f"type is {head} LIST_NAME [or_other]")
            return False
        list_name = words[1]
        if list_name not in self.lists:
            self.findings.problem(place, f"choice list {list_name!r} is not on the choices sheet")
            return False
        entries = self.lists[list_name]
        options = [dict(option) for _, option in entries]
        for k, (option_place, _) in enumerate(entries):
            self.places.options[(index, k)] = option_place
        if len(words) == 3:
            if any(option["id"] == OTHER_OPTION["id"] for option in options):
                self.findings.problem(place, f"list {list_name!r} has an 'other' choice already")
                return False
            self.places.options[(index, len(options))] = place
            options.append(dict(OTHER_OPTION))
        ids = [option["id"] for option in options]
        qtype = _SELECTS[head]
        if qtype is QuestionType.SINGLE and sorted(ids) == ["no", "yes"]:
            qtype = QuestionType.YES_NO
        question["type"] = qtype.value
        if options != YES_NO_OPTIONS or qtype is not QuestionType.YES_NO:
            question["options"] = options
        self.selects[question["id"]] = (qtype, ids)
        return True

    def _plain(self, question: dict[str, Any], head: str, field: str, place: str) -> None:
        question["type"] = _PLAIN[head].value
        if not field:
            return
        # A contact-form field (name, company, phone, email, text): its own validation.
        if field not in _FIELD_KINDS:
            kinds = ", ".join(_FIELD_KINDS)
            self.findings.problem(place, f"field: must be one of {kinds}; got {field!r}")
        elif head != "text":
            self.findings.problem(place, f"field: only text rows take a field kind, not {head}")
        else:
            question["type"] = QuestionType.FIELD.value
            question["field"] = field

    def _common(self, question: dict[str, Any], table: Table, row: Row, place: str) -> None:
        text = table.texts(row, "label")
        self._no_references(place, text)
        question["text"] = text
        hint = table.texts(row, "hint")
        if any(hint.values()):
            self._no_references(place, hint)
            question["notice"] = hint
        message = table.texts(row, "constraint_message")
        if any(message.values()):
            question["constraint_message"] = message
        note = question["type"] == QuestionType.NOTE.value
        try:
            required, unless = parse_required(table.value(row, "required"))
            if unless is not None:
                question["required_unless"] = unless
            elif not required and not note:
                question["required"] = False
        except ExpressionError as error:
            self.findings.problem(place, f"required: {error}")
        self._expressions(question, table, row, place)
        if self._boolean(place, "snapshot", table.value(row, "snapshot"), default=True) is False:
            question["snapshot"] = False
        number = table.value(row, "number")
        if number:
            question["number"] = number
        unit = table.value(row, "unit")
        if unit:
            question["unit"] = unit

    def _expressions(self, question: dict[str, Any], table: Table, row: Row, place: str) -> None:
        relevant, constraint = table.value(row, "relevant"), table.value(row, "constraint")
        try:
            when = clauses(relevant, self.selects) if relevant else ()
            kept = [c for c in when if c.question not in self.dropped]
            if kept:
                question["when"] = [
                    {"question": c.question, "any_of": list(c.any_of)} for c in kept
                ]
        except ExpressionError as error:
            self.findings.problem(place, f"relevant {relevant!r}: {error}")
        try:
            limits = parse_constraint(constraint) if constraint else None
            decimal = question["type"] == QuestionType.DECIMAL.value
            if decimal and _STRICT.search(constraint):
                # ". > 0" is "at least 1" for a whole number, nothing exact for a decimal.
                raise ExpressionError("a decimal's range is inclusive: use >= and <=")
        except ExpressionError as error:
            self.findings.problem(place, f"constraint {constraint!r}: {error}")
            limits = None
        if limits is not None:
            for key, value in vars(limits).items():
                if value is not None:
                    question[key] = value

    def _or_other(self, question: dict[str, Any], place: str) -> None:
        # What pyxform generates for `or_other`: a text question shown after "other".
        self.places.questions.append(place)
        self.questions.append(
            {
                "id": f"{question['id']}_other",
                "type": QuestionType.TEXT.value,
                "required": False,
                "snapshot": False,
                "when": [{"question": question["id"], "any_of": [OTHER_OPTION["id"]]}],
                "text": dict(OTHER_PROMPT),
            }
        )

    def _no_references(self, place: str, texts: dict[str, str]) -> None:
        if any("${" in text for text in texts.values()):
            self.findings.problem(place, "label: ${…} references in texts are not supported")

    def _boolean(self, place: str, column: str, value: str, default: bool = False) -> bool | None:
        result = boolean(value, default)
        if result is None:
            self.findings.problem(place, f"{column}: {value!r} is not yes or no")
        return result


def _ordered(question: dict[str, Any]) -> dict[str, Any]:
    """Keys in the order a person reads them (ids first, options last) for the YAML."""
    return {key: question[key] for key in _KEY_ORDER if key in question}
