"""Rendered replies → channel-neutral `Message`s, with tappable choices for the last prompt."""

from __future__ import annotations

from collections.abc import Sequence

from bot.dispatch.envelope import Choice, Message
from bot.dispatch.render import Renderer
from flows.events import Reply
from flows.model import Lang, Question, QuestionType, Text
from flows.state import SessionState, Status

_BACK = Text("返回", "Back")
_SKIP = Text("跳过", "Skip")
_YES = Text("是", "Yes")
_NO = Text("否", "No")
_DONE = Text("完成", "Done")


def to_messages(
    renderer: Renderer, replies: Sequence[Reply], state: SessionState, *, links: bool = False
) -> tuple[Message, ...]:
    """All replies of one step as one message (WeChat can answer a push only once).

    `links`: options and commands as WeChat tap links (the channel has no buttons)."""
    texts = renderer.render_all(replies, state.lang, links=links)
    if not texts:
        return ()
    choices: tuple[Choice, ...] = ()
    multi = False
    question: Question | None = None
    if replies:
        choices, multi = choices_for(replies[-1], state)
        if replies[-1].key == "question":
            question = replies[-1].params["question"]
    if question is None:
        # Confirm buttons name the confirmation, so an old one cannot answer a question.
        pending = replies[-1].key.removeprefix("confirm_") if replies else ""
        expect = f"pending:{pending}" if replies[-1].key.startswith("confirm_") else None
        return (Message("\n\n".join(texts), choices, multi, question_id=expect),)
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
    if reply.key == "choose_language":
        return (
            Choice("中文", "中文"),
            Choice("English", "English"),
            Choice("双语 Both", "双语"),
        ), False
    if reply.key.startswith("confirm_"):
        return (Choice(_YES.get(lang), "是"), Choice(_NO.get(lang), "否")), False
    if reply.key != "question":
        return (), False
    question: Question = reply.params["question"]
    choices = [
        Choice(f"{i}. {opt.text.get(lang)}", str(i), exclusive=opt.exclusive)
        for i, opt in enumerate(question.options, 1)
    ]
    if reply.params.get("optional"):
        choices.append(Choice(_SKIP.get(lang), "跳过", nav=True))
    # Numbers are labels ("10a") and skip branches: "back" is offered when there is a way back.
    if state.status is Status.ACTIVE and state.history:
        choices.append(Choice(_BACK.get(lang), "返回", nav=True))
    return tuple(choices), question.type is QuestionType.MULTI


__all__ = ["to_messages", "choices_for", "Lang"]
