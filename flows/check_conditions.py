"""Conditions (`when:`) of a flow: each must reference an earlier choice question and
options it has, and must be able to hold given the conditions that question itself
depends on. Part of `flows.check.check_flow`; pure.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from flows.errors import Problem, question_place
from flows.model import Clause, Flow, Question, QuestionType

SINGLE_ANSWER = (QuestionType.SINGLE, QuestionType.YES_NO)


def a_kind(kind: str) -> str:
    """'a single_choice', 'an integer'."""
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


def check_conditions(flow: Flow, positions: dict[str, int]) -> Iterator[Problem]:
    """Each clause must name an earlier choice question and its options, and be able to hold.

    A clause holds only when its question is itself asked, so a question inherits the
    conditions of every question it depends on; `needs` accumulates them in flow order.
    """
    needs: dict[str, list[Clause]] = {}
    never: set[str] = set()  # questions that can never be asked
    for index, question in enumerate(flow.questions):
        place = question_place(index, question.id)
        usable: list[tuple[int, Clause]] = []
        for k, clause in enumerate(question.when):
            found = list(_check_clause(flow, positions, index, clause, f"{place}.when[{k}]"))
            yield from found
            if not found:
                usable.append((k, clause))
        if any(not clause.any_of for clause in question.when):
            never.add(question.id)  # already reported: an empty any_of never holds
            continue
        reason = _never_reason(flow, positions, usable, needs, never, place)
        if reason is not None:
            yield reason
            never.add(question.id)
        needs[question.id] = _inherited(usable, needs)


def _check_clause(
    flow: Flow, positions: dict[str, int], index: int, clause: Clause, place: str
) -> Iterator[Problem]:
    target = positions.get(clause.question)
    if target is None:
        yield Problem(f"{place}.question", f"unknown question {clause.question!r}")
        return
    if target >= index:
        what = "itself" if target == index else f"a later question ({clause.question!r})"
        yield Problem(
            f"{place}.question", f"a condition cannot depend on {what}; only on earlier ones"
        )
        return
    referenced = flow.questions[target]
    if not referenced.is_choice:
        yield Problem(
            f"{place}.question",
            f"{clause.question!r} is {a_kind(referenced.type.value)} question; "
            "conditions need a choice question",
        )
        return
    if not clause.any_of:
        yield Problem(f"{place}.any_of", "is empty, so the condition never holds")
    for m, option in enumerate(clause.any_of):
        if referenced.option(option) is None:
            yield Problem(f"{place}.any_of[{m}]", f"{clause.question!r} has no option {option!r}")


def _inherited(usable: list[tuple[int, Clause]], needs: dict[str, list[Clause]]) -> list[Clause]:
    out: list[Clause] = []
    for _, clause in usable:
        for inherited in [clause, *needs.get(clause.question, [])]:
            if inherited not in out:
                out.append(inherited)
    return out


def _never_reason(
    flow: Flow,
    positions: dict[str, int],
    usable: list[tuple[int, Clause]],
    needs: dict[str, list[Clause]],
    never: set[str],
    place: str,
) -> Problem | None:
    """Why a question with well-formed conditions can still never be asked, if it can't."""
    for k, clause in usable:
        if clause.question in never:
            return Problem(
                f"{place}.when[{k}].question",
                f"{clause.question!r} is never asked, so this question is never asked either",
            )
    by_question: dict[str, list[frozenset[str]]] = {}
    for clause in _inherited(usable, needs):
        by_question.setdefault(clause.question, []).append(frozenset(clause.any_of))
    for qid, groups in by_question.items():
        referenced = flow.questions[positions[qid]]
        if not _can_all_hold(referenced, groups):
            wanted = " and ".join("any of [" + ", ".join(sorted(g)) + "]" for g in groups)
            return Problem(
                f"{place}.when",
                f"can never hold: one answer to {qid!r} cannot be {wanted} at the same time",
            )
    return None


def _can_all_hold(question: Question, groups: list[frozenset[str]]) -> bool:
    """Whether one answer to `question` can match every group (any_of set) at once."""
    if frozenset.intersection(*groups):
        return True
    if question.type in SINGLE_ANSWER:
        return False  # one option chosen, and no option is in every group
    # multiple_choice: pick a non-exclusive option per group, within max_selected.
    exclusive = {option.id for option in question.options if option.exclusive}
    free = [group - exclusive for group in groups]
    if not all(free):
        return False
    high = question.max_selected
    limit = len(groups) if high is None else min(high, len(groups))
    # Brute force is fine: flows have a handful of clauses on a handful of options.
    candidates = sorted(frozenset().union(*free))
    for size in range(2, limit + 1):
        for picked in itertools.combinations(candidates, size):
            if all(group.intersection(picked) for group in free):
                return True
    return False
