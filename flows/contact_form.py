"""The "contact me / 联系我" form asked outside the survey (status CONTACT).

It reuses the flow's consent and detail questions, keeps what is typed in
`SessionState.form` (not as survey answers, so reports are unaffected), and ends in a
`ContactRequested` effect or a polite decline.
"""

from __future__ import annotations

import re

from flows.answer_parsing import Invalid, parse_answer
from flows.command_replies import CannotSkip, NotNow
from flows.commands import Command
from flows.confirmation_replies import Cancelled
from flows.contact_form_replies import (
    ContactCreated,
    ContactDeclined,
    ContactFormIntro,
    ContactUnavailable,
)
from flows.events import ContactRequested
from flows.model import YES, FieldKind, Flow, Question
from flows.navigation import contact_form, is_required, next_unanswered, required_instead
from flows.parse_results import normalize_text
from flows.replies import Recorded
from flows.sprint import Sprint, prompt, refuse
from flows.state import Answer, Status


def enter(sprint: Sprint) -> None:
    form = contact_form(sprint.flow)
    if not form:
        sprint.say(ContactUnavailable())
        prompt(sprint)
        return
    sprint.update(
        resume_status=sprint.state.status,
        status=Status.CONTACT,
        current=form[0].id,
        form={},
        retries=0,
    )
    sprint.say(ContactFormIntro())
    prompt(sprint)


def on_command(sprint: Sprint, command: Command) -> None:
    form = contact_form(sprint.flow)
    ids = [q.id for q in form]
    current = sprint.state.current
    if command is Command.BACK:
        index = ids.index(current) if current in ids else 0
        if index == 0:
            sprint.say(Cancelled())
            _leave(sprint)
            return
        sprint.update(current=ids[index - 1], retries=0)
        prompt(sprint)
    elif command is Command.SKIP:
        question = sprint.flow.question(current or ids[0])
        if is_required(question, _answers(sprint)):
            sprint.say(CannotSkip(instead=required_instead(sprint.flow, question)))
            prompt(sprint)
            return
        _store(sprint, question, "")
    else:
        sprint.say(NotNow())
        prompt(sprint)


# "联系我" taken back while its form is open: the form is left, nothing kept.
_LEAVE = re.compile(
    r"(取消|算了|不用了|不要了|不需要了|不要联系我了?|cancel|stop|never ?mind|forget it)"
    r"(?:[\s,，.。!！].*)?",
    re.IGNORECASE | re.DOTALL,
)


def on_answer(sprint: Sprint, text: str) -> None:
    form = contact_form(sprint.flow)
    if _LEAVE.fullmatch(normalize_text(text).strip()):
        sprint.say(ContactDeclined())
        _leave(sprint)
        return
    question = sprint.flow.question(sprint.state.current or form[0].id)
    result = parse_answer(question, text)
    moved = email_instead(sprint.flow, question, text)
    if isinstance(result, Invalid) and moved is not None:
        sprint.update(form={**sprint.state.form, question.id: ""})
        _store(sprint, moved[0], moved[1])
        return
    if isinstance(result, Invalid):
        sprint.update(retries=sprint.state.retries + 1)
        refuse(sprint, question, result)
        prompt(sprint)
        return
    if question.id == form[0].id:
        if YES not in result.options:
            sprint.say(ContactDeclined())
            _leave(sprint)
            return
        _store(sprint, question, YES)
        return
    _store(sprint, question, result.text or "")


def email_instead(flow: Flow, question: Question, text: str) -> tuple[Question, str] | None:
    """An e-mail address typed at the phone question: (the e-mail question, the address).

    People answer "how can we reach you" with what they have; refusing a good address
    because it came one question early only loses it.
    """
    if question.field is not FieldKind.PHONE:
        return None
    for other in flow.questions[flow.position(question.id) + 1 :]:
        if other.field is FieldKind.EMAIL:
            parsed = parse_answer(other, text)
            return None if isinstance(parsed, Invalid) else (other, parsed.text or "")
    return None


def _store(sprint: Sprint, question: Question, value: str) -> None:
    form = contact_form(sprint.flow)
    ids = [q.id for q in form]
    values = {**sprint.state.form, question.id: value}
    sprint.update(form=values, retries=0)
    # "✓ 已记录：…" or "✓ 已跳过", as the survey's own contact form says it.
    kept = Answer(options=(YES,)) if question.id == ids[0] else Answer(text=value or None)
    sprint.say(Recorded(question, kept))
    index = ids.index(question.id)
    if index + 1 < len(ids):
        sprint.update(current=ids[index + 1])
        prompt(sprint)
        return
    details = {qid: v for qid, v in values.items() if v and qid != ids[0]}
    sprint.emit(ContactRequested("contact_me", details))
    sprint.update(given=details)
    sprint.say(ContactCreated())
    _leave(sprint)


def _answers(sprint: Sprint) -> dict[str, Answer]:
    return {k: Answer(text=v or None) for k, v in sprint.state.form.items()}


def _leave(sprint: Sprint) -> None:
    status = sprint.state.resume_status or Status.ACTIVE
    sprint.update(form={}, resume_status=None, retries=0)
    if status is Status.ACTIVE:
        following = next_unanswered(sprint.flow, sprint.state.answers)
        if following is None:
            status = Status.COMPLETED if sprint.state.completed_at else Status.ACTIVE
        sprint.update(status=status, current=following.id if following else None)
    else:
        sprint.update(status=status, current=None)
    prompt(sprint)
