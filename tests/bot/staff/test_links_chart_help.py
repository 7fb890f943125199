"""/export and /dashboard links, /chart images, the staff help, and what others get."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlmodel import Session, select

from bot.app.asgi import create_app
from bot.dispatch.envelope import Channel
from bot.staff.signing import EXPORT_TTL_S, Signer, load_signer
from bot.workers.completion_charts import ChartWorker
from storage.models import KeyValue, Outbox
from tests.bot.staff.conftest import OEM, PUBLIC_URL, SECRET, SUPPLIER, Chat, make_runtime

PNG = b"\x89PNG\r\n\x1a\n"


def grant_member(signer: Signer, token: str) -> str:
    """The staff member an export token was made for (its subject is a JSON grant)."""
    return str(json.loads(signer.verify("export", token, max_age=EXPORT_TTL_S))["member"])


def links(text: str) -> list[str]:
    return [word for line in text.splitlines() for word in line.split("：") if "://" in word]


def test_export_links_are_signed_for_the_staff_member(chat: Chat) -> None:
    text = chat.staff("/export").text
    csv_url, xlsx_url, sav_url = links(text)
    assert csv_url.startswith(f"{PUBLIC_URL.rstrip('/')}/export/csv?survey=aiag_carbon&token=")
    assert xlsx_url.startswith(f"{PUBLIC_URL.rstrip('/')}/export/xlsx?survey=aiag_carbon&token=")
    assert sav_url.startswith(f"{PUBLIC_URL.rstrip('/')}/export/sav?survey=aiag_carbon&token=")
    assert "SPSS (.sav)：" in text
    token = parse_qs(urlsplit(csv_url).query)["token"][0]
    assert grant_member(Signer(SECRET), token) == "wechat:o_staff"
    assert "10 分钟内有效" in text and chat.staff("导出").text.count("token=") == 3
    telegram = chat.staff("/export", channel=Channel.TELEGRAM).text
    token = parse_qs(urlsplit(links(telegram)[0]).query)["token"][0]
    assert grant_member(Signer(SECRET), token) == "telegram:900"
    assert [e.action for e in chat.audit()] == ["export_link", "export_link", "export_link"]


async def test_the_export_link_downloads_from_the_web_app(chat: Chat) -> None:
    chat.survey("s1", SUPPLIER)
    url = links(chat.staff("/export").text)[0]
    app = create_app(chat.runtime.settings, runtime=chat.runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        response = await client.get(url.removeprefix(PUBLIC_URL.rstrip("/")))
    assert response.status_code == 200, response.text[:300]


def test_dashboard_link(chat: Chat) -> None:
    text = chat.staff("/dashboard").text
    (url,) = links(text)
    assert url.startswith(f"{PUBLIC_URL.rstrip('/')}/dashboard/login?token=")
    token = parse_qs(urlsplit(url).query)["token"][0]
    assert Signer(SECRET).verify("dashboard", token, max_age=60) == "wechat:o_staff"
    assert "12 小时内有效" in text


def _drawn_images(chat: Chat) -> list[Outbox]:
    """Run the chart worker once, as the app's background task does; the image rows."""
    ChartWorker(
        chat.runtime.engine, chat.runtime.catalog, channels=("wechat", "telegram"),
        min_respondents=3,
    ).run_once()  # fmt: skip
    return [o for o in chat.outbox() if o.kind == "image"]


def test_chart_answers_at_once_and_the_image_follows_through_the_outbox(chat: Chat) -> None:
    chat.survey("s1", SUPPLIER)
    chat.survey("o1", OEM)
    outcome = chat.staff("/chart 4")
    (message,) = outcome.messages
    assert message.image_png is None  # nothing drawn on the reply path
    assert message.text.startswith("【4】贵公司是否有减碳政策")
    assert "图表生成中" in message.text and "drawing the chart" in message.text
    assert "2 respondents" in message.text and "截至 As of" in message.text
    queued = [o for o in chat.outbox() if o.kind == "staff_chart"]
    assert [(o.channel, o.recipient, o.status) for o in queued] == [("wechat", "o_staff", "render")]
    (image,) = _drawn_images(chat)
    assert (image.channel, image.recipient, image.status) == ("wechat", "o_staff", "pending")
    png = base64.b64decode(json.loads(image.payload_json)["images"][0])
    assert png.startswith(PNG)
    chat.staff("图表 carbon_policy 筛选 1=主机厂", channel=Channel.TELEGRAM)
    images = _drawn_images(chat)
    assert images[-1].recipient == "900" and images[-1].payload_json != image.payload_json
    free_text = chat.staff("/chart 10a").messages[0]
    assert "not a choice question" in free_text.text and "图表生成中" not in free_text.text
    assert "请写上题号" in chat.staff("/chart").text
    assert [json.loads(e.detail).get("question") for e in chat.audit()][:3] == [
        "carbon_policy",
        "carbon_policy",
        "reporting_explain",
    ]
    assert len([o for o in chat.outbox() if o.kind in ("staff_chart", "image")]) == 2


