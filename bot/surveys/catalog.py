"""Which surveys exist, in which versions, and which are open: the registry, cached.

The registry (storage.surveys) is the truth and is shared by every worker. Each worker
keeps the parsed versions it has met (they never change once published) and re-reads
the small list of versions at most every `ttl_s` seconds, so a `surveybot surveys
publish` or `close` reaches all workers within that time without a query per message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sqlmodel import Session

from flows.definition import load_flow_text
from flows.mapping import SurveyMapping
from flows.model import Flow, Segment
from storage import surveys as registry

REFRESH_S = 2.0


@dataclass(frozen=True)
class Published:
    """One version as the registry lists it (without its flow)."""

    flow_id: str
    version: int
    closed: bool
    has_mapping: bool


class UnknownSurvey(LookupError):
    pass


class SurveyCatalog:
    def __init__(
        self,
        default_flow_id: str,
        *,
        ttl_s: float = REFRESH_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.default_flow_id = default_flow_id
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._flows: dict[tuple[str, int], Flow] = {}
        self._mappings: dict[tuple[str, int], SurveyMapping | None] = {}
        self._listing: dict[tuple[str, int], Published] = {}
        # Views of `_listing`, worked out when it is read (each message asks for them
        # several times): each survey's newest version, the survey ids in order, and
        # the peer segments their newest versions declare (filled on first use).
        self._newest: dict[str, Published] = {}
        self._survey_ids: tuple[str, ...] = ()
        self._segments: Mapping[str, tuple[Segment, ...]] | None = None
        self._read_at: float | None = None
        self._fixed = False

    @classmethod
    def fixed(cls, flow: Flow) -> SurveyCatalog:
        """Just `flow`, always open, the registry never read (a single-survey embedding)."""
        catalog = cls(flow.id)
        catalog._fixed = True
        catalog._flows[(flow.id, flow.version)] = flow
        catalog._mappings[(flow.id, flow.version)] = None
        catalog._set_listing(
            {(flow.id, flow.version): Published(flow.id, flow.version, False, False)}
        )
        return catalog

    def _set_listing(self, listing: dict[tuple[str, int], Published]) -> None:
        newest: dict[str, Published] = {}
        for published in listing.values():
            known = newest.get(published.flow_id)
            if known is None or published.version > known.version:
                newest[published.flow_id] = published
        with self._lock:
            self._listing = listing
            self._newest = newest
            self._survey_ids = tuple(sorted(newest))
            self._segments = None

    # --- the registry listing -------------------------------------------------------
    def refresh(self, session: Session, *, force: bool = False) -> None:
        now = self._clock()
        if self._fixed:
            return
        if not force and self._read_at is not None and now - self._read_at < self.ttl_s:
            return
        versions = registry.list_versions(session=session)
        listing = {
            (v.flow_id, v.version): Published(
                v.flow_id, v.version, v.closed_at is not None, v.has_mapping
            )
            for v in versions
        }
        self._set_listing(listing)
        with self._lock:
            self._read_at = now

    def published(self) -> list[Published]:
        with self._lock:
            return sorted(self._listing.values(), key=lambda p: (p.flow_id, p.version))

    def newest(self, flow_id: str) -> Published | None:
        return self._newest.get(flow_id)

    def is_open(self, flow_id: str) -> bool:
        newest = self.newest(flow_id)
        return newest is not None and not newest.closed

    def survey_ids(self) -> list[str]:
        return list(self._survey_ids)

    # --- versions ---------------------------------------------------------------------
    def flow(self, session: Session, flow_id: str, version: int) -> Flow:
        """One version's flow, parsed once per worker. UnknownSurvey if never published."""
        key = (flow_id, version)
        with self._lock:
            cached = self._flows.get(key)
        if cached is not None:
            return cached
        found = registry.load_source(session=session, flow_id=flow_id, version=version)
        if found is None:
            raise UnknownSurvey(f"{flow_id} version {version} is not published")
        source, mapping_json = found
        flow = load_flow_text(source, source=f"{flow_id} v{version} (registry)")
        mapping = SurveyMapping.from_json(mapping_json) if mapping_json else None
        with self._lock:
            self._flows[key] = flow
            self._mappings[key] = mapping
        return flow

    def newest_flow(self, session: Session, flow_id: str) -> Flow | None:
        self.refresh(session)
        newest = self.newest(flow_id)
        return self.flow(session, flow_id, newest.version) if newest is not None else None

    def declared_segments(self, session: Session) -> Mapping[str, tuple[Segment, ...]]:
        """Each survey's peer segments as its newest version declares them: what the
        segment counters follow (`bot.segment_rebuild` recounts on a change)."""
        self.refresh(session)  # a cached listing within its interval: no query
        known = self._segments
        if known is not None:
            return known
        out: dict[str, tuple[Segment, ...]] = {}
        for flow_id in self._survey_ids:
            flow = self.newest_flow(session, flow_id)
            if flow is not None and flow.segments:
                out[flow_id] = flow.segments
        self._segments = MappingProxyType(out)  # until the listing is read again
        return self._segments

    def mapping_to(
        self, session: Session, flow_id: str, from_version: int
    ) -> tuple[Flow, SurveyMapping] | None:
        """The newest version of `flow_id`, if it maps respondents from `from_version`."""
        newest = self.newest(flow_id)
        if newest is None or newest.version <= from_version or not newest.has_mapping:
            return None
        flow = self.flow(session, flow_id, newest.version)
        with self._lock:
            mapping = self._mappings.get((flow_id, newest.version))
        if mapping is None or mapping.from_version != from_version:
            return None
        return flow, mapping
