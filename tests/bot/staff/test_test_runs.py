"""Staff are never respondents; /test (试答) runs and test-marked respondents stay out."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.staff.test_runs import RunAction, RunRequest, parse_test
from flows.events import Intent
from storage.models import Respondent, SurveySession
from tests.bot.staff.conftest import OEM, STAFF_WECHAT, SUPPLIER, Chat, timeless


def _sessions(chat: Chat, user: str) -> list[SurveySession]:
    with Session(chat.runtime.engine) as session:
        respondent = session.exec(
            select(Respondent).where(Respondent.channel_user_id == user)
        ).one()
        return list(
            session.exec(
                select(SurveySession).where(SurveySession.respondent_id == respondent.id)
            ).all()
        )


def test_parse_test() -> None:
    assert parse_test("") == RunRequest(RunAction.START)
    assert parse_test("结束") == RunRequest(RunAction.END)
    assert parse_test("END") == RunRequest(RunAction.END)
    assert parse_test("mark 12") == RunRequest(RunAction.MARK, 12)
    assert parse_test("标记 ＃１２") == RunRequest(RunAction.MARK, 12)
    assert parse_test("取消标记 12") == RunRequest(RunAction.UNMARK, 12)
    for bad in ("mark", "mark x", "mark 1 2", "now", "end now"):
        assert parse_test(bad).action is RunAction.USAGE, bad


def test_a_staff_members_bare_word_or_start_never_opens_a_survey(chat: Chat) -> None:
    chat.survey("s1", SUPPLIER)
    for text in ("完成", "3"):
        assert "/stats" in chat.staff(text).text  # the staff help
    assert "/stats" in chat.send(STAFF_WECHAT, intent=Intent.START).text
    assert _sessions(chat, STAFF_WECHAT) == []
    assert "开始 Started 1｜完成 Completed 1" in chat.staff("/progress").text


def test_a_test_run_is_left_out_of_every_figure(chat: Chat) -> None:
    chat.survey("s1", SUPPLIER)
    before = {c: chat.staff(c).text for c in ("/progress", "/stats 6", "/stats 6 by 1")}
    started = chat.staff("试答").text
    assert "试答已开始" in started and "Test run started" in started
    chat.survey(STAFF_WECHAT, OEM)
    assert _sessions(chat, STAFF_WECHAT)[0].completed_at is not None
    assert chat.staff("/test end").text.startswith("试答已结束")
    assert "/stats" in chat.staff("你好").text  # staff help again
    for command, text in before.items():
        assert timeless(chat.staff(command).text) == timeless(text), command


def test_marking_a_respondent_as_test_data_and_back(chat: Chat) -> None:
    chat.survey("s1", SUPPLIER)
    chat.survey("o1", OEM)
    with Session(chat.runtime.engine) as session:
        oem = session.exec(select(Respondent).where(Respondent.channel_user_id == "o1")).one()
    both = chat.staff("/stats 1").text
    assert "开始 2，完成 2" in chat.staff("/survey").text
    marked = chat.staff(f"/test mark {oem.id}").text
    assert f"答题者 {oem.id} 已标记为测试数据" in marked
    alone = chat.staff("/stats 1").text
    assert timeless(alone) != timeless(both) and "n = 1" in alone.replace("n=", "n = ")
    # /survey counts as /stats does: test data left out.
    assert "开始 1，完成 1" in chat.staff("/survey").text
    assert "本来就是测试数据" in chat.staff(f"标记 {oem.id}".join(["试答 ", ""])).text
    assert "没有编号为 999 的答题者" in chat.staff("/test mark 999").text
    chat.staff(f"/test unmark {oem.id}")
    assert timeless(chat.staff("/stats 1").text) == timeless(both)
    actions = [e.action for e in chat.audit()]
    assert "test_mark" in actions and "test_unmark" in actions
