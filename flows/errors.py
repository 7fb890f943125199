"""What can be wrong with a flow file: `Problem` (one finding) and `FlowFileError` (all of them).

Places read like paths into the YAML (`questions[5] (methodology).options[2].text.en`) so
an author can find the spot without knowing any Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


class FlowFileError(Exception):
    """A flow file (or parsed data) that cannot become a valid `Flow`.

    Carries every problem found, not just the first: an author fixing a file wants the
    whole list in one run of `surveybot check`.
    """

    def __init__(self, problems: Iterable[Problem], *, source: str = "<data>") -> None:
        self.problems: list[Problem] = list(problems)
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.problems)
        lines = [f"{self.source}: {count} problem{'s' if count != 1 else ''}"]
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)


def question_place(index: int, question_id: object = None) -> str:
    """`questions[5] (methodology)`: the index finds it, the id tells a human which one."""
    if isinstance(question_id, str) and question_id:
        return f"questions[{index}] ({question_id})"
    return f"questions[{index}]"
