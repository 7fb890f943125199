"""WeChat's side of the push protocol, for the simulator and the tests.

Builds the pushes WeChat's servers would send (signed; encrypted in safe mode), posts
them with httpx, and checks + decrypts + parses the passive reply. Tests use the
lower-level `signed_push` / `post` to tamper with a push before it is sent.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx
from defusedxml.ElementTree import fromstring

from bot.channels.wechat.crypto import MessageCrypto, check_msg_signature, sha1_signature
from bot.channels.wechat.xml import WeChatMessage, cdata, parse_message
from bot.dispatch.tap_links import plain

ACCOUNT_ID = "gh_aiag_sim"  # the Official Account's original id (ToUserName of pushes)


def sign(token: str, timestamp: str, nonce: str, *extra: str) -> str:
    """signature (no extra) or msg_signature (extra = the Encrypt value)."""
    return sha1_signature(token, timestamp, nonce, *extra)


def build_push_xml(fields: Mapping[str, str | int | None]) -> str:
    """A push as WeChat writes it: strings in CDATA, integers bare, None left out."""
    items = []
    for tag, value in fields.items():
        if value is None:
            continue
        inner = str(value) if isinstance(value, int) else cdata(value)
        items.append(f"<{tag}>{inner}</{tag}>")
    return "<xml>" + "".join(items) + "</xml>"


@dataclass(frozen=True)
class SimReply:
    status: int
    body: str
    message: WeChatMessage | None  # the passive reply, decrypted; None for "success"

    @property
    def text(self) -> str | None:
        return self.message.content if self.message else None

    @property
    def shown(self) -> str:
        """What the follower reads: tap links shown as their labels."""
        return plain(self.text or "")


class WeChatSimulator:
    def __init__(
        self,
        token: str,
        app_id: str,
        aes_key: str | None = None,
        base_url: str = "http://127.0.0.1:8000",
        *,
        path: str = "/wechat",
        account: str = ACCOUNT_ID,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
        compatible: bool = False,
    ) -> None:
        """`aes_key` set: safe mode (ciphertext only), or with `compatible=True` WeChat's
        compatible mode (the plaintext fields and the signed ciphertext side by side)."""
        self.token = token
        self.compatible = compatible
        self.app_id = app_id
        self.account = account
        self.crypto = MessageCrypto(token, aes_key, app_id) if aes_key else None
        self._url = base_url.rstrip("/") + path
        self._client = client or httpx.AsyncClient(timeout=10.0)
        self._owns_client = client is None
        self._clock = clock
        self._msg_ids = itertools.count(int(clock()) * 1000)

    @property
    def client(self) -> httpx.AsyncClient:
        return self._client

    @property
    def url(self) -> str:
        return self._url

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    # --- building --------------------------------------------------------------------
    def now(self) -> int:
        return int(self._clock())

    def push_xml(
        self,
        openid: str,
        msg_type: str,
        *,
        create_time: int | None = None,
        **fields: str | int | None,
    ) -> str:
        head: dict[str, str | int | None] = {
            "ToUserName": self.account,
            "FromUserName": openid,
            "CreateTime": self.now() if create_time is None else create_time,
            "MsgType": msg_type,
        }
        return build_push_xml({**head, **fields})

    def signed_push(
        self, xml: str, *, timestamp: int | None = None, nonce: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """(query params, body) as WeChat sends them; encrypted when a key is set."""
        ts = str(self.now() if timestamp is None else timestamp)
        nonce = nonce or str(secrets.randbelow(10**10))
        params = {"signature": sign(self.token, ts, nonce), "timestamp": ts, "nonce": nonce}
        if self.crypto is None:
            return params, xml.encode("utf-8")
        encrypt = self.crypto.encrypt(xml)
        params |= {"encrypt_type": "aes", "msg_signature": sign(self.token, ts, nonce, encrypt)}
        if self.compatible:
            body = xml.removesuffix("</xml>") + f"<Encrypt>{cdata(encrypt)}</Encrypt></xml>"
        else:
            body = build_push_xml({"ToUserName": self.account, "Encrypt": encrypt})
        return params, body.encode("utf-8")

    # --- sending ---------------------------------------------------------------------
    async def post(self, params: Mapping[str, str], body: bytes) -> SimReply:
        res = await self._client.post(
            self._url, params=dict(params), content=body, headers={"Content-Type": "text/xml"}
        )
        message = self.decode_reply(res.text) if res.status_code == 200 else None
        return SimReply(res.status_code, res.text, message)

    async def send_xml(
        self, xml: str, *, timestamp: int | None = None, nonce: str | None = None
    ) -> SimReply:
        params, body = self.signed_push(xml, timestamp=timestamp, nonce=nonce)
        return await self.post(params, body)

    async def send_text(self, openid: str, content: str, *, msg_id: int | None = None) -> SimReply:
        xml = self.push_xml(openid, "text", Content=content, MsgId=self._msg_id(msg_id))
        return await self.send_xml(xml)

    async def send_voice(
        self, openid: str, recognition: str | None, *, msg_id: int | None = None
    ) -> SimReply:
        xml = self.push_xml(
            openid, "voice", MediaId="media-voice", Format="amr",
            Recognition=recognition, MsgId=self._msg_id(msg_id),
        )  # fmt: skip
        return await self.send_xml(xml)

    async def send_image(self, openid: str, *, msg_id: int | None = None) -> SimReply:
        xml = self.push_xml(
            openid, "image", PicUrl="http://example.invalid/p.jpg",
            MediaId="media-image", MsgId=self._msg_id(msg_id),
        )  # fmt: skip
        return await self.send_xml(xml)

    async def send_event(
        self,
        openid: str,
        event: str,
        event_key: str | None = None,
        *,
        ticket: str | None = None,
        create_time: int | None = None,
    ) -> SimReply:
        xml = self.push_xml(
            openid, "event", create_time=create_time, Event=event, EventKey=event_key, Ticket=ticket
        )
        return await self.send_xml(xml)

    async def send_click(self, openid: str, key: str) -> SimReply:
        return await self.send_event(openid, "CLICK", key)

    async def verify_url(self, echostr: str, *, timestamp: int | None = None) -> httpx.Response:
        ts = str(self.now() if timestamp is None else timestamp)
        nonce = str(secrets.randbelow(10**10))
        params = {"signature": sign(self.token, ts, nonce), "timestamp": ts, "nonce": nonce}
        return await self._client.get(self._url, params={**params, "echostr": echostr})

    # --- reading the reply -----------------------------------------------------------
    def decode_reply(self, body: str) -> WeChatMessage | None:
        """The passive reply; raises if a safe-mode reply's signature is wrong."""
        if body in ("", "success"):
            return None
        if self.crypto is None:
            return parse_message(body)
        root = fromstring(body, forbid_dtd=True)
        fields = {child.tag: child.text or "" for child in root}
        check_msg_signature(
            self.token, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"],
            fields["Encrypt"],
        )  # fmt: skip
        return parse_message(self.crypto.decrypt(fields["Encrypt"]))

    def _msg_id(self, msg_id: int | None) -> int:
        return next(self._msg_ids) if msg_id is None else msg_id
