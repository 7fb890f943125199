"""The seed survey's published summary, and synthetic respondents that reproduce it.

Source: shared/seed/000_48eb87727c5bd226.txt ("总结 Overall Summary", 316 respondents).
The percentages are transcribed below in the seed's order; the per-option counts behind
them are derived (and each checked by recomputing its percentage) so that respondents
can be written through the real write path and the report compared with the seed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flows.model import Flow, Question, QuestionType
from storage.aggregates import option_ids, percent

RESPONDENTS = 316

# Every percentage of the seed summary, per question, in the seed's (= the flow's) order.
SEED_PERCENTAGES: dict[str, list[str]] = {
    "role": ["1.27", "98.73"],
    "commodity": [
        "8.00",
        "7.25",
        "6.25",
        "19.00",
        "15.75",
        "1.75",
        "0.50",
        "1.00",
        "3.75",
        "36.75",
    ],
    "function": ["5.85", "0.31", "0.92", "6.77", "2.46", "24.31", "59.38"],
    "carbon_policy": ["71.84", "28.16"],
    "ghg_target": ["60.13", "39.87"],
    "methodology": ["18.62", "2.70", "18.02", "0.90", "19.82", "39.94"],
    "lead_function": ["5.56", "19.75", "45.37", "29.32"],
    "customer_goal": ["55.06", "44.94"],
    "supplier_goals": ["35.76", "64.24"],
    "reporting_standard": ["27.22", "72.78"],
    "lifecycle_process": ["50.63", "49.37"],
    "marketing": ["43.35", "56.65"],
    "info_needs": ["16.97", "11.68", "24.65", "19.78", "10.49", "16.43"],
    "contact": ["4.86", "21.43", "50.86", "22.86"],
}

# Selections per option behind the choice questions' percentages (their sum is the base).
SEED_COUNTS: dict[str, list[int]] = {
    "role": [4, 312],
    "commodity": [32, 29, 25, 76, 63, 7, 2, 4, 15, 147],
    "function": [19, 1, 3, 22, 8, 79, 193],
    "methodology": [62, 9, 60, 3, 66, 133],
    "lead_function": [18, 64, 147, 95],
    "info_needs": [157, 108, 228, 183, 97, 152],
    "contact": [17, 75, 178, 80],
}

# "如果是请说明 If Yes, please explain": (respondent number, text), newest first.
SEED_TEXTS: list[tuple[int, str]] = [
    (230, "TCFD & SASB"),
    (229, "经SGS进行碳排查，发布2020年《温室气体盘查报告书》"),
    (
        227,
        "預計2023年導入SASB準則，預計導入ISO-14067產品碳足跡盤查與查證，"
        "同時評估導入ISO 50001能源管理系統",
    ),
    (208, "GRI Standards"),
    (196, "公司年报遵守环境及碳减排相关信息的披露要求"),
    (
        177,
        "目前在财务报告、ESG报告或其他形式的公开披露材料中，明确遵守任何与气候相关的报告标准/框架",
    ),
    (167, "铝业管理倡议ASI"),
    (157, "上交所环境信息披露指引"),
    (151, "我们有可持续发展报告"),
    (150, "财务报告内体现能耗相关信息"),
    (149, "企业社会责任报告（GRI标准）"),
    (147, "企业社会责任报告（GRI标准）"),
    (145, "在年度报告中有披露"),
    (143, "GRI, SDG, TCFD, SASB"),
    (142, "GRI, SDG, TCFD, SASB"),
    (141, "ESG、可持续报告"),
    (140, "ESG、可持续报告"),
    (135, "ESG报告中有减排目标及措施"),
    (127, "可持续发展报告"),
    (120, "ESG ，CDP disclosure"),
]
TEXT_QUESTION = "reporting_explain"
TEXT_CONDITION = "reporting_standard"


def yes_no_split(yes: str, no: str, most: int) -> tuple[int, int]:
    """(yes, no) counts with at most `most` respondents giving exactly both percentages
    (the largest such total: the seed's base is the eligible respondents, or near it)."""
    for n in range(most, 0, -1):
        for k in range(n + 1):
            if str(percent(k, n)) == yes and str(percent(n - k, n)) == no:
                return k, n - k
    raise AssertionError(f"no split gives {yes}% / {no}% with ≤ {most} respondents")


@dataclass
class Population:
    """Answers (question → option ids or text) for respondent numbers 1…316."""

    answers: dict[int, dict[str, tuple[str, ...] | str]] = field(default_factory=dict)

    def relevant(self, number: int, question: Question) -> bool:
        mine = self.answers[number]
        for clause in question.when:
            given = mine.get(clause.question)
            if not isinstance(given, tuple) or not set(given) & set(clause.any_of):
                return False
        return True


def build_population(flow: Flow) -> Population:
    """Respondents whose answers respect the flow: conditions, exclusive options alone,
    at least one selection per answered multiple-choice question, `max_selected`."""
    population = Population({n: {} for n in range(1, RESPONDENTS + 1)})
    preferred = [n for n, _ in SEED_TEXTS]  # they must answer "yes" to TEXT_CONDITION
    for question in flow.questions:
        eligible = [n for n in population.answers if population.relevant(n, question)]
        if question.id in SEED_COUNTS:
            counts = dict(zip(option_ids(question), SEED_COUNTS[question.id], strict=True))
            _assign_choices(population, question, eligible, counts)
        elif question.id in SEED_PERCENTAGES:
            yes_pct, no_pct = SEED_PERCENTAGES[question.id]
            yes, no = yes_no_split(yes_pct, no_pct, most=len(eligible))
            if question.id == TEXT_CONDITION:
                eligible = preferred + [n for n in eligible if n not in preferred]
            for n in eligible[:yes]:
                population.answers[n][question.id] = ("yes",)
            for n in eligible[yes : yes + no]:
                population.answers[n][question.id] = ("no",)
        elif question.id == TEXT_QUESTION:
            for number, text in SEED_TEXTS:
                assert population.relevant(number, question)
                population.answers[number][question.id] = text
    return population


def _assign_choices(
    population: Population, question: Question, eligible: Sequence[int], counts: Mapping[str, int]
) -> None:
    exclusive = {o.id for o in question.options if o.exclusive}
    queue = iter(eligible)
    if question.type is QuestionType.SINGLE:
        for option, count in counts.items():
            for _ in range(count):
                population.answers[next(queue)][question.id] = (option,)
        return
    for option in exclusive:
        for _ in range(counts[option]):
            population.answers[next(queue)][question.id] = (option,)
    rest = list(queue)
    selections = [o for o, c in counts.items() if o not in exclusive for _ in range(c)]
    people = rest[: min(len(rest), len(selections))]
    assert all(c <= len(people) for o, c in counts.items() if o not in exclusive)
    # Round robin: an option's selections are consecutive, so they fall on distinct people.
    picked: dict[int, list[str]] = {n: [] for n in people}
    for i, option in enumerate(selections):
        picked[people[i % len(people)]].append(option)
    for number, options in picked.items():
        assert options and len(options) <= (question.max_selected or len(options))
        population.answers[number][question.id] = tuple(options)


def answer_times(start: datetime | None = None) -> Iterator[tuple[int, datetime]]:
    """Respondent numbers in order with their answer time (later number = newer)."""
    start = start or datetime(2022, 6, 1, tzinfo=UTC)
    for number in range(1, RESPONDENTS + 1):
        yield number, start + timedelta(minutes=number)
