"""`surveybot simulate` plays WeChat's customer-service API in development mode: the
server's real API client sends to it, the simulator prints texts and saves images."""

from __future__ import annotations

import socket
from pathlib import Path

from bot.channels.wechat.api import InMemoryTokenStore, WeChatApi
from bot.channels.wechat.sender import WeChatSender
from bot.devtools.dev_credentials import DEV_APP_SECRET
from bot.devtools.wechat_sim_api import SimulatedCustomerService

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_texts_are_shown_and_images_saved_for_the_simulated_follower(
    tmp_path: Path,
) -> None:
    shown: list[str] = []
    port = _free_port()
    played = SimulatedCustomerService(port, tmp_path / "images", shown.append, openid="o_me")
    played.start()
    api = WeChatApi(
        "wxdev", DEV_APP_SECRET, token_store=InMemoryTokenStore(),
        base_url=f"http://127.0.0.1:{port}", timeout=5,
    )  # fmt: skip
    sender = WeChatSender(api)
    try:
        await sender.send_text("o_me", "第二部分 part 2")
        await sender.send_text("o_someone_else", "not mine")
        await sender.send_image("o_me", PNG)
    finally:
        api.close()
        played.stop()
    assert shown[0] == "[客服消息 customer-service message]\n第二部分 part 2"
    assert len(shown) == 2 and shown[1].startswith("[图片 image] saved as ")
    saved = Path(shown[1].removeprefix("[图片 image] saved as "))
    assert saved.read_bytes() == PNG
