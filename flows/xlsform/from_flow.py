"""`Flow` → XLSForm workbook (survey, choices, settings), the inverse of `to_flow`.

Importing the workbook again gives an equal `Flow`: conditions become `relevant`,
selection and length rules `constraint`, `required_unless` a `required` expression,
the rest goes to the extension columns of `flows.xlsform.rules`. One caveat: a
single_choice whose options are exactly `yes` and `no` comes back as yes_no.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from flows.model import (
    CountingUnit,
    Flow,
    Option,
    Question,
    QuestionType,
    SnapshotMode,
    Text,
)
from flows.xlsform.columns import EN, LANGUAGES, ZH, header
from flows.xlsform.constraint import write_constraint, write_required
from flows.xlsform.relevant import write_relevant
from flows.xlsform.rules import YES_NO_OPTIONS

__all__ = ["export_xlsform", "flow_to_workbook"]

_BOTH = (ZH, EN)
SURVEY_COLUMNS = [
    "type",
    "name",
    *(header("label", lang) for lang in _BOTH),
    *(header("hint", lang) for lang in _BOTH),
    "required",
    "relevant",
    "constraint",
    *(header("constraint_message", lang) for lang in _BOTH),
    "field",
    "snapshot",
    "number",
    "unit",
]
CHOICES_COLUMNS = [
    "list_name",
    "name",
    *(header("label", lang) for lang in _BOTH),
    "exclusive",
    "aliases",
]
_SETTINGS_TEXTS = ("form_title", "preface", "closing", "followup")
_CONTACT_KEYS = ("question", "right_now", "updates", "on_request")
_ORGANISATION_KEYS = ("question", "key", "plant", "ask")
SETTINGS_COLUMNS = [
    "form_id",
    "version",
    "default_language",
    *(header(base, lang) for base in _SETTINGS_TEXTS for lang in _BOTH),
    "next",
    *(f"contact_{key}" for key in _CONTACT_KEYS),
    "contact_details",
    "snapshots",
    "segments",
    *(f"organisation_{key}" for key in _ORGANISATION_KEYS),
    "organisation_colleagues_see_answers",
    "counting",
]
_TYPES = {
    QuestionType.SINGLE: "select_one",
    QuestionType.YES_NO: "select_one",
    QuestionType.MULTI: "select_multiple",
    QuestionType.TEXT: "text",
    QuestionType.FIELD: "text",
    QuestionType.INTEGER: "integer",
    QuestionType.DECIMAL: "decimal",
    QuestionType.NOTE: "note",
}
_WIDE = {"label", "hint", "constraint_message", "form_title", "preface", "closing", "followup"}


def export_xlsform(flow: Flow, path: Path | str) -> None:
    flow_to_workbook(flow).save(Path(path))


def flow_to_workbook(flow: Flow) -> Workbook:
    workbook = Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    list_names = _list_names(flow)
    types = {q.id: q.type for q in flow.questions}
    _write(survey, SURVEY_COLUMNS, [_survey_row(q, list_names, types) for q in flow.questions])
    choices: list[dict[str, object]] = []
    written: set[str] = set()
    for question in flow.questions:
        name = list_names.get(question.id)
        if name is not None and name not in written:
            written.add(name)
            choices += [_choice_row(name, option) for option in question.options]
    _write(workbook.create_sheet("choices"), CHOICES_COLUMNS, choices)
    _write(workbook.create_sheet("settings"), SETTINGS_COLUMNS, [_settings_row(flow)])
    return workbook


def _list_names(flow: Flow) -> dict[str, str]:
    """Question id → choice list name; questions with identical options share a list."""
    by_options: dict[tuple[Option, ...], str] = {}
    out: dict[str, str] = {}
    for question in flow.questions:
        if not question.is_choice:
            continue
        if question.options not in by_options:
            plain = _option_dicts(question.options) == YES_NO_OPTIONS
            name = "yes_no" if plain else question.id
            while name in by_options.values():
                name += "_list"
            by_options[question.options] = name
        out[question.id] = by_options[question.options]
    return out


def _option_dicts(options: tuple[Option, ...]) -> list[dict[str, object]]:
    return [{"id": o.id, "text": {"zh": o.text.zh, "en": o.text.en}} for o in options]


def _survey_row(
    question: Question, list_names: dict[str, str], types: dict[str, QuestionType]
) -> dict[str, object]:
    kind = _TYPES[question.type]
    if question.id in list_names:
        kind = f"{kind} {list_names[question.id]}"
    row: dict[str, object] = {
        "type": kind,
        "name": question.id,
        **_texts("label", question.text),
        **_texts("hint", question.notice),
        **_texts("constraint_message", question.constraint_message),
        "relevant": write_relevant(question.when, types),
        "constraint": write_constraint(question),
        "field": question.field.value if question.field else "",
        "snapshot": "" if question.snapshot else "no",
        "number": question.number or "",
        "unit": question.unit or "",
    }
    if not question.is_note:
        row["required"] = write_required(question)
    return row


def _choice_row(list_name: str, option: Option) -> dict[str, object]:
    return {
        "list_name": list_name,
        "name": option.id,
        **_texts("label", option.text),
        "exclusive": "yes" if option.exclusive else "",
        "aliases": ";".join(option.aliases),
    }


def _settings_row(flow: Flow) -> dict[str, object]:
    row: dict[str, object] = {
        "form_id": flow.id,
        "version": flow.version,
        "default_language": LANGUAGES[ZH],
        **_texts("form_title", flow.title),
        **_texts("preface", flow.preface),
        **_texts("closing", flow.closing),
        **_texts("followup", flow.followup),
        "next": flow.next or "",
        "snapshots": "" if flow.snapshots is SnapshotMode.AFTER_EACH else flow.snapshots.value,
        "segments": " ".join(segment.key for segment in flow.segments),
    }
    rules = flow.contact
    if rules is not None:
        row |= {f"contact_{key}": getattr(rules, key) or "" for key in _CONTACT_KEYS}
        row["contact_details"] = " ".join(rules.detail_questions)
    organisation = flow.organisation
    if organisation is not None:
        row |= {f"organisation_{k}": getattr(organisation, k) or "" for k in _ORGANISATION_KEYS}
        see = organisation.colleagues_see_answers
        row["organisation_colleagues_see_answers"] = "yes" if see else ""
    if flow.counting is not CountingUnit.RESPONDENT:
        row["counting"] = flow.counting.value
    return row


def _texts(base: str, text: Text | None) -> dict[str, object]:
    if text is None:
        return {}
    return {header(base, ZH): text.zh, header(base, EN): text.en}


def _write(sheet: Worksheet, columns: list[str], rows: list[dict[str, object]]) -> None:
    sheet.append(columns)
    for values in rows:
        sheet.append([values.get(column, "") or None for column in columns])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            # openpyxl stores a string starting with "=" as a formula; ours are texts.
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        wide = column.split("::")[0] in _WIDE
        sheet.column_dimensions[letter].width = 48 if wide else max(12, len(column) + 2)
        if wide:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
