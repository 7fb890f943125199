"""`surveybot`: one Typer CLI. Each command group lives in its own module."""

from __future__ import annotations

import typer

from bot.cli import (
    chat_cmd,
    db_cmds,
    flow_cmds,
    serve_cmd,
    surveys_cmds,
    telegram_cmds,
    web_cmds,
    wechat_cmds,
    xlsform_cmds,
)
from bot.cli.bench_cmd import bench_app

app = typer.Typer(
    name="surveybot",
    help="AIAG carbon survey bot: serve the WeChat/Telegram webhooks, chat, check flows, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("serve", help="Run the web service (WeChat, Telegram, health) under uvicorn.")(
    serve_cmd.serve
)
app.command(
    "charts", help="Draw completion charts (`serve` runs one such process beside its workers)."
)(serve_cmd.charts)
app.command("chat", help="Take the survey in this terminal, through the real engine and storage.")(
    chat_cmd.chat
)
app.command("check", help="Validate flow files; every problem is named with its place.")(
    flow_cmds.check
)
app.command("report", help="Print the survey summary in the seed's layout.")(flow_cmds.report)
app.command("export", help="Export one row per respondent as CSV, XLSX or SPSS (.sav).")(
    flow_cmds.export
)
app.command("import-xlsform", help="Convert an XLSForm workbook (.xlsx) into a flow file (YAML).")(
    xlsform_cmds.import_xlsform_cmd
)
app.command(
    "export-xlsform", help="Write a flow as an XLSForm workbook (default: the AIAG survey)."
)(xlsform_cmds.export_xlsform_cmd)
app.add_typer(db_cmds.db_app, name="db", help="Database: migrations and consistency checks.")
app.add_typer(
    surveys_cmds.surveys_app, name="surveys", help="Survey registry: list, publish, close."
)
app.command("simulate", help="Act as WeChat's server towards a running `surveybot serve`.")(
    wechat_cmds.simulate
)
app.add_typer(wechat_cmds.wechat_app, name="wechat", help="WeChat Official Account tools.")
app.add_typer(telegram_cmds.telegram_app, name="telegram", help="Telegram bot: set-webhook, poll.")
app.add_typer(bench_app, name="bench", help="Benchmarks: bench server, WeChat load, /stats timing.")
app.command(
    "staff-link", help="Print a signed, expiring dashboard (or export) link for a staff member."
)(web_cmds.staff_link)

if __name__ == "__main__":
    app()
