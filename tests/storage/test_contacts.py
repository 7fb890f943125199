from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from flows.events import ContactRequested
from storage.contact_moves import claim_contact, finish_contact, set_contact_note
from storage.contact_renotify import contacts_due_for_renotify, mark_contact_notified
from storage.contacts import (
    ContactNotFound,
    ContactStateError,
    contact_details,
    count_open_contacts,
    find_contact,
    open_contacts,
)
from storage.models import SurveySession
from storage.transactions import transaction
from tests.storage.sample import NOW, apply, at, new_respondent


def _request(engine: Engine, user: str, minutes: float = 0) -> str:
    _, session_id = new_respondent(engine, user)
    (reference,) = apply(
        engine, session_id, ContactRequested("survey", {"name": user}), now=at(minutes)
    )
    return reference


def test_claim_then_finish(engine: Engine) -> None:
    ref = _request(engine, "u1")
    with transaction(engine) as session:
        assert count_open_contacts(session=session) == 1
        contact = claim_contact(session=session, ref=ref, by="staff:li", now=at(1))
        assert (contact.status, contact.claimed_by, contact.claimed_at) == (
            "claimed",
            "staff:li",
            at(1),
        )
        # Claiming one's own claim again is harmless; someone else's is refused.
        claim_contact(session=session, ref=ref, by="staff:li", now=at(2))
        with pytest.raises(ContactStateError, match="claimed by staff:li"):
            claim_contact(session=session, ref=ref, by="staff:wang", now=at(2))
        with pytest.raises(ContactStateError):
            finish_contact(session=session, ref=ref, by="staff:wang", note=None, now=at(2))
    with transaction(engine) as session:
        done = finish_contact(session=session, ref=ref, by="staff:li", note="called", now=at(3))
        assert (done.status, done.note, done.done_at) == ("done", "called", at(3))
        with pytest.raises(ContactStateError, match="already done"):
            claim_contact(session=session, ref=ref, by="staff:li", now=at(4))
        assert open_contacts(session=session) == []
        assert contact_details(done) == {"name": "u1"}


@pytest.mark.parametrize(
    ("closing_note", "kept"),
    [
        (None, "e-mailed on Monday"),
        ("", "e-mailed on Monday"),
        ("  ", "e-mailed on Monday"),
        ("e-mailed on Monday", "e-mailed on Monday"),  # the dashboard sends the saved one
        ("called, meeting booked", "e-mailed on Monday\ncalled, meeting booked"),
    ],
)
def test_closing_in_chat_keeps_the_saved_note(
    engine: Engine, closing_note: str | None, kept: str
) -> None:
    ref = _request(engine, "u1")
    with transaction(engine) as session:
        set_contact_note(session=session, ref=ref, note="e-mailed on Monday")
    with transaction(engine) as session:
        done = finish_contact(
            session=session, ref=ref, by="staff:li", note=closing_note, now=at(1), add_note=True
        )
        assert (done.status, done.note) == ("done", kept)


def test_the_dashboards_note_box_replaces_the_note(engine: Engine) -> None:
    # The box shows the saved note: what it sends is the whole note.
    ref = _request(engine, "u1")
    with transaction(engine) as session:
        set_contact_note(session=session, ref=ref, note="e-mailed on Monday")
        done = finish_contact(session=session, ref=ref, by="staff:li", note="called", now=at(1))
        assert done.note == "called"


def test_references_as_staff_type_them(engine: Engine) -> None:
    ref = _request(engine, "u1")
    number = int(ref.removeprefix("C-"))
    with transaction(engine) as session:
        for typed in (ref, ref.lower(), f" C{number} ", str(number), number):
            assert find_contact(session=session, ref=typed).reference == ref
        for typed in ("C-999999", "hello", ""):
            with pytest.raises(ContactNotFound):
                find_contact(session=session, ref=typed)


def test_open_contacts_oldest_first_optionally_without_claimed(engine: Engine) -> None:
    first, second = _request(engine, "u1", 0), _request(engine, "u2", 1)
    with transaction(engine) as session:
        claim_contact(session=session, ref=first, by="staff:li", now=at(2))
        assert [c.reference for c in open_contacts(session=session)] == [first, second]
        assert [c.reference for c in open_contacts(session=session, include_claimed=False)] == [
            second
        ]


def test_unclaimed_requests_are_renotified_after_a_while(engine: Engine) -> None:
    ref = _request(engine, "u1")
    claimed = _request(engine, "u2")
    with transaction(engine) as session:
        claim_contact(session=session, ref=claimed, by="staff:li", now=NOW)
        assert contacts_due_for_renotify(session=session, now=at(59), after_hours=1) == []
        (due,) = contacts_due_for_renotify(session=session, now=at(60), after_hours=1)
        assert due.reference == ref
        mark_contact_notified(session=session, contact=due, now=at(60))
    with transaction(engine) as session:
        assert contacts_due_for_renotify(session=session, now=at(119), after_hours=1) == []


def test_one_open_request_per_respondent_details_merged(engine: Engine) -> None:
    _, session_id = new_respondent(engine, "twice")
    (first,) = apply(engine, session_id, ContactRequested("contact_me", {"contact_name": "王伟"}))
    again = apply(
        engine,
        session_id,
        ContactRequested("survey", {"contact_name": "王伟", "contact_email": "w@example.com"}),
        now=at(5),
    )
    assert again == []  # no second request, no second staff notice
    with transaction(engine) as session:
        (only,) = open_contacts(session=session)
        assert only.reference == first
        assert contact_details(only) == {"contact_name": "王伟", "contact_email": "w@example.com"}


def test_a_done_request_does_not_stop_a_new_one(engine: Engine) -> None:
    ref = _request(engine, "again")
    with transaction(engine) as session:
        finish_contact(session=session, ref=ref, by="staff:li", note="called", now=at(1))
        respondent_id = find_contact(session=session, ref=ref).respondent_id
    with transaction(engine) as session:
        row = session.exec(
            select(SurveySession).where(SurveySession.respondent_id == respondent_id)
        ).one()
        session_id = row.id
    assert session_id is not None
    assert (
        len(apply(engine, session_id, ContactRequested("contact_me", {"n": "x"}), now=at(9))) == 1
    )
