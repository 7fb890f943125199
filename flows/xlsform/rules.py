"""The XLSForm vocabulary this package speaks: sheets, columns, types, and our extensions.

One table per sheet, read by `flows.xlsform.flow_data` and written by
`flows.xlsform.from_flow`, so the two directions cannot disagree on a column.
docs/xlsform.md explains each entry for authors.
"""

from __future__ import annotations

from typing import Any

from flows.xlsform.columns import Rule, Use

__all__ = [
    "CHOICES",
    "METADATA",
    "OTHER_OPTION",
    "OTHER_PROMPT",
    "SETTINGS",
    "SURVEY",
    "UNSUPPORTED_SHEETS",
    "UNSUPPORTED_TYPES",
    "YES_NO_OPTIONS",
    "boolean",
]

_READ = Rule(Use.READ)
_TRANSLATED = Rule(Use.READ, translated=True)


def _ignored(why: str) -> Rule:
    return Rule(Use.IGNORE, why=why)


def _unsupported(why: str) -> Rule:
    return Rule(Use.UNSUPPORTED, why=why)


SURVEY: dict[str, Rule] = {
    "type": _READ,
    "name": _READ,
    "label": _TRANSLATED,
    "hint": _TRANSLATED,  # shown above the question (our `notice`)
    "required": _READ,
    "relevant": _READ,
    "constraint": _READ,
    "constraint_message": _TRANSLATED,
    # Extensions (ODK tools ignore unknown columns):
    "field": _READ,  # text rows: name, company, phone, email, text (validated answers)
    "snapshot": _READ,  # "no": no live peer percentages after this question
    "number": _READ,  # the survey's own question number ("5", "10a")
    "unit": _READ,  # integer / decimal rows: the unit answers are converted to (tCO2e, kWh …)
    "appearance": _ignored("a chat shows every question the same way"),
    "guidance_hint": _ignored("the bot has no second hint"),
    "required_message": _ignored("the bot explains a skipped required question itself"),
    "choice_filter": _unsupported("choice filters (cascading selects) are not supported"),
    "default": _unsupported("default answers are not supported"),
    "read_only": _unsupported("read-only questions are not supported"),
    "calculation": _unsupported("calculations are not supported"),
    "trigger": _unsupported("triggers are not supported"),
    "repeat_count": _unsupported("repeats are not supported"),
    "parameters": _unsupported("type parameters are not supported"),
}

CHOICES: dict[str, Rule] = {
    "list_name": _READ,
    "name": _READ,
    "label": _TRANSLATED,
    "exclusive": _READ,  # extension: "yes" for 尚未确定 / none: cannot be combined
    "aliases": _READ,  # extension: near forms accepted for the choice, separated by ";"
}

SETTINGS: dict[str, Rule] = {
    "form_id": _READ,
    "version": _READ,
    "form_title": _TRANSLATED,
    "default_language": _READ,
    # Extensions: the flow's texts and its follow-up rules.
    "preface": _TRANSLATED,
    "closing": _TRANSLATED,
    "followup": _TRANSLATED,
    "next": _READ,
    "contact_question": _READ,
    "contact_right_now": _READ,
    "contact_updates": _READ,
    "contact_on_request": _READ,
    "contact_details": _READ,
    "snapshots": _READ,  # after_each (default), on_completion or off
    "segments": _READ,  # peer segments, space-separated: role=supplier/commodity
    "organisation_question": _READ,  # the organisation step (flows.model.OrganisationRules)
    "organisation_key": _READ,
    "organisation_plant": _READ,
    "organisation_ask": _READ,
    "organisation_colleagues_see_answers": _READ,  # yes / no
    "counting": _READ,  # respondent (default), organisation or plant
    "style": _ignored("a chat has no theme"),
    "instance_name": _ignored("answers are stored per respondent"),
    "public_key": _ignored("answers are stored by the bot, not submitted"),
    "submission_url": _ignored("answers are stored by the bot, not submitted"),
    "allow_choice_duplicates": _ignored("choice names must be unique in a list anyway"),
    "auto_send": _ignored("answers are stored as they arrive"),
    "auto_delete": _ignored("answers are stored as they arrive"),
    "clean_text_values": _ignored("the bot cleans every text answer"),
}

UNSUPPORTED_SHEETS = {
    "external_choices": "choices from external files are not supported",
    "entities": "ODK entities are not supported",
}

_TYPES_HELP = "supported: select_one, select_multiple, text, integer, decimal, note"
UNSUPPORTED_TYPES: dict[str, str] = {
    "begin_group": "groups are not supported: list the questions without begin/end group",
    "end_group": "groups are not supported: list the questions without begin/end group",
    "begin_repeat": "repeats are not supported: a chat asks each question once",
    "end_repeat": "repeats are not supported: a chat asks each question once",
    "calculate": "calculations are not supported",
    "select_one_from_file": "choices from a file are not supported; use the choices sheet",
    "select_multiple_from_file": "choices from a file are not supported; use the choices sheet",
    "select_one_external": "external choices are not supported; use the choices sheet",
    "rank": "ranking is not supported; " + _TYPES_HELP,
    "range": "ranges are not supported; use integer with a constraint",
    **{
        kind: _TYPES_HELP
        for kind in (
            *("date", "time", "datetime", "geopoint", "geotrace", "geoshape", "image", "audio"),
            *("video", "file", "barcode", "acknowledge", "hidden", "xml-external"),
            *("csv-external", "background-audio"),
        )
    },
}
# Metadata rows record device facts; the bot keeps its own timestamps, so they are
# ignored with a note rather than refused (every KoboToolbox form starts with them).
METADATA = frozenset(
    ("start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber")
    + ("username", "email", "audit", "start-geopoint")
)

# `or_other`, as pyxform expands it: an "other" choice and a text question after it.
OTHER_OPTION: dict[str, Any] = {"id": "other", "text": {"zh": "其他", "en": "Other"}}
OTHER_PROMPT = {"zh": "请注明“其他”的具体内容。", "en": "Please specify “Other”."}
# A yes_no question's options when the flow file leaves them out (flows.definition).
YES_NO_OPTIONS = [
    {"id": "yes", "text": {"zh": "是", "en": "Yes"}},
    {"id": "no", "text": {"zh": "否", "en": "No"}},
]

_TRUE = frozenset({"yes", "true", "1", "y", "true()"})
_FALSE = frozenset({"no", "false", "0", "n", "false()"})


def boolean(value: str, default: bool = False) -> bool | None:
    """yes / no in the spellings XLSForm allows; None when it is neither."""
    word = value.strip().lower()
    if not word:
        return default
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return None
