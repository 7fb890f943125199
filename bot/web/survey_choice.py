"""The survey a dashboard page is about: `?survey=ID`, carried by every link on the page."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from flows.model import Flow


class UnknownSurvey(LookupError):
    """`?survey=` names no published survey (a 404 page)."""


@dataclass(frozen=True)
class Survey:
    flow: Flow  # the newest version: its questions are the page's
    ids: tuple[str, ...]  # every published survey, for the switcher
    versions: tuple[int, ...]  # the versions respondents answered (what the page covers)
    explicit: bool  # named in the URL (links then carry it on)

    @property
    def query(self) -> str:
        """'?survey=ID' for links, or '' for the default survey."""
        return f"?survey={quote(self.flow.id)}" if self.explicit else ""

    def link(self, survey_id: str) -> str:
        return f"?survey={quote(survey_id)}"
