"""`surveybot import-xlsform | export-xlsform`: author flows in Excel (XLSForm), both ways.

flows.xlsform (openpyxl, which pulls in numpy) is imported by these commands only.
"""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli.common import flow_or_exit
from flows.errors import FlowFileError
from flows.surveys import DEFAULT_FLOW


def import_xlsform_cmd(
    file: Path = typer.Argument(..., help="The XLSForm workbook (.xlsx) to convert."),
    output: Path = typer.Option(
        None, "--output", "-o", help="Flow file (YAML) to write; default: print it."
    ),
) -> None:
    from flows.xlsform import flow_yaml, generated_header, import_xlsform

    try:
        result = import_xlsform(file)
    except FlowFileError as error:
        count = len(error.problems)
        typer.echo(f"{file}: {count} problem{'s' if count != 1 else ''}", err=True)
        for problem in error.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from None
    except OSError as error:
        typer.echo(f"surveybot: cannot read {file}: {error.strerror or error}", err=True)
        raise typer.Exit(2) from None
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    text = flow_yaml(result.data, header=generated_header(file.name))
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    flow = result.flow
    typer.echo(
        f"wrote {output}: {flow.id} version {flow.version}, {len(flow.questions)} questions",
        err=True,
    )


def export_xlsform_cmd(
    flow_file: Path = typer.Argument(
        None, help="Flow file (YAML) to export; default: the shipped AIAG survey."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Workbook (.xlsx) to write."),
) -> None:
    from flows.xlsform import export_xlsform

    flow = flow_or_exit(flow_file or DEFAULT_FLOW)
    export_xlsform(flow, output)
    typer.echo(f"wrote {output}: {flow.id} version {flow.version}", err=True)
