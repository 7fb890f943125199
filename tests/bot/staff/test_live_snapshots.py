"""Respondent-side figures through the real dispatcher: the peer snapshot after each
answer (withheld below the privacy threshold), the completion summary with its peer
segment, and the completion chart image."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Iterator

import pytest

from bot.dispatch.envelope import Channel, Envelope
from bot.dispatch.service import Service, ServiceConfig
from bot.workers.completion_charts import ChartWorker
from flows.events import Inbound, Intent
from flows.model import Flow
from tests.bot.staff.conftest import OEM, SUPPLIER, Chat, make_runtime

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def live(db_url: str) -> Iterator[Chat]:
    """The default privacy thresholds: k = 5, segments 10, cells 3."""
    runtime = make_runtime(db_url, snapshot_min_respondents=5)
    try:
        yield Chat(runtime)
    finally:
        runtime.engine.dispose()


def with_flow(chat: Chat, **changes: object) -> Flow:
    """Run a changed survey (e.g. another `snapshots:` mode) on the same database."""
    flow = dataclasses.replace(chat.runtime.flow, _index={}, **changes)
    config = ServiceConfig(snapshot_min_respondents=5)
    chat.runtime.service = Service(chat.runtime.engine, flow, config=config)
    return flow


def after_recorded(text: str) -> str:
    """The reply after its "✓ 已记录 / Recorded" line (issue 17), which always opens it."""
    assert text.startswith("✓ "), text
    return text.split("\n\n", 1)[1]


def after_role(chat: Chat, user: str, language: str = "3", role: str = "2") -> str:
    chat.send(user, intent=Intent.START)
    chat.send(user, language)
    return after_recorded(chat.send(user, role).text)


def after_commodity(chat: Chat, user: str, commodity: str, language: str = "3") -> str:
    after_role(chat, user, language)
    return after_recorded(chat.send(user, commodity).text)


def test_no_snapshot_below_five_respondents_then_one_line_in_the_reply(live: Chat) -> None:
    for user in ("s1", "s2", "s3", "s4"):
        text = after_role(live, user)
        assert text.startswith("【2/")  # straight to the next question: nothing to compare yet
        assert "受访者" not in text and "respondents" not in text
    fifth = after_role(live, "s5")
    # Five suppliers: the four others all chose it too, so "most", never "100%".
    assert fifth.splitlines()[0] == (
        "5 位受访者中，您和大多数其他人（最多 2 人例外）选择了“供应商”。 / "
        "Of 5 respondents, you and most others (all but at most 2) chose Supplier."
    )
    assert "【2/" in fifth  # the snapshot opens the message that asks the next question


_ALONE_ZH = "5 位受访者中，您和大多数其他人（最多 2 人例外）选择了“内饰”；目前只有您选择了“底盘”。"
_ALONE_EN = (
    "Of 5 respondents, you and most others (all but at most 2) chose Interior; "
    "so far only you chose Chassis."
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("中文", _ALONE_ZH), ("English", _ALONE_EN), ("3", f"{_ALONE_ZH} / {_ALONE_EN}")],
)
def test_seen_nobody_else_chose_it_is_said_without_a_percentage(
    live: Chat, language: str, expected: str
) -> None:
    """Seen: "Of 5 respondents, 20.00% also chose Assy Components" when only the
    respondent themself had chosen it."""
    for user in ("s1", "s2", "s3", "s4"):
        after_commodity(live, user, "1")
    text = after_commodity(live, "s5", "1,4", language)
    assert text.splitlines()[0] == expected
    assert "%" not in text.splitlines()[0]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("中文", "8 位受访者中，您和另外 3 人选择了“内饰”（4/8，50%）。"),
        ("English", "Of 8 respondents, you and 3 others chose Interior (4 of 8, 50%)."),
        (
            "3",
            "8 位受访者中，您和另外 3 人选择了“内饰”（4/8，50%）。 / "
            "Of 8 respondents, you and 3 others chose Interior (4 of 8, 50%).",
        ),
    ],
)
def test_also_is_about_the_others_on_a_named_base(live: Chat, language: str, expected: str) -> None:
    for user, commodity in zip(("s1", "s2", "s3", "s4", "s5", "s6", "s7"), "1112222", strict=True):
        after_commodity(live, user, commodity)
    text = after_commodity(live, "s8", "1", language)
    assert text.splitlines()[0] == expected


def summary_of(chat: Chat, user: str) -> str:
    """The menu's Results, as tapped."""
    return chat.send(user, intent=Intent.RESULTS).text


