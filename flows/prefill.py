"""The engine's side of rounds: "去年您选择了：X。仍然如此吗？ 是 / 修改".

While a question with an earlier-round answer (`SessionState.previous`) has not been
answered, "是 / keep" records the earlier answer again and "修改 / change" asks the
question plainly; any other message is read as an answer of its own. A yes/no question
reads 是 / 否 as its answer (是 there is both a keep and a yes: the same answer).
"""

from __future__ import annotations

from flows import answer_moves as answering
from flows.model import Question, QuestionType
from flows.replies import Recorded
from flows.rounds import Decision, decide
from flows.sprint import Sprint, prompt
from flows.state import Answer, SessionState

__all__ = ["offered", "on_answer"]


def offered(state: SessionState, question_id: str) -> Answer | None:
    """The earlier answer to show with the question, if it is still open to keep."""
    if question_id in state.answers or state.revising == question_id:
        return None
    return state.previous.get(question_id)


def on_answer(sprint: Sprint, question: Question, text: str) -> bool:
    """Handle a keep or change; False: the message is an answer for the usual parser."""
    earlier = offered(sprint.state, question.id)
    if earlier is None:
        return False
    decision = decide(text)
    if decision is Decision.CHANGE:
        sprint.update(revising=question.id, retries=0)
        prompt(sprint)
        return True
    if decision is Decision.KEEP and question.type is not QuestionType.YES_NO:
        answering.record(sprint, question, earlier)
        sprint.say(Recorded(question, earlier))
        answering.advance(sprint)
        return True
    return False
