"""The database token store's short cache: fewer reads, and a rotation still recovers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bot.app.channel_seams import DatabaseTokenStore
from bot.channels.wechat.api import WeChatApi
from tests.fakes.wechat_api_server import APP_ID, APP_SECRET, SEND_PATH, FakeWeChatApi


@pytest.fixture
def wechat_api() -> Iterator[FakeWeChatApi]:
    fake = FakeWeChatApi()
    fake.start()
    yield fake
    fake.stop()


def _api(store: DatabaseTokenStore, fake: FakeWeChatApi) -> WeChatApi:
    return WeChatApi(APP_ID, APP_SECRET, token_store=store, base_url=fake.base_url)


async def test_a_token_rotated_by_another_worker_costs_one_refused_call(
    engine: Engine, wechat_api: FakeWeChatApi
) -> None:
    # Given two workers sharing the token through the database, one with it cached
    first, second = DatabaseTokenStore(engine), DatabaseTokenStore(engine)
    api_one, api_two = _api(first, wechat_api), _api(second, wechat_api)
    await api_one.send_text("o_a", "1")
    # When the token is rotated behind the first one's back: the second worker's send is
    # refused, and it fetches a new token into the database
    wechat_api.invalidate_token()
    await api_two.send_text("o_b", "2")
    # Then the first worker's next send is refused once with its cached token, drops it,
    # takes the current one and goes out
    await api_one.send_text("o_c", "3")
    sends = wechat_api.calls_to(SEND_PATH)
    assert [c.json["touser"] for c in sends] == ["o_a", "o_b", "o_b", "o_c", "o_c"]
    assert sends[3].query["access_token"] != wechat_api.token  # the cached one
    assert sends[4].query["access_token"] == wechat_api.token
    assert [c.touser for c in wechat_api.accepted] == ["o_a", "o_b", "o_c"]
    api_one.close()
    api_two.close()