def test_typed_results_give_what_the_menu_gives(live: Chat) -> None:
    """ "结果" / "results" typed, as people do who have no menu at hand: the same figures."""
    for user, commodity in zip(("s1", "s2", "s3", "s4", "s5", "s6"), "111222", strict=True):
        after_commodity(live, user, commodity)
    after_commodity(live, "s7", "1", "English")
    tapped = summary_of(live, "s7")
    assert "Results so far" in tapped
    for word in ("results", "结果", "show results"):
        assert live.send("s7", word).text == tapped, word


def test_seen_every_row_states_its_own_base(live: Chat) -> None:
    """Seen: a header "Results so far (8 respondents)" above rows computed on 7."""
    for user, commodity in zip(("s1", "s2", "s3", "s4", "s5", "s6"), "111222", strict=True):
        after_commodity(live, user, commodity)
    after_role(live, "o1", role="1")  # an OEM: never asked the commodity
    text = after_commodity(live, "s7", "1", "English")
    results = summary_of(live, "s7")
    assert "Results so far (only the questions you have answered):" in results
    assert "Are you an OEM or a Supplier? (of 8 respondents)" in results
    assert "Supplier most (incl. you)" in results  # 6 of the 7 others: "all but 1"
    commodity_row = results.split("(of 7 respondents)")[1].splitlines()[1]
    assert "Interior 57% (incl. you)" in commodity_row  # 4 of 7, on its own base of 7
    assert "Exterior 43%" in commodity_row
    assert "Body" not in commodity_row  # nobody's choice: "a few" leads no list
    assert text.startswith("Of 7 respondents, you and 3 others chose Interior (4 of 7, 57%).")
    assert "(8 respondents)" not in results


def test_results_cover_only_the_questions_already_answered(live: Chat) -> None:
    """Seen: at question 5, the menu's Results showed questions 5-14 before they were
    answered."""
    for user in ("s1", "s2", "s3", "s4", "s5"):
        live.survey(user, SUPPLIER)
    after_commodity(live, "s6", "1", "English")
    live.send("s6", "2")  # function
    results = summary_of(live, "s6")
    flow = live.runtime.flow
    for answered in ("role", "commodity", "function"):
        assert f"{flow.question(answered).text.en} (of 6 respondents)" in results
    figures = results.split("[4/")[0]  # the next question is asked again below them
    for later in flow.questions[flow.position("function") + 1 :]:
        assert later.text.en not in figures
    assert "[4/" in results


def test_results_before_any_answer_say_when_they_appear(live: Chat) -> None:
    for user in ("s1", "s2", "s3", "s4", "s5"):
        live.survey(user, SUPPLIER)
    live.send("n1", intent=Intent.START)
    live.send("n1", "English")
    results = summary_of(live, "n1")
    assert "Results appear here for the questions you have answered." in results
    assert "%" not in results.split("Results appear")[1].split("\n")[0]


def test_on_completion_shows_nothing_before_the_end(live: Chat) -> None:
    from flows.model import SnapshotMode

    for user in ("s1", "s2", "s3", "s4", "s5"):
        live.survey(user, SUPPLIER)
    with_flow(live, snapshots=SnapshotMode.ON_COMPLETION)
    text = after_role(live, "s6", language="English")
    assert text.startswith("[2/")  # no figure after the answer
    assert summary_of(live, "s6").startswith(
        "This survey shows its results once you have answered all its questions."
    )
    done = live.survey("s7", SUPPLIER).text
    assert "results so far" in done and "结果" in done


