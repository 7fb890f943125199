"""A multiple-choice selection being built by taps, not yet an answer.

WeChat's tap links (bot.dispatch.tap_links) cannot keep state, so each option's link
carries the whole selection it would lead to: "☑ 1,3". Such a message shows the
question again with that selection and a 完成 / Done link (which sends "1,3", an
ordinary answer). Typing "1,3" still answers at once. Pure, never raises.
"""

from __future__ import annotations

import dataclasses

from flows.answer_parsing import parse_answer
from flows.model import Question, QuestionType
from flows.parse_results import Invalid, normalize

DRAFT_MARK = "☑"


def parse_draft(question: Question, raw: str) -> tuple[str, ...] | Invalid | None:
    """The option ids of a draft selection; Invalid if it breaks a rule other than the
    minimum (exclusive option combined, too many); None if `raw` is not a draft."""
    if question.type is not QuestionType.MULTI:
        return None
    text = normalize(raw)
    if not text.startswith(DRAFT_MARK):
        return None
    rest = text.removeprefix(DRAFT_MARK).strip()
    if not rest:
        return ()
    # The minimum applies when the selection is submitted, not while it is built.
    result = parse_answer(dataclasses.replace(question, min_selected=1), rest)
    return result if isinstance(result, Invalid) else result.options
