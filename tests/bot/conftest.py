from __future__ import annotations

import pytest

from flows.definition import load_flow
from flows.model import Flow
from flows.surveys import DEFAULT_FLOW


@pytest.fixture(scope="session")
def flow() -> Flow:
    return load_flow(DEFAULT_FLOW)


from tests.bot.wechat_harness import harness  # noqa: E402,F401  (fixture for tests/bot/**)