def test_snapshots_off_show_no_figure_at_all(live: Chat) -> None:
    from flows.model import SnapshotMode

    for user in ("s1", "s2", "s3", "s4", "s5"):
        live.survey(user, SUPPLIER)
    with_flow(live, snapshots=SnapshotMode.OFF)
    done = live.survey("s6", SUPPLIER)
    assert "受访者中" not in done.text and "respondents" not in done.text
    assert summary_of(live, "s6").startswith("本调查不向受访者显示结果。")
    assert not [item for item in live.outbox() if item.kind == "image"]  # no chart either
    english = after_recorded(live.survey("s7", ["English", "2"]).text)
    assert english.startswith("[2/")


def test_a_question_can_switch_its_snapshot_off(live: Chat) -> None:
    flow = live.runtime.flow
    quiet = tuple(
        dataclasses.replace(q, snapshot=False) if q.id == "role" else q for q in flow.questions
    )
    with_flow(live, questions=quiet)
    for user in ("s1", "s2", "s3", "s4", "s5"):
        assert after_role(live, user).startswith("【2/")
    # Other questions keep theirs.
    for user in ("s1", "s2", "s3", "s4"):
        live.send(user, "1")
    assert after_recorded(live.send("s5", "1").text).startswith("5 位受访者中")


def draw_charts(chat: Chat, *, channels: tuple[str, ...] = ("wechat",)) -> dict[str, bytes]:
    """Run the chart worker once; recipient → PNG queued for delivery."""
    runtime = chat.runtime
    worker = ChartWorker(
        runtime.engine, runtime.flow, channels=channels, min_respondents=3, clock=lambda: chat.now
    )
    worker.run_once()
    images = {}
    for item in chat.outbox():
        if item.kind == "image" and item.status == "pending":
            (image,) = json.loads(item.payload_json)["images"]
            images[item.recipient] = base64.b64decode(image)
    return images


def test_seen_a_segment_of_five_is_not_compared(live: Chat) -> None:
    """Seen: "Compared with 5 suppliers like you (Chassis): … No 100.00%" told every
    Chassis supplier how each of the other four answered."""
    for user in ("s1", "s2", "s3", "s4"):
        live.survey(user, SUPPLIER)
    text = live.survey("s5", SUPPLIER).text
    assert "results so far" in text and "目前的结果" in text
    assert "peers" not in text and "同组" not in text
    assert "100%" not in text and "100.0" not in text
    assert "✓否 No 大多数 most（5 人 of 5）" in text  # five unanimous answers: coarsened


@pytest.mark.parametrize(
    ("language", "base", "legend", "unanimous"),
    [
        ("中文", "（同组 10 人）", "（“同组”：与您同为供应商·内饰的受访者）", "✓ISO14064 大多数"),
        (
            "English",
            "(of 10 peers)",
            '("peers": respondents who, like you, are Supplier · Interior)',
            "✓ISO14064 most",
        ),
        (
            "3",
            "（同组 10 人 of 10 peers）",
            "（“同组 peers”：与您同为供应商·内饰的受访者 respondents who, like you, are "
            "Supplier · Interior）",
            "✓ISO14064 大多数 most",
        ),
    ],
)
def test_a_declared_segment_of_ten_replaces_everyone_s_figures_on_what_it_compares(
    live: Chat, language: str, base: str, legend: str, unanimous: str
) -> None:
    for number in range(9):
        live.survey(f"s{number}", SUPPLIER)
    live.survey("o1", OEM)
    text = live.survey("s9", [language, *SUPPLIER[1:]]).text
    assert legend in text
    lines = {line.split(". ", 1)[0]: line for line in text.splitlines() if ". " in line}
    assert unanimous in lines["6"] and lines["6"].endswith(base)
    # What defines the segment is not compared: the respondent's own answer, no figure.
    for number in ("1", "2"):
        assert base not in lines[number] and "most" not in lines[number], lines[number]
        assert "大多数" not in lines[number]
    # Everyone's figures are not shown beside the segment's on the same questions: the
    # difference would be the OEM's answers.
    assert "of 11)" not in text and "11 人" not in text
    assert "100%" not in text


