"""Point the flow checker's findings back at the workbook: sheet, row and column.

`flows.check` names places in the flow's own terms (`questions[5] (scopes).options[2]
.text.en`); an author working in Excel wants `choices sheet, row 31` and the column
`label::English (en)`. The converter records where each question and option came
from; `Places.translate` does the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flows.errors import Problem
from flows.xlsform.columns import EN, ZH, header

__all__ = ["Places", "sheet_order"]

_QUESTION = re.compile(r"questions\[(\d+)\](?: \([^)]*\))?")
_OPTION = re.compile(r"\.options\[(\d+)\]")
_OPTION_REF = re.compile(r"options\[(\d+)\]")  # "(first at options[0])" in a message
_LANG = {"zh": ZH, "en": EN}
# Flow keys → the survey column an author edits.
_QUESTION_COLUMNS = {
    "id": "name",
    "type": "type",
    "options": "type (its choice list)",
    "when": "relevant",
    "required": "required",
    "required_unless": "required",
    "min_value": "constraint",
    "max_value": "constraint",
    "min_selected": "constraint",
    "max_selected": "constraint",
    "max_length": "constraint",
    "field": "field",
    "snapshot": "snapshot",
    "number": "number",
    "unit": "unit",
}
_TRANSLATED = {"text": "label", "notice": "hint", "constraint_message": "constraint_message"}
_OPTION_COLUMNS = {"id": "name", "exclusive": "exclusive", "text": "label", "aliases": "aliases"}
_SETTINGS_COLUMNS = {
    "id": "form_id",
    "version": "version",
    "title": "form_title",
    "preface": "preface",
    "closing": "closing",
    "followup": "followup",
    "next": "next",
    "contact": "contact_question",
    "contact.question": "contact_question",
    "contact.right_now": "contact_right_now",
    "contact.updates": "contact_updates",
    "contact.on_request": "contact_on_request",
    "contact.details": "contact_details",
    "snapshots": "snapshots",
    "counting": "counting",
    "organisation": "organisation_question",
    "organisation.question": "organisation_question",
    "organisation.key": "organisation_key",
    "organisation.plant": "organisation_plant",
    "organisation.ask": "organisation_ask",
    "organisation.colleagues_see_answers": "organisation_colleagues_see_answers",
}


@dataclass
class Places:
    settings: str = "settings sheet"
    survey: str = "survey sheet"
    questions: list[str] = field(default_factory=list)  # question index → survey row
    options: dict[tuple[int, int], str] = field(default_factory=dict)  # → choices row

    def translate(self, problem: Problem) -> Problem:
        message = problem.message.replace("missing required key", "is missing")
        message = _QUESTION.sub(self._question_place, message)
        match = _QUESTION.match(problem.place)
        if match is None:
            return self._top(problem.place, message)
        index = int(match[1])
        place = self.questions[index] if index < len(self.questions) else self.survey
        rest = problem.place[match.end() :]
        message = _OPTION_REF.sub(lambda m: self.options.get((index, int(m[1])), m[0]), message)
        option = _OPTION.match(rest)
        if option and (index, int(option[1])) in self.options:
            place = self.options[(index, int(option[1]))]
            return Problem(place, _with_column(_column(rest[option.end() :], True), message))
        return Problem(place, _with_column(_column(rest, False), message))

    def _question_place(self, match: re.Match[str]) -> str:
        index = int(match[1])
        return self.questions[index] if index < len(self.questions) else match[0]

    def _top(self, place: str, message: str) -> Problem:
        if place == "questions":
            return Problem(self.survey, message)
        if place.startswith("segments"):  # one cell holds every declaration
            return Problem(self.settings, f"segments: {place}: {message}")
        key = re.sub(r"\[\d+\]$", "", place)
        base, _, lang = key.partition(".")
        if key in _SETTINGS_COLUMNS:
            return Problem(self.settings, f"{_SETTINGS_COLUMNS[key]}: {message}")
        if base in _SETTINGS_COLUMNS and lang in _LANG:
            column = header(_SETTINGS_COLUMNS[base], _LANG[lang])
            return Problem(self.settings, f"{column}: {message}")
        return Problem(self.settings, f"{place}: {message}")


def _column(rest: str, option: bool) -> str | None:
    """`.text.en` → `label::English (en)`; `.when[0].any_of[1]` → `relevant`."""
    parts = re.sub(r"\[\d+\]", "", rest).strip(".").split(".")
    key = parts[0]
    if not key:
        return None
    if key in _TRANSLATED and len(parts) > 1 and parts[1] in _LANG:
        return header(_TRANSLATED[key], _LANG[parts[1]])
    columns = _OPTION_COLUMNS if option else {**_QUESTION_COLUMNS, **_TRANSLATED}
    return columns.get(key, key)


def _with_column(column: str | None, message: str) -> str:
    return f"{column}: {message}" if column else message


_SHEETS = ("workbook", "settings", "survey", "choices")
_SHEET_ROW = re.compile(r"(\w+) sheet(?:, row (\d+))?")


def sheet_order(problem: Problem) -> tuple[int, int]:
    """Sort key: problems sheet by sheet, top to bottom, as an author fixes them."""
    match = _SHEET_ROW.match(problem.place)
    if match is None:
        return (-1, 0)
    sheet = _SHEETS.index(match[1]) if match[1] in _SHEETS else len(_SHEETS)
    return (sheet, int(match[2] or 0))
