"""Hostile input for the fuzz suite, the probe that says whether a request changed
anything, and the suite's hypothesis settings.

- `hostile_texts`: what someone might type at the bot: SQL and template injection, CDATA
  breakers, markup, emoji, zero-width and bidi controls, control characters, 10 KB runs.
- WeChat: `Forgery` describes a push that must be refused (garbage or unsigned, truncated
  XML, entity bombs, oversized CDATA, wrong encodings, bad ciphertext); `forge` turns it
  into query parameters and a body at send time, since signatures need the current clock.
- Telegram: junk JSON values, and real updates with fields knocked out or replaced.
- `db_state(engine)`: every row of every table, compared around a refused request.
- `fuzz(n)`: hypothesis settings for tests that reuse one app (a function-scoped
  fixture) across their examples; `sqlite_only` / `postgres_only` pick the database.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, text

from bot.channels.wechat.xml import MAX_BODY_BYTES
from bot.devtools.wechat_sim import ACCOUNT_ID, build_push_xml, sign

# Tencent's sample Official Account (PLATFORM_NOTES), as tests/bot/wechat_harness uses.
TOKEN = "spamtest"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx2c2769f8efd9abc2"
FOREIGN_APP_ID = "wx0000000000000000"

# --- settings ---------------------------------------------------------------------------

_FUZZ = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one app per test, reused by every example
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


def fuzz(examples: int) -> settings:
    return settings(_FUZZ, max_examples=examples)


# `db_url` (tests/conftest.py) runs on SQLite and PostgreSQL; these pick one. The checks
# of "nothing changed" run on both, the rest on SQLite only.
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
postgres_only = pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

# --- the state probe ------------------------------------------------------------------


def db_state(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table (alembic's bookkeeping aside), order-independent.

    Row counts alone would miss an UPDATE (a session moved on, a respondent deactivated).
    """
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.connect() as conn:
        return {
            table: sorted(
                repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{table}"'))
            )
            for table in tables
        }


def row_counts(state: dict[str, list[str]]) -> dict[str, int]:
    return {table: len(rows) for table, rows in state.items()}


# --- hostile text -----------------------------------------------------------------------

# A template expression → what it renders to if some engine evaluated it. The result is
# looked for in replies and reports: finding it there means user text became code.
TEMPLATE_PROBES: dict[str, re.Pattern[str]] = {
    "{{ 7*7 }}": re.compile(r"(?<![0-9])49(?![0-9])"),
    "{{7*'7'}}": re.compile("7777777"),
    "{{ 1111*1111 }}": re.compile("1234321"),
    "{{ 'ab' * 3 }}": re.compile("ababab"),
    "{% for i in range(3) %}Z{% endfor %}": re.compile("ZZZ"),
    "${7*7}": re.compile(r"(?<![0-9])49(?![0-9])"),
    "#{7*7}": re.compile(r"(?<![0-9])49(?![0-9])"),
    "<%= 7*7 %>": re.compile(r"(?<![0-9])49(?![0-9])"),
}


def evaluated_probes(sent: str, reply: str) -> list[str]:
    """Template probes in `sent` whose evaluated result shows in `reply` (and not in `sent`).

    A probe shown as itself was not evaluated: then a "49" elsewhere (a live percentage
    such as "49.1 %" on the dashboard) is no evidence, and used to fail the check.
    """
    return [
        probe
        for probe, result in TEMPLATE_PROBES.items()
        if probe in sent and probe not in reply and result.search(reply) and not result.search(sent)
    ]


