"""Fuzzing `/wechat` on the real app and a real database, as WeChat (or an attacker) would.

Given a respondent already mid-survey, a forged or garbage push (unsigned, truncated XML,
entity bombs, oversized CDATA, wrong encodings, bad ciphertext) is refused with 400, 403
or 413 and leaves every table exactly as it was. A genuine, correctly signed push whose
text is hostile gets a well-formed reply whose content was never evaluated as a template;
free text echoed back ("my answers") keeps the XML well-formed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import xml.sax.saxutils
from collections.abc import AsyncIterator, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from defusedxml.ElementTree import fromstring
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.applications import Starlette

from bot.app.asgi import create_app
from bot.channels.wechat.errors import MalformedMessage
from bot.channels.wechat.xml import MAX_BODY_BYTES, parse_message
from bot.devtools.wechat_sim import ACCOUNT_ID, WeChatSimulator
from bot.settings import load_settings
from flows.answer_parsing import Parsed, normalize, parse_answer
from flows.commands import parse_command
from storage.models import Answer, Outbox, Respondent
from tests.fuzz.strategies import (
    AES_KEY,
    APP_ID,
    ENTITY_BOMBS,
    TOKEN,
    WRONG_ENCODINGS,
    XML_INVALID,
    Forgery,
    answer_like,
    db_state,
    evaluated_probes,
    forge,
    forgeries,
    fuzz,
    garbage_queries,
    hostile_texts,
    near_limit_push,
    postgres_only,
    row_counts,
    short_hostile_texts,
    sqlite_only,
)

REPLY_TAGS = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content"]
SAFE_REPLY_TAGS = ["Encrypt", "MsgSignature", "TimeStamp", "Nonce"]
SEEDED = "o_seeded"
URL = "http://wechat.test/wechat"


@dataclass
class App:
    app: Starlette
    client: httpx.AsyncClient
    plain: WeChatSimulator
    safe: WeChatSimulator
    # The same database served in plain mode (no EncodingAESKey): a keyed app refuses
    # every plaintext push, so plaintext parsing is fuzzed here.
    plain_app: Starlette
    plain_client: httpx.AsyncClient
    msg_ids: Iterator[int] = field(default_factory=lambda: itertools.count(10**12))
    echo_ready: bool = False

    @property
    def engine(self) -> Engine:
        engine: Engine = self.app.state.runtime.engine
        return engine

    def sim(self, mode: str) -> WeChatSimulator:
        return self.safe if mode == "safe" else self.plain


@pytest.fixture
async def wechat(db_url: str) -> AsyncIterator[App]:
    """The real app (as tests/bot/wechat_harness builds it), with a respondent mid-survey.

    Snapshots are off (a huge minimum): with many fuzz respondents a peer percentage could
    print a "49" and look like an evaluated `{{ 7*7 }}`.
    """
    common: dict[str, object] = {
        "database_url": db_url,
        "wechat_token": TOKEN,
        "wechat_app_id": APP_ID,
        "wechat_app_secret": "fuzz-secret",  # outbox available: long replies are queued
        "wechat_api_base_url": "http://127.0.0.1:9",  # never called: no lifespan, no worker
        "snapshot_min_respondents": 1_000_000,
    }
    app = create_app(load_settings(**common, wechat_encoding_aes_key=AES_KEY))
    plain_app = create_app(load_settings(**common))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=30)
    plain_client = httpx.AsyncClient(transport=httpx.ASGITransport(app=plain_app), timeout=30)
    plain = WeChatSimulator(TOKEN, APP_ID, None, "http://wechat.test", client=plain_client)
    safe = WeChatSimulator(TOKEN, APP_ID, AES_KEY, "http://wechat.test", client=client)
    try:
        for text in ("hi", "1", "2"):  # welcome, language, role = supplier
            assert (await plain.send_text(SEEDED, text)).status == 200
        yield App(app, client, plain, safe, plain_app, plain_client)
    finally:
        await client.aclose()
        await plain_client.aclose()
        app.state.runtime.engine.dispose()
        plain_app.state.runtime.engine.dispose()


def _assert_well_formed(body: str, sim: WeChatSimulator, sent_xml: str) -> str | None:
    """The reply parses (and, in safe mode, verifies and decrypts); returns its Content."""
    if body in ("", "success"):
        return None
    root = fromstring(body, forbid_dtd=True)
    tags = [child.tag for child in root]
    if sim.crypto is not None:
        assert tags == SAFE_REPLY_TAGS, body
    message = sim.decode_reply(body)
    assert message is not None
    inner = body if sim.crypto is None else sim.crypto.decrypt(root.findtext("Encrypt") or "")
    # A `]]>` in echoed text must not have closed the CDATA and added elements.
    assert [child.tag for child in fromstring(inner, forbid_dtd=True)] == REPLY_TAGS, inner
    inbound = parse_message(sent_xml)
    assert (message.to_user, message.from_user) == (inbound.from_user, ACCOUNT_ID)
    assert message.msg_type == "text" and message.content
    return message.content


# --- refused: nothing changes -----------------------------------------------------------


@sqlite_only
@fuzz(400)
@given(forgery=forgeries)
@example(forgery=Forgery("plain", WRONG_ENCODINGS[0]))  # UTF-16 was parsed and answered
@example(forgery=Forgery("plain", WRONG_ENCODINGS[1]))  # UTF-16 without BOM: valid "UTF-8"
@example(forgery=Forgery("plain", WRONG_ENCODINGS[11]))  # declared Latin-1: mojibake stored
@example(forgery=Forgery("safe", WRONG_ENCODINGS[11]))
@example(forgery=Forgery("plain", ENTITY_BOMBS[0].encode()))
async def test_a_forged_or_garbage_push_is_refused_and_changes_nothing(
    wechat: App, forgery: Forgery
) -> None:
    await _refused_without_trace(wechat, forgery)


@postgres_only
@fuzz(100)
@given(forgery=forgeries)
async def test_a_forged_or_garbage_push_changes_nothing_on_postgres_either(
    wechat: App, forgery: Forgery
) -> None:
    await _refused_without_trace(wechat, forgery)


async def _refused_without_trace(wechat: App, forgery: Forgery) -> None:
    before = db_state(wechat.engine)
    params, body = forge(forgery, int(time.time()))
    # Every forgery is refused by the keyed app and by the plain-mode one alike.
    for app, client in ((wechat.app, wechat.client), (wechat.plain_app, wechat.plain_client)):
        if forgery.raw_query is not None:
            status, text = await _raw_post(app, forgery.raw_query, body)
        else:
            response = await client.post(
                URL, params=params, content=body, headers={"Content-Type": "text/xml"}
            )
            status, text = response.status_code, response.text
        assert status in {400, 403, 413}, (status, text)
    after = db_state(wechat.engine)
    assert row_counts(after) == row_counts(before)
    assert after == before


async def _raw_post(app: Starlette, query: bytes, body: bytes) -> tuple[int, str]:
    """POST straight through ASGI: a server hands over any query bytes, which httpx
    would refuse to send."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/wechat", "raw_path": b"/wechat", "query_string": query,
        "root_path": "", "client": ("127.0.0.1", 40000), "server": ("wechat.test", 80),
        "headers": [(b"host", b"wechat.test"), (b"content-type", b"text/xml"),
                    (b"content-length", str(len(body)).encode())],
    }  # fmt: skip
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks).decode("utf-8", "replace")


