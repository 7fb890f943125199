"""Telegram `Update` → a `Plan`: what to answer, dispatch, redraw and say. No I/O here.

`plan_update` decides everything a channel must do for one update; `TelegramChannel`
carries the plan out. Keeping the decision pure makes every update type testable
without a network, and keeps survey logic out: taps become the text typing would send,
with `expect` naming the question the keyboard was drawn for (stale-tap check).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardMarkup, Update
from telegram import Message as TgMessage
from telegram.constants import ChatType

from bot.channels.telegram import texts
from bot.channels.telegram.keyboards import (
    Answer,
    Done,
    Notice,
    Toggle,
    build_keyboard,
    decode,
    submission,
    toggle,
)
from bot.dispatch.envelope import Channel, Choice, Envelope, Message
from flows.events import Inbound, Intent

# Which updates the bot asks Telegram for (setWebhook / getUpdates `allowed_updates`).
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
# Non-text content a respondent may send: answered with "please reply with text".
_MEDIA = (
    "photo", "sticker", "voice", "audio", "video", "video_note", "animation", "document",
    "location", "venue", "contact", "poll", "dice", "story",
)  # fmt: skip
_COMMAND = re.compile(r"/([A-Za-z0-9_]+)(?:@\w+)?(?:\s+(.*))?", re.DOTALL)
# Deep-link payloads (t.me/<bot>?start=<payload>): Bot API allows 1-64 of these.
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LANGUAGES = Message(
    texts.CHOOSE_LANGUAGE,
    (Choice("中文", "中文"), Choice("English", "English"), Choice("双语 Both", "双语")),
)


@dataclass(frozen=True)
class Plan:
    """Carried out in this order: answer the callback, dispatch, edit the tapped
    message's keyboard, then send `say` and the dispatcher's outcome to `chat_id`."""

    chat_id: int | None = None
    envelope: Envelope | None = None
    say: str | None = None
    say_markup: InlineKeyboardMarkup | None = None
    callback_id: str | None = None
    notice: str | None = None  # the callback answer's text (a toast)
    edit_message_id: int | None = None  # the tapped message: its keyboard becomes `markup`
    markup: InlineKeyboardMarkup | None = None


def plan_update(update: Update, now: datetime, *, bot_id: int | None = None) -> Plan | None:
    """None: nothing to do (channel posts, service messages, other update types)."""
    if update.callback_query is not None:
        return _plan_callback(update, now)
    if update.message is not None:
        return _plan_message(update.message, update.update_id, now, bot_id)
    edited = update.edited_message
    if edited is not None and edited.chat.type == ChatType.PRIVATE:
        # An edit cannot change a recorded answer; say so instead of staying silent.
        return Plan(chat_id=edited.chat.id, say=texts.EDITED_IGNORED)
    return None


def _plan_message(
    message: TgMessage, update_id: int, now: datetime, bot_id: int | None
) -> Plan | None:
    chat, user = message.chat, message.from_user
    if chat.type != ChatType.PRIVATE:
        # Answers are personal: no survey in groups. Hint only when addressed (a command,
        # or the bot being added), so a group without privacy mode is not spammed.
        if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP) and _addresses_bot(message, bot_id):
            return Plan(chat_id=chat.id, say=texts.PRIVATE_ONLY)
        return None
    if user is None or user.is_bot:
        return None
    source = None
    if message.text is not None:
        command = _COMMAND.fullmatch(message.text.strip())
        name = command[1].lower() if command else None
        argument = (command[2] or "").strip() if command else ""
        if name == "lang" and not argument:
            # The engine knows "/lang zh|en|both"; alone, offer the choice as buttons.
            return Plan(chat_id=chat.id, say=_LANGUAGES.text, say_markup=build_keyboard(_LANGUAGES))
        if name == "start":
            inbound = Inbound(now=now, intent=Intent.START)
            source = argument if _PAYLOAD.fullmatch(argument) else None
        else:
            inbound = Inbound(now=now, text=message.text)
    elif any(getattr(message, kind, None) for kind in _MEDIA):
        inbound = Inbound(now=now, intent=Intent.UNSUPPORTED)
    else:
        return None  # service messages (pins, forum topics …) are not input
    envelope = Envelope(Channel.TELEGRAM, str(user.id), str(update_id), inbound, source=source)
    return Plan(chat_id=chat.id, envelope=envelope)


def _addresses_bot(message: TgMessage, bot_id: int | None) -> bool:
    if message.text is not None and message.text.startswith("/"):
        return True
    added = message.new_chat_members or ()
    return any(m.id == bot_id if bot_id is not None else m.is_bot for m in added)


def _plan_callback(update: Update, now: datetime) -> Plan:
    query = update.callback_query
    assert query is not None
    message = query.message
    # Inline-mode and old (inaccessible) messages come without their keyboard.
    if not isinstance(message, TgMessage):
        return Plan(callback_id=query.id, notice=texts.STALE_KEYBOARD)
    if message.chat.type != ChatType.PRIVATE:
        return Plan(callback_id=query.id, notice=texts.PRIVATE_ONLY)
    action = decode(query.data)
    if isinstance(action, Toggle):
        redrawn = toggle(message.reply_markup, action)
        if isinstance(redrawn, Notice):
            return Plan(callback_id=query.id, notice=redrawn.text)
        return Plan(
            chat_id=message.chat.id,
            callback_id=query.id,
            edit_message_id=message.message_id,
            markup=redrawn,
        )
    if isinstance(action, Done):
        text = submission(message.reply_markup, action)
        if isinstance(text, Notice):
            return Plan(callback_id=query.id, notice=text.text)
        inbound = Inbound(now=now, text=text, expect=action.question_id)
    elif isinstance(action, Answer):
        inbound = Inbound(now=now, text=action.value, expect=action.question_id)
    else:
        return Plan(callback_id=query.id, notice=texts.STALE_KEYBOARD)
    envelope = Envelope(Channel.TELEGRAM, str(query.from_user.id), str(update.update_id), inbound)
    # Once a tap is processed its keyboard goes (markup None), so it cannot be reused;
    # the dispatcher answers a stale tap itself and changes nothing.
    return Plan(
        chat_id=message.chat.id,
        envelope=envelope,
        callback_id=query.id,
        edit_message_id=message.message_id,
    )
