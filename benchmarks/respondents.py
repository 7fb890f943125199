"""Synthetic respondents: what each one types, and what the survey must end up storing.

`random_script(flow, rng)` walks the pure engine (no database, no clock) and picks a
plausible answer for whatever is being asked, the way people type on WeChat: option
numbers with mixed separators, 是/否, a few invalid answers that get a re-prompt. The
same engine run is the oracle: `expected_answers` and `expected_counters` are what the
server must have stored after the messages were delivered, however often each arrived.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flows.engine import step
from flows.events import Inbound, Intent
from flows.model import FieldKind, Flow, Question, QuestionType
from flows.state import SessionState, Status

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
MAX_MESSAGES = 80  # a generator bug must not loop for ever
StoredAnswers = dict[str, tuple[list[str], list[str]]]  # question → (options, texts)

_LANGUAGES = ("3", "3", "1", "2", "English", "中文")
_YES = ("是", "yes", "y", "是的", "Yes")
_NO = ("否", "no", "n", "没有", "No")
_SEPARATORS = (",", "、", " ", "，")
_INVALID = ("42", "？", "maybe", "0")
_FIELD_VALUES = {
    FieldKind.NAME: ("李雷", "Han Meimei", "王小明"),
    FieldKind.COMPANY: ("ACME Auto Parts", "华东汽车零部件有限公司"),
    FieldKind.PHONE: ("13800138000", "+86 21 5555 0101"),
    FieldKind.EMAIL: ("carbon@example.com", "li.lei@example.cn"),
    FieldKind.TEXT: ("工作日下午", "weekday mornings"),
    FieldKind.USCC: ("91350100M000100Y43", "914403001922038216"),
}


@dataclass(frozen=True)
class Respondent:
    openid: str
    texts: tuple[str, ...]  # after the subscribe event, in order
    expected: StoredAnswers  # the oracle: answer rows the server must hold


# A fixed reply language: what such a respondent types at the language choice.
LANGUAGE_CHOICE = {"zh": "1", "en": "2", "both": "3"}


def random_script(
    flow: Flow, rng: random.Random, *, invalid_rate: float = 0.05, language: str | None = None
) -> list[str]:
    """The texts one respondent sends (after subscribing) until the survey is complete;
    `language` ("zh", "en", "both") fixes the language chosen, else it is drawn."""
    state = step(flow, None, Inbound(now=START, intent=Intent.START)).state
    texts: list[str] = []
    now = START
    while state.status is not Status.COMPLETED:
        if len(texts) >= MAX_MESSAGES:
            raise RuntimeError(f"respondent script did not finish: {texts}")
        now += timedelta(seconds=20)
        if state.status is Status.LANGUAGE:
            text = LANGUAGE_CHOICE[language] if language else rng.choice(_LANGUAGES)
        elif rng.random() < invalid_rate:
            text = rng.choice(_INVALID)
        else:
            assert state.current is not None
            text = _answer(flow.question(state.current), state, rng)
        state = step(flow, state, Inbound(now=now, text=text)).state
        texts.append(text)
    return texts


def _answer(question: Question, state: SessionState, rng: random.Random) -> str:
    match question.type:
        case QuestionType.SINGLE:
            return str(rng.randint(1, len(question.options)))
        case QuestionType.YES_NO:
            return rng.choice(_YES if rng.random() < 0.55 else _NO)
        case QuestionType.MULTI:
            return _multi(question, rng)
        case QuestionType.TEXT:
            return rng.choice(("GRI Standards", "CDP 问卷", "TCFD", "ISO 14064-1 核查"))
        case QuestionType.FIELD:
            assert question.field is not None
            return rng.choice(_FIELD_VALUES[question.field])
    raise AssertionError(f"unhandled question type {question.type}")


def _multi(question: Question, rng: random.Random) -> str:
    numbered = list(enumerate(question.options, start=1))
    plain = [n for n, o in numbered if not o.exclusive]
    exclusive = [n for n, o in numbered if o.exclusive]
    if exclusive and rng.random() < 0.15:
        return str(rng.choice(exclusive))
    upper = min(len(plain), question.max_selected or len(plain), 3)
    lower = max(1, question.min_selected)
    chosen = sorted(rng.sample(plain, rng.randint(lower, max(lower, upper))))
    return rng.choice(_SEPARATORS).join(str(n) for n in chosen)


def oracle_answers(flow: Flow, texts: Sequence[str]) -> StoredAnswers:
    """The pure engine over the same messages: question → (sorted options, texts)."""
    state = step(flow, None, Inbound(now=START, intent=Intent.START)).state
    now = START
    for text in texts:
        now += timedelta(seconds=20)
        state = step(flow, state, Inbound(now=now, text=text)).state
    return {
        qid: (sorted(a.options), [a.text] if a.text is not None else [])
        for qid, a in state.answers.items()
        if a.options or a.text is not None
    }


def make_respondents(flow: Flow, count: int, *, seed: int, prefix: str) -> list[Respondent]:
    rng = random.Random(seed)
    people = []
    for i in range(count):
        texts = random_script(flow, rng)
        people.append(Respondent(f"{prefix}{i:06d}", tuple(texts), oracle_answers(flow, texts)))
    return people


def expected_counters(
    flow_id: str, answers: Iterable[Mapping[str, tuple[list[str], list[str]]]]
) -> dict[tuple[str, str], int]:
    """(question, option) → count as storage.aggregates keeps them ("" = respondents)."""
    counts: Counter[tuple[str, str]] = Counter()
    for stored in answers:
        for question_id, (options, texts) in stored.items():
            for option in options:
                counts[(question_id, option)] += 1
            if options or texts:
                counts[(question_id, "")] += 1
    return dict(counts)
