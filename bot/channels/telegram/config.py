"""Settings of the Telegram channel, built once from the app's `Settings`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.dispatch.envelope import Channel
from bot.settings import Settings
from flows.model import Text

TELEGRAM_API_BASE_URL = "https://api.telegram.org"
# Bot API, setWebhook: secret_token is 1-256 characters of A-Z, a-z, 0-9, _ and -.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(frozen=True)
class Menus:
    """(command, description) pairs: everyone's, and the staff's added in staff chats."""

    respondent: Sequence[tuple[str, Text]]
    staff: Sequence[tuple[str, Text]]


class TelegramConfigError(ValueError):
    """A Telegram setting that cannot work; the message names it."""


@dataclass(frozen=True)
class TelegramConfig:
    token: str = field(repr=False)
    # None: the webhook route refuses every update (fail closed); `poll` does not need it.
    webhook_secret: str | None = field(default=None, repr=False)
    # Overridable so tests point the client at a loopback fake Bot API.
    api_base_url: str = TELEGRAM_API_BASE_URL
    # Telegram user ids of staff: they get the staff commands in their chat's menu.
    staff_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.token:
            raise TelegramConfigError("TELEGRAM_BOT_TOKEN is empty")
        if self.webhook_secret is not None and not _SECRET.fullmatch(self.webhook_secret):
            raise TelegramConfigError(
                "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
            )
        for user_id in self.staff_ids:
            # A chat-scoped command list needs the numeric chat id.
            if not user_id.lstrip("-").isdigit():
                raise TelegramConfigError(f"SURVEYBOT_STAFF telegram id {user_id!r} is not numeric")

    @property
    def bot_base_url(self) -> str:
        """PTB's `base_url`: it appends the token (`…/bot<token>/sendMessage`)."""
        return f"{self.api_base_url.rstrip('/')}/bot"

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramConfig | None:
        """None when no bot token is configured (the channel is off)."""
        if not settings.telegram_bot_token:
            return None
        return cls(
            token=settings.telegram_bot_token,
            webhook_secret=settings.telegram_webhook_secret or None,
            api_base_url=settings.telegram_api_base_url,
            staff_ids=tuple(m.user_id for m in settings.staff if m.channel is Channel.TELEGRAM),
        )
