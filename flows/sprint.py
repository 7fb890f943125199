"""Reply builders shared by the engine's handlers: what to show for the current position."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flows import numbering
from flows.completion_replies import CompletedHint
from flows.confirmation_replies import ConfirmDelete, ConfirmRestart, ConfirmReuse
from flows.events import Effect
from flows.model import Flow, Lang, Question
from flows.navigation import contact_form, is_required, relevant_questions
from flows.offers import offered
from flows.parse_results import CONSTRAINT_REASONS, Invalid
from flows.replies import AskQuestion, ChooseLanguage, InvalidAnswer, Reply, SurveyClosed
from flows.state import Answer, Pending, SessionState, Status


@dataclass
class Sprint:
    """The mutable scratchpad of one `step` call; frozen into a `Step` at the end."""

    flow: Flow
    state: SessionState
    now: datetime
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    closed: bool = False  # the survey was closed: nothing more is asked
    welcome_back_after: timedelta = timedelta(minutes=30)  # see flows.engine

    def say(self, reply: Reply) -> None:
        self.replies.append(reply)

    def emit(self, effect: Effect) -> None:
        self.effects.append(effect)

    def update(self, **changes: object) -> None:
        self.state = self.state.evolve(**changes)


_CONFIRMS: dict[Pending, type[Reply]] = {
    Pending.RESTART: ConfirmRestart,
    Pending.DELETE: ConfirmDelete,
}


def prompt(sprint: Sprint, *, selected: tuple[str, ...] | None = None) -> None:
    """Ask again for whatever the respondent owes us now.

    `selected`: a multiple-choice selection being built by taps (flows.drafts)."""
    state = sprint.state
    flow = sprint.flow
    if state.pending is not None:
        if state.pending is Pending.REUSE:
            form = [q for q in flow.questions if q.id in state.given]
            sprint.say(ConfirmReuse([(q, state.given[q.id]) for q in form]))
            return
        sprint.say(_CONFIRMS[state.pending]())
        return
    if sprint.closed and state.status in (Status.LANGUAGE, Status.ACTIVE):
        sprint.say(SurveyClosed(flow.title))
        return
    if state.status is Status.LANGUAGE:
        sprint.say(ChooseLanguage(lang=Lang.BOTH))
        return
    if state.status is Status.COMPLETED:
        sprint.say(CompletedHint(offer_next=sprint.flow.next is not None))
        return
    if state.current is None:
        return
    question = flow.question(state.current)
    if state.status is Status.CONTACT:
        answers = {k: _as_answer(v) for k, v in state.form.items()}
        optional = not is_required(question, answers)
        sprint.say(AskQuestion(question, None, None, False, None, optional))
        return
    number = numbering.label(flow, question.id)
    in_form = any(q.id == question.id for q in contact_form(flow))
    sprint.say(
        AskQuestion(
            question,
            number,
            numbering.total(flow),
            # Outside the count: the contact form ("联系方式 / Contact details"; its
            # questions are required once consent is given), then the optional steps
            # ("最后一步（可选）/ Last step (optional)").
            last_step=number is None and not in_form,
            contact_details=number is None and in_form,
            current=state.answers.get(question.id),
            optional=not is_required(question, state.answers),
            selected=selected,
            # An earlier answer to keep with one tap (flows.offers, flows.prefill).
            offer=offered(flow, state, question),
        )
    )


def refuse(sprint: Sprint, question: Question, result: Invalid) -> None:
    """Say why an answer was refused, in the respondent's chosen language.

    `message` is the flow's own constraint_message when it speaks for this refusal;
    the templates prefer it to their generic wording.
    """
    own = question.constraint_message if result.reason in CONSTRAINT_REASONS else None
    reason, params = result.reason.value, dict(result.params)
    sprint.say(InvalidAnswer(reason, params, question, sprint.state.retries, own))


def answer_items(sprint: Sprint) -> list[dict[str, object]]:
    """The respondent's own answers, numbered as the questions are numbered when asked."""
    items: list[dict[str, object]] = []
    for question in relevant_questions(sprint.flow, sprint.state.answers):
        answer = sprint.state.answers.get(question.id)
        if answer is not None:
            number = numbering.label(sprint.flow, question.id)
            items.append({"number": number, "question": question, "answer": answer})
    return items


def _as_answer(text: str) -> Answer:
    return Answer(text=text or None)
