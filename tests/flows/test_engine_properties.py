"""Property: whatever arrives, the engine answers, never raises, and stays in a valid state."""

from __future__ import annotations

import json
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.events import Intent
from flows.model import Flow
from flows.navigation import contact_form, is_relevant
from flows.reply_registry import template_name
from flows.state import SessionState, Status
from tests.flows.script import Script

WORDS = [
    "1",
    "2",
    "3",
    "4",
    "6",
    "1,3",
    "1、3",
    "1 3",
    "１２",
    "0",
    "返回",
    "back",
    "跳过",
    "skip",
    "帮助",
    "help",
    "重新开始",
    "restart",
    "是",
    "否",
    "yes",
    "no",
    "中文",
    "English",
    "双语",
    "我的答案",
    "修改 2",
    "change 30",
    "联系我",
    "contact me",
    "删除我的数据",
    "张三",
    "ACME",
    "+86 13800138000",
    "a@b.co",
    "/stats",
    "",
    "   ",
    "😀",
    "<b>x</b>",
    "{{ 7*7 }}",
    "'; DROP TABLE answer; --",
    "OEM",
    "供应商",
    "not determined",
    "\x00\x1b[31m",
]
messages = st.one_of(
    st.sampled_from(WORDS).map(lambda w: ("text", w)),
    st.text(max_size=40).map(lambda w: ("text", w)),
    st.sampled_from(list(Intent)).map(lambda i: ("intent", i)),
)


def assert_valid(flow: Flow, state: SessionState) -> None:
    if state.status is Status.ACTIVE:
        assert state.current is not None
        assert is_relevant(flow, state.current, state.answers)
    elif state.status is Status.CONTACT:
        assert state.current in {q.id for q in contact_form(flow)}
    elif state.status in (Status.COMPLETED, Status.LANGUAGE, Status.NEW):
        assert state.current is None or state.status is Status.COMPLETED
    for qid in state.answers:
        assert is_relevant(flow, qid, state.answers), qid
    memo: dict[str, bool] = {}  # a walk's shared memo changes no question's relevance
    for question in flow.questions:
        alone = is_relevant(flow, question.id, state.answers)
        assert is_relevant(flow, question.id, state.answers, memo) is alone, question.id
    assert SessionState.from_json(state.to_json()) == state
    # orjson writes what json.dumps(ensure_ascii=False, compact separators) wrote
    written = state.to_json()
    assert written == json.dumps(json.loads(written), ensure_ascii=False, separators=(",", ":"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(messages, min_size=1, max_size=60))
def test_random_conversations_never_break_the_engine(flow: Flow, sequence: list) -> None:
    script = Script(flow)
    for kind, value in sequence:
        if kind == "text":
            step = script.send(value, wait=timedelta(minutes=1))
        else:
            step = script.send(intent=value, wait=timedelta(minutes=1))
        assert step.replies, f"no reply to {value!r}"
        assert_valid(flow, step.state)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(["1", "2", "3", "1,2", "是", "否", "跳过", "x", "a@b.co", "Li"]),
        max_size=80,
    )
)
def test_answering_with_plausible_input_reaches_completion_or_a_prompt(
    flow: Flow, answers: list[str]
) -> None:
    script = Script(flow)
    script.send("hi")
    script.send("3")
    for text in answers:
        step = script.send(text)
        assert step.replies
        last = template_name(step.replies[-1])
        assert last in {
            "question",
            "completion_summary",
            "completed",
            "answer_updated",
            "completed_hint",
            "confirm_restart",
            "confirm_delete",
        }
    assert_valid(flow, script.state)