HOSTILE_SNIPPETS = [
    # SQL injection
    "'; DROP TABLE answer; --",
    "1' OR '1'='1",
    "1; DELETE FROM respondent;",
    '" OR ""="',
    "Robert'); DROP TABLE survey_session;--",
    "1 UNION SELECT channel_user_id FROM respondent --",
    "\\'; SELECT pg_sleep(10); --",
    # template injection (jinja2 and friends)
    *TEMPLATE_PROBES,
    "{% raw %}",
    "{% endraw %}",
    "{{ config }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ self }}",
    "{# unterminated comment",
    "{{",
    "}}",
    "{%",
    "%}",
    "{{ undefined_name }}",
    # XML / CDATA breakers and markup
    "]]>",
    "<![CDATA[",
    "]]><MsgType>event</MsgType><![CDATA[",
    "</Content><Content>",
    "]]]]><![CDATA[>",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<b>bold</b>",
    "&amp;&lt;&gt;&quot;&#39;",
    "&xxe;",
    "<!DOCTYPE x [<!ENTITY a 'b'>]>",
    "<?xml version='1.0'?>",
    # spreadsheet formulas (CSV / XLSX export)
    "=1+1",
    '=HYPERLINK("http://evil.example/","click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    # chat markup (Telegram parse modes, if one were ever switched on)
    "*bold* _it_ `code` [link](http://evil.example/)",
    # emoji, faces, width
    "😀",
    "👍🏽",
    "👨‍👩‍👧‍👦",
    "🇨🇳🇺🇸",
    "[呲牙]",
    "/::D",
    "１２３，Ｂ",
    "主机厂（ＯＥＭ）",
    # invisible and direction-changing characters
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e\u200f",
    "\u202a\u202b\u202c\u202d\u202e",
    "\u2066\u2067\u2068\u2069",
    "\ufeff",
    "\u2028\u2029",
    "\u0085",
    # control characters
    "\x00",
    "\x01\x02\x03",
    "\x07",
    "\x1b[31mred\x1b[0m",
    "\x7f",
    "\r\n",
    "\x0b\x0c",
    # printf / format strings and odd values
    "%s%s%s%n",
    "{0}{1}",
    "\\x00\\u0000",
    "null",
    "NaN",
    "-0",
    "9" * 400,
    # things the bot reacts to
    "/start",
    "/help@aiag_survey_bot",
    "修改 9",
    "返回",
    "跳过",
    "帮助",
    "我的答案",
    "1",
    "2",
    "是",
    "1,2、3",
    "",
    " ",
    "\n\n\n",
]

# Characters typed or pasted in the wild, surrogates excluded (they cannot be sent as
# UTF-8; the Telegram strategies add them back through JSON escapes).
_ANY_CHAR = st.characters(codec="utf-8")
_INVISIBLE = st.sampled_from(list("\u200b\u200c\u200d\u200e\u200f\u202a\u202e\u2066\u2069\ufeff"))
_CONTROL = st.characters(categories=["Cc"])

_fragments = st.lists(
    st.one_of(
        st.sampled_from(HOSTILE_SNIPPETS),
        st.sampled_from(HOSTILE_SNIPPETS),
        st.text(_ANY_CHAR, max_size=12),
        st.text(st.one_of(_INVISIBLE, _CONTROL), min_size=1, max_size=4),
    ),
    min_size=1,
    max_size=8,
).map("".join)

_long = st.builds(
    lambda unit, times: (unit * times)[:10_000],
    st.sampled_from([*HOSTILE_SNIPPETS[:12], "字", "x", "😀", "]]>", "{{ 7*7 }}"]).filter(bool),
    st.integers(min_value=200, max_value=3000),
)

# Short enough to be echoed whole in one passive reply.
short_hostile_texts = _fragments.filter(lambda s: len(s) <= 150)
hostile_texts = st.one_of(_fragments, _fragments, _long, st.text(_ANY_CHAR))

# What moves a respondent through the survey, mixed into random walks.
answer_like = st.sampled_from(["1", "2", "3", "1,2", "是", "否", "yes", "跳过", "返回", "中文"])

# --- WeChat pushes ------------------------------------------------------------------------