@sqlite_only
@fuzz(100)
@given(query=garbage_queries)
async def test_a_url_check_without_a_valid_signature_is_refused(
    wechat: App, query: dict[str, str]
) -> None:
    before = db_state(wechat.engine)
    response = await wechat.client.get(URL, params=query)
    assert response.status_code in {400, 403}
    assert db_state(wechat.engine) == before


# --- genuine pushes with hostile text ---------------------------------------------------


def _escaped_push(openid: str, content: str, msg_id: int, now: int) -> str:
    """A text push with entity-escaped text instead of CDATA (both are valid XML)."""

    def esc(value: str) -> str:
        return xml.sax.saxutils.escape(XML_INVALID.sub("", value))

    return (
        f"<xml><ToUserName>{ACCOUNT_ID}</ToUserName><FromUserName>{esc(openid)}</FromUserName>"
        f"<CreateTime>{now}</CreateTime><MsgType>text</MsgType>"
        f"<Content>{esc(content)}</Content><MsgId>{msg_id}</MsgId></xml>"
    )


def _push_for(sim: WeChatSimulator, kind: str, openid: str, text: str, msg_id: int) -> str:
    if kind == "escaped":
        return _escaped_push(openid, text, msg_id, sim.now())
    if kind == "voice":
        return sim.push_xml(
            openid, "voice", MediaId="m", Format="amr", Recognition=text, MsgId=msg_id
        )
    if kind in ("CLICK", "SCAN"):
        return sim.push_xml(openid, "event", Event=kind, EventKey=text)
    if kind == "subscribe":
        return sim.push_xml(openid, "event", Event="subscribe", EventKey="qrscene_" + text)
    return sim.push_xml(openid, "text", Content=text, MsgId=msg_id)


