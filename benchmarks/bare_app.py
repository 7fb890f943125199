"""The real app plus `/wechat-bare`: the benchmark's yardstick on the same stack.

`/wechat-bare` does what every push costs before any survey work — read the body, check
the signature (safe mode: the msg_signature over the Encrypt field) and the timestamp
window — and answers "success". It is added to the very app `surveybot serve` builds
(same uvicorn, same middleware, same logging), so the ratio survey/bare measures our
own per-push work. It lives here, not in bot/app/asgi.py: production never mounts it.

    uvicorn --factory benchmarks.bare_app:app_from_env   (what `surveybot bench serve` runs)
"""

from __future__ import annotations

import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.app.asgi import app_from_env as production_app_from_env
from bot.channels.wechat.crypto import check_msg_signature, check_signature, check_timestamp
from bot.channels.wechat.errors import InvalidSignature, MalformedMessage, ReplayedRequest
from bot.channels.wechat.xml import extract_encrypt
from bot.settings import load_settings

BARE_PATH = "/wechat-bare"


def bare_route(token: str) -> Route:
    async def bare(request: Request) -> Response:
        q = request.query_params
        timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
        body = await request.body()
        try:
            if q.get("encrypt_type") == "aes":
                encrypt = extract_encrypt(body)
                check_msg_signature(token, q.get("msg_signature", ""), timestamp, nonce, encrypt)
            else:
                check_signature(token, q.get("signature", ""), timestamp, nonce)
            check_timestamp(timestamp, time.time())
        except (InvalidSignature, ReplayedRequest) as exc:
            return PlainTextResponse(str(exc), status_code=403)
        except MalformedMessage as exc:
            return PlainTextResponse(str(exc), status_code=400)
        return PlainTextResponse("success")

    return Route(BARE_PATH, bare, methods=["POST"])


def app_from_env() -> Starlette:
    """uvicorn's factory for benchmark servers: the production app + the bare route."""
    app = production_app_from_env()
    token = load_settings().wechat_token
    if not token:
        raise RuntimeError("the benchmark server needs WECHAT_TOKEN")
    app.router.routes.append(bare_route(token))
    return app