def push(
    content: str = "你好 fuzz",
    *,
    openid: str = "o_fuzz",
    msg_type: str = "text",
    msg_id: int = 1,
    **extra: str | int | None,
) -> str:
    """A well-formed push as WeChat writes it (CDATA strings)."""
    fields: dict[str, str | int | None] = {
        "ToUserName": ACCOUNT_ID,
        "FromUserName": openid,
        "CreateTime": 1_700_000_000,
        "MsgType": msg_type,
    }
    if msg_type == "text":
        fields["Content"] = content
    fields["MsgId"] = msg_id
    return build_push_xml({**fields, **extra})


def _head(openid: str = "o_fuzz") -> str:
    return (
        f"<ToUserName><![CDATA[{ACCOUNT_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        "<CreateTime>1700000000</CreateTime>"
    )


_TEXT = "<MsgType><![CDATA[text]]></MsgType>"
_valid_pushes = st.builds(
    lambda content, msg_id: push(content, msg_id=msg_id).encode("utf-8"),
    hostile_texts,
    st.integers(min_value=1, max_value=2**63 - 1),
)

_LAUGHS = "".join(
    f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
).replace("&lol0;", "lol")

ENTITY_BOMBS = [
    # billion laughs
    f'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY lol "lol">{_LAUGHS}]>'
    f"<xml>{_head()}{_TEXT}<Content>&lol9;</Content><MsgId>1</MsgId></xml>",
    # quadratic blowup: one large entity referenced many times
    f'<!DOCTYPE xml [<!ENTITY a "{"a" * 20_000}">]>'
    f"<xml>{_head()}{_TEXT}<Content>{'&a;' * 5000}</Content><MsgId>1</MsgId></xml>",
    # external entities: a local file, a URL, a parameter entity
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    f"<xml>{_head()}{_TEXT}<Content>&xxe;</Content><MsgId>1</MsgId></xml>",
    '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret">]>'
    f"<xml>{_head()}{_TEXT}<Content>&xxe;</Content><MsgId>1</MsgId></xml>",
    '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]>'
    f"<xml>{_head()}{_TEXT}<Content>x</Content><MsgId>1</MsgId></xml>",
    # an external DTD, and a harmless-looking one: a push never has a DOCTYPE at all
    '<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd">'
    f"<xml>{_head()}{_TEXT}<Content>x</Content><MsgId>1</MsgId></xml>",
    f"<!DOCTYPE xml><xml>{_head()}{_TEXT}<Content>x</Content><MsgId>1</MsgId></xml>",
    '<!DOCTYPE xml [<!ENTITY name "o_victim">]>'
    f"<xml>{_head('&name;')}{_TEXT}<Content>x</Content><MsgId>1</MsgId></xml>",
    '<!DOCTYPE xml [<!ELEMENT xml ANY><!ATTLIST xml a CDATA "x">]>'
    f"<xml>{_head()}{_TEXT}<Content>x</Content><MsgId>1</MsgId></xml>",
]

