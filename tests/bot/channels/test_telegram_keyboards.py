"""Keyboards and callback data: the multi-select state lives in the keyboard itself."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from telegram import InlineKeyboardMarkup

from bot.channels.telegram import texts
from bot.channels.telegram.keyboards import (
    CALLBACK_DATA_LIMIT,
    CHECK,
    Answer,
    Done,
    Notice,
    Toggle,
    build_keyboard,
    decode,
    encode,
    submission,
    toggle,
)
from bot.dispatch.envelope import Choice, Message
from bot.dispatch.messages import choices_for
from flows.model import Flow
from flows.replies import AskQuestion
from flows.state import SessionState


def multi(n: int = 4, *, exclusive: int | None = None, max_selected: int | None = None,
          min_selected: int = 1, qid: str = "methodology") -> Message:  # fmt: skip
    options = tuple(
        Choice(f"{i}. Option {i}", str(i), exclusive=i == exclusive) for i in range(1, n + 1)
    )
    nav = (Choice("返回 Back", "返回", nav=True),)
    return Message(
        "Pick", options + nav, multi=True, question_id=qid,
        min_selected=min_selected, max_selected=max_selected, submit_label="完成 Done",
    )  # fmt: skip


def labels(markup: InlineKeyboardMarkup) -> list[str]:
    return [b.text for row in markup.inline_keyboard for b in row]


def tap(markup: InlineKeyboardMarkup, label: str) -> InlineKeyboardMarkup | Notice:
    data = next(
        b.callback_data for row in markup.inline_keyboard for b in row if b.text.endswith(label)
    )
    action = decode(str(data))
    assert isinstance(action, Toggle)
    return toggle(markup, action)


def done_of(markup: InlineKeyboardMarkup) -> Done:
    action = decode(str(markup.inline_keyboard[-1][-1].callback_data))
    assert isinstance(action, Done)
    return action


def test_actions_round_trip_through_callback_data() -> None:
    for action in (
        Answer(None, "双语"),
        Answer("role", "2"),
        Answer("reporting_explain", "跳过"),
        Toggle("commodity", 0b1010, "4"),
        Toggle("contact", 0b1000, "4", exclusive=True),
        Done("commodity", 0b1100, 1, None),
        Done("function", 0x3FF, 2, 3),
    ):
        assert decode(encode(action)) == action


def test_garbled_or_foreign_callback_data_decodes_to_none() -> None:
    for data in (None, "", "zz|1", "a|", "a|role", "t|q|xyz|1", "d|q|1|x|", "t|q|1"):
        assert decode(data) is None


def test_a_single_choice_question_gets_answer_buttons_and_a_nav_row() -> None:
    message = Message(
        "Q",
        (Choice("1. 主机厂 OEM", "1"), Choice("2. 供应商 Supplier", "2"),
         Choice("跳过 Skip", "跳过", nav=True)),
        question_id="role",
    )  # fmt: skip
    markup = build_keyboard(message)
    assert markup is not None
    rows = [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]
    assert rows == [
        [("1. 主机厂 OEM", "a|role|1"), ("2. 供应商 Supplier", "a|role|2")],
        [("跳过 Skip", "a|role|跳过")],
    ]


def test_long_option_labels_get_a_row_each() -> None:
    long = tuple(Choice(f"{i}. " + "碳足迹报告" * 6, str(i)) for i in (1, 2))
    markup = build_keyboard(Message("Q", long, question_id="q"))
    assert markup is not None
    assert [len(row) for row in markup.inline_keyboard] == [1, 1]


def test_choices_outside_a_question_carry_no_question_id() -> None:
    langs = (Choice("中文", "中文"), Choice("English", "English"), Choice("双语 Both", "双语"))
    markup = build_keyboard(Message("Choose", langs))
    assert markup is not None
    assert [b.callback_data for b in markup.inline_keyboard[0]] == ["v|中文", "v|English", "v|双语"]


def test_no_choices_no_keyboard() -> None:
    assert build_keyboard(Message("just text")) is None


def test_callback_data_over_64_bytes_drops_the_keyboard_typing_still_works() -> None:
    message = multi(qid="q" * 60)
    assert build_keyboard(message) is None
    assert build_keyboard(multi(qid="q" * 40)) is not None


def test_every_button_of_the_seed_flow_fits_in_64_bytes(flow: Flow) -> None:
    state = SessionState(flow.id, flow.version)
    for question in flow.questions:
        reply = AskQuestion(question, "2", 14, last_step=False, current=None, optional=True)
        choices, is_multi = choices_for(reply, state)
        message = Message(
            "Q", choices, is_multi, question_id=question.id,
            max_selected=len(question.options) or None, submit_label="完成 Done",
        )  # fmt: skip
        markup = build_keyboard(message)
        assert markup is not None, question.id
        for row in markup.inline_keyboard:
            for button in row:
                assert len(str(button.callback_data).encode()) <= CALLBACK_DATA_LIMIT


def test_toggles_mark_options_and_done_submits_them_in_keyboard_order() -> None:
    markup = build_keyboard(multi())
    assert markup is not None
    for label in ("1. Option 1", "4. Option 4", "1. Option 1", "3. Option 3"):
        result = tap(markup, label)
        assert isinstance(result, InlineKeyboardMarkup)
        markup = result
    assert labels(markup) == [
        "1. Option 1", "2. Option 2", f"{CHECK}3. Option 3", f"{CHECK}4. Option 4",
        "返回 Back", "完成 Done",
    ]  # fmt: skip
    assert submission(markup, done_of(markup)) == "3,4"


def test_an_exclusive_option_clears_the_others_and_is_cleared_by_them() -> None:
    markup = build_keyboard(multi(exclusive=4))
    assert markup is not None
    for label in ("1. Option 1", "2. Option 2", "4. Option 4"):
        markup = tap(markup, label)  # type: ignore[assignment]
    assert [t for t in labels(markup) if t.startswith(CHECK)] == [f"{CHECK}4. Option 4"]
    markup = tap(markup, "3. Option 3")  # type: ignore[assignment]
    assert [t for t in labels(markup) if t.startswith(CHECK)] == [f"{CHECK}3. Option 3"]


def test_max_selected_refuses_one_more_with_a_notice() -> None:
    markup = build_keyboard(multi(max_selected=2))
    assert markup is not None
    markup = tap(markup, "1. Option 1")  # type: ignore[assignment]
    markup = tap(markup, "2. Option 2")  # type: ignore[assignment]
    assert tap(markup, "3. Option 3") == Notice(texts.TOO_MANY.format(n=2))


def test_done_below_the_minimum_is_refused_but_an_exclusive_option_stands_alone() -> None:
    markup = build_keyboard(multi(min_selected=2, exclusive=4))
    assert markup is not None
    assert submission(markup, done_of(markup)) == Notice(texts.TOO_FEW.format(n=2))
    one = tap(markup, "1. Option 1")
    assert isinstance(one, InlineKeyboardMarkup)
    assert submission(one, done_of(one)) == Notice(texts.TOO_FEW.format(n=2))
    alone = tap(markup, "4. Option 4")
    assert isinstance(alone, InlineKeyboardMarkup)
    assert submission(alone, done_of(alone)) == "4"


def test_a_toggle_without_the_keyboard_is_stale() -> None:
    assert toggle(None, Toggle("q", 0, "1")) == Notice(texts.STALE_KEYBOARD)
    assert submission(None, Done("q", 1)) == Notice(texts.STALE_KEYBOARD)


@given(st.lists(st.integers(min_value=1, max_value=6), max_size=25))
def test_any_tap_sequence_keeps_the_keyboard_consistent(taps: list[int]) -> None:
    """Labels, Done and the model agree; an exclusive option is never combined."""
    markup = build_keyboard(multi(6, exclusive=6))
    assert markup is not None
    model: set[int] = set()
    for n in taps:
        result = tap(markup, f"{n}. Option {n}")
        assert isinstance(result, InlineKeyboardMarkup)
        markup = result
        if n in model:
            model.discard(n)
        elif n == 6:
            model = {6}
        else:
            model = (model - {6}) | {n}
    checked = {int(t.removeprefix(CHECK).split(".")[0]) for t in labels(markup) if CHECK in t}
    assert checked == model
    expected = ",".join(str(n) for n in sorted(model))
    assert submission(markup, done_of(markup)) == (
        expected if model else Notice(texts.TOO_FEW.format(n=1))
    )
