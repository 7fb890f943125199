"""Rounds: a survey that repeats an earlier one shows each respondent their earlier answer.

The flow file names the earlier survey and maps questions to it (`previous_round:`, the
format of `flows.mapping`). The dispatcher hands the engine the earlier answers already
mapped onto this survey's questions (`carry_over`); the engine shows them with each
question ("去年您选择了：ISO14064。仍然如此吗？ 是 / 修改"), and a "keep" records the
earlier answer again. Each recorded answer says whether it kept or changed the earlier
one (`Carried`). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any

from flows.errors import Problem
from flows.model import Flow, PreviousRound, Question, QuestionType
from flows.parse_results import normalize
from flows.state import Answer

__all__ = ["Carried", "Decision", "carry_over", "check_previous_round", "decide", "read_previous"]


class Carried(StrEnum):
    """What a respondent did with the earlier round's answer (stored with the answer)."""

    KEPT = "kept"  # the same answer again (tapped keep, or answered it again)
    CHANGED = "changed"  # a different answer


class Decision(StrEnum):
    KEEP = "keep"
    CHANGE = "change"


_KEEP = frozenset(
    {"是", "是的", "对", "没变", "不变", "保持", "保持不变", "仍然如此", "还是", "一样"}
    | {"yes", "y", "keep", "same", "unchanged", "still true", "ok", "[强]", "👍"}
)
_CHANGE = frozenset({"修改", "改", "更改", "变了", "有变化", "change", "edit", "modify"})
_END = ".。!！"


def decide(raw: str) -> Decision | None:
    """Keep or change the earlier answer; None: the message is an answer of its own."""
    key = normalize(raw).casefold().rstrip(_END).strip()
    if key in _KEEP:
        return Decision.KEEP
    if key in _CHANGE:
        return Decision.CHANGE
    return None


def carried(previous: Answer, given: Answer) -> Carried:
    same = set(previous.options) == set(given.options) and previous.text == given.text
    return Carried.KEPT if same else Carried.CHANGED


def carry_over(flow: Flow, earlier: Mapping[str, Answer]) -> dict[str, Answer]:
    """The earlier round's answers (by the earlier survey's question ids) on this
    survey's questions; answers that no longer fit (an option gone, a type changed) are
    left out, and the question is asked plainly."""
    rules = flow.previous_round
    if rules is None:
        return {}
    out: dict[str, Answer] = {}
    for old, new in rules.questions:
        answer = earlier.get(old)
        if answer is None or not flow.has_question(new):
            continue
        question = flow.question(new)
        options = tuple(dict.fromkeys(rules.option(old, o) for o in answer.options))
        moved = Answer(options=options, text=answer.text, original=answer.original)
        if _fits(question, moved):
            out[new] = moved
    return out


def _fits(question: Question, answer: Answer) -> bool:
    if question.is_note or question.field is not None:
        return False  # contact details are never carried between surveys
    if question.is_choice:
        ids = {o.id for o in question.options}
        chosen = set(answer.options)
        if not chosen or not chosen <= ids or answer.text is not None:
            return False
        return question.type is QuestionType.MULTI or len(chosen) == 1
    return not answer.options and bool(answer.text)


def read_previous(raw: object) -> tuple[PreviousRound | None, list[Problem]]:
    """The flow file's `previous_round:` section, or what is wrong with it."""
    place = "previous_round"
    if not isinstance(raw, dict):
        return None, [Problem(place, "must be a mapping with survey and questions")]
    problems = [Problem(f"{place}.{k}", "unknown key (allowed: survey, questions, options)")
                for k in raw if k not in ("survey", "questions", "options")]  # fmt: skip
    survey = raw.get("survey")
    if not isinstance(survey, str) or not survey:
        problems.append(Problem(f"{place}.survey", "must name the earlier survey's id"))
    questions = list(_pairs(raw.get("questions"), f"{place}.questions", problems))
    if not questions:
        problems.append(Problem(f"{place}.questions", "must map at least one question"))
    options: list[tuple[str, str, str]] = []
    raw_options = raw.get("options") or {}
    if not isinstance(raw_options, dict):
        problems.append(Problem(f"{place}.options", "must be a mapping per earlier question"))
        raw_options = {}
    for question, mapping in raw_options.items():
        for old, new in _pairs(mapping, f"{place}.options.{question}", problems):
            options.append((str(question), old, new))
    if problems or not isinstance(survey, str):
        return None, problems
    return PreviousRound(survey, tuple(questions), tuple(options)), []


def _pairs(raw: Any, place: str, problems: list[Problem]) -> Iterator[tuple[str, str]]:
    if not isinstance(raw, dict):
        problems.append(Problem(place, "must map earlier ids to this survey's ids"))
        return
    for old, new in raw.items():
        if isinstance(old, str) and isinstance(new, str):
            yield old, new
        else:
            problems.append(Problem(f"{place}.{old}", f"must be an id, got {new!r}"))


def check_previous_round(flow: Flow) -> Iterator[Problem]:
    rules = flow.previous_round
    if rules is None:
        return
    if rules.survey == flow.id:
        yield Problem("previous_round.survey", "a survey cannot be its own previous round")
    targets = [new for _, new in rules.questions]
    for new in targets:
        if not flow.has_question(new):
            yield Problem("previous_round.questions", f"no question {new!r} in this survey")
        elif flow.question(new).is_note or flow.question(new).field is not None:
            yield Problem("previous_round.questions", f"{new!r} cannot be carried over")
    for new in dict.fromkeys(t for t in targets if targets.count(t) > 1):
        yield Problem("previous_round.questions", f"{new!r} is mapped twice")
    mapped = {old: new for old, new in rules.questions}
    for question, _, option in rules.options:
        target = mapped.get(question)
        if target is None:
            yield Problem(f"previous_round.options.{question}", "its question is not mapped")
        elif flow.has_question(target) and flow.question(target).option(option) is None:
            yield Problem(f"previous_round.options.{question}", f"no option {option!r}")
