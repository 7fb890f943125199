"""flows.commands: whole-message commands and the opening language choice."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.commands import Command, ParsedCommand, parse_command, parse_language, parse_yes_no
from flows.model import Lang


@pytest.mark.parametrize(
    ("raw", "command"),
    [
        ("0", Command.BACK),
        ("０", Command.BACK),
        ("返回", Command.BACK),
        ("上一题", Command.BACK),
        ("Back", Command.BACK),
        ("/back", Command.BACK),
        ("跳过", Command.SKIP),
        ("SKIP", Command.SKIP),
        ("/skip", Command.SKIP),
        ("帮助", Command.HELP),
        ("help", Command.HELP),
        ("/help", Command.HELP),
        ("?", Command.HELP),
        ("？", Command.HELP),
        ("重新开始", Command.RESTART),
        ("restart", Command.RESTART),
        ("/restart", Command.RESTART),
        ("中文", Command.LANG_ZH),
        ("简体中文", Command.LANG_ZH),
        ("English", Command.LANG_EN),
        ("英文", Command.LANG_EN),
        ("双语", Command.LANG_BOTH),
        ("both", Command.LANG_BOTH),
        ("bilingual", Command.LANG_BOTH),
        ("中英", Command.LANG_BOTH),
        ("/lang zh", Command.LANG_ZH),
        ("/lang en", Command.LANG_EN),
        ("/lang both", Command.LANG_BOTH),
        ("我的答案", Command.MY_ANSWERS),
        ("我的回答", Command.MY_ANSWERS),
        ("My answers", Command.MY_ANSWERS),
        ("/myanswers", Command.MY_ANSWERS),
        ("联系我", Command.CONTACT_ME),
        ("contact me", Command.CONTACT_ME),
        ("/contact", Command.CONTACT_ME),
        ("删除我的数据", Command.DELETE_DATA),
        ("delete my data", Command.DELETE_DATA),
        ("/delete", Command.DELETE_DATA),
    ],
)
def test_command_words(raw: str, command: Command) -> None:
    assert parse_command(raw) == ParsedCommand(command)


def test_commands_tolerate_spacing_case_and_a_final_full_stop() -> None:
    assert parse_command("  Contact   ME \n") == ParsedCommand(Command.CONTACT_ME)
    assert parse_command("返回。") == ParsedCommand(Command.BACK)
    assert parse_command("Help!") == ParsedCommand(Command.HELP)


def test_telegram_group_suffix_is_ignored() -> None:
    assert parse_command("/help@aiag_survey_bot") == ParsedCommand(Command.HELP)


@pytest.mark.parametrize(
    ("raw", "number"),
    [("修改 5", 5), ("修改5", 5), ("改5", 5), ("修改第12题", 12), ("change 5", 5), ("Edit #3", 3)],
)
def test_change_with_a_question_number(raw: str, number: int) -> None:
    assert parse_command(raw) == ParsedCommand(Command.CHANGE, number)


@pytest.mark.parametrize(
    "raw",
    [
        "b",
        "1",
        "返回上一题吧",
        "I need help",
        "修改",
        "修改 0",
        "change five",
        "主机厂",
        "",
        "/start",
    ],
)
def test_only_a_whole_message_is_a_command(raw: str) -> None:
    assert parse_command(raw) is None


@pytest.mark.parametrize(
    ("raw", "lang"),
    [
        ("1", Lang.ZH),
        ("中文", Lang.ZH),
        ("2", Lang.EN),
        ("English", Lang.EN),
        ("３", Lang.BOTH),
        ("双语", Lang.BOTH),
        ("Both", Lang.BOTH),
        ("/lang en", Lang.EN),
    ],
)
def test_language_choice(raw: str, lang: Lang) -> None:
    assert parse_language(raw) == lang


@pytest.mark.parametrize("raw", ["4", "日本語", "", "返回"])
def test_not_a_language(raw: str) -> None:
    assert parse_language(raw) is None


@pytest.mark.parametrize(("raw", "value"), [("是", True), ("Y", True), ("1", True), ("否", False)])
def test_confirmations_reuse_yes_no(raw: str, value: bool) -> None:
    assert parse_yes_no(raw) is value


@settings(max_examples=800, deadline=None, database=None)
@given(raw=st.one_of(st.text(), st.sampled_from(["/lang@x zh", "修改 99999", "0" * 5000, "？？"])))
def test_command_parsers_never_raise(raw: str) -> None:
    command = parse_command(raw)
    assert command is None or isinstance(command.command, Command)
    assert parse_language(raw) in (None, *Lang)
    assert parse_yes_no(raw) in (None, True, False)