_openids = st.one_of(
    st.sampled_from(["o_walk_1", "o_walk_2", "o_walk_3", SEEDED]),
    short_hostile_texts,
)


@sqlite_only
@fuzz(300)
@given(
    text=st.one_of(hostile_texts, answer_like),
    openid=_openids,
    mode=st.sampled_from(["plain", "safe"]),
    kind=st.sampled_from(
        ["text", "text", "text", "escaped", "voice", "CLICK", "SCAN", "subscribe"]
    ),
    msg_id=st.integers(1, 2**63 - 1),
)
@example(text="{{ 7*7 }} ]]><MsgType>event</MsgType> <script>", openid="o_walk_1", mode="plain",
         kind="text", msg_id=1)  # fmt: skip
@example(text="x", openid="]]><ToUserName>gh_evil</ToUserName>", mode="safe", kind="text",
         msg_id=2)  # fmt: skip
async def test_hostile_text_in_a_genuine_push_gets_a_well_formed_reply(
    wechat: App, text: str, openid: str, mode: str, kind: str, msg_id: int
) -> None:
    sim = wechat.sim(mode)
    sent_xml = _push_for(sim, kind, openid, text, msg_id)
    params, body = sim.signed_push(sent_xml)
    before = db_state(wechat.engine) if len(body) > MAX_BODY_BYTES else None

    reply = await sim.post(params, body)

    if before is not None:
        assert reply.status == 413
        assert db_state(wechat.engine) == before
        return
    if not _parses(sent_xml):
        assert reply.status == 400  # e.g. an openid of nothing but spaces
        return
    assert reply.status == 200, (reply.status, reply.body)
    content = _assert_well_formed(reply.body, sim, sent_xml)
    if content is not None:
        assert evaluated_probes(text, content) == []


def _parses(xml_text: str) -> bool:
    try:
        parse_message(xml_text)
    except MalformedMessage:
        return False
    return True


@sqlite_only
@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_a_valid_push_just_under_the_size_limit_is_answered(wechat: App, mode: str) -> None:
    sim = wechat.sim(mode)
    xml_text = near_limit_push("字", 0 if mode == "plain" else 17_000, msg_id=99, openid="o_big")
    params, body = sim.signed_push(xml_text)
    assert len(body) <= MAX_BODY_BYTES
    reply = await sim.post(params, body)
    assert reply.status == 200
    _assert_well_formed(reply.body, sim, xml_text)  # or "success", when over budget


# --- echoed free text ---------------------------------------------------------------------

ECHO_USER = "o_echo"
EXPLAIN = "reporting_explain"


