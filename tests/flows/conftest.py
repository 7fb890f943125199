from __future__ import annotations

import pytest

from flows.definition import load_flow
from flows.model import Flow
from flows.surveys import DEFAULT_FLOW
from tests.flows.script import Script


@pytest.fixture(scope="session")
def flow() -> Flow:
    return load_flow(DEFAULT_FLOW)


@pytest.fixture
def script(flow: Flow) -> Script:
    return Script(flow)


@pytest.fixture
def started(script: Script) -> Script:
    """A respondent who chose the bilingual layout and sees the first question."""
    script.send("你好")
    script.send("3")
    return script
