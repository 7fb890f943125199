"""A colleague of the same organisation or plant answered (issue 20 §1), through the dispatcher.

A survey counted per organisation (tests/flows/fixtures/colleague_org.yaml, and its per-plant
and no-view variants): the second person of one supplier is told after the organisation
step, can view the answers counted (numbers and labels, nothing personal), take over
(took_over_at set once, a retried push answered from the dedupe row) or keep things as
they are. A survey counted per respondent says nothing and reads the words as answers.
Run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.channels.telegram.keyboards import Answer, build_keyboard, decode
from bot.channels.wechat.pages import paginate
from bot.dispatch.colleagues import shown_items
from bot.dispatch.envelope import Channel, Envelope, Outcome
from bot.dispatch.render import Renderer
from bot.dispatch.service import Service
from flows.colleague_replies import ColleagueAnswers
from flows.definition import load_flow, load_flow_text
from flows.events import Inbound
from flows.model import Flow, Lang
from flows.surveys import DEFAULT_FLOW
from storage.models import Respondent
from storage.organisation_models import OrganisationLink
from storage.transactions import transaction
from tests.bot.test_completion_message import ALL_OPTIONS, PASSIVE_BYTES
from tests.flows.script import Script

FIXTURE = Path(__file__).parents[1] / "flows" / "fixtures" / "colleague_org.yaml"
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
COMPANY = "上海某某汽车零部件有限公司"
# A supplier with a target, who explains it naming a person; then the organisation step.
TO_STEP = ["你好", "中文", "2", "是", "我们有科学碳目标，联系人张三 13800000000", "是", COMPANY]


def variant(*, counting: str = "organisation", view: bool = True) -> Flow:
    text = FIXTURE.read_text(encoding="utf-8")
    text = text.replace("counting: organisation", f"counting: {counting}")
    return load_flow_text(
        text.replace("colleagues_see_answers: true", f"colleagues_see_answers: {str(view).lower()}")
    )


class Chat:
    """One Telegram user talking to the dispatcher; every message a new update."""

    clock = count(1)

    def __init__(self, service: Service, user: str) -> None:
        self.service, self.user = service, user

    def send(self, text: str, *, key: str | None = None) -> Outcome:
        n = next(self.clock)
        inbound = Inbound(now=NOW + timedelta(seconds=n), text=text)
        envelope = Envelope(Channel.TELEGRAM, self.user, key or f"{self.user}-{n}", inbound)
        return self.service.handle_sync(envelope)

    def say(self, *texts: str) -> Outcome:
        out = None
        for text in texts:
            out = self.send(text)
        assert out is not None
        return out


@pytest.fixture
def org_service(engine: Engine) -> Iterator[Service]:
    service = Service(engine, variant())
    yield service
    service.close()


def took_over_at(engine: Engine, user: str) -> datetime | None | str:
    with transaction(engine) as session:
        row = session.exec(
            select(OrganisationLink)
            .join(Respondent, Respondent.id == OrganisationLink.respondent_id)  # type: ignore[arg-type]
            .where(Respondent.channel_user_id == user)
        ).first()
        return "no link" if row is None else row.took_over_at


def first_answers(service: Service) -> None:
    """Colleague A completes for 上海某某 (苏州); C, another company, completes as an OEM."""
    Chat(service, "a").say(*TO_STEP, "苏州", "3")
    Chat(service, "c").say("你好", "中文", "1", "否", "是", "另一家公司", "北京", "7")


def test_the_second_person_is_told_and_offered_view_take_over_keep(
    org_service: Service,
) -> None:
    first_answers(org_service)
    told = Chat(org_service, "b").say(*TO_STEP, "苏州市")
    notice, step = told.messages
    assert notice.text.startswith(f"您所在的机构（{COMPANY}）已有同事回答了本调查。")
    assert "目前计入的是同事的答案" in notice.text and "张三" not in notice.text
    assert [c.value for c in notice.choices] == ["查看同事答案", "由我接替", "保持原样"]
    keyboard = build_keyboard(notice)  # Telegram: buttons that send the words as typed
    assert keyboard is not None
    buttons = [b for row in keyboard.inline_keyboard for b in row]
    assert [b.text for b in buttons] == ["查看同事答案", "由我接替", "保持原样"]
    assert decode(buttons[1].callback_data) == Answer(None, "由我接替")  # type: ignore[arg-type]
    assert "生产基地" in step.text  # then the survey goes on, with its own buttons
    assert not step.choices or all(c.value != "由我接替" for c in step.choices)


def test_view_shows_only_the_units_counted_answers_and_nothing_personal(
    org_service: Service,
) -> None:
    first_answers(org_service)
    b = Chat(org_service, "b")
    b.say(*TO_STEP, "苏州")
    shown = b.send("查看同事答案").messages[0].text
    assert shown.startswith("计入统计的同事答案（已完成；文字回答不显示）：\n1. 供应商\n2. 是\n")
    assert "3. （文字回答）" in shown and "4. 3" in shown  # numbers shown, free text not
    for private in ("张三", "13800000000", COMPANY, "苏州", "主机厂", "7"):
        assert private not in shown.split("：", 1)[1].split("回复")[0]
    assert "生产基地" in shown  # the question they are at, asked again


def test_take_over_sets_took_over_at_once_and_a_retry_changes_nothing(
    engine: Engine, org_service: Service
) -> None:
    first_answers(org_service)
    b = Chat(org_service, "b")
    b.say(*TO_STEP, "苏州")
    assert took_over_at(engine, "b") is None
    done = b.send("由我接替", key="b-take")
    assert done.messages[0].text.startswith(
        "已由您接替：从现在起，您所在机构计入统计的是您的答案。"
    )
    assert "同事的答案仍然保存，但不再计入" in done.messages[0].text
    first = took_over_at(engine, "b")
    assert isinstance(first, datetime)
    retried = b.send("由我接替", key="b-take")  # WeChat / Telegram delivering it again
    assert retried.duplicate and retried.text == done.text
    again = b.send("由我接替")
    assert again.messages[0].text.startswith("您的答案已经是您所在机构计入的答案")
    assert took_over_at(engine, "b") == first
    assert b.send("查看同事答案").messages[0].text.startswith("您所在的机构计入的是您自己的答案")


def test_keep_changes_nothing(engine: Engine, org_service: Service) -> None:
    first_answers(org_service)
    b = Chat(org_service, "b")
    b.say(*TO_STEP, "苏州")
    kept = b.send("保持原样").messages[0].text
    assert kept.startswith("好的，保持原样：继续计入同事的答案")
    assert took_over_at(engine, "b") is None


def test_without_colleagues_see_answers_view_is_neither_offered_nor_shown(
    engine: Engine,
) -> None:
    service = Service(engine, variant(view=False))
    try:
        first_answers(service)
        b = Chat(service, "b")
        notice = b.say(*TO_STEP, "苏州").messages[0]
        assert "查看同事答案" not in notice.text
        assert [c.value for c in notice.choices] == ["由我接替", "保持原样"]
        refused = b.send("查看同事答案").messages[0].text
        assert refused.startswith("本调查不向同事显示答案。") and "供应商" not in refused
    finally:
        service.close()


def test_per_plant_only_the_same_plant_is_a_colleague(engine: Engine) -> None:
    service = Service(engine, variant(counting="plant"))
    try:
        first_answers(service)
        other_plant = Chat(service, "b").say(*TO_STEP, "无锡")
        assert "同事" not in other_plant.text
        same_plant = Chat(service, "d").say(*TO_STEP, "苏州市").messages[0].text
        assert same_plant.startswith(f"您所在的工厂（{COMPANY}，苏州市）已有同事回答了本调查。")
    finally:
        service.close()


def test_a_colleague_who_only_started_is_named_as_such(org_service: Service) -> None:
    Chat(org_service, "a").say(*TO_STEP, "苏州")  # at the last question, not finished
    notice = Chat(org_service, "b").say(*TO_STEP, "苏州").messages[0].text
    assert "已有同事开始填写本调查（尚未完成）" in notice


def test_a_stale_tap_after_withdrawing_or_deleting_gets_a_clear_answer(
    engine: Engine, org_service: Service
) -> None:
    first_answers(org_service)
    b = Chat(org_service, "b")
    b.say(*TO_STEP, "苏州", "由我接替")
    assert isinstance(took_over_at(engine, "b"), datetime)
    b.say("删除我的数据", "是")
    assert took_over_at(engine, "b") == "no link"  # the take-over went with the link
    stale = b.send("由我接替").text
    assert stale.startswith("您目前没有关联任何机构")
    assert took_over_at(engine, "b") == "no link"
    withdrawn = Chat(org_service, "e")
    withdrawn.say(*TO_STEP, "苏州", "返回", "返回", "返回")  # back to the step's opening
    withdrawn.send("否")  # no longer says which company
    assert withdrawn.send("由我接替").text.startswith("您目前没有关联任何机构")


def test_moving_to_another_plant_drops_a_take_over(engine: Engine) -> None:
    service = Service(engine, variant(counting="plant"))
    try:
        first_answers(service)
        b = Chat(service, "b")
        b.say(*TO_STEP, "苏州", "由我接替")
        assert isinstance(took_over_at(engine, "b"), datetime)
        moved = b.say("返回", "无锡")  # back to the plant question: another plant
        assert took_over_at(engine, "b") is None
        assert "同事" not in moved.text  # nobody from 无锡 answered
    finally:
        service.close()


def test_a_survey_counted_per_respondent_behaves_as_before(engine: Engine) -> None:
    service = Service(engine, variant(counting="respondent"))
    try:
        first_answers(service)
        b = Chat(service, "b")
        at_step = b.say(*TO_STEP, "苏州")
        assert len(at_step.messages) == 1 and "同事" not in at_step.text
        typed = b.send("由我接替").text  # an answer to "how many sites?", and a wrong one
        assert "接替" not in typed and "生产基地" in typed
    finally:
        service.close()


def test_the_longest_view_fits_wechat_pages() -> None:
    """The AIAG survey with every option chosen, viewed by a colleague: one passive reply in
    Chinese; bilingual is paged ("更多 / more"), each page within WeChat's 2048 bytes."""
    flow = load_flow(DEFAULT_FLOW)
    script = Script(flow)
    script.answer_all("hi", "双语", *ALL_OPTIONS)
    assert script.state is not None
    items = shown_items(flow, script.state.answers)
    assert [i["number"] for i in items][:3] == ["1", "2", "3"]
    assert all(i["hidden"] for i in items if i["question"].id == "reporting_explain")
    reply = ColleagueAnswers(items, completed=True)
    renderer = Renderer()
    zh = renderer.render(reply, Lang.ZH, links=True)
    assert len(zh.encode()) <= PASSIVE_BYTES and "GRI" not in zh
    pages = paginate(renderer.render(reply, Lang.BOTH, links=True))
    assert all(len(page.encode()) <= PASSIVE_BYTES for page in pages)