STRUCTURALLY_WRONG = [
    "",
    " ",
    "success",
    '{"ToUserName": "gh", "MsgType": "text", "Content": "hi"}',
    "<html><body><script>alert(1)</script></body></html>",
    "<xml>",
    "<xml></xml>",
    "<xml/>",
    f"<Xml>{_head()}{_TEXT}<Content>x</Content></Xml>",
    f"<root>{_head()}{_TEXT}<Content>x</Content></root>",
    f"<xml>{_head()}{_TEXT}<Content>x</Content></xml><xml></xml>",
    f"<xml>{_head()}{_TEXT}<Content><![CDATA[x</Content></xml>",
    f"<xml>{_head()}{_TEXT}<Content><![CDATA[a<![CDATA[b]]>c]]></Content></xml>",
    f"<xml>{_head()}{_TEXT}<Content>&undefined;</Content></xml>",
    f"<xml>{_head()}{_TEXT}<Content>&#0;</Content></xml>",
    f"<xml>{_head()}{_TEXT}<Content>&#x1;</Content></xml>",
    f"<xml>{_head()}{_TEXT}<Content>&#xFFFE;</Content></xml>",
    f"<xml>{_head()}{_TEXT}<Content>&#xD800;</Content></xml>",
    f"<xml>{_head()}{_TEXT}<Content>&#99999999;</Content></xml>",
    f"<xml>{_head()}{_TEXT}<Content x='1' x='2'>x</Content></xml>",
    f"<xml>{_head()}{_TEXT}</xml>",  # text without Content
    f"<xml>{_head()}<MsgType>event</MsgType></xml>",  # event without Event
    f"<xml>{_head()}<MsgType></MsgType><Content>x</Content></xml>",
    f"<xml><FromUserName>o</FromUserName><CreateTime>1</CreateTime>{_TEXT}</xml>",
    f"<xml><ToUserName>gh</ToUserName><CreateTime>1</CreateTime>{_TEXT}</xml>",
    f"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName>{_TEXT}</xml>",
    "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime></xml>",
    f"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>abc</CreateTime>{_TEXT}<Content>x</Content></xml>",  # noqa: E501
    f"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1.5</CreateTime>{_TEXT}<Content>x</Content></xml>",  # noqa: E501
    f"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>{'9' * 5000}</CreateTime>{_TEXT}<Content>x</Content></xml>",  # noqa: E501
    f"<xml><ToUserName>gh</ToUserName><FromUserName>   </FromUserName><CreateTime>1</CreateTime>{_TEXT}<Content>x</Content></xml>",  # noqa: E501
    "<xml>" + "<a>" * 5000 + "</a>" * 5000 + "</xml>",
    f'<xml xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file:///etc/passwd"/>{_TEXT}</xml>',  # noqa: E501
]

# XML 1.0 forbids these even inside CDATA.
_XML_INVALID_CHARS = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))] + [
    "\ufffe",
    "\uffff",
]
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_INVALID_UTF8 = [
    b"\xff",
    b"\xfe\xff",
    b"\xc3\x28",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xf8\x88\x80\x80\x80",
    b"\x80",
]


def _with_raw_content(raw: bytes) -> bytes:
    return push("MARK").encode("utf-8").replace(b"MARK", raw)


def _encoded(encoding: str, declare: bool) -> bytes:
    xml = push("你好，世界 ünïcödé")
    if declare:
        xml = f'<?xml version="1.0" encoding="{encoding}"?>' + xml
    return xml.encode(encoding, errors="xmlcharrefreplace")


WRONG_ENCODINGS = [
    _encoded("utf-16", False),  # with a BOM
    _encoded("utf-16-le", False),
    _encoded("utf-16-be", True),
    _encoded("utf-16", True),
    _encoded("utf-32", False),
    _encoded("gbk", True),
    _encoded("gbk", False),
    _encoded("gb2312", True),
    _encoded("gb18030", True),
    _encoded("big5", True),
    _encoded("shift_jis", True),
    # Declared Latin-1 / cp1252 over UTF-8 bytes: parsed as such, Chinese becomes mojibake.
    ('<?xml version="1.0" encoding="ISO-8859-1"?>' + push("你好")).encode("utf-8"),
    ('<?xml version="1.0" encoding="windows-1252"?>' + push("你好")).encode("utf-8"),
    ('<?xml version="1.0" encoding="x-unknown-charset"?>' + push("你好")).encode("utf-8"),
]


def _truncate(body: bytes, fraction: float) -> bytes:
    return body[: int(len(body) * fraction)]


