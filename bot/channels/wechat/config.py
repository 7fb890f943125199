"""Settings of the WeChat Official Account channel (built once by the app's settings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

WECHAT_API_BASE_URL = "https://api.weixin.qq.com"


class MessageMode(StrEnum):
    """The message mode chosen in the admin console (消息加解密方式).

    - plain (明文模式): no EncodingAESKey; the URL's `signature` does not cover the body,
      so each (timestamp, nonce) pair may carry one body only.
    - compatible (兼容模式) and safe (安全模式): every push must carry `encrypt_type=aes`
      and a `msg_signature` over its `Encrypt` element; only the decrypted message is
      used (the plaintext fields a compatible push carries beside it are not signed).
    """

    PLAIN = "plain"
    COMPATIBLE = "compatible"
    SAFE = "safe"


class WeChatConfigError(ValueError):
    """A contradictory WeChat configuration (stops start-up)."""


@dataclass(frozen=True)
class WeChatConfig:
    token: str = field(repr=False)
    app_id: str
    app_secret: str | None = field(default=None, repr=False)  # needed for the outbound API
    # Set: pushes must be encrypted (compatible or safe mode), and are answered encrypted.
    encoding_aes_key: str | None = field(default=None, repr=False)
    # Overridable so tests and the simulator can point the client at a loopback fake.
    api_base_url: str = WECHAT_API_BASE_URL
    # None: safe when an EncodingAESKey is set, plain otherwise.
    message_mode: MessageMode | None = None
    # The account's original id (gh_…): when set, pushes to another ToUserName are refused.
    original_id: str | None = None

    def __post_init__(self) -> None:
        check_message_mode(self.message_mode, has_key=bool(self.encoding_aes_key))

    @property
    def mode(self) -> MessageMode:
        if self.message_mode is not None:
            return self.message_mode
        return MessageMode.SAFE if self.encoding_aes_key else MessageMode.PLAIN


def check_message_mode(mode: MessageMode | None, *, has_key: bool) -> None:
    """Refuse a mode the key contradicts (raised at start-up, one line)."""
    if mode in (MessageMode.COMPATIBLE, MessageMode.SAFE) and not has_key:
        raise WeChatConfigError(f"WECHAT_MESSAGE_MODE={mode} needs WECHAT_ENCODING_AES_KEY")
    if mode is MessageMode.PLAIN and has_key:
        # Accepting unsigned bodies while a key is configured is the hole issue 14 closed.
        raise WeChatConfigError(
            "WECHAT_MESSAGE_MODE=plain with WECHAT_ENCODING_AES_KEY set: remove the key "
            "or choose compatible/safe"
        )
