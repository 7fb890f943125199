"""Reading flow and mapping files: strict YAML, every problem a `FlowFileError`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from flows.errors import FlowFileError, Problem

TOP = "top level"


class _FlowLoader(yaml.SafeLoader):
    """SafeLoader tuned for hand-edited files.

    Only true/false are booleans: YAML 1.1 would read the option id `no` (or `yes`, `on`)
    as a boolean and break `any_of: [yes]`. A duplicated key is an error instead of
    silently keeping the last one.
    """

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str | int | float) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_FlowLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml_file(path: Path | str) -> object:
    """The parsed content of a UTF-8 YAML file. OSError propagates."""
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        problem = Problem(TOP, f"not UTF-8 text ({error.reason} at byte {error.start})")
        raise FlowFileError([problem], source=str(path)) from None
    return read_yaml(content, source=str(path))


def read_yaml(content: str, *, source: str = "<text>") -> object:
    try:
        return yaml.load(content, Loader=_FlowLoader)
    except yaml.MarkedYAMLError as error:
        raise FlowFileError([_yaml_problem(error)], source=source) from None
    except yaml.YAMLError as error:
        raise FlowFileError([Problem(TOP, f"not valid YAML: {error}")], source=source) from None


def _yaml_problem(error: yaml.MarkedYAMLError) -> Problem:
    mark, context_mark = error.problem_mark or error.context_mark, error.context_mark
    place = f"line {mark.line + 1}, column {mark.column + 1}" if mark else TOP
    context = error.context
    # An unclosed bracket is noticed lines later: say where the construct started.
    if context and context_mark and mark and context_mark.line != mark.line:
        context += f" (started at line {context_mark.line + 1}, column {context_mark.column + 1})"
    what = "; ".join(part for part in (context, error.problem) if part)
    return Problem(place, f"not valid YAML: {what}")