def test_an_oem_gets_no_supplier_segment(live: Chat) -> None:
    for number in range(10):
        live.survey(f"s{number}", SUPPLIER)
    done = live.survey("o1", OEM).text
    assert "Your answers (✓) and the results so far (of those who answered):" in done
    # Nobody else is an OEM, but of two options "only you" would tell that every other
    # respondent is a supplier: coarsened. Of several, it is said without a percentage.
    assert "1. Supplier most; ✓OEM a few (of 11)" in done
    assert "6. ISO14064 most; GHG Protocol most; ✓Not Yet Determined only you (of 11)" in done
    assert "peers" not in done


def test_the_completion_chart_follows_through_the_outbox(chat: Chat) -> None:
    chat.survey("s1", SUPPLIER)
    assert draw_charts(chat) == {}  # alone: every question below the threshold, no chart
    later = {"s2", "s3", "s4", "s5"}
    for user in sorted(later):
        chat.survey(user, SUPPLIER)
    chat.survey("t1", SUPPLIER, channel=Channel.TELEGRAM)
    charts = draw_charts(chat)
    assert set(charts) == later  # drawn from today's figures (5 and more); s1's was dropped
    assert all(png.startswith(PNG) for png in charts.values())
    assert set(draw_charts(chat, channels=("telegram",))) == later | {"t1"}
    assert draw_charts(chat, channels=("wechat", "telegram")).keys() == later | {"t1"}


def test_no_chart_for_a_respondent_who_deleted_their_data(chat: Chat) -> None:
    for user in ("s1", "s2", "s3", "s4", "s5", "s6"):
        chat.survey(user, SUPPLIER)
    chat.send("s6", "删除我的数据")
    chat.send("s6", "是")
    assert set(draw_charts(chat)) == {"s1", "s2", "s3", "s4", "s5"}


def test_a_retried_chart_command_gets_its_reply_again_and_one_chart(chat: Chat) -> None:
    """WeChat retries a push whose reply it did not get: the stored reply, and the chart
    queued once (it is drawn and sent through the outbox)."""
    for user in ("s1", "s2", "s3"):
        after_role(chat, user)
    envelope = Envelope(Channel.WECHAT, "o_staff", "retry-chart", Inbound(chat.now, "/chart 1"))
    first = chat.runtime.service.handle_sync(envelope)
    again = chat.runtime.service.handle_sync(envelope)
    assert not first.duplicate and again.duplicate
    assert "图表生成中" in first.messages[0].text
    assert again.messages == first.messages
    assert len([o for o in chat.outbox() if o.kind == "staff_chart"]) == 1


def test_peer_segments_stay_exact_through_edits_restarts_and_deletions(chat: Chat) -> None:
    """The dispatcher keeps the segment counters from the states before and after each
    step; whatever respondents type, they equal a recount from the answer rows."""
    import random

    from storage.consistency import verify
    from storage.transactions import transaction

    rng = random.Random(5)
    users = ["s1", "s2", "s3", "o1"]
    for user in users[:3]:
        chat.survey(user, SUPPLIER)
    chat.survey("o1", OEM)
    texts = ["修改 1", "修改 2", "1", "2", "1,4", "3 5", "返回", "跳过", "重新开始", "是",
             "否", "删除我的数据", "2、7", "中文", "9", "你好"]  # fmt: skip
    for _ in range(160):
        chat.send(rng.choice(users), rng.choice(texts))
        with transaction(chat.runtime.engine) as session:
            assert verify(session=session, flow=chat.runtime.flow) == []
