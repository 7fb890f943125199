"""/metrics on the real app: messages by outcome, duplicates, rejections, latency, sends."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from bot.dispatch.envelope import Channel, Envelope
from bot.dispatch.service import Service
from bot.observability import metrics
from flows.events import Inbound
from flows.model import Flow
from storage.db import make_engine
from tests.bot.observability.conftest import OPENID, Samples, delta, scrape
from tests.bot.wechat_harness import Harness

REPO = Path(__file__).resolve().parents[3]
CUSTOM_SEND = "/cgi-bin/message/custom/send"


async def test_pushes_are_counted_by_channel_and_outcome(harness: Harness) -> None:
    sim = harness.simulator(safe=True)
    before = await scrape(harness.client)
    for msg_id, text in enumerate(["hi", "3", "2"], start=700):
        assert (await sim.send_text(OPENID, text, msg_id=msg_id)).status == 200
    after = await scrape(harness.client)

    grew = functools.partial(delta, before, after)
    assert grew("surveybot_messages_total", channel="wechat", outcome="ok") == 3
    assert grew("surveybot_dispatch_seconds_count", channel="wechat") == 3
    assert grew("surveybot_requests_total", route="/wechat", method="POST", status="200") == 3
    assert grew("surveybot_request_seconds_count", route="/wechat", method="POST") == 3
    # The latency histogram is cumulative: every push falls in the +Inf bucket.
    assert grew("surveybot_request_seconds_bucket", route="/wechat", method="POST", le="+Inf") == 3


async def test_a_retried_push_counts_as_duplicate(harness: Harness) -> None:
    sim = harness.simulator(safe=False)
    await sim.send_text(OPENID, "hi", msg_id=801)
    before = await scrape(harness.client)
    first = await sim.send_text(OPENID, "3", msg_id=802)
    retry = await sim.send_text(OPENID, "3", msg_id=802)  # WeChat's retry: same MsgId
    after = await scrape(harness.client)

    assert retry.text == first.text
    grew = functools.partial(delta, before, after)
    assert grew("surveybot_messages_total", channel="wechat", outcome="ok") == 1
    assert grew("surveybot_messages_total", channel="wechat", outcome="duplicate") == 1
    assert grew("surveybot_duplicates_total", channel="wechat") == 1


async def test_a_forged_push_counts_as_rejected(harness: Harness) -> None:
    sim = harness.simulator(safe=True)
    before = await scrape(harness.client)
    params, body = sim.signed_push(sim.push_xml(OPENID, "text", Content="x", MsgId=901))
    params["msg_signature"] = "0" * 40
    assert (await sim.post(params, body)).status == 403
    after = await scrape(harness.client)

    grew = functools.partial(delta, before, after)
    assert grew("surveybot_messages_total", channel="wechat", outcome="rejected") == 1
    assert grew("surveybot_requests_total", route="/wechat", method="POST", status="403") == 1
    assert grew("surveybot_messages_total", channel="wechat", outcome="ok") == 0


async def test_a_failed_customer_service_send_counts_as_outbound_failure(
    harness: Harness,
) -> None:
    sim = harness.simulator(safe=False)
    await sim.send_event(OPENID, "subscribe")
    await sim.send_text(OPENID, "简介")  # the preface's tail goes to the outbox
    harness.api.fail_next(CUSTOM_SEND, 45015, "response out of time limit")
    before = await scrape(harness.client)
    await harness.deliver()
    after = await scrape(harness.client)

    assert delta(before, after, "surveybot_outbound_failures_total", channel="wechat") == 1


def test_a_dispatcher_failure_counts_as_error(tmp_path: Path, flow: Flow) -> None:
    broken = make_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")  # cannot open
    service = Service(broken, flow)
    envelope = Envelope(Channel.CONSOLE, "u1", "k1", Inbound(now=datetime.now(UTC), text="hi"))
    before = _local_samples()
    with pytest.raises(OperationalError):
        service.handle_sync(envelope)
    after = _local_samples()
    broken.dispose()

    assert delta(before, after, "surveybot_messages_total", channel="console", outcome="error") == 1
    assert delta(before, after, "surveybot_errors_total", where="dispatcher") == 1


def _local_samples() -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(metrics.render_latest().decode())
        for sample in family.samples
    }


async def test_unknown_paths_share_one_route_label(harness: Harness) -> None:
    for path in ("/wp-login.php", "/.env", "/a/b/c"):
        assert (await harness.client.get(f"http://wechat.test{path}")).status_code == 404
    after = await scrape(harness.client)
    routes = {dict(labels).get("route") for name, labels in after if name.startswith("surveybot_")}
    assert "unmatched" in routes
    assert not routes & {"/wp-login.php", "/.env", "/a/b/c"}


def test_several_worker_processes_are_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Multi-process mode as `surveybot serve --workers 2` sets it up."""
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path))
    (tmp_path / "counter_99999.db").write_bytes(b"stale")  # left by an earlier run
    assert metrics.prepare_multiprocess_dir(workers=2) is None  # the operator's directory
    assert list(tmp_path.iterdir()) == []

    worker = (
        "from bot.observability import metrics\n"
        "metrics.record_message('wechat', 'ok')\n"
        "metrics.record_message('telegram', 'duplicate')\n"
        "metrics.record_request('/wechat', 'POST', 200, 0.012)\n"
    )
    env = {**os.environ, metrics.MULTIPROC_ENV: str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", worker], env=env, cwd=REPO, check=True)

    text = metrics.render_latest().decode()
    assert 'surveybot_messages_total{channel="wechat",outcome="ok"} 2.0' in text
    assert 'surveybot_duplicates_total{channel="telegram"} 2.0' in text
    assert 'surveybot_request_seconds_count{method="POST",route="/wechat"} 2.0' in text


def test_serve_makes_a_fresh_directory_only_for_several_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(metrics.MULTIPROC_ENV, "unset-by-this-test")
    monkeypatch.delenv(metrics.MULTIPROC_ENV)  # restored (absent) after the test
    assert metrics.prepare_multiprocess_dir(workers=1) is None
    assert metrics.MULTIPROC_ENV not in os.environ

    created = metrics.prepare_multiprocess_dir(workers=3)
    assert created is not None and created.is_dir()
    assert os.environ[metrics.MULTIPROC_ENV] == str(created)
    metrics.remove_multiprocess_dir(created)
    assert not created.exists()
    assert metrics.MULTIPROC_ENV not in os.environ
