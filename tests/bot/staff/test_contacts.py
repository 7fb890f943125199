"""Follow-up contacts: /contacts, /claim, /done (and their errors), re-notification."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from sqlmodel import Session

from bot.app.asgi import create_app
from bot.dispatch.envelope import Channel
from bot.workers.renotify import Renotifier
from storage.contact_moves import set_contact_note
from storage.contacts import find_contact
from storage.models import ContactStatus, OutboxStatus
from storage.transactions import transaction
from tests.bot.staff.conftest import (
    STAFF_TELEGRAM,
    STAFF_WECHAT,
    START,
    SUPPLIER,
    Chat,
    make_runtime,
)

RIGHT_NOW = [*SUPPLIER[:-2], "1", "是", "张三", "上海汽车零部件有限公司", "13800138000", "跳过",
             "工作日下午"]  # fmt: skip


def alerts(chat: Chat) -> list[tuple[str, str, str]]:
    return [
        (o.channel, o.recipient, json.loads(o.payload_json)["text"])
        for o in chat.outbox()
        if o.status == OutboxStatus.PENDING.value
    ]


def test_the_alert_carries_the_essentials_to_staff_only(chat: Chat) -> None:
    done = chat.survey("r1", RIGHT_NOW)
    assert "C-000001" in done.text  # the respondent's reference
    sent = alerts(chat)
    assert [(c, r) for c, r, _ in sent] == [("wechat", "o_staff"), ("telegram", "900")]
    text = sent[0][2]
    for expected in ("新的联系请求 New contact request C-000001",
                     "问卷中选择立即联系 asked in the survey to be contacted",
                     "姓名 Name：张三", "公司 Company：上海汽车零部件有限公司",
                     "电话 Phone：+8613800138000",
                     "您希望我们在什么时间联系您？ When would you prefer to be contacted?："
                     "工作日下午",
                     "触发题目 Triggered by：【", "北京时间 China time (UTC+8)"):  # fmt: skip
        assert expected in text, expected
    assert "contact_time" not in text and "survey)" not in text
    assert not [o for o in chat.outbox() if o.recipient == "r1" and "13800138000" in o.payload_json]


def test_a_request_is_listed_claimed_and_closed(chat: Chat) -> None:
    chat.survey("r1", RIGHT_NOW)
    listing = chat.staff("/contacts").text
    assert "C-000001｜未认领 unclaimed｜问卷中选择立即联系" in listing
    assert "创建时间 Created：2026-03-02 09:" in listing and "China time (UTC+8)" in listing
    assert "姓名 Name：张三" in listing and "电话 Phone：+8613800138000" in listing
    assert "When would you prefer to be contacted?：工作日下午" in listing
    assert chat.staff("联系").text == listing

    claimed = chat.staff("/claim C-000001").text
    assert "您已认领 You claimed C-000001" in claimed and "张三" in claimed
    assert "已认领 claimed：王芳" in chat.staff("/contacts").text
    assert "wechat:o_staff" not in chat.staff("/contacts", channel=Channel.TELEGRAM).text
    assert "You claimed C-000001" in chat.staff("认领 1").text  # claiming again: still yours

    closed = chat.staff("/done C-000001 called back, wants a webinar").text
    assert "C-000001 已完成 is done（备注 note：called back, wants a webinar）" in closed
    assert "（无 none）" in chat.staff("/contacts").text
    everything = chat.staff("/contacts all").text
    assert "已完成 done：王芳" in everything and "备注 Note：called back" in everything
    with Session(chat.runtime.engine) as session:
        contact = find_contact(session=session, ref="C-000001")
    assert contact.status == ContactStatus.DONE.value
    assert contact.note == "called back, wants a webinar"
    assert contact.claimed_by == "wechat:o_staff"


def test_done_in_chat_keeps_the_note_saved_on_the_dashboard(chat: Chat) -> None:
    chat.survey("r1", RIGHT_NOW)
    chat.staff("/claim C-000001")
    with transaction(chat.runtime.engine) as session:
        set_contact_note(session=session, ref="C-000001", note="已发邮件 e-mailed")
    chat.staff("/done C-000001")
    everything = chat.staff("/contacts all").text
    assert "备注 Note：已发邮件 e-mailed" in everything
    with Session(chat.runtime.engine) as session:
        assert find_contact(session=session, ref="C-000001").note == "已发邮件 e-mailed"


def _notices(chat: Chat, since: int) -> list[tuple[str, str]]:
    return [(o.recipient, json.loads(o.payload_json)["text"]) for o in chat.outbox()[since:]]


def test_the_claimer_is_told_when_the_respondent_deletes_the_request(chat: Chat) -> None:
    chat.survey("r1", RIGHT_NOW)  # C-000001, claimed below
    chat.survey("r2", RIGHT_NOW)  # C-000002, left open
    chat.staff("/claim C-000001", channel=Channel.TELEGRAM)
    before = len(chat.outbox())
    chat.send("r1", "删除我的数据")
    chat.send("r1", "是")
    told = _notices(chat, before)
    assert told == [
        (
            STAFF_TELEGRAM,
            "联系请求 C-000001 已按受访者要求删除（受访者删除了自己的数据），无需再跟进。\n"
            "Contact request C-000001 was deleted at the respondent's request (they deleted "
            "their data): nothing to follow up.",
        )
    ]
    assert "张三" not in told[0][1]
    gone = chat.staff("/done 1", channel=Channel.TELEGRAM).text
    assert "a request goes when its respondent deletes their data" in gone
    # An open request was alerted to every staff member: every one is told.
    before = len(chat.outbox())
    chat.send("r2", "删除我的数据")
    chat.send("r2", "是")
    assert sorted(r for r, text in _notices(chat, before) if "C-000002" in text) == sorted(
        [STAFF_WECHAT, STAFF_TELEGRAM]
    )
    # A closed request is nobody's work any more: nobody is told.
    chat.survey("r3", RIGHT_NOW)
    chat.staff("/done C-000003")
    before = len(chat.outbox())
    chat.send("r3", "删除我的数据")
    chat.send("r3", "是")
    assert not [t for _, t in _notices(chat, before) if "C-000003" in t]


def test_a_request_withdrawn_by_a_changed_answer_is_closed_and_its_claimer_told(
    chat: Chat,
) -> None:
    chat.survey("r1", RIGHT_NOW)
    chat.staff("/claim C-000001", channel=Channel.TELEGRAM)
    before = len(chat.outbox())
    chat.send("r1", "修改 14")
    changed = chat.send("r1", "4").text  # 暂不需要 No need currently
    assert "您的联系请求已取消，AIAG 不会因此联系您" in changed
    assert _notices(chat, before) == [
        (
            STAFF_TELEGRAM,
            "联系请求 C-000001 已由受访者撤回（其答案改为不再要求联系），已关闭，无需再跟进。\n"
            "Contact request C-000001 was withdrawn by the respondent (they changed their "
            "answer and no longer ask to be contacted): closed, nothing to follow up.",
        )
    ]
    with Session(chat.runtime.engine) as session:
        contact = find_contact(session=session, ref="C-000001")
    assert (contact.status, contact.note) == ("done", "受访者已撤回 Withdrawn by the respondent")
    assert "C-000001" not in chat.staff("/contacts").text
    # Nobody is to call: the details are gone at once, and nobody is named as its closer.
    assert (contact.details_json, contact.claimed_by) == ("{}", None)
    listed = chat.staff("/contacts all").text
    assert "C-000001｜已完成 done｜" in listed and "13800138000" not in listed


def test_contact_me_with_a_request_open_names_it(chat: Chat) -> None:
    # One request a respondent: 联系我 with one open adds to it. "Created", with no
    # reference, promised a second request that does not exist.
    chat.survey("r1", RIGHT_NOW)
    chat.send("r1", "否")  # no organisation step: the survey is complete
    before = len(chat.outbox())
    said = chat.send("r1", "联系我").text
    assert "您的联系请求 C-000001 已在处理中，并已记下您最新的联系方式" in said
    assert "Your contact request C-000001 is already with AIAG staff" in said
    assert "已为您创建联系请求" not in said
    assert chat.outbox()[before:] == []  # staff have it already: no second alert
    assert "C-000002" not in chat.staff("/contacts all").text
    # Once staff closed it, 联系我 is a new request, with its own reference.
    chat.staff("/done C-000001")
    again = chat.send("r1", "联系我").text
    assert "已为您创建联系请求，编号 C-000002" in again


def test_no_need_at_14_says_a_contact_me_request_still_stands(chat: Chat) -> None:
    """ "暂不需要" at 14 after a "联系我" request: the request stays, and the respondent is
    told so, not left to think nobody will call."""
    chat.survey("r1", SUPPLIER[:-2])  # up to question 14
    chat.send("r1", "联系我")
    for text in ("是", "张三", "ACME", "13800138000", "跳过", "跳过"):
        chat.send("r1", text)
    said = chat.send("r1", "4").text  # 暂不需要 No need currently
    stands = "您之前通过“联系我”提交的联系请求 C-000001 仍然有效，AIAG 工作人员仍会与您联系。"
    assert said.startswith("✓ 已记录") and stands in said
    assert said.index(stands) < said.index("是否告诉我们贵公司名称")  # before what comes next
    assert "C-000001" in chat.staff("/contacts").text  # still there for staff
    # Without an open request, nothing is said.
    chat.survey("r2", SUPPLIER[:-2])
    assert "仍然有效" not in chat.send("r2", "4").text


def test_unclaimed_first_and_the_mine_open_all_views(chat: Chat) -> None:
    for user in ("r1", "r2", "r3"):
        chat.survey(user, RIGHT_NOW)
    chat.staff("/claim 1")
    chat.staff("/claim 2", channel=Channel.TELEGRAM)
    listing = chat.staff("/contacts").text
    order = [listing.index(f"C-00000{n}｜") for n in (3, 1, 2)]
    assert order == sorted(order)  # the unclaimed one first, then claims oldest first
    mine = chat.staff("联系 我的").text
    assert "C-000001" in mine and "C-000002" not in mine and "C-000003" not in mine
    unclaimed = chat.staff("/contacts open").text
    assert "C-000003" in unclaimed and "C-000001" not in unclaimed
    assert "员工 Staff 2" in chat.staff("/contacts").text  # the unnamed Telegram staff


def test_others_are_told_and_requests_can_be_given_back_or_assigned(chat: Chat) -> None:
    chat.survey("r1", RIGHT_NOW)
    before = len(alerts(chat))
    chat.staff("/claim 1")
    told = alerts(chat)[before:]
    assert [(c, r) for c, r, _ in told] == [("telegram", "900")]
    assert "王芳 认领了联系请求 C-000001" in told[0][2] and "王芳 claimed" in told[0][2]
    assert "13800138000" not in told[0][2]

    refused = chat.staff("/unclaim 1", channel=Channel.TELEGRAM).text
    assert "C-000001 已被 王芳 认领" in refused
    back = chat.staff("退回 1").text
    assert "C-000001 已退回 is open again" in back
    assert "王芳 退回了联系请求 C-000001" in alerts(chat)[-1][2]
    assert "C-000001 还没有人认领" in chat.staff("/unclaim 1").text

    assigned = chat.staff("/assign 1 staff 2").text
    assert "C-000001 已指派给 is assigned to 员工 Staff 2" in assigned
    notice = alerts(chat)[-1]
    assert notice[:2] == ("telegram", "900")
    assert "王芳 把联系请求 C-000001 指派给了您" in notice[2] and "张三" in notice[2]
    assert "已认领 claimed：员工 Staff 2" in chat.staff("/contacts").text
    assert "没有员工“老李”" in chat.staff("指派 1 老李").text
    assert "Name the staff member too, e.g. /assign 1 王芳" in chat.staff("/assign 1").text
    with Session(chat.runtime.engine) as session:
        assert find_contact(session=session, ref=1).claimed_by == "telegram:900"


def test_whoever_had_a_request_assigned_to_someone_else_is_told_it_was_theirs(
    chat: Chat,
) -> None:
    chat.survey("r1", RIGHT_NOW)
    chat.staff("/claim 1")  # 王芳
    before = len(alerts(chat))
    chat.staff("/assign 1 staff 2", channel=Channel.TELEGRAM)  # taken over
    told = [t for c, r, t in alerts(chat)[before:] if (c, r) == ("wechat", "o_staff")]
    assert len(told) == 1
    assert "员工 Staff 2 把联系请求 C-000001 指派给了 员工 Staff 2。此请求原由您认领" in told[0]
    assert "It was yours: it is theirs to follow up now." in told[0]
    assert "13800138000" not in told[0]


def test_assign_without_a_name_and_an_unknown_list_are_told_what_to_write(chat: Chat) -> None:
    chat.survey("r1", RIGHT_NOW)
    whom = chat.staff("/assign 1").text
    assert "请同时写上员工，例如：/assign 1 王芳" in whom
    assert "Name the staff member too, e.g. /assign 1 王芳. Staff: 王芳, 员工 Staff 2" in whom
    unknown = chat.staff("/contacts foo").text
    assert 'No list "foo": /contacts (unclaimed first), /contacts mine' in unknown
    assert "C-000001" not in unknown  # no list shown for a word it does not know
    assert [e.action for e in chat.audit()][-2:] == [
        "contact_assigned_failed",
        "contacts_viewed_failed",
    ]


def test_claim_and_done_errors(chat: Chat) -> None:
    chat.survey("r1", RIGHT_NOW)
    assert "没有编号为 C-000999 的联系请求" in chat.staff("/claim C-999").text
    assert "There is no contact request C-000042" in chat.staff("/done 42").text
    assert "/claim C-000012" in chat.staff("/claim").text  # usage
    chat.staff("/claim 1")
    other = chat.staff("/claim 1", channel=Channel.TELEGRAM).text
    assert "C-000001 is claimed by 王芳: nothing was changed" in other
    assert "已被 王芳 认领，未做更改。如需接手，请先与 王芳 商量，再用 /assign C-000001" in other
    assert "is claimed by 王芳" in chat.staff("/done 1", channel=Channel.TELEGRAM).text
    chat.staff("完成 1")
    assert "C-000001 is done already" in chat.staff("/done 1").text
    assert "C-000001 is done already" in chat.staff("/claim 1", channel=Channel.TELEGRAM).text
    actions = [(e.actor, e.action) for e in chat.audit()]
    assert actions == [
        ("wechat:o_staff", "contact_claimed_failed"),
        ("wechat:o_staff", "contact_done_failed"),
        ("wechat:o_staff", "contact_claimed_failed"),
        ("wechat:o_staff", "contact_claimed"),
        ("telegram:900", "contact_claimed_failed"),
        ("telegram:900", "contact_done_failed"),
        ("wechat:o_staff", "contact_done"),
        ("wechat:o_staff", "contact_done_failed"),
        ("telegram:900", "contact_claimed_failed"),
    ]


def test_unclaimed_requests_are_brought_up_again_after_the_configured_hours(chat: Chat) -> None:
    chat.survey("r1", RIGHT_NOW)
    created = chat.now
    first_alerts = len(alerts(chat))
    staff = (("wechat", "o_staff"), ("telegram", "900"))

    def run_at(hours: float) -> list[str]:
        renotifier = Renotifier(
            chat.runtime.engine,
            staff=staff,
            after_hours=24,
            clock=lambda: created + timedelta(hours=hours),
        )
        return renotifier.run_once()

    assert run_at(23) == []
    assert run_at(24.5) == ["C-000001"]
    reminders = alerts(chat)[first_alerts:]
    assert [(c, r) for c, r, _ in reminders] == list(staff)
    assert "提醒：联系请求 C-000001" in reminders[0][2] and "over 24 hours" in reminders[0][2]
    assert run_at(25) == []  # reminded at 24.5 h: next one due at 48.5 h
    assert run_at(48.6) == ["C-000001"]
    chat.now = created + timedelta(hours=49)
    chat.staff("/claim 1")
    assert run_at(80) == []  # claimed: nobody is reminded any more


async def test_the_app_runs_the_re_notification_job(db_url: str) -> None:
    runtime = make_runtime(db_url, renotify_hours=1)
    chat = Chat(runtime, now=START - timedelta(hours=3))  # the request is 3 hours old
    chat.survey("r1", RIGHT_NOW)
    before = len(alerts(chat))
    app = create_app(runtime.settings, runtime=runtime)
    try:
        async with app.router.lifespan_context(app):
            for _ in range(100):
                if len(alerts(chat)) > before:
                    break
                await asyncio.sleep(0.05)
        assert len(alerts(chat)) == before + 2
    finally:
        runtime.engine.dispose()
