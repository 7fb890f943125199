"""WeChatApi against the loopback fake of WeChat's API (real HTTP, real requests)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.channels.wechat.api import InMemoryTokenStore, WeChatApi
from bot.channels.wechat.config import WeChatConfig
from bot.channels.wechat.errors import OutsideWindow, WeChatApiError
from bot.channels.wechat.menu import menu_definition
from tests.fakes.wechat_api_server import APP_ID, APP_SECRET, FakeWeChatApi

SEND = "/cgi-bin/message/custom/send"
OPENID = "o_user_1"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> InMemoryTokenStore:
    return InMemoryTokenStore(clock=clock)


@pytest.fixture
def api(wechat_api: FakeWeChatApi, store: InMemoryTokenStore) -> Iterator[WeChatApi]:
    config = WeChatConfig(
        token="t", app_id=APP_ID, app_secret=APP_SECRET, api_base_url=wechat_api.base_url
    )
    client = WeChatApi.from_config(config, store, timeout=5)
    yield client
    client.close()


async def test_send_text_goes_to_the_configured_host(
    api: WeChatApi, wechat_api: FakeWeChatApi
) -> None:
    await api.send_text(OPENID, "第2段 👍")

    token_call, send = wechat_api.calls
    assert (token_call.method, token_call.path) == ("POST", "/cgi-bin/stable_token")
    assert token_call.json == {
        "grant_type": "client_credential",
        "appid": APP_ID,
        "secret": APP_SECRET,
    }
    assert (send.path, send.query["access_token"]) == (SEND, wechat_api.token)
    assert send.json == {"touser": OPENID, "msgtype": "text", "text": {"content": "第2段 👍"}}


async def test_token_is_fetched_once_and_reused(api: WeChatApi, wechat_api: FakeWeChatApi) -> None:
    for i in range(3):
        await api.send_text(OPENID, f"m{i}")
    assert wechat_api.token_fetches == 1
    assert len(wechat_api.calls_to(SEND)) == 3


async def test_token_is_shared_through_the_store(
    api: WeChatApi, wechat_api: FakeWeChatApi, store: InMemoryTokenStore
) -> None:
    other_worker = WeChatApi(APP_ID, APP_SECRET, token_store=store, base_url=wechat_api.base_url)
    await api.send_text(OPENID, "a")
    await other_worker.send_text(OPENID, "b")
    other_worker.close()
    assert wechat_api.token_fetches == 1


async def test_token_is_refreshed_five_minutes_before_expiry(
    api: WeChatApi, wechat_api: FakeWeChatApi, clock: Clock
) -> None:
    await api.send_text(OPENID, "a")
    clock.now += 7200 - 300 - 1
    await api.send_text(OPENID, "b")
    assert wechat_api.token_fetches == 1
    clock.now += 1
    await api.send_text(OPENID, "c")
    assert wechat_api.token_fetches == 2


async def test_40001_refreshes_the_token_and_retries_once(
    api: WeChatApi, wechat_api: FakeWeChatApi
) -> None:
    await api.send_text(OPENID, "a")
    wechat_api.invalidate_token()  # e.g. a forced refresh by another process

    await api.send_text(OPENID, "b")

    assert [c.path for c in wechat_api.calls] == [
        "/cgi-bin/stable_token", SEND, SEND, "/cgi-bin/stable_token", SEND,
    ]  # fmt: skip
    assert [c.json["text"]["content"] for c in wechat_api.calls_to(SEND)] == ["a", "b", "b"]


@pytest.mark.parametrize("errcode", [40001, 42001])
async def test_scripted_token_error_is_retried_once(
    api: WeChatApi, wechat_api: FakeWeChatApi, errcode: int
) -> None:
    wechat_api.fail_next(SEND, errcode)
    await api.send_text(OPENID, "a")
    assert len(wechat_api.calls_to(SEND)) == 2
    assert wechat_api.token_fetches == 2


async def test_a_second_token_error_is_raised_not_looped(
    api: WeChatApi, wechat_api: FakeWeChatApi
) -> None:
    wechat_api.fail_next(SEND, 40001)
    wechat_api.fail_next(SEND, 40001)
    with pytest.raises(WeChatApiError) as info:
        await api.send_text(OPENID, "a")
    assert info.value.errcode == 40001
    assert len(wechat_api.calls_to(SEND)) == 2


async def test_45015_is_outside_window(api: WeChatApi, wechat_api: FakeWeChatApi) -> None:
    wechat_api.fail_next(SEND, 45015, "response out of time limit")
    with pytest.raises(OutsideWindow) as info:
        await api.send_text(OPENID, "a")
    assert (info.value.errcode, info.value.errmsg) == (45015, "response out of time limit")
    assert len(wechat_api.calls_to(SEND)) == 1  # not retried


async def test_other_errcodes_are_api_errors(api: WeChatApi, wechat_api: FakeWeChatApi) -> None:
    wechat_api.fail_next(SEND, 45047, "out of response count limit")
    with pytest.raises(WeChatApiError) as info:
        await api.send_text(OPENID, "a")
    assert not isinstance(info.value, OutsideWindow)
    assert info.value.errcode == 45047


async def test_http_500_is_an_api_error_without_the_token(
    api: WeChatApi, wechat_api: FakeWeChatApi, caplog: pytest.LogCaptureFixture
) -> None:
    await api.send_text(OPENID, "warm up")
    wechat_api.http_error_next(SEND, 500)
    with caplog.at_level(logging.DEBUG), pytest.raises(WeChatApiError) as info:
        await api.send_text(OPENID, "a")
    assert (info.value.errcode, info.value.errmsg) == (None, "HTTP 500")
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert wechat_api.token is not None
    assert wechat_api.token not in str(info.value)
    assert APP_SECRET not in caplog.text


async def test_unreachable_host_is_an_api_error(store: InMemoryTokenStore) -> None:
    api = WeChatApi(APP_ID, APP_SECRET, token_store=store, base_url="http://127.0.0.1:9", timeout=2)
    with pytest.raises(WeChatApiError) as info:
        await api.send_text(OPENID, "a")
    assert info.value.errcode is None
    assert "ConnectionError" in info.value.errmsg
    api.close()


async def test_bad_secret_is_reported(store: InMemoryTokenStore, wechat_api: FakeWeChatApi) -> None:
    api = WeChatApi(APP_ID, "wrong", token_store=store, base_url=wechat_api.base_url)
    with pytest.raises(WeChatApiError) as info:
        await api.send_text(OPENID, "a")
    assert info.value.errcode == 40125
    assert "wrong" not in str(info.value)
    api.close()


async def test_upload_image_then_send_it(api: WeChatApi, wechat_api: FakeWeChatApi) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100

    media_id = await api.upload_image(png)
    await api.send_image(OPENID, media_id)

    (upload,) = wechat_api.calls_to("/cgi-bin/media/upload")
    assert upload.query["type"] == "image"
    assert upload.files == {"media": ("image.png", "image/png", len(png))}
    (send,) = wechat_api.calls_to(SEND)
    assert send.json == {"touser": OPENID, "msgtype": "image", "image": {"media_id": media_id}}


async def test_create_menu(api: WeChatApi, wechat_api: FakeWeChatApi) -> None:
    await api.create_menu(menu_definition())
    (call,) = wechat_api.calls_to("/cgi-bin/menu/create")
    assert call.json == menu_definition()


def test_from_config_needs_the_secret(store: InMemoryTokenStore) -> None:
    with pytest.raises(ValueError):
        WeChatApi.from_config(WeChatConfig(token="t", app_id=APP_ID), store)


def test_in_memory_store_expires(clock: Clock) -> None:
    store = InMemoryTokenStore(clock=clock)
    store.set("k", "v", 10)
    store.set("forever", "v", None)
    clock.now += 9.9
    assert store.get("k") == "v"
    clock.now += 0.1
    assert store.get("k") is None
    assert store.get("forever") == "v"
    store.delete("forever")
    assert store.get("forever") is None
