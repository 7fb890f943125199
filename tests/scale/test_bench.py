"""`surveybot bench`: the benchmark server and load generator work end to end (tiny run).

Not a timed test: the figures live in docs/benchmarks.md. This only keeps the tools
from rotting — every push answered 200, the bare route refuses a bad signature.
"""

from __future__ import annotations

import httpx
import pytest
from typer.testing import CliRunner

from benchmarks.bare_app import BARE_PATH
from benchmarks.compare import compare, summary
from benchmarks.inprocess import measure
from benchmarks.wechat_load import LoadConfig
from bot.cli.main import app
from storage.migrate import upgrade
from tests.scale.conftest import StartServer
from tests.scale.server import AES_KEY, APP_ID, TOKEN

pytestmark = pytest.mark.slow


async def test_bench_compares_bare_and_survey_on_a_running_server(
    tmp_path, start_server: StartServer
) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    server = start_server(url, workers=1, command=("bench", "serve"))
    config = LoadConfig(
        url=server.url, token=TOKEN, app_id=APP_ID, aes_key=AES_KEY, respondents=6, concurrency=3
    )

    result = await compare(config, server_pid=server.pid)
    lines = "\n".join(summary(result))

    for run in (result.bare, result.survey, result.steady):
        assert run.requests > 6 and not run.errors, run.row()
    assert result.bare.requests == result.survey.requests  # the same pushes
    assert "survey/bare throughput" in lines and "p99 at 80%" in lines
    assert result.rss_mib and "worker RSS" in lines
    forged = httpx.post(server.url + BARE_PATH, params={"signature": "x", "timestamp": "1"})
    assert forged.status_code == 403

    stats = CliRunner().invoke(app, ["bench", "stats", "--database-url", url, "--repeat", "2"])
    assert stats.exit_code == 0 and "/stats whole survey" in stats.output, stats.output
    rss = CliRunner().invoke(app, ["bench", "rss", str(server.pid)])
    assert rss.exit_code == 0 and "MiB" in rss.output, rss.output


async def test_inprocess_counts_the_dispatcher_cpu_of_real_pushes(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'inprocess.db'}"
    for name, value in (
        ("WECHAT_TOKEN", TOKEN),
        ("WECHAT_APP_ID", APP_ID),
        ("WECHAT_ENCODING_AES_KEY", AES_KEY),
        ("SURVEYBOT_DATABASE_URL", url),
    ):
        monkeypatch.setenv(name, value)
    upgrade(url)

    result = await measure(3)  # every push is answered 200, or measure raises

    assert result.pushes > 20
    assert 0 < result.dispatcher_ms < result.cpu_ms
    assert "dispatcher" in result.row()


def test_stats_timing_times_the_report_and_any_staff_command(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    from benchmarks.stats_timing import main as stats_main
    from flows.definition import load_flow
    from flows.surveys import DEFAULT_FLOW
    from storage.db import make_engine
    from storage.seed_fake import seed_fake

    url = f"sqlite:///{tmp_path / 'stats.db'}"
    upgrade(url)
    engine = make_engine(url)
    seed_fake(engine, load_flow(DEFAULT_FLOW), 25)
    engine.dispose()

    assert stats_main(["--database-url", url, "--repeat", "2", "--texts", "5"]) == 0
    assert "/stats whole survey (texts=5) over 25 respondents, 2 runs" in capsys.readouterr().out
    assert stats_main(["--database-url", url, "--repeat", "2", "--command", "/progress"]) == 0
    assert "staff command /progress over 25 respondents, 2 runs" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        stats_main(["--database-url", url, "--command", "progress"])
    assert refused.value.code == 2
    assert "staff command such as /stats" in capsys.readouterr().err

    result = CliRunner().invoke(
        app, ["bench", "stats", "--database-url", url, "--repeat", "1", "--command", "/survey"]
    )
    assert result.exit_code == 0, result.output
    assert "staff command /survey over 25 respondents, 1 runs" in result.output


def test_bench_stats_pages_times_rows_and_counters_side_by_side(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from flows.definition import load_flow
    from flows.surveys import DEFAULT_FLOW
    from storage.db import make_engine
    from storage.seed_fake import seed_fake

    url = f"sqlite:///{tmp_path / 'pages.db'}"
    upgrade(url)
    engine = make_engine(url)
    seed_fake(engine, load_flow(DEFAULT_FLOW), 30)
    engine.dispose()

    # It stops with an error if any figure from the counters differs from the rows.
    result = CliRunner().invoke(
        app, ["bench", "stats", "--database-url", url, "--repeat", "2", "--pages"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("dashboard data (`gather_dashboard`): rows p50 ")
    assert "; counters p50 " in lines[0]
    assert lines[-1].startswith("staff command /progress (StaffHandler, rolled back): p50 ")
