"""Which survey, in which version, one respondent's message is for.

A respondent's current survey is their most recently updated session; someone new
starts the default survey's newest open version. A session stays on the version it
started on, unless the newest version was published with a mapping from it: then it is
moved (flows.mapping) before anything else happens, and the message that arrived is
answered with "the survey was updated" and the current question, never read as an
answer to a question that may have changed under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from bot.surveys.catalog import SurveyCatalog
from bot.surveys.prefill import previous_for
from flows import engine as flow_engine
from flows.answer_moves import new_state
from flows.events import Inbound, Intent, Step
from flows.mapping import MOVABLE, migrate
from flows.model import Flow
from flows.state import SessionState, parse_state
from storage.respondents import load_session_row
from storage.session_rows import LatestSession, SessionRow, latest_session_row


@dataclass(frozen=True)
class Route:
    flow: Flow
    state: SessionState | None  # None: a new respondent
    closed: bool
    # The session row the state came from (None: none yet): what it counts under, so
    # that saving it needs no second read (storage.session_counters.known_before).
    row: SessionRow | None = None


def route(
    *,
    session: Session,
    catalog: SurveyCatalog,
    respondent_id: int,
    latest: LatestSession | None = None,
) -> Route | None:
    """The survey this respondent is in; None when they have none and none is open.

    `latest`: their newest session row, read ahead with their lock in this transaction
    (storage.claim_and_lock), when nothing has written their sessions since."""
    catalog.refresh(session)
    if latest is not None:
        row = latest.row
    else:
        row = latest_session_row(session=session, respondent_id=respondent_id)
    if row is None:
        flow = catalog.newest_flow(session, catalog.default_flow_id)
        if flow is None or not catalog.is_open(flow.id):
            return None
        if (
            flow.previous_round is not None
        ):  # e.g. a colleague's earlier answers (bot.surveys.prefill)
            previous = previous_for(session=session, flow=flow, respondent_id=respondent_id)
            return Route(flow, new_state(flow, previous), closed=False)
        return Route(flow, None, closed=False)
    flow = catalog.flow(session, row.flow_id, row.flow_version)
    state = parse_state(row.state_json)
    return Route(flow, state, closed=not catalog.is_open(flow.id), row=row)


def advance(
    *,
    session: Session,
    catalog: SurveyCatalog,
    at: Route,
    inbound: Inbound,
    welcome_back_after: timedelta = flow_engine.WELCOME_BACK_AFTER,
) -> tuple[Flow, Step]:
    """One engine step on `at`, or the move to a newer version when one is mapped."""
    state = at.state
    if state is not None and state.status in MOVABLE and not at.closed:
        target = catalog.mapping_to(session, at.flow.id, at.flow.version)
        if target is not None:
            newer, mapping = target
            return newer, migrate(at.flow, newer, mapping, state, inbound.now)
    return at.flow, flow_engine.step(
        at.flow, state, inbound, closed=at.closed, welcome_back_after=welcome_back_after
    )


def start_next(
    *,
    session: Session,
    catalog: SurveyCatalog,
    respondent_id: int,
    flow_id: str,
    finished: SessionState,
    inbound: Inbound,
) -> tuple[Flow, Step] | None:
    """The survey offered after `finished`, started in the same language (None: not open).

    Someone who already began it is welcomed back where they left off."""
    catalog.refresh(session, force=True)
    if not catalog.is_open(flow_id):
        return None
    row = load_session_row(session=session, respondent_id=respondent_id, flow_id=flow_id)
    if row is not None:
        flow = catalog.flow(session, row.flow_id, row.flow_version)
        state = SessionState.from_json(row.state_json)
        event = Inbound(now=inbound.now, intent=Intent.START)
        return flow, flow_engine.step(flow, state, event)
    newest = catalog.newest_flow(session, flow_id)
    if newest is None:
        return None
    previous = previous_for(session=session, flow=newest, respondent_id=respondent_id)
    step = flow_engine.start_in_language(newest, finished.lang, inbound.now, previous=previous)
    return newest, step
