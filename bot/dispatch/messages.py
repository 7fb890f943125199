"""Rendered replies → channel-neutral `Message`s, with tappable choices for the last prompt."""

from __future__ import annotations

from collections.abc import Sequence

from bot.dispatch.envelope import Choice, Message
from bot.dispatch.render import Renderer
from flows.colleague_replies import ColleagueAnswered, ColleagueAnswers
from flows.confirmation_replies import ConfirmDelete, ConfirmRestart, ConfirmReuse
from flows.model import Lang, QuestionType, Text
from flows.offers import Source
from flows.replies import AskQuestion, ChooseLanguage, Reply
from flows.state import Pending, SessionState, Status

_BACK = Text("返回", "Back")
_SKIP = Text("跳过", "Skip")
_YES = Text("是", "Yes")
_NO = Text("否", "No")
_DONE = Text("完成", "Done")
_VIEW = Text("查看同事答案", "View colleague's answers")
_TAKE_OVER = Text("由我接替", "Take over")
_KEEP = Text("保持原样", "Keep as is")
# An earlier answer offered with the question (flows.offers): keep it, or answer anew.
_KEEP_OFFER = {
    Source.EARLIER_ROUND: Text("仍然如此", "Still so"),
    Source.CONTACT_DETAILS: Text("沿用", "Use it"),
}
_CHANGE = Text("修改", "Change")
# The yes/no confirmations, and the pending question each answers ("pending:restart").
_CONFIRMS: dict[type[Reply], Pending] = {
    ConfirmRestart: Pending.RESTART,
    ConfirmDelete: Pending.DELETE,
    ConfirmReuse: Pending.REUSE,
}


def to_messages(
    renderer: Renderer, replies: Sequence[Reply], state: SessionState, *, links: bool = False
) -> tuple[Message, ...]:
    """All replies of one step as one message (WeChat can answer a push only once).

    `links`: options and commands as WeChat tap links (the channel has no buttons)."""
    texts = renderer.render_all(replies, state.lang, links=links)
    if not texts:
        return ()
    last = replies[-1]
    choices, multi = choices_for(last, state)
    if not isinstance(last, AskQuestion):
        # Confirm buttons name the confirmation, so an old one cannot answer a question.
        pending = _CONFIRMS.get(type(last))
        expect = f"pending:{pending.value}" if pending is not None else None
        return (Message("\n\n".join(texts), choices, multi, question_id=expect),)
    question = last.question
    return (
        Message(
            "\n\n".join(texts),
            choices,
            multi,
            question_id=question.id,
            min_selected=question.min_selected,
            max_selected=question.max_selected,
            submit_label=_DONE.get(state.lang) if multi else "",
        ),
    )


def choices_for(reply: Reply, state: SessionState) -> tuple[tuple[Choice, ...], bool]:
    lang = state.lang
    if isinstance(reply, ChooseLanguage):
        return (
            Choice("中文", "中文"),
            Choice("English", "English"),
            Choice("双语 Both", "双语"),
        ), False
    if type(reply) in _CONFIRMS:
        return (Choice(_YES.get(lang), "是"), Choice(_NO.get(lang), "否")), False
    if isinstance(reply, ColleagueAnswered | ColleagueAnswers):
        return _colleague_choices(reply, lang), False
    if not isinstance(reply, AskQuestion):
        return (), False
    question = reply.question
    choices = [
        Choice(f"{i}. {opt.text.get(lang)}", str(i), exclusive=opt.exclusive)
        for i, opt in enumerate(question.options, 1)
    ]
    if reply.offer is not None:  # 是 keeps it (on a yes/no question 是 is its own yes)
        if question.type is not QuestionType.YES_NO:
            choices.append(Choice(_KEEP_OFFER[reply.offer.source].get(lang), "是", nav=True))
        choices.append(Choice(_CHANGE.get(lang), "修改", nav=True))
    if reply.optional:
        choices.append(Choice(_SKIP.get(lang), "跳过", nav=True))
    # Numbers are labels ("10a") and skip branches: "back" is offered when there is a way back.
    if state.status is Status.ACTIVE and state.history:
        choices.append(Choice(_BACK.get(lang), "返回", nav=True))
    return tuple(choices), question.type is QuestionType.MULTI


def _colleague_choices(
    reply: ColleagueAnswered | ColleagueAnswers, lang: Lang
) -> tuple[Choice, ...]:
    """View (when the survey allows), take over, keep: what the reply offers as words."""
    if isinstance(reply, ColleagueAnswered) and not reply.theirs_count:
        return ()
    view = isinstance(reply, ColleagueAnswered) and reply.can_view
    offered = ((_VIEW,) if view else ()) + (_TAKE_OVER, _KEEP)
    return tuple(Choice(text.get(lang), text.zh) for text in offered)


__all__ = ["to_messages", "choices_for", "Lang"]
