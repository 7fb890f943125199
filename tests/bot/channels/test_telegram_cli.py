"""`surveybot telegram set-webhook` and the command menus, against the fake Bot API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.channels.telegram.inbound import ALLOWED_UPDATES
from bot.cli.telegram_cmds import telegram_app
from bot.staff.catalog import RESPONDENT_COMMANDS, STAFF_COMMANDS
from tests.fakes.telegram_api_server import FakeBotApi, fake_bot_api
from tests.fakes.telegram_harness import RecordingDispatcher, running
from tests.fakes.telegram_user import SECRET

URL = "https://survey.example.org/telegram"
RESPONDENT = [name for name, _ in RESPONDENT_COMMANDS]
STAFF = RESPONDENT + [name for name, _ in STAFF_COMMANDS]


@pytest.fixture
def telegram_api() -> Iterator[FakeBotApi]:
    with fake_bot_api() as api:
        yield api


@pytest.fixture
def env(telegram_api: FakeBotApi, tmp_path: Path) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": telegram_api.token,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": telegram_api.base_url,
        "SURVEYBOT_STAFF": "telegram:4242, wechat:o_staff, telegram:777",
        "SURVEYBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }


def invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(telegram_app, list(args), env=env)
    return result.exit_code, result.output


def menus(api: FakeBotApi) -> dict[tuple[str, str | None], list[str]]:
    """(scope, language) → command names, from the recorded setMyCommands calls."""
    found = {}
    for call in api.calls_to("setMyCommands"):
        scope = call.params["scope"]
        where = scope["type"] if scope["type"] == "default" else f"chat {scope['chat_id']}"
        found[(where, call.params.get("language_code"))] = [
            c["command"] for c in call.params["commands"]
        ]
    return found


def test_set_webhook_registers_url_secret_and_the_menus(
    env: dict[str, str], telegram_api: FakeBotApi
) -> None:
    code, output = invoke(env, "set-webhook", URL, "--drop-pending-updates")
    assert code == 0, output
    (call,) = telegram_api.calls_to("setWebhook")
    assert call.params["url"] == URL
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == list(ALLOWED_UPDATES)
    assert call.params["drop_pending_updates"] == "true"
    assert menus(telegram_api) == {
        ("default", None): RESPONDENT,
        ("default", "zh"): RESPONDENT,
        ("chat 4242", None): STAFF,
        ("chat 4242", "zh"): STAFF,
        ("chat 777", None): STAFF,
        ("chat 777", "zh"): STAFF,
    }


def test_menus_are_described_in_english_and_for_zh_clients_in_chinese(
    env: dict[str, str], telegram_api: FakeBotApi
) -> None:
    invoke(env, "set-webhook", URL)
    by_language = {
        c.params.get("language_code"): c.params["commands"][0]["description"]
        for c in telegram_api.calls_to("setMyCommands")
    }
    assert by_language == {None: "Start or resume the survey", "zh": "开始或继续调查"}


@pytest.mark.parametrize(
    ("change", "args", "message"),
    [
        ({"TELEGRAM_WEBHOOK_SECRET": ""}, ("set-webhook", URL), "TELEGRAM_WEBHOOK_SECRET"),
        ({"TELEGRAM_WEBHOOK_SECRET": "has space"}, ("set-webhook", URL), "TELEGRAM_WEBHOOK_SECRET"),
        ({"TELEGRAM_BOT_TOKEN": ""}, ("set-webhook", URL), "TELEGRAM_BOT_TOKEN"),
        ({}, ("set-webhook", "http://survey.example.org/telegram"), "https://"),
        ({"SURVEYBOT_STAFF": "telegram:@lin"}, ("set-webhook", URL), "not numeric"),
        ({"TELEGRAM_BOT_TOKEN": ""}, ("poll",), "TELEGRAM_BOT_TOKEN"),
    ],
)
def test_bad_settings_stop_before_calling_telegram(
    env: dict[str, str], telegram_api: FakeBotApi, change: dict[str, str],
    args: tuple[str, ...], message: str,
) -> None:  # fmt: skip
    code, output = invoke({**env, **change}, *args)
    assert code == 2
    assert message in output
    assert telegram_api.calls == []


def test_a_rejected_token_is_reported_without_printing_it(
    env: dict[str, str], telegram_api: FakeBotApi
) -> None:
    code, output = invoke({**env, "TELEGRAM_BOT_TOKEN": "999:wrong-token"}, "set-webhook", URL)
    assert code == 1
    assert "rejected TELEGRAM_BOT_TOKEN" in output
    assert "wrong-token" not in output


async def test_the_channel_publishes_the_menus_at_start(telegram_api: FakeBotApi) -> None:
    async with running(telegram_api, RecordingDispatcher(), staff_ids=("4242",)):
        pass
    assert menus(telegram_api) == {
        ("default", None): RESPONDENT,
        ("default", "zh"): RESPONDENT,
        ("chat 4242", None): STAFF,
        ("chat 4242", "zh"): STAFF,
    }


async def test_a_menu_failure_at_start_does_not_stop_the_channel(telegram_api: FakeBotApi) -> None:
    telegram_api.fail_next("setMyCommands", 400, "Bad Request: BOT_COMMAND_INVALID")
    recorder = RecordingDispatcher()
    async with running(telegram_api, recorder) as tg:
        assert (await tg.user.say("hi")).status_code == 200
    assert len(recorder.envelopes) == 1