def test_a_chart_of_an_unanswered_question_is_not_drawn(chat: Chat) -> None:
    text = chat.staff("/chart 4").text
    assert "还没有人回答，没有图表" in text and "no answers yet" in text
    assert not [o for o in chat.outbox() if o.kind == "staff_chart"]


def test_staff_help_lists_the_commands(chat: Chat) -> None:
    text = chat.staff("/help").text
    for command in ("/stats", "/progress", "/contacts", "/claim", "/done", "/export",
                    "/broadcast", "/chart", "/dashboard", "/confirm"):  # fmt: skip
        assert command in text
    # Staff are never respondents: a word that is no staff command gets the staff help.
    for word in ("help", "完成", "你好"):
        assert "/stats" in chat.staff(word).text, word
        assert "没有命令" not in chat.staff(word).text, word
    # A mistyped command is named, with the one it is closest to, above the help.
    typo = chat.staff("/stat 1").text
    said = "没有命令 /stat，您是要 /stats 吗？No command /stat: did you mean /stats?"
    assert typo.startswith(said)
    assert "/progress" in typo
    unknown = chat.staff("/xyzzy").text
    assert unknown.startswith("没有命令 /xyzzy。No command /xyzzy.\n")


def test_non_staff_learn_nothing_privileged(chat: Chat) -> None:
    chat.survey("s1", SUPPLIER[:4])  # mid-survey
    for text in ("/stats", "/stats 1", "/progress", "/contacts", "/export", "/dashboard",
                 "/chart 4", "/claim 1", "/broadcast hi", "/confirm", "/help"):  # fmt: skip
        reply = chat.send("s1", text).text
        assert "选项 百分比" not in reply and "Respondents n =" not in reply, text
        assert "token=" not in reply and "Staff commands" not in reply, text
        assert "/claim" not in reply and "Broadcast" not in reply, text
    unknown = chat.send("s1", "/stats").text
    assert "Unknown command" in unknown and "【4/" in unknown  # the help, then the question
    assert chat.send("s1", "/help").messages[0].text.startswith("使用说明")
    with Session(chat.runtime.engine) as session:
        assert session.exec(select(KeyValue).where(KeyValue.key.startswith("staff:"))).all() == []
        assert session.exec(select(Outbox)).all() == []
    denied = [(e.actor, e.action, json.loads(e.detail)["command"]) for e in chat.audit()]
    assert denied[0][1:] == ("staff_denied", "stats")
    assert {action for _, action, _ in denied} == {"staff_denied"}
    # A respondent, not staff: a keyed hash, the same for each attempt (counted, unnamed).
    assert {actor for actor, _, _ in denied} == {denied[0][0]}
    assert denied[0][0].startswith("anon:") and "s1" not in denied[0][0]
    assert len(denied) == 11  # every slash attempt but /help (the respondents' help too)


def test_without_a_configured_key_links_use_the_one_kept_in_the_database(db_url: str) -> None:
    runtime = make_runtime(db_url, secret_key=None)
    try:
        text = Chat(runtime).staff("/export").text
        token = parse_qs(urlsplit(links(text)[0]).query)["token"][0]
        signer = load_signer(runtime.engine, None)  # what the web app checks with
        assert grant_member(signer, token) == "wechat:o_staff"
    finally:
        runtime.engine.dispose()


def test_no_staff_configured_no_staff_hook(db_url: str) -> None:
    runtime = make_runtime(db_url, staff_raw="")
    try:
        assert runtime.service.staff_handler is None
        assert "token=" not in Chat(runtime).send("anyone", "/export").text
    finally:
        runtime.engine.dispose()


def test_staff_numbers_are_the_respondents_numbers(chat: Chat) -> None:
    # Issue 17: "/stats 13" is what every respondent saw as 【13/14】, whatever their branch.
    chat.survey("s1", SUPPLIER)
    assert chat.staff("/stats 13").text.startswith("【13】您需要AIAG提供哪些碳中和信息")
    assert chat.staff("/stats 10a").text.startswith("【10a】如果是请说明")
    assert chat.staff("/stats 3").text.startswith("【3】您在哪一个组织")
