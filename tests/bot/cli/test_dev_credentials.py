"""Development credentials: the simulator's customer-service port is chosen free and
kept, so two development databases on one machine do not share one simulator."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bot.devtools.dev_credentials import DEV_API_PORT, ensure_dev_credentials


@pytest.fixture
def taken_8765() -> Iterator[None]:
    """Something else (another checkout's simulator) listens on the old fixed port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        try:
            other.bind(("127.0.0.1", DEV_API_PORT))
        except OSError:
            pass  # already taken by something else: just as good
        else:
            other.listen()
        yield


def test_the_port_is_free_when_made_and_kept(engine: Engine, taken_8765: None) -> None:
    made = ensure_dev_credentials(engine)
    assert made.api_port != DEV_API_PORT
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as simulator:
        simulator.bind(("127.0.0.1", made.api_port))  # the simulator can listen there
    again = ensure_dev_credentials(engine)
    assert again == made  # serve and simulate read the same, restart after restart
    assert again.api_url == f"http://127.0.0.1:{made.api_port}"
