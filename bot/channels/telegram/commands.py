"""The command menus: respondent commands for everyone, staff commands in staff chats only.

Telegram picks a chat's menu by scope first, then language (Bot API, "Determining list
of commands": chat + language, chat, …, default + language, default). So every list is
set twice, English without a language code and Chinese for "zh" clients, and a staff
member's chat-scoped list must repeat the respondent commands. The lists come from the
wiring (`bot.app.channel_seams.TELEGRAM_MENUS`): the channel does not know staff commands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.channels.telegram.config import Menus
from flows.model import Text

_LANGUAGES: tuple[tuple[str | None, Callable[[Text], str]], ...] = (
    (None, lambda t: t.en),
    ("zh", lambda t: t.zh),
)


def command_list(
    catalog: Sequence[tuple[str, Text]], pick: Callable[[Text], str]
) -> list[BotCommand]:
    # Bot API: descriptions are 1-256 characters.
    return [BotCommand(name, pick(text)[:256]) for name, text in catalog]


async def publish_commands(bot: Bot, menus: Menus, staff_ids: Sequence[str]) -> None:
    """Set the menus; idempotent, so every worker may call it at start."""
    for language, pick in _LANGUAGES:
        await bot.set_my_commands(
            command_list(menus.respondent, pick),
            scope=BotCommandScopeDefault(),
            language_code=language,
        )
        staff_menu = command_list((*menus.respondent, *menus.staff), pick)
        for user_id in staff_ids:
            # In a private chat the chat id is the user id.
            await bot.set_my_commands(
                staff_menu, scope=BotCommandScopeChat(int(user_id)), language_code=language
            )
