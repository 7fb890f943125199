"""Tap links in rendered replies: `taps` in every template.

On WeChat (`links=True`) an option or a command word becomes a link that sends it when
tapped (bot.dispatch.tap_links); elsewhere (Telegram has buttons, the console types)
`taps` returns the label unchanged, so no markup leaks into other channels. Numbers
stay outside the links in the templates, so typing keeps working.
"""

from __future__ import annotations

from collections.abc import Collection

from bot.dispatch.tap_links import LinkMaker
from flows.drafts import DRAFT_MARK
from flows.model import Question, QuestionType


class Taps:
    def __init__(self, *, links: bool) -> None:
        self._make = LinkMaker() if links else None

    @property
    def on(self) -> bool:
        return self._make is not None

    def link(self, content: str, label: str) -> str:
        """`label`, sending `content` when tapped."""
        return self._make(content, label) if self._make else label

    def option(
        self, question: Question, index: int, label: str, selected: Collection[str] | None
    ) -> str:
        """Option `index` (1-based): the answer itself, or for multiple choice the
        selection with this option toggled ("☑ 1,3"; "none of these" stands alone)."""
        if self._make is None:
            return label
        if question.type is not QuestionType.MULTI:
            return self._make(str(index), label)
        option = question.options[index - 1]
        chosen = set(selected or ())
        if option.id in chosen:
            chosen.discard(option.id)
        elif option.exclusive:
            chosen = {option.id}
        else:
            chosen = {i for i in chosen if not _exclusive(question, i)} | {option.id}
        return self._make(f"{DRAFT_MARK} {self.numbers(question, chosen)}".strip(), label)

    def done(self, question: Question, selected: Collection[str], label: str) -> str:
        """Submits a tapped selection as an ordinary answer ("1,3")."""
        return self.link(self.numbers(question, selected), label)

    @staticmethod
    def numbers(question: Question, selected: Collection[str]) -> str:
        return ",".join(str(i) for i, o in enumerate(question.options, 1) if o.id in selected)


def _exclusive(question: Question, option_id: str) -> bool:
    option = question.option(option_id)
    return option is not None and option.exclusive
