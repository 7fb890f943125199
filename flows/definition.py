"""Flow files (YAML) become `Flow` objects here; nothing else reads them.

Structure (keys, types, enum values, spec_version) is validated while reading
(`flows.flow_reader`), and every problem is collected before `FlowFileError` is raised.
Then `flows.check.check_flow` runs the semantic rules, so a `Flow` returned from this
module is always valid.

yes_no questions may omit `options`: the loader adds `yes` (是 / Yes) and `no` (否 / No),
the ids the engine expects. The question named by the `contact:` section gets
`role: contact`; flow files do not set `role` themselves.

`integer` and `decimal` questions take `min_value` / `max_value` and `unit`; `note`
questions are shown on the way to the next question and never answered; any question may
carry a `constraint_message` (the flow's own words for a refused answer). The top-level
`next` names the flow offered once this one is completed. docs/xlsform.md maps all of
these to XLSForm columns. `organisation:` names the questions of the organisation
step and `counting:` what reports count once (flows.check_organisation).
"""

from __future__ import annotations

from pathlib import Path

from flows.check import check_flow
from flows.errors import FlowFileError
from flows.flow_reader import FlowReader
from flows.flow_yaml import read_yaml, read_yaml_file
from flows.model import Flow


def load_flow(path: Path | str) -> Flow:
    """Read and validate a flow file. OSError propagates; bad content is FlowFileError."""
    return parse_flow(read_yaml_file(path), source=str(path))


def load_flow_text(content: str, *, source: str = "<text>") -> Flow:
    """A flow from the text of a flow file (e.g. a version kept in the survey registry)."""
    return parse_flow(read_yaml(content, source=source), source=source)


def parse_flow(data: object, *, source: str = "<data>") -> Flow:
    """Turn already-parsed YAML/JSON data into a valid Flow, or raise FlowFileError."""
    reader = FlowReader()
    flow = reader.flow(data)
    if reader.problems or flow is None:
        raise FlowFileError(reader.problems, source=source)
    problems = check_flow(flow)
    if problems:
        raise FlowFileError(problems, source=source)
    return flow