def _oversized(unit: str, extra: int) -> bytes:
    """A push whose body is `extra` bytes above the limit, padded with `unit`."""
    base = len(push("").encode("utf-8"))
    size = len(unit.encode("utf-8"))
    content = unit * ((MAX_BODY_BYTES - base + extra) // size + 1)
    return push(content).encode("utf-8")


def near_limit_push(unit: str, below: int, *, msg_id: int = 1, openid: str = "o_fuzz") -> str:
    """A valid push just `below` bytes (or a character) under the 64 KiB limit."""
    base = len(push("", msg_id=msg_id, openid=openid).encode("utf-8"))
    content = unit * ((MAX_BODY_BYTES - base - below) // len(unit.encode("utf-8")))
    xml = push(content, msg_id=msg_id, openid=openid)
    assert len(xml.encode("utf-8")) <= MAX_BODY_BYTES
    return xml


# Bodies that are not a valid push, whatever the signature: always refused.
invalid_bodies = st.one_of(
    st.binary(max_size=600),
    st.builds(_truncate, _valid_pushes, st.floats(min_value=0, max_value=1, exclude_max=True)),
    st.sampled_from(ENTITY_BOMBS).map(str.encode),
    st.sampled_from(STRUCTURALLY_WRONG).map(str.encode),
    st.sampled_from(WRONG_ENCODINGS),
    st.sampled_from(_XML_INVALID_CHARS).map(lambda c: _with_raw_content(c.encode("utf-8"))),
    st.sampled_from(_INVALID_UTF8).map(_with_raw_content),
    st.builds(_oversized, st.sampled_from(["x", "字", "😀", "]]>"]), st.integers(1, 4096)),
)

# Any body at all, valid pushes included: refused only because of the signature.
any_bodies = st.one_of(
    invalid_bodies,
    _valid_pushes,
    st.builds(
        lambda unit, below: near_limit_push(unit, below).encode("utf-8"),
        st.sampled_from(["x", "字", "😀"]),
        st.integers(0, 64),
    ),
)

_QUERY_KEYS = [
    "signature",
    "timestamp",
    "nonce",
    "encrypt_type",
    "msg_signature",
    "echostr",
    "openid",
]
_query_values = st.one_of(
    st.text(_ANY_CHAR, max_size=40),
    st.sampled_from(["aes", "raw", "", "0", "-1", "1e9", "9" * 5000, "%00", "\u202e", "😀"]),
    st.from_regex(r"[0-9a-f]{40}", fullmatch=True),
)
garbage_queries = st.dictionaries(
    st.one_of(st.sampled_from(_QUERY_KEYS), st.text(_ANY_CHAR, min_size=1, max_size=10)),
    _query_values,
    max_size=7,
)

Auth = Literal["none", "plain", "stale", "safe", "safe_foreign", "safe_badsig", "safe_rawkey"]


@dataclass(frozen=True)
class Forgery:
    """A POST /wechat that must be refused, signed (or not) when it is sent.

    - none: `query` (or the raw, possibly undecodable `raw_query`) and `body` as they
      are, without a valid signature
    - plain: a valid plaintext-mode signature, `body` invalid
    - stale: a valid signature but a timestamp `skew` seconds off (any body)
    - safe: `body` (any bytes) encrypted for our appid, valid msg_signature; or the
      Encrypt value `encrypt` as given; or `body` as the outer XML when `outer` is set
    - safe_foreign: a valid push encrypted for another appid
    - safe_badsig: a valid push, encrypted, with a wrong msg_signature
    - safe_rawkey: Encrypt is `body` AES-encrypted without WeChat's framing/padding
    """

    auth: Auth
    body: bytes = b""
    query: dict[str, str] = field(default_factory=dict)
    raw_query: bytes | None = None
    encrypt: str | None = None
    outer: bool = False
    skew: int = 0


def aes_encrypt(plain: bytes, *, app_id: str = APP_ID, frame: bool = True) -> str:
    """WeChat's Encrypt for arbitrary bytes (MessageCrypto.encrypt only takes valid str).

    frame=False encrypts `plain` as it is, zero-padded to the block: bad padding, bad
    length fields and the like.
    """
    key = base64.b64decode(AES_KEY + "=")
    if frame:
        data = os.urandom(16) + struct.pack(">I", len(plain)) + plain + app_id.encode()
        pad = 32 - len(data) % 32
        data += bytes([pad]) * pad
    else:
        data = plain + b"\0" * (-len(plain) % 16)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode("ascii")


def _outer(encrypt: str) -> bytes:
    return build_push_xml({"ToUserName": ACCOUNT_ID, "Encrypt": encrypt}).encode("utf-8")


def forge(forgery: Forgery, now: int) -> tuple[dict[str, str], bytes]:
    """(query parameters, body) of `forgery`, signed against `now` where it says so."""
    if forgery.auth == "none":
        return dict(forgery.query), forgery.body
    ts = str(now + forgery.skew)
    nonce = str(secrets.randbelow(10**10))
    params = {"signature": sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
    if forgery.auth in ("plain", "stale"):
        return params, forgery.body
    if forgery.auth == "safe" and forgery.outer:
        return params | {"encrypt_type": "aes", "msg_signature": "0" * 40}, forgery.body
    if forgery.encrypt is not None:
        encrypt = forgery.encrypt
    elif forgery.auth == "safe_rawkey":
        encrypt = aes_encrypt(forgery.body, frame=False)
    else:
        app_id = FOREIGN_APP_ID if forgery.auth == "safe_foreign" else APP_ID
        encrypt = aes_encrypt(forgery.body, app_id=app_id)
    signature = sign(TOKEN, ts, nonce, encrypt)
    if forgery.auth == "safe_badsig":
        signature = sign(TOKEN + "x", ts, nonce, encrypt)
    return params | {"encrypt_type": "aes", "msg_signature": signature}, _outer(encrypt)


_raw_plaintexts = st.one_of(
    st.binary(max_size=200),
    # a length field larger than what follows
    st.builds(
        lambda n: os.urandom(16) + struct.pack(">I", n) + b"<xml/>", st.integers(7, 2**32 - 1)
    ),
    st.just(b""),
    st.just(os.urandom(16) + b"\x00\x00"),
)

_raw_queries = st.one_of(
    st.binary(max_size=80),
    st.lists(
        st.sampled_from(
            [
                b"%ff",
                b"%00",
                b"%E0%A4",
                b"%",
                b"%zz",
                b"&",
                b"=",
                b"signature",
                b"timestamp=1",
                b"encrypt_type=aes",
                b"+",
                b";",
            ]
        ),
        max_size=10,
    ).map(b"".join),
)

forgeries = st.one_of(
    st.builds(Forgery, auth=st.just("none"), body=any_bodies, query=garbage_queries),
    st.builds(Forgery, auth=st.just("none"), body=any_bodies, raw_query=_raw_queries),
    st.builds(Forgery, auth=st.just("plain"), body=invalid_bodies),
    st.builds(
        Forgery,
        auth=st.just("stale"),
        body=any_bodies,
        skew=st.one_of(st.integers(301, 10**9), st.integers(-(10**9), -301)),
    ),
    # inner plaintext refused (the outer message is fine and correctly signed)
    st.builds(Forgery, auth=st.just("safe"), body=invalid_bodies.filter(lambda b: len(b) < 40_000)),
    # outer message refused
    st.builds(Forgery, auth=st.just("safe"), body=invalid_bodies, outer=st.just(True)),
    # Encrypt values that are not WeChat ciphertext
    st.builds(
        Forgery,
        auth=st.just("safe"),
        encrypt=st.one_of(
            st.text(_ANY_CHAR, min_size=1, max_size=200).filter(str.strip),
            st.binary(min_size=1, max_size=300).map(lambda b: base64.b64encode(b).decode()),
            st.sampled_from(["====", "QUJD", "a" * 43, "A" * 64 + "=", "AAAAAAAAAAAAAAAAAAAAAA=="]),
        ),
    ),
    st.builds(Forgery, auth=st.just("safe_rawkey"), body=_raw_plaintexts),
    st.builds(Forgery, auth=st.just("safe_foreign"), body=_valid_pushes),
    st.builds(Forgery, auth=st.just("safe_badsig"), body=_valid_pushes),
)

# --- Telegram -----------------------------------------------------------------------------

_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_texts.filter(lambda s: len(s) < 500),
    # lone surrogates arrive as JSON escapes ("\ud800"), valid JSON, invalid Unicode
    st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3),
)
json_junk = st.recursive(
    _json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(_ANY_CHAR, max_size=12), children, max_size=5),
    ),
    max_leaves=12,
)


