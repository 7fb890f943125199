"""Inline keyboards for `Message` choices, and the callback data their buttons carry.

Stateless by design: several workers answer one bot, so the multi-select state lives in
the keyboard itself. Every toggle button carries the question id, the current selection
(a bitmask over the keyboard's toggle buttons, in order) and the value typing would
send; Done carries the selection and min/max. A toggle tap edits the keyboard; Done
turns the selection back into typed text ("1,3") for the dispatcher.

Callback data (Bot API, InlineKeyboardButton): at most 64 bytes of UTF-8.
    v|<value>                      a choice outside a question (language, yes/no confirm)
    a|<qid>|<value>                a single choice, yes/no, Back or Skip of question <qid>
    t|<qid>|<sel>|<value>          toggle an option (x|… for an exclusive "none of these")
    d|<qid>|<sel>|<min>|<max>      submit the selection (max empty: no maximum)
<sel> is lower-case hex. Question ids are slugs (no "|"); values come last so they may
contain anything.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram import texts
from bot.dispatch.envelope import Choice, Message

log = logging.getLogger(__name__)

CALLBACK_DATA_LIMIT = 64  # bytes
CHECK = "✅ "
DEFAULT_SUBMIT = "完成 Done"
# Up to this many short choices share one row (yes/no, the language switch); longer
# option texts get a row each so Telegram does not truncate them.
_ROW_MAX_BUTTONS = 3
_ROW_MAX_LABEL = 20
_NAV_VALUES = frozenset({"返回", "跳过"})  # bot.dispatch.messages: what typing Back / Skip sends


@dataclass(frozen=True)
class Answer:
    """Send `value` as if typed; `question_id` None for choices outside a question."""

    question_id: str | None
    value: str


@dataclass(frozen=True)
class Toggle:
    question_id: str
    selected: int
    value: str
    exclusive: bool = False


@dataclass(frozen=True)
class Done:
    question_id: str
    selected: int
    min_selected: int = 1
    max_selected: int | None = None


Action = Answer | Toggle | Done


@dataclass(frozen=True)
class Notice:
    """A refused tap: `text` is shown as the callback answer; nothing is sent on."""

    text: str


def encode(action: Action) -> str:
    if isinstance(action, Answer):
        if action.question_id is None:
            return f"v|{action.value}"
        return f"a|{action.question_id}|{action.value}"
    if isinstance(action, Toggle):
        kind = "x" if action.exclusive else "t"
        return f"{kind}|{action.question_id}|{action.selected:x}|{action.value}"
    most = "" if action.max_selected is None else str(action.max_selected)
    return f"d|{action.question_id}|{action.selected:x}|{action.min_selected}|{most}"


def decode(data: str | None) -> Action | None:
    """The action of a button, or None for data we never sent (garbled, older format)."""
    if not data:
        return None
    kind, _, rest = data.partition("|")
    try:
        if kind == "v":
            return Answer(None, rest)
        if kind == "a":
            qid, _, value = rest.partition("|")
            return Answer(qid, value) if qid and value else None
        if kind in ("t", "x"):
            qid, sel, value = rest.split("|", 2)
            return Toggle(qid, int(sel, 16), value, exclusive=kind == "x") if qid else None
        if kind == "d":
            qid, sel, least, most = rest.split("|")
            return Done(qid, int(sel, 16), int(least), int(most) if most else None)
    except ValueError:
        return None
    return None


def build_keyboard(message: Message) -> InlineKeyboardMarkup | None:
    """The keyboard for `message`'s choices, or None (no choices, or data too long)."""
    if not message.choices:
        return None
    qid = message.question_id
    options = [c for c in message.choices if not _is_nav(c)]
    nav = [c for c in message.choices if _is_nav(c)]
    if message.multi and qid is not None:
        option_buttons = [_toggle_button(qid, 0, c, False) for c in options]
        done = Done(qid, 0, message.min_selected, message.max_selected)
        submit = message.submit_label or DEFAULT_SUBMIT
        last = [*(_answer_button(qid, c) for c in nav), _button(submit, done)]
    else:
        option_buttons = [_answer_button(qid, c) for c in options]
        last = [_answer_button(qid, c) for c in nav]
    rows = _layout(option_buttons)
    if last:
        rows.append(last)
    if any(len(str(b.callback_data).encode()) > CALLBACK_DATA_LIMIT for row in rows for b in row):
        # Typing still works; `surveybot check` should keep question ids short.
        log.warning("callback data over %d bytes for question %s", CALLBACK_DATA_LIMIT, qid)
        return None
    return InlineKeyboardMarkup(rows)


