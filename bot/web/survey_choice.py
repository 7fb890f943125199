"""The survey a dashboard page is about: `?survey=ID`, carried by every link on the page."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from flows.model import Flow
from storage.filters import NO_FILTER, ReportFilter


class UnknownSurvey(LookupError):
    """`?survey=` names no published survey (a 404 page)."""


@dataclass(frozen=True)
class Survey:
    flow: Flow  # the newest version: its questions are the page's
    ids: tuple[str, ...]  # every published survey, for the switcher
    versions: tuple[int, ...]  # the versions respondents answered (what the page covers)
    explicit: bool  # named in the URL (links then carry it on)
    # The page's filter (bot.web.filter_query), carried on by every link as well.
    filters: tuple[tuple[str, str], ...] = field(default=())
    report_filter: ReportFilter = NO_FILTER
    filter_labels: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()  # each of `ids`' title, for the switcher

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(id, title) of every published survey, the title where known."""
        titles = self.titles if len(self.titles) == len(self.ids) else self.ids
        return list(zip(self.ids, titles, strict=True))

    @property
    def query(self) -> str:
        """'?survey=ID&where=…' for links, or '' for the default survey unfiltered."""
        params = [("survey", self.flow.id)] if self.explicit else []
        params.extend(self.filters)
        return "?" + urlencode(params) if params else ""

    @property
    def unfiltered(self) -> str:
        """The page's query without its filter (the "clear filter" link)."""
        return f"?survey={quote(self.flow.id)}" if self.explicit else ""

    def link(self, survey_id: str) -> str:
        return f"?survey={quote(survey_id)}"