def telegram_message(text: str, *, user_id: int = 7001, update_id: int = 1) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "Fuzz", "language_code": "zh"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Fuzz"},
            "from": user,
            "text": text,
        },
    }


def telegram_callback(data: Any, *, user_id: int = 7001, update_id: int = 1) -> dict[str, Any]:
    base = telegram_message("old prompt", user_id=user_id, update_id=update_id)
    message = base["message"] | {
        "from": {"id": 123456, "is_bot": True, "first_name": "AIAG Survey"},
        "reply_markup": {"inline_keyboard": [[{"text": "1", "callback_data": "x"}]]},
    }
    query = {
        "id": "cq1",
        "from": base["message"]["from"],
        "chat_instance": "ci",
        "message": message,
        "data": data,
    }
    return {"update_id": update_id, "callback_query": query}


# Callback data in our own formats (bot/channels/telegram/keyboards.py) with junk fields:
# a client can send any data for a button it was shown, or for none at all.
_callback_field = st.one_of(
    st.sampled_from(["", "role", "function", "contact", "reporting_explain", "0", "-1", "ff"]),
    st.from_regex(r"[0-9a-fA-F]{1,40}", fullmatch=True),
    st.integers(-(2**64), 2**64).map(str),
    short_hostile_texts,
)
callback_datas = st.one_of(
    st.builds(
        lambda kind, fields: "|".join([kind, *fields]),
        st.sampled_from(["v", "a", "t", "x", "d", "", "z"]),
        st.lists(_callback_field, max_size=5),
    ),
    short_hostile_texts,
)

