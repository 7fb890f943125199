"""The path of one message: which of our functions one WeChat answer passes through.

    python -m benchmarks.message_path [--list]

Builds the real app on a fresh SQLite file (safe mode, no customer-service API), lets a
respondent subscribe and choose a language, then traces one text answer from the HTTP
request to the response, on every thread (the SQLite writer is one): each function of
bot/, flows/ and storage/ that runs is counted once. docs/architecture.md quotes the
figure; `--list` prints the functions in the order they were first entered.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
OURS = tuple(str(ROOT / top) + "/" for top in ("bot", "flows", "storage"))
CLIENT_SIDE = "wechat_sim.py"  # the simulator plays WeChat: not the server's path
TOKEN, APP_ID = "pathtoken", "wxpath0000000001"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


class Tracer:
    def __init__(self) -> None:
        self.seen: dict[tuple[str, str, int], None] = {}  # insertion-ordered set
        self.calls = 0
        self.active = False

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call" or not self.active:
            return
        code = frame.f_code
        if code.co_filename.startswith(OURS) and not code.co_filename.endswith(CLIENT_SIDE):
            self.calls += 1
            rel = str(Path(code.co_filename).relative_to(ROOT))
            self.seen.setdefault((rel, code.co_qualname, code.co_firstlineno), None)


async def trace_one_answer() -> Tracer:
    from bot.app.asgi import create_app
    from bot.devtools.wechat_sim import WeChatSimulator
    from bot.settings import load_settings

    tracer = Tracer()
    # Before the app exists: its SQLite writer thread inherits the profiler when started.
    threading.setprofile(tracer)
    sys.setprofile(tracer)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            database_url=f"sqlite:///{tmp}/path.db",
            wechat_token=TOKEN,
            wechat_app_id=APP_ID,
            wechat_encoding_aes_key=AES_KEY,
        )
        app = create_app(settings)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=30)
        sim = WeChatSimulator(TOKEN, APP_ID, AES_KEY, "http://wechat.test", client=client)
        user = "o" + "P" * 27
        try:
            await sim.send_event(user, "subscribe")
            await sim.send_text(user, "3")  # bilingual
            tracer.active = True
            try:
                await sim.send_text(user, "2")  # an answer: supplier
            finally:
                tracer.active = False
        finally:
            sys.setprofile(None)
            threading.setprofile(None)  # type: ignore[arg-type]
            await client.aclose()
            app.state.runtime.service.close()
            app.state.runtime.engine.dispose()
        return tracer


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.message_path", description=__doc__)
    parser.add_argument("--list", action="store_true", help="name every function")
    args = parser.parse_args(argv)
    tracer = asyncio.run(trace_one_answer())
    print(f"{len(tracer.seen)} distinct functions, {tracer.calls} calls")
    if args.list:
        for path, name, line in tracer.seen:
            print(f"  {path}:{line} {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
