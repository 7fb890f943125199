"""All configuration in one typed object, read from the environment or a `.env` file.

Built once at start-up (`load_settings()`) and passed down; nothing else reads
`os.environ`. Secrets never live in the repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.channels.wechat.config import MessageMode, check_message_mode
from bot.dispatch.envelope import Channel

DEFAULT_DATABASE_URL = "sqlite:///surveybot.db"
WECHAT_API = "https://api.weixin.qq.com"
TELEGRAM_API = "https://api.telegram.org"


class SettingsError(Exception):
    """A bad setting: start-up stops with this one-line message."""


@dataclass(frozen=True)
class StaffMember:
    channel: Channel
    user_id: str

    def __str__(self) -> str:
        return f"{self.channel.value}:{self.user_id}"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias=_env("SURVEYBOT_DATABASE_URL"))
    flow_path: Path | None = Field(None, validation_alias=_env("SURVEYBOT_FLOW"))
    staff_raw: str = Field("", validation_alias=_env("SURVEYBOT_STAFF"))
    secret_key: str | None = Field(None, validation_alias=_env("SURVEYBOT_SECRET_KEY"))
    public_url: str = Field("http://127.0.0.1:8000", validation_alias=_env("SURVEYBOT_PUBLIC_URL"))
    snapshot_min_respondents: int = Field(
        5, ge=1, validation_alias=_env("SURVEYBOT_SNAPSHOT_MIN_RESPONDENTS")
    )
    # The privacy rule of live figures (docs/snapshots.md): a peer segment's minimum size,
    # and the smallest count (or complement) shown exactly; below it "a few" / "most".
    snapshot_min_segment: int = Field(
        10, ge=1, validation_alias=_env("SURVEYBOT_SNAPSHOT_MIN_SEGMENT")
    )
    snapshot_min_cell: int = Field(3, ge=2, validation_alias=_env("SURVEYBOT_SNAPSHOT_MIN_CELL"))
    renotify_hours: float = Field(24.0, gt=0, validation_alias=_env("SURVEYBOT_RENOTIFY_HOURS"))
    # PostgreSQL: survey answers that arrive together are stored in one transaction, on
    # the event loop's thread (bot.dispatch.batch_writer). Off: one transaction a message
    # on `db_threads` threads, for a database far away (docs/runbook.md).
    pg_batch: bool = Field(True, validation_alias=_env("SURVEYBOT_PG_BATCH"))
    # PostgreSQL: messages one worker process dispatches at once, each on its own thread
    # (staff commands; survey answers too with SURVEYBOT_PG_BATCH off). More threads only
    # contend for the GIL unless the database is far away (docs/runbook.md,
    # docs/benchmarks.md).
    db_threads: int = Field(4, ge=1, le=64, validation_alias=_env("SURVEYBOT_DB_THREADS"))
    # Draw completion charts inside each web worker (True), or leave them to the one
    # `surveybot charts` process that `surveybot serve` starts (matplotlib stays out of
    # the web workers: ~55 MB each).
    chart_worker: bool = Field(True, validation_alias=_env("SURVEYBOT_CHART_WORKER"))
    # Start-up with the database unreachable: 0 stops at once with one line; N waits up
    # to N seconds, retrying with a logged line each time (e.g. PostgreSQL still booting).
    db_wait_s: float = Field(0.0, ge=0, le=3600, validation_alias=_env("SURVEYBOT_DB_WAIT_S"))
    # Retention (bot.workers.retention): dedupe rows (platform retries stop within minutes; Telegram
    # reuses update ids after a week), payloads of sent outbox rows, and the details of
    # handled contact requests: the consent notice in the flow files states this number.
    processed_retention_days: float = Field(
        7.0, gt=0, validation_alias=_env("SURVEYBOT_PROCESSED_RETENTION_DAYS")
    )
    outbox_retention_days: float = Field(
        7.0, gt=0, validation_alias=_env("SURVEYBOT_OUTBOX_RETENTION_DAYS")
    )
    contact_retention_days: float = Field(
        30.0, ge=0, validation_alias=_env("SURVEYBOT_CONTACT_RETENTION_DAYS")
    )
    # After this pause, a message that is not an answer gets "welcome back, you are at
    # question 5 of 14" and the question, never an error.
    welcome_back_minutes: float = Field(
        30.0, gt=0, validation_alias=_env("SURVEYBOT_WELCOME_BACK_MINUTES")
    )
    # How staff are named to each other: "wechat:o_abc=王芳,telegram:12345=Li Lei"
    # (bot.staff.names); staff without a name appear as 员工 Staff 1, 2, … never by id.
    staff_names_raw: str = Field("", validation_alias=_env("SURVEYBOT_STAFF_NAMES"))

    wechat_token: str | None = Field(None, validation_alias=_env("WECHAT_TOKEN"))
    wechat_app_id: str | None = Field(None, validation_alias=_env("WECHAT_APP_ID"))
    wechat_app_secret: str | None = Field(None, validation_alias=_env("WECHAT_APP_SECRET"))
    wechat_encoding_aes_key: str | None = Field(
        None, validation_alias=_env("WECHAT_ENCODING_AES_KEY")
    )
    wechat_api_base_url: str = Field(WECHAT_API, validation_alias=_env("WECHAT_API_BASE_URL"))
    # plain | compatible | safe; unset: safe with an EncodingAESKey, plain without.
    wechat_message_mode: MessageMode | None = Field(
        None, validation_alias=_env("WECHAT_MESSAGE_MODE")
    )
    wechat_original_id: str | None = Field(None, validation_alias=_env("WECHAT_ORIGINAL_ID"))
    # "auto": what a reply's passive message cannot hold goes through the customer-service
    # API when it can be used, else it is paged ("更多 / more"); "off": always paged.
    wechat_customer_service: Literal["auto", "off"] = Field(
        "auto", validation_alias=_env("WECHAT_CUSTOMER_SERVICE")
    )
    # Customer-service sends per second the account's quota allows (unset: unpaced).
    # The outbox paces at it, shared among the serving processes (bot.workers.send_pacing);
    # beyond the quota WeChat answers 45011 and the outbox waits for the next minute.
    wechat_send_rate: float | None = Field(None, gt=0, validation_alias=_env("WECHAT_SEND_RATE"))
    # How many processes share that rate: `surveybot serve --workers N` sets it.
    worker_processes: int = Field(1, ge=1, validation_alias=_env("SURVEYBOT_WORKER_PROCESSES"))

    telegram_bot_token: str | None = Field(None, validation_alias=_env("TELEGRAM_BOT_TOKEN"))
    telegram_webhook_secret: str | None = Field(
        None, validation_alias=_env("TELEGRAM_WEBHOOK_SECRET")
    )
    telegram_api_base_url: str = Field(TELEGRAM_API, validation_alias=_env("TELEGRAM_API_BASE_URL"))

    @field_validator("flow_path", mode="before")
    @classmethod
    def _flow_path(cls, value: object) -> object:
        return None if value == "" else value  # an empty SURVEYBOT_FLOW= means "the default"

    @field_validator("wechat_encoding_aes_key")
    @classmethod
    def _aes_key(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        # WeChat's EncodingAESKey is 43 base64 characters (32 bytes once "=" is appended).
        if len(value) != 43 or not value.isalnum():
            raise ValueError("WECHAT_ENCODING_AES_KEY must be 43 letters/digits")
        return value

    @field_validator("wechat_message_mode", "wechat_original_id", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _message_mode(self) -> Settings:
        # ValueError: load_settings turns it into one "bad setting" line.
        check_message_mode(self.wechat_message_mode, has_key=bool(self.wechat_encoding_aes_key))
        return self

    @field_validator("staff_raw")
    @classmethod
    def _staff(cls, value: str) -> str:
        parse_staff(value)
        return value

    @field_validator("staff_names_raw")
    @classmethod
    def _staff_names(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            who, sep, name = item.partition("=")
            if not sep or not name.strip():
                raise ValueError(f"SURVEYBOT_STAFF_NAMES entry {item!r} is not channel:id=name")
            parse_staff(who)
        return value

    @property
    def staff(self) -> tuple[StaffMember, ...]:
        return parse_staff(self.staff_raw)

    def is_staff(self, channel: Channel, user_id: str) -> bool:
        return StaffMember(channel, user_id) in self.staff


def parse_staff(raw: str) -> tuple[StaffMember, ...]:
    members: list[StaffMember] = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        channel, sep, user_id = item.partition(":")
        if not sep or not user_id.strip():
            raise ValueError(f"SURVEYBOT_STAFF entry {item!r} is not channel:id")
        try:
            members.append(StaffMember(Channel(channel.strip().lower()), user_id.strip()))
        except ValueError:
            known = ", ".join(c.value for c in Channel)
            raise ValueError(
                f"SURVEYBOT_STAFF entry {item!r}: unknown channel {channel!r} (known: {known})"
            ) from None
    return tuple(members)


def load_settings(**overrides: object) -> Settings:
    """Read settings; any problem becomes one clear `SettingsError` line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        # A check across settings (no loc) names them in its message.
        prefix = f"bad setting {where.upper()}: " if where else "bad setting: "
        raise SettingsError(prefix + message) from None
