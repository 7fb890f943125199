"""Golden transcript: the company name given in the contact details is offered at the
organisation step, in English, instead of being asked for a second time.

A supplier asks to be contacted right now, fills in the survey's contact form (name,
company, phone), then says yes to the optional organisation step: the company question
shows "In your contact details you gave: …. Use it here? Yes / Change"; "yes" records it.
The rendered replies are compared with a kept transcript. The other ways through the
offer (change, another name typed, a name given through "contact me", a name too long
for the organisation question, none given) are checked on the engine's replies.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.dispatch.messages import choices_for
from flows.definition import load_flow
from flows.events import Intent, OrganisationGiven, SurveyCompleted
from flows.model import Lang
from flows.offers import Offer, Source
from flows.replies import AskQuestion
from flows.state import Answer
from flows.surveys import DEFAULT_FLOW
from tests.bot.engine_transcripts import rendered
from tests.flows.script import Script

GOLDEN = Path(__file__).parent / "fixtures" / "organisation_offer_en.txt"
COMPANY = "Shanghai Brake Systems Co., Ltd."
# Hello, English, questions 1-13 (a supplier; no to 10, so no explanation asked).
TO_14 = ["hello", "English", "2", "1", "1", "1", "1", "1", "1", "1", "1", "2", "1", "1", "1"]
# 14: "right now", consent, the contact form.
FORM = ["1", "1", "Li Wei", COMPANY, "138 0013 8000", "skip", "weekday afternoons"]
STEP = ["yes", "yes", "skip", "Suzhou"]


def _to_the_company_question(form: list[str] = FORM) -> Script:
    script = Script(load_flow(DEFAULT_FLOW))
    script.answer_all(*TO_14, *form, "yes")
    assert script.current == "org_company"
    return script


def _asked(script: Script) -> AskQuestion:
    assert script.last is not None
    asked = [r for r in script.last.replies if isinstance(r, AskQuestion)]
    assert asked, script.keys
    return asked[-1]


def transcript() -> tuple[str, Script]:
    script = Script(load_flow(DEFAULT_FLOW))
    script.answer_all(*TO_14)
    return rendered(script, [*FORM, *STEP], Lang.EN, kept=(*FORM, *STEP)), script


def test_the_offer_transcript_is_unchanged() -> None:
    text, _ = transcript()
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_yes_records_the_contact_company_for_the_organisation() -> None:
    _, script = transcript()
    assert script.state is not None
    assert script.state.answers["org_company"] == Answer(text=COMPANY)
    assert OrganisationGiven(COMPANY, None, "Suzhou") in script.effects
    assert any(isinstance(e, SurveyCompleted) for e in script.effects)


def test_the_company_question_offers_the_contact_company() -> None:
    script = _to_the_company_question()
    assert _asked(script).offer == Offer(Answer(text=COMPANY), Source.CONTACT_DETAILS)


def test_change_asks_the_question_plainly_and_takes_a_new_name() -> None:
    script = _to_the_company_question()
    script.send("change")
    assert script.keys == ["question"]
    assert _asked(script).offer is None
    assert script.state is not None and "org_company" not in script.state.answers
    script.send("Shanghai Brake Systems (Suzhou) Co., Ltd.")
    assert script.state is not None
    assert script.state.answers["org_company"].text == "Shanghai Brake Systems (Suzhou) Co., Ltd."


def test_another_name_typed_instead_is_the_answer() -> None:
    script = _to_the_company_question()
    script.send("Brake Holdings Ltd.")
    assert script.state is not None
    assert script.state.answers["org_company"].text == "Brake Holdings Ltd."
    assert script.current == "org_code"


def test_back_to_the_answered_question_shows_the_answer_not_the_offer() -> None:
    script = _to_the_company_question()
    script.send("yes")
    script.send("back")
    assert script.current == "org_company"
    assert _asked(script).offer is None
    assert _asked(script).current == Answer(text=COMPANY)


def test_a_company_given_through_contact_me_is_offered() -> None:
    script = Script(load_flow(DEFAULT_FLOW))
    script.answer_all("hello", "English")
    script.send(intent=Intent.CONTACT_ME)
    script.answer_all("yes", "Li Wei", COMPANY, "138 0013 8000", "skip", "skip")
    assert script.state is not None and script.state.given.get("contact_company") == COMPANY
    # The survey's own contact form is filled from those details with one yes.
    script.answer_all(*TO_14[2:], "1", "yes")
    script.send("yes")  # the organisation step
    assert script.current == "org_company"
    assert _asked(script).offer == Offer(Answer(text=COMPANY), Source.CONTACT_DETAILS)


def test_a_name_the_organisation_question_would_refuse_is_not_offered() -> None:
    # The organisation question takes at most 60 characters in this flow; the contact
    # form's company field 100.
    flow = load_flow(DEFAULT_FLOW)
    shorter = replace(flow.question("org_company"), max_length=60)
    flow = replace(
        flow, questions=tuple(shorter if q.id == "org_company" else q for q in flow.questions)
    )
    long_name = "Shanghai Brake Systems " + "Automotive Components " * 3 + "Co., Ltd."
    assert 60 < len(long_name) <= 100
    script = Script(flow)
    script.answer_all(*TO_14, *FORM[:3], long_name, *FORM[4:], "yes")
    assert script.current == "org_company"
    assert _asked(script).offer is None
    script.send(long_name)  # typed anyway: refused, as any answer would be
    assert script.keys == ["invalid_answer", "question"]


def test_nothing_is_offered_without_a_contact_company() -> None:
    script = Script(load_flow(DEFAULT_FLOW))
    script.answer_all(*TO_14, "4", "yes")  # no contact wanted: no form
    assert script.current == "org_company"
    assert _asked(script).offer is None


def test_telegram_buttons_offer_use_it_and_change() -> None:
    script = _to_the_company_question()
    assert script.state is not None
    choices, _ = choices_for(_asked(script), script.state)
    assert [(c.label, c.value) for c in choices][:2] == [("Use it", "是"), ("Change", "修改")]
