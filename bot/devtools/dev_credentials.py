"""Development WeChat credentials for a machine without a real Official Account.

`surveybot serve` without WECHAT_TOKEN makes a token, an EncodingAESKey and an app id,
keeps them in the database (so restarts and `surveybot simulate` find the same ones)
and runs in development mode. Never used when WECHAT_TOKEN is set.

Development mode also has an app secret and a customer-service API on a loopback port,
played by `surveybot simulate` (bot.devtools.wechat_sim_api). The port is chosen free
when the credentials are made and kept with them, so two development databases on one
machine (two checkouts, two people) do not send each other's customer-service messages
to one simulator; credentials made before kept 8765.
"""

from __future__ import annotations

import json
import secrets
import socket
import string
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from storage.kv import kv_get, kv_set
from storage.transactions import run_in_transaction

KEY = "dev:wechat_credentials"
DEV_API_PORT = 8765  # credentials made before the port was chosen free kept this one
DEV_APP_SECRET = "dev-app-secret"
_ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class DevCredentials:
    token: str
    app_id: str
    aes_key: str
    api_port: int = DEV_API_PORT

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"


def _new() -> DevCredentials:
    return DevCredentials(
        token="dev" + secrets.token_hex(12),
        app_id="wxdev" + secrets.token_hex(6),
        aes_key="".join(secrets.choice(_ALNUM) for _ in range(43)),
        api_port=_free_port(),
    )


def _free_port() -> int:
    """A loopback port nothing listens on now (the simulator binds it when it starts)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def load_dev_credentials(engine: Engine) -> DevCredentials | None:
    now = datetime.now(UTC)
    raw = run_in_transaction(engine, lambda s: kv_get(session=s, key=KEY, now=now))
    return DevCredentials(**json.loads(raw)) if raw else None


def ensure_dev_credentials(engine: Engine) -> DevCredentials:
    existing = load_dev_credentials(engine)
    if existing is not None:
        return existing
    fresh = _new()
    value = json.dumps(fresh.__dict__)
    run_in_transaction(engine, lambda s: kv_set(session=s, key=KEY, value=value, expires_at=None))
    return fresh