_PATHS: list[tuple[str, ...]] = [
    ("update_id",),
    ("message",),
    ("message", "message_id"),
    ("message", "date"),
    ("message", "chat"),
    ("message", "chat", "id"),
    ("message", "chat", "type"),
    ("message", "from"),
    ("message", "from", "id"),
    ("message", "from", "is_bot"),
    ("message", "text"),
    ("message", "entities"),
    ("message", "photo"),
    ("message", "reply_to_message"),
    ("message", "new_chat_members"),
    ("callback_query",),
    ("edited_message",),
    ("channel_post",),
]


def _mutate(update: dict[str, Any], path: tuple[str, ...], value: Any, delete: bool) -> None:
    node: Any = update
    for key in path[:-1]:
        if not isinstance(node, dict):
            return
        node = node.setdefault(key, {})
    if not isinstance(node, dict):
        return
    if delete:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value


@st.composite
def mutated_updates(draw: st.DrawFn) -> dict[str, Any]:
    """A real message or callback update with some fields deleted or replaced by junk."""
    text = draw(hostile_texts.filter(lambda s: len(s) < 2000))
    user_id = draw(st.integers(7000, 7003))
    if draw(st.booleans()):
        update = telegram_message(text, user_id=user_id)
    else:
        data = draw(st.one_of(callback_datas, json_junk))
        update = telegram_callback(data, user_id=user_id)
    update["update_id"] = draw(st.integers(1, 2**31))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_PATHS))
        _mutate(update, path, draw(json_junk), delete=draw(st.booleans()))
    return update


def dumps(value: Any) -> bytes:
    """JSON as a sender might write it: lone surrogates as \\u escapes, NaN refused."""
    return json.dumps(value, ensure_ascii=True, allow_nan=False).encode("ascii")
