"""WeChat push XML in (parsed defensively) and passive-reply XML out.

Parsing uses expat directly, with any DTD refused: a push never carries a DOCTYPE, so one
is hostile (billion laughs, external entities) and rejected before anything is declared
or expanded (defusedxml's `forbid_dtd`, without building an element tree: a push is a
flat list of fields, and ElementTree's pure-Python parser callbacks, which defusedxml
needs, cost more than the rest of the edge's XML work; docs/benchmarks.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn
from xml.parsers import expat

from bot.channels.wechat.errors import MalformedMessage, PayloadTooLarge

# A real push is well under 2 KiB (text content is capped at 2048 bytes); 64 KiB leaves
# room for any event type while bounding the parser's work on hostile input.
MAX_BODY_BYTES = 64 * 1024

# Characters XML 1.0 forbids even inside CDATA: an engine text carrying one would make
# WeChat reject the whole reply ("该公众号暂时无法提供服务").
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class WeChatMessage:
    """One push (or, parsed by the simulator, one passive reply)."""

    to_user: str  # our account's original id (gh_…)
    from_user: str  # the user's openid
    create_time: int
    msg_type: str  # text, voice, image, event, …
    msg_id: str | None = None  # kept as text: a 64-bit id, only ever compared
    content: str | None = None
    recognition: str | None = None  # voice: WeChat's speech-to-text, when enabled
    event: str | None = None  # subscribe, unsubscribe, SCAN, CLICK, VIEW, …
    event_key: str | None = None
    ticket: str | None = None  # QR-code ticket on subscribe-by-scan and SCAN


# WeChat only ever sends UTF-8. Left to itself, expat honours a BOM or a declared
# encoding: a UTF-16 push would be accepted and a declared Latin-1 one stored as mojibake.
_DECLARED_ENCODING = re.compile(r"""<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")


def _utf8_text(body: bytes | str) -> str:
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedMessage("body is not UTF-8") from None
    if "\x00" in body:  # never in XML; and UTF-16 without a BOM is valid UTF-8 with NULs
        raise MalformedMessage("NUL character in body")
    body = body.removeprefix("\ufeff")
    declared = _DECLARED_ENCODING.match(body)
    if declared and declared[1].lower() not in ("utf-8", "utf8"):
        raise MalformedMessage("body declares an encoding other than UTF-8")
    return body


class _Hostile(Exception):
    """A DOCTYPE, an entity declaration or an external entity: refused, never expanded."""


def _refuse(*_args: object) -> NoReturn:
    raise _Hostile


def _tag(name: str) -> str:
    """ElementTree's spelling of a namespaced name ("{uri}local"), so a namespaced
    element never passes for one of WeChat's plain field names."""
    return "{" + name if "}" in name else name


def _fields(body: bytes | str) -> dict[str, str]:
    """The fields of a push: each child of the <xml> root and its text (the text before
    any element nested in it, stripped; ElementTree's `child.text`). The first
    occurrence of a field wins: a duplicated tag must not override a validated one."""
    size = len(body.encode("utf-8") if isinstance(body, str) else body)
    if size > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body of {size} bytes")
    text = _utf8_text(body)
    fields: dict[str, str] = {}
    depth = 0
    root = ""
    field = ""
    parts: list[str] = []
    collecting = False

    def start(name: str, _attributes: object) -> None:
        nonlocal depth, root, field, parts, collecting
        depth += 1
        if depth == 1:
            root = _tag(name)
        elif depth == 2:
            field, parts, collecting = _tag(name), [], True
        else:
            collecting = False  # the field's text ends where a nested element starts

    def end(_name: str) -> None:
        nonlocal depth, collecting
        if depth == 2:
            fields.setdefault(field, "".join(parts).strip())
            collecting = False
        depth -= 1

    def characters(data: str) -> None:
        if collecting:
            parts.append(data)

    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    try:
        # A str is parsed as the Unicode it is, whatever the declaration says.
        parser.Parse(text, True)
    except (expat.ExpatError, _Hostile, ValueError):
        raise MalformedMessage("not well-formed or hostile XML") from None
    if root != "xml":
        raise MalformedMessage("root element is not <xml>")
    return fields


def extract_encrypt(body: bytes | str) -> str:
    """The Encrypt value of a safe-mode push (needed before its signature can be checked)."""
    encrypt = _fields(body).get("Encrypt")
    if not encrypt:
        raise MalformedMessage("safe-mode push without Encrypt")
    return encrypt


def parse_message(body: bytes | str) -> WeChatMessage:
    """Validate and map one push. Raises PayloadTooLarge or MalformedMessage."""
    fields = _fields(body)
    missing = [
        k for k in ("ToUserName", "FromUserName", "CreateTime", "MsgType") if not fields.get(k)
    ]
    if missing:
        raise MalformedMessage(f"missing {', '.join(missing)}")
    try:
        create_time = int(fields["CreateTime"])
    except ValueError:
        raise MalformedMessage("CreateTime is not an integer") from None
    msg_type = fields["MsgType"]
    if msg_type == "event" and not fields.get("Event"):
        raise MalformedMessage("event without Event")
    if msg_type == "text" and "Content" not in fields:
        raise MalformedMessage("text without Content")

    def opt(key: str) -> str | None:
        return fields.get(key) or None

    return WeChatMessage(
        to_user=fields["ToUserName"],
        from_user=fields["FromUserName"],
        create_time=create_time,
        msg_type=msg_type,
        msg_id=opt("MsgId"),
        # Content keeps inner whitespace; only a missing element is None.
        content=fields.get("Content"),
        recognition=opt("Recognition"),
        event=opt("Event"),
        event_key=opt("EventKey"),
        ticket=opt("Ticket"),
    )


def cdata(value: str) -> str:
    """A CDATA section that cannot be closed early by the value.

    `]]>` inside the value would end the section and let echoed user text inject XML
    (wechatpy's TextReply has this bug): split it across two sections instead.
    """
    clean = _XML_INVALID.sub("", value)
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def build_text_reply(to_user: str, from_user: str, create_time: int, content: str) -> str:
    """Passive text reply. `to_user` is the user's openid, `from_user` our gh_ id."""
    return (
        f"<xml><ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content></xml>"
    )