async def _texts(wechat: App, sim: WeChatSimulator, text: str) -> tuple[str, str]:
    """(the first part of the reply, the whole reply: passive part + queued tail).

    On a loaded machine the dispatcher may miss WeChat's reply budget: the route then
    answers "success" and queues the whole reply, which is waited for here.
    """
    last = _queued(wechat, 0)[0]
    sent_xml = sim.push_xml(ECHO_USER, "text", Content=text, MsgId=next(wechat.msg_ids))
    params, body = sim.signed_push(sent_xml)
    reply = await sim.post(params, body)
    assert reply.status == 200, reply.body
    content = _assert_well_formed(reply.body, sim, sent_xml)
    _, queued = _queued(wechat, last)
    for _ in range(300):
        if content is not None or queued:
            break
        await asyncio.sleep(0.05)
        _, queued = _queued(wechat, last)
    parts = [content, *queued] if content is not None else queued
    assert parts, "no reply, passive or queued"
    return parts[0], "\n".join(parts)


def _queued(wechat: App, after: int) -> tuple[int, list[str]]:
    """(the last outbox id, texts queued for the echo user after `after`)."""
    with Session(wechat.engine) as session:
        rows = session.exec(select(Outbox).where(col(Outbox.id) > after)).all()
    texts = [
        t
        for row in rows
        if row.recipient == ECHO_USER
        for t in json.loads(row.payload_json).get("texts", [])
    ]
    return max([after, *(row.id or 0 for row in rows)]), texts


def _stored_explain(wechat: App) -> str | None:
    with Session(wechat.engine) as session:
        respondent = session.exec(
            select(Respondent).where(Respondent.channel_user_id == ECHO_USER)
        ).one()
        row = session.exec(
            select(Answer)
            .where(Answer.respondent_id == respondent.id, Answer.question_id == EXPLAIN)
            .order_by(col(Answer.id).desc())
        ).first()
    return row.text if row else None


def _squash(value: str) -> str:
    return "".join(value.split())


def _is_answer(text: str) -> bool:
    """Neither a command nor "/…" (answered "unknown command", as is WeChat's "/::D")."""
    return parse_command(text) is None and not normalize(text).startswith("/")


@sqlite_only
@fuzz(60)
@given(
    text=short_hostile_texts.filter(_is_answer),
    mode=st.sampled_from(["plain", "safe"]),
)  # noqa: E501
@example(text="{{ 7*7 }} ]]> <script>alert(1)</script> {% raw %}", mode="plain")
@example(text="]]]]><![CDATA[>{% endraw %}'; DROP TABLE answer; --", mode="safe")
# Free text was NFKC'd onto one line by the engine before parsing: "¸" was stored as a
# bare combining cedilla, newlines and "tCO₂e，" were lost (fixed in flows/engine.py).
@example(text="¸", mode="plain")
@example(text="第一行 tCO₂e，\n第二行 m²", mode="safe")
async def test_free_text_echoed_in_my_answers_stays_plain_text(
    wechat: App, text: str, mode: str
) -> None:
    sim = wechat.sim(mode)
    if not wechat.echo_ready:
        # English, OEM, then up to the free-text question "If Yes, please explain" (10a).
        for answer in ("hi", "2", "1", "1", "yes", "yes", "1", "1", "yes", "yes", "skip"):
            await _texts(wechat, sim, answer)
        wechat.echo_ready = True

    prompt, _ = await _texts(wechat, sim, "change 10a")
    assert "please explain" in prompt, prompt
    before = _stored_explain(wechat)
    await _texts(wechat, sim, text)
    question = wechat.app.state.runtime.flow.question(EXPLAIN)
    received = parse_message(sim.push_xml(ECHO_USER, "text", Content=text, MsgId=1)).content or ""
    parsed = parse_answer(question, received)
    if not isinstance(parsed, Parsed):
        assert _stored_explain(wechat) == before  # refused: nothing recorded
        return
    assert _stored_explain(wechat) == parsed.text
    _, mine = await _texts(wechat, sim, "my answers")
    assert parsed.text is not None and _squash(parsed.text) in _squash(mine), mine
    assert evaluated_probes(text, mine) == []
