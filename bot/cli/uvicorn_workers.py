"""`uvicorn.run` for N workers, with Nagle's algorithm off on the shared socket.

With `workers > 1` uvicorn binds the listening socket itself as
`socket.socket(family=AF_INET)` — protocol number 0 — and the workers' asyncio only sets
TCP_NODELAY on accepted sockets whose protocol is IPPROTO_TCP. So every multi-worker
response went out under Nagle's algorithm, and a reply written in two parts (headers,
body) waited for the client's delayed ACK: +40 ms on every push (the bare benchmark
endpoint fell from ~3,900 to ~330 requests/s going from 1 to 2 workers). Set on the
listening socket, TCP_NODELAY is inherited by every accepted connection (Linux).
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess


def run(app: str, **kwargs: Any) -> None:
    """Like `uvicorn.run(app, **kwargs)`; for several workers, the socket is bound here."""
    config = uvicorn.Config(app, **kwargs)
    if config.workers <= 1:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            sys.exit(STARTUP_FAILURE)  # as uvicorn.run does
        return
    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()
