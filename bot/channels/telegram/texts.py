"""The Telegram channel's own short notices (transport hints, not survey wording).

Always bilingual: they are sent without asking the dispatcher, so the respondent's
language is unknown here. Callback answers show at most 200 characters (Bot API,
answerCallbackQuery), so those stay short.
"""

from __future__ import annotations

PRIVATE_ONLY = (
    "本调查仅在与机器人的私聊中进行，请直接私信我。\n"
    "The survey runs in a private chat only: please message me directly."
)
EDITED_IGNORED = (
    "修改过的消息不会被读取，请重新发送您的回答。\n"
    "Edited messages are not read: please send your answer again as a new message."
)
CHOOSE_LANGUAGE = "请选择语言。\nChoose a language."

# Callback answers (toasts).
STALE_KEYBOARD = (
    "这些按钮已过期，请使用最新的问题。 These buttons are out of date: use the latest question."
)
TOO_FEW = "请至少选择 {n} 项。 Choose at least {n}."
TOO_MANY = "最多选择 {n} 项。 Choose at most {n}."
