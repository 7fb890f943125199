"""`surveybot simulate` and `surveybot wechat menu`."""

from __future__ import annotations

import contextlib
import getpass
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import typer

from bot.app.channel_seams import DatabaseTokenStore
from bot.channels.wechat.api import WeChatApi
from bot.channels.wechat.errors import WeChatApiError
from bot.channels.wechat.menu import MenuKey, menu_definition
from bot.cli.common import settings_or_exit
from bot.devtools.dev_credentials import DevCredentials, load_dev_credentials
from bot.devtools.wechat_sim import SimReply, WeChatSimulator
from bot.devtools.wechat_sim_api import SimulatedCustomerService
from bot.dispatch.tap_links import plain
from storage.db import make_engine
from storage.migrate import upgrade

wechat_app = typer.Typer(no_args_is_help=True, add_completion=False)

SIM_HELP = """Type a message as a WeChat user would. Special inputs:
  :subscribe [scene]   follow the account (optionally from a QR code scene)
  :unsubscribe         unfollow
  :click start|answers|contact|results   tap a menu button
  :voice TEXT          a voice message recognised as TEXT
  :image               send a picture
  :quit                leave
[Links] are what a follower taps; type the number or word beside one instead."""
LINK_MARK = "[{}]"

_CLICKS = {
    "start": MenuKey.START_SURVEY,
    "answers": MenuKey.MY_ANSWERS,
    "contact": MenuKey.CONTACT_AIAG,
    "results": MenuKey.LATEST_RESULTS,
}


def _show(reply: SimReply) -> None:
    if reply.status != 200:
        typer.echo(f"[HTTP {reply.status}] {reply.body}")
    elif reply.text:
        typer.echo(plain(reply.text, LINK_MARK))
    else:
        typer.echo("(no reply: success)")
    typer.echo("")


async def _one(sim: WeChatSimulator, openid: str, line: str) -> SimReply | None:
    command, _, rest = line.partition(" ")
    if command == ":subscribe":
        key = f"qrscene_{rest.strip()}" if rest.strip() else None
        return await sim.send_event(openid, "subscribe", event_key=key)
    if command == ":unsubscribe":
        return await sim.send_event(openid, "unsubscribe")
    if command == ":click":
        key = _CLICKS.get(rest.strip())
        if key is None:
            typer.echo(f"unknown menu button {rest.strip()!r}; one of: {', '.join(_CLICKS)}")
            return None
        return await sim.send_click(openid, key)
    if command == ":voice":
        return await sim.send_voice(openid, rest)
    if command == ":image":
        return await sim.send_image(openid)
    if command.startswith(":"):
        typer.echo(SIM_HELP)
        return None
    return await sim.send_text(openid, line)


def simulate(
    url: str = typer.Option(
        "http://127.0.0.1:8000/wechat", "--url", help="The server's /wechat URL."
    ),
    aes: bool | None = typer.Option(
        None,
        "--aes/--plain",
        help="Encrypt pushes and decrypt replies (safe mode), or send plaintext pushes. "
        "Default: encrypt whenever an EncodingAESKey is configured (the server then refuses "
        "plaintext pushes).",
    ),
    user: str = typer.Option(None, "--user", help="The simulated openid (default: from login)."),
    images: Path = typer.Option(
        Path("simulated-images"), "--images", help="Where images sent to you are saved."
    ),
) -> None:
    settings = settings_or_exit()
    token, app_id, aes_key = (
        settings.wechat_token,
        settings.wechat_app_id,
        settings.wechat_encoding_aes_key,
    )
    dev: DevCredentials | None = None
    if not token:
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            dev = load_dev_credentials(engine)
        finally:
            engine.dispose()
        if dev is None:
            typer.echo(
                "surveybot: no WECHAT_TOKEN and no development credentials yet: "
                "start `surveybot serve` first",
                err=True,
            )
            raise typer.Exit(2)
        token, app_id, aes_key = dev.token, dev.app_id, dev.aes_key
    if aes is None:
        aes = aes_key is not None
    if aes and not aes_key:
        raise typer.BadParameter("--aes needs WECHAT_ENCODING_AES_KEY", param_hint="--aes")
    base, _, path = url.partition("/wechat")
    openid = user or f"o_sim_{getpass.getuser()}"
    typer.echo(f"Simulating WeChat user {openid} → {url} ({'safe mode' if aes else 'plaintext'})")
    typer.echo(SIM_HELP + "\n")

    async def run() -> None:
        sim = WeChatSimulator(token, app_id or "", aes_key if aes else None, base_url=base)
        try:
            _show(await sim.send_event(openid, "subscribe", create_time=int(time.time())))
            while True:
                try:
                    line = input("> ").strip()
                except (EOFError, KeyboardInterrupt):
                    return
                if line == ":quit":
                    return
                if line:
                    reply = await _one(sim, openid, line)
                    if reply is not None:
                        _show(reply)
        finally:
            await sim.aclose()

    with _customer_service(dev, openid, images):
        anyio.run(run)


@contextlib.contextmanager
def _customer_service(dev: DevCredentials | None, openid: str, images: Path) -> Iterator[None]:
    """Development mode: play WeChat's customer-service API for `surveybot serve`."""
    if dev is None:  # a real account: its messages go to the real WeChat
        yield
        return
    try:
        api = SimulatedCustomerService(dev.api_port, images, _echo, openid=openid)
    except OSError:
        typer.echo(f"(port {dev.api_port} busy: customer-service messages are not shown)")
        yield
        return
    api.start()
    typer.echo(f"Playing WeChat's customer-service API on {dev.api_url}; images go to {images}/")
    try:
        yield
    finally:
        api.stop()


def _echo(text: str) -> None:
    typer.echo(f"\n{plain(text, LINK_MARK)}\n")


@wechat_app.command("menu", help="Publish the bilingual menu through WeChat's API.")
def menu(
    show: bool = typer.Option(False, "--show", help="Only print the menu JSON, publish nothing."),
) -> None:
    import json

    definition = menu_definition()
    if show:
        typer.echo(json.dumps(definition, ensure_ascii=False, indent=2))
        return
    settings = settings_or_exit()
    if not (settings.wechat_app_id and settings.wechat_app_secret):
        typer.echo(
            "surveybot: publishing the menu needs WECHAT_APP_ID and WECHAT_APP_SECRET", err=True
        )
        raise typer.Exit(2)
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    api = WeChatApi(
        settings.wechat_app_id,
        settings.wechat_app_secret,
        token_store=DatabaseTokenStore(engine),
        base_url=settings.wechat_api_base_url,
    )
    try:
        anyio.run(api.create_menu, definition)
    except WeChatApiError as exc:
        typer.echo(f"surveybot: WeChat refused the menu: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        api.close()
        engine.dispose()
    typer.echo("menu published")