def toggle(markup: InlineKeyboardMarkup | None, tap: Toggle) -> InlineKeyboardMarkup | Notice:
    """The keyboard after `tap`: the option flips; exclusive options clear the others."""
    toggles = _toggles(markup, tap.question_id)
    done = _done(markup, tap.question_id)
    if markup is None or done is None:
        return Notice(texts.STALE_KEYBOARD)
    position = next((i for i, t in enumerate(toggles) if t.value == tap.value), None)
    if position is None:
        return Notice(texts.STALE_KEYBOARD)
    # The keyboard as last drawn is the truth, not the tapped button's copy: two quick
    # taps then both count (the second sees the first's edit).
    current = done.selected
    bit = 1 << position
    exclusive = sum(1 << i for i, t in enumerate(toggles) if t.exclusive)
    if current & bit:
        selected = current & ~bit
    elif tap.exclusive:
        selected = bit
    else:
        selected = (current & ~exclusive) | bit
        if done.max_selected is not None and selected.bit_count() > done.max_selected:
            return Notice(texts.TOO_MANY.format(n=done.max_selected))
    return _redraw(markup, selected)


def submission(markup: InlineKeyboardMarkup | None, tap: Done) -> str | Notice:
    """The typed equivalent of the selection ("1,3"), or why it cannot be submitted."""
    toggles = _toggles(markup, tap.question_id)
    if not toggles or tap.selected >> len(toggles):
        return Notice(texts.STALE_KEYBOARD)
    chosen = [t for i, t in enumerate(toggles) if tap.selected >> i & 1]
    # An exclusive option stands alone whatever the minimum (flows.answer_parsing does the same).
    if not any(t.exclusive for t in chosen):
        if len(chosen) < max(tap.min_selected, 1):
            return Notice(texts.TOO_FEW.format(n=max(tap.min_selected, 1)))
        if tap.max_selected is not None and len(chosen) > tap.max_selected:
            return Notice(texts.TOO_MANY.format(n=tap.max_selected))
    return ",".join(t.value for t in chosen)


def _is_nav(choice: Choice) -> bool:
    # By value too: a reply replayed for a duplicate update may come back from storage
    # without the `nav` flag, and Back must never become a toggle.
    return choice.nav or choice.value in _NAV_VALUES


def _button(label: str, action: Action) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=encode(action))


def _answer_button(qid: str | None, choice: Choice) -> InlineKeyboardButton:
    return _button(choice.label, Answer(qid, choice.value))


def _toggle_button(qid: str, selected: int, choice: Choice, checked: bool) -> InlineKeyboardButton:
    label = CHECK + choice.label if checked else choice.label
    return _button(label, Toggle(qid, selected, choice.value, exclusive=choice.exclusive))


def _layout(buttons: Sequence[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    if len(buttons) <= _ROW_MAX_BUTTONS and all(len(b.text) <= _ROW_MAX_LABEL for b in buttons):
        return [list(buttons)] if buttons else []
    return [[b] for b in buttons]


def _actions(markup: InlineKeyboardMarkup | None) -> list[Action | None]:
    if markup is None:
        return []
    return [decode(_data(b)) for row in markup.inline_keyboard for b in row]


def _toggles(markup: InlineKeyboardMarkup | None, qid: str) -> list[Toggle]:
    return [a for a in _actions(markup) if isinstance(a, Toggle) and a.question_id == qid]


def _done(markup: InlineKeyboardMarkup | None, qid: str) -> Done | None:
    return next((a for a in _actions(markup) if isinstance(a, Done) and a.question_id == qid), None)


def _data(button: InlineKeyboardButton) -> str | None:
    return button.callback_data if isinstance(button.callback_data, str) else None


def _redraw(markup: InlineKeyboardMarkup, selected: int) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    position = 0
    for row in markup.inline_keyboard:
        new_row: list[InlineKeyboardButton] = []
        for button in row:
            action = decode(_data(button))
            if isinstance(action, Toggle):
                was = action.selected >> position & 1
                label = button.text.removeprefix(CHECK) if was else button.text
                choice = Choice(label, action.value, exclusive=action.exclusive)
                checked = bool(selected >> position & 1)
                new_row.append(_toggle_button(action.question_id, selected, choice, checked))
                position += 1
            elif isinstance(action, Done):
                new_row.append(
                    _button(button.text, Done(action.question_id, selected, action.min_selected,
                                              action.max_selected))
                )  # fmt: skip
            else:
                new_row.append(button)
        rows.append(new_row)
    return InlineKeyboardMarkup(rows)
