"""Option texts and personal questions, as every report names them."""

from __future__ import annotations

from bot.reports.labels import is_personal, option_text
from flows.definition import load_flow
from flows.model import Text
from flows.surveys import DEFAULT_FLOW

FLOW = load_flow(DEFAULT_FLOW)


def test_option_texts_come_from_the_flow_with_fallbacks() -> None:
    role = FLOW.question("role")
    assert option_text(role, "supplier") == Text("供应商", "Supplier")
    assert option_text(role, "yes") == Text("是", "Yes")  # an implicit yes_no option
    assert option_text(role, "gone") == Text("gone", "gone")  # dropped in a later version


def test_only_the_contact_form_and_the_organisation_step_are_personal() -> None:
    personal = [q.id for q in FLOW.questions if is_personal(FLOW, q)]
    assert FLOW.contact is not None and FLOW.organisation is not None
    expected = [*FLOW.contact.detail_questions, *FLOW.organisation.question_ids]
    assert personal == expected
    assert not is_personal(FLOW, FLOW.question("contact"))
