"""The push parser (expat, DTDs refused) against what it replaced: defusedxml's
ElementTree with DTDs, entities and external references forbidden. For any body, both
refuse it, or both read the same fields; and every hostile body is refused."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from hypothesis import example, given
from hypothesis import strategies as st

from bot.channels.wechat import xml as wechat_xml
from bot.channels.wechat.errors import MalformedMessage, PayloadTooLarge
from tests.fuzz.strategies import ENTITY_BOMBS, any_bodies, fuzz


def _tree_fields(body: bytes) -> dict[str, str] | None:
    """The former parse (None: refused)."""
    if len(body) > wechat_xml.MAX_BODY_BYTES:
        return None
    try:
        text = wechat_xml._utf8_text(body)
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (MalformedMessage, ET.ParseError, DefusedXmlException, ValueError):
        return None
    if root.tag != "xml":
        return None
    fields: dict[str, str] = {}
    for child in root:
        fields.setdefault(child.tag, (child.text or "").strip())
    return fields


def _fields(body: bytes) -> dict[str, str] | None:
    try:
        return wechat_xml._fields(body)
    except (MalformedMessage, PayloadTooLarge):
        return None


_element_names = st.sampled_from(["xml", "Content", "MsgType", "a:b", "Event", "x"])
_texts = st.text(st.sampled_from("ab 字\n\t&<>]]"), max_size=6)


@st.composite
def _nested(draw: st.DrawFn) -> bytes:
    """Hand-built structures: nesting, text around children, namespaces, CDATA."""

    def element(depth: int) -> str:
        name = draw(_element_names)
        attributes = draw(st.sampled_from(["", ' xmlns="urn:x"', ' xmlns:a="urn:a"', ' k="v"']))
        parts = []
        for _ in range(draw(st.integers(0, 3 if depth < 3 else 0))):
            kind = draw(st.integers(0, 2))
            if kind == 0:
                parts.append(draw(_texts).replace("&", "&amp;").replace("<", "&lt;"))
            elif kind == 1:
                parts.append("<![CDATA[" + draw(_texts).replace("]]>", "") + "]]>")
            else:
                parts.append(element(depth + 1))
        return f"<{name}{attributes}>{''.join(parts)}</{name}>"

    return element(0).encode("utf-8")


@fuzz(600)
@given(st.one_of(any_bodies, _nested()))
@example(b"<xml><Content>a<b/>c</Content><Content>d</Content></xml>")
@example(b'<xml><Content xmlns="urn:x">a</Content><Content>b</Content></xml>')
@example(b"<xml><a:Content xmlns:a='urn:a'>x</a:Content></xml>")
@example(b"<xml><Content>&amp;&#x5B57;</Content></xml>")
def test_the_expat_parser_reads_what_elementtree_read(body: bytes) -> None:
    assert _fields(body) == _tree_fields(body)


def test_every_entity_bomb_is_refused() -> None:
    for bomb in ENTITY_BOMBS:
        assert _fields(bomb.encode("utf-8")) is None, bomb
