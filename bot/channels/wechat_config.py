"""Settings of the WeChat Official Account channel (built once by the app's settings)."""

from __future__ import annotations

from dataclasses import dataclass, field

WECHAT_API_BASE_URL = "https://api.weixin.qq.com"


@dataclass(frozen=True)
class WeChatConfig:
    token: str = field(repr=False)
    app_id: str
    app_secret: str | None = field(default=None, repr=False)  # needed for the outbound API
    # Set: safe mode (encrypt_type=aes) pushes are accepted, and answered encrypted.
    encoding_aes_key: str | None = field(default=None, repr=False)
    # Overridable so tests and the simulator can point the client at a loopback fake.
    api_base_url: str = WECHAT_API_BASE_URL
