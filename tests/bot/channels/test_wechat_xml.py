"""Parsing pushes defensively and building replies that cannot be broken by user text."""

from __future__ import annotations

import pytest

from bot.channels.wechat.errors import MalformedMessage, PayloadTooLarge
from bot.channels.wechat.xml import (
    MAX_BODY_BYTES,
    WeChatMessage,
    build_text_reply,
    extract_encrypt,
    parse_message,
)
from bot.devtools.wechat_sim import build_push_xml

HEAD: dict[str, str | int | None] = {
    "ToUserName": "gh_1",
    "FromUserName": "o_user",
    "CreateTime": 1700000000,
}


def test_text_message() -> None:
    xml = build_push_xml({**HEAD, "MsgType": "text", "Content": "第1题 B", "MsgId": 123})
    assert parse_message(xml.encode()) == WeChatMessage(
        to_user="gh_1", from_user="o_user", create_time=1700000000, msg_type="text",
        msg_id="123", content="第1题 B",
    )  # fmt: skip


def test_voice_with_recognition() -> None:
    xml = build_push_xml(
        {**HEAD, "MsgType": "voice", "MediaId": "m", "Recognition": "选B", "MsgId": 9}
    )
    msg = parse_message(xml)
    assert (msg.msg_type, msg.recognition, msg.content) == ("voice", "选B", None)


def test_subscribe_by_qr_code() -> None:
    xml = build_push_xml(
        {
            **HEAD,
            "MsgType": "event",
            "Event": "subscribe",
            "EventKey": "qrscene_expo",
            "Ticket": "T",
        }
    )
    msg = parse_message(xml)
    assert (msg.event, msg.event_key, msg.ticket, msg.msg_id) == (
        "subscribe",
        "qrscene_expo",
        "T",
        None,
    )


def test_empty_event_key_is_none() -> None:
    xml = build_push_xml({**HEAD, "MsgType": "event", "Event": "subscribe", "EventKey": ""})
    assert parse_message(xml).event_key is None


@pytest.mark.parametrize("missing", ["ToUserName", "FromUserName", "CreateTime", "MsgType"])
def test_required_fields(missing: str) -> None:
    fields = {**HEAD, "MsgType": "text", "Content": "x", "MsgId": 1}
    del fields[missing]
    with pytest.raises(MalformedMessage):
        parse_message(build_push_xml(fields))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml",
        b"<xml><ToUserName>a</ToUserName>",  # truncated
        b"<root><ToUserName>a</ToUserName></root>",  # wrong root
        build_push_xml({**HEAD, "MsgType": "text", "MsgId": 1}).encode(),  # text without Content
        build_push_xml({**HEAD, "MsgType": "event"}).encode(),  # event without Event
        build_push_xml(
            {**HEAD, "CreateTime": "yesterday", "MsgType": "text", "Content": "x"}
        ).encode(),
    ],
)
def test_malformed(body: bytes) -> None:
    with pytest.raises(MalformedMessage):
        parse_message(body)


def test_doctype_is_refused() -> None:
    body = b"<!DOCTYPE xml><xml><ToUserName>a</ToUserName></xml>"
    with pytest.raises(MalformedMessage):
        parse_message(body)


def test_billion_laughs_is_refused_before_expansion() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b"<xml><Content>&c;</Content></xml>"
    )
    with pytest.raises(MalformedMessage):
        parse_message(body)


def test_external_entity_is_refused() -> None:
    body = (
        b'<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>'
    )
    with pytest.raises(MalformedMessage):
        parse_message(body)


def test_body_over_64_kib_is_too_large() -> None:
    body = build_push_xml({**HEAD, "MsgType": "text", "Content": "x" * MAX_BODY_BYTES})
    with pytest.raises(PayloadTooLarge):
        parse_message(body.encode())


def test_first_occurrence_of_a_duplicated_tag_wins() -> None:
    xml = (
        "<xml><ToUserName>gh_1</ToUserName><FromUserName>o_real</FromUserName>"
        "<FromUserName>o_forged</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><Content>x</Content></xml>"
    )
    assert parse_message(xml).from_user == "o_real"


def test_extract_encrypt() -> None:
    assert (
        extract_encrypt(b"<xml><ToUserName>gh</ToUserName><Encrypt>QUJD</Encrypt></xml>") == "QUJD"
    )
    with pytest.raises(MalformedMessage):
        extract_encrypt(b"<xml><ToUserName>gh</ToUserName></xml>")


def test_text_reply_round_trips() -> None:
    xml = build_text_reply("o_user", "gh_1", 1700000000, "谢谢 🙏\n第2题")
    msg = parse_message(xml)
    assert (msg.to_user, msg.from_user, msg.msg_type, msg.content) == (
        "o_user", "gh_1", "text", "谢谢 🙏\n第2题",
    )  # fmt: skip


@pytest.mark.parametrize(
    "content",
    [
        "]]>",
        "a]]>b]]>c",
        "]]><MsgType>news</MsgType><![CDATA[",
        "]]]]>>",
        "<script>&amp;</script>",
    ],
)
def test_cdata_terminator_in_user_text_cannot_inject_xml(content: str) -> None:
    msg = parse_message(build_text_reply("o_user", "gh_1", 1, content))
    assert msg.content == content
    assert msg.msg_type == "text"


def test_control_characters_are_dropped_so_the_reply_stays_valid_xml() -> None:
    msg = parse_message(build_text_reply("o_user", "gh_1", 1, "a\x00b\x1fc\td"))
    assert msg.content == "abc\td"
