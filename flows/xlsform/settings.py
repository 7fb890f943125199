"""The settings sheet: the flow's header (id, version, texts, next, live figures and peer
segments) and its contact and organisation rules.

XLSForm reads one row of settings; besides `form_id`, `version`, `form_title` and
`default_language`, our extensions carry what a flow has and a form does not: the
preface, closing and follow-up texts, the flow offered next, and the contact rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flows.xlsform.columns import Findings, Table, language
from flows.xlsform.reader import Sheet
from flows.xlsform.rules import SETTINGS

__all__ = ["Settings", "read_settings"]

_TEXTS = (("form_title", "title"), ("preface", "preface"), ("closing", "closing"))
_CONTACT_KEYS = ("question", "right_now", "updates", "on_request")
_ORGANISATION_KEYS = ("question", "key", "plant", "ask")
_YES = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False, "": False}


@dataclass
class Settings:
    header: dict[str, Any] = field(default_factory=dict)  # flow keys, in file order
    contact: dict[str, Any] = field(default_factory=dict)  # the flow's `contact:` section
    organisation: dict[str, Any] = field(default_factory=dict)  # its `organisation:` section
    lang: str | None = None  # default_language: what a plain `label` column means
    place: str = "settings sheet"


def read_settings(sheet: Sheet | None, findings: Findings) -> Settings:
    if sheet is None or not sheet.rows:
        return Settings()
    row = sheet.rows[0]
    # default_language decides what a plain `form_title` means, so it is read first.
    headers = [h.strip().lower() for h in sheet.headers]
    column = headers.index("default_language") if "default_language" in headers else None
    default = row.value(column) if column is not None else ""
    lang = language(default) if default else None
    table = Table(sheet, SETTINGS, findings, default_lang=lang)
    out = Settings(lang=lang, place=table.place(row))
    if default and lang is None:
        findings.problem(out.place, f"default_language {default!r}: 中文 (zh) or English (en)")
    for extra in sheet.rows[1:]:
        findings.note(table.place(extra), "only the first settings row is read")
    plain = {column: table.value(row, column) for column in SETTINGS}
    if plain["form_id"]:
        out.header["id"] = plain["form_id"]
    if plain["version"].isdigit():
        out.header["version"] = int(plain["version"])
    elif plain["version"]:
        version = plain["version"]
        findings.problem(out.place, f"version {version!r}: a flow version is a whole number")
    for base, key in _TEXTS:
        if table.has(base):
            out.header[key] = table.texts(row, base)
    if any(table.texts(row, "followup").values()):
        out.header["followup"] = table.texts(row, "followup")
    if plain["next"]:
        out.header["next"] = plain["next"]
    if plain["snapshots"]:
        out.header["snapshots"] = plain["snapshots"]  # the flow reader names wrong values
    segments = [_segment(s, out.place, findings) for s in plain["segments"].split()]
    if segments:
        out.header["segments"] = [s for s in segments if s is not None]
    out.contact = _contact(plain, out.place, findings)
    out.organisation = _organisation(plain, out.place, findings)
    if plain["counting"]:
        out.header["counting"] = plain["counting"]  # the flow reader names wrong values
    return out


def _segment(cell: str, place: str, findings: Findings) -> dict[str, Any] | None:
    """`role=supplier/commodity` → {within: {role: supplier}, by: commodity}: the name a
    segment has in the counters (flows.model.Segment.key)."""
    *within, by = cell.split("/")
    pairs = [part.split("=") for part in within]
    if not by or "=" in by or any(len(pair) != 2 or not all(pair) for pair in pairs):
        findings.problem(
            place,
            f"segments {cell!r}: write question=option/…/by_question, e.g. role=supplier/commodity",
        )
        return None
    segment: dict[str, Any] = {"by": by}
    if pairs:
        segment = {"within": {q: o for q, o in pairs}, **segment}
    return segment


def _contact(plain: dict[str, str], place: str, findings: Findings) -> dict[str, Any]:
    contact: dict[str, Any] = {
        key: plain[f"contact_{key}"] for key in _CONTACT_KEYS if plain[f"contact_{key}"]
    }
    details = plain["contact_details"].replace(",", " ").split()
    if details:
        contact["details"] = details
    if contact and "question" not in contact:
        findings.problem(place, "contact_question is missing")
    return contact


def _organisation(plain: dict[str, str], place: str, findings: Findings) -> dict[str, Any]:
    organisation: dict[str, Any] = {
        key: plain[f"organisation_{key}"]
        for key in _ORGANISATION_KEYS
        if plain[f"organisation_{key}"]
    }
    see = plain["organisation_colleagues_see_answers"].strip().lower()
    if see not in _YES:
        findings.problem(place, f"organisation_colleagues_see_answers {see!r}: yes or no")
    elif _YES[see]:
        organisation["colleagues_see_answers"] = True
    if organisation and "question" not in organisation:
        findings.problem(place, "organisation_question is missing")
    return organisation
