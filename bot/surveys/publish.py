"""Publishing a survey file (YAML flow or XLSForm workbook) into the registry.

Used by `surveybot surveys publish` and at start-up for the shipped surveys. The file is
validated completely (`surveybot check` rules) before anything is written; a mapping
file is checked against the version it maps from, as stored in the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from flows.definition import load_flow, load_flow_text
from flows.errors import FlowFileError
from flows.flow_yaml import read_yaml_file
from flows.mapping import MappingError, SurveyMapping, check_mapping
from flows.model import Flow
from storage import segment_counters
from storage import surveys as registry
from storage.surveys import RegistryError


@dataclass(frozen=True)
class SurveyFile:
    flow: Flow
    source: str  # the flow file text stored in the registry


@dataclass(frozen=True)
class PublishResult:
    flow: Flow
    added: bool  # False: this exact version was already published
    # Segment counters kept after a rebuild (the `segments:` declaration changed), or None.
    segments_rebuilt: int | None = None


def read_survey_file(path: Path) -> SurveyFile:
    """A flow file (.yaml/.yml) or an XLSForm workbook (.xlsx), validated.

    FlowFileError for bad content, OSError for an unreadable file."""
    if path.suffix.lower() == ".xlsx":
        from flows.xlsform import flow_yaml, generated_header, import_xlsform

        imported = import_xlsform(path)
        source = flow_yaml(imported.data, header=generated_header(path.name))
        return SurveyFile(load_flow_text(source, source=str(path)), source)
    flow = load_flow(path)
    return SurveyFile(flow, path.read_text(encoding="utf-8"))


def read_mapping_file(path: Path) -> SurveyMapping:
    """MappingError for a malformed mapping; FlowFileError for bad YAML; OSError."""
    return SurveyMapping.from_data(read_yaml_file(path))


def publish_survey(
    *,
    session: Session,
    survey: SurveyFile,
    now: datetime,
    mapping: SurveyMapping | None = None,
    actor: str = "cli",
) -> PublishResult:
    """Register `survey`; RegistryError/MappingError say why it cannot be published."""
    flow = survey.flow
    if mapping is not None:
        _check_against_registry(session, flow, mapping)
    changed = segments_changed(session, flow)
    added = registry.publish(
        session=session,
        flow_id=flow.id,
        version=flow.version,
        source=survey.source,
        now=now,
        mapping_json=mapping.to_json() if mapping is not None else None,
        actor=actor,
    )
    rebuilt = None
    if added and changed:
        rebuilt = segment_counters.rebuild(session=session, flow_id=flow.id, declared=flow.segments)
    return PublishResult(flow, added, rebuilt)


def segments_changed(session: Session, flow: Flow) -> bool:
    """Whether `flow` declares other peer segments than the survey's newest version: the
    segment counters follow the newest declaration, so they are rebuilt on publish."""
    newest = registry.newest_version(session=session, flow_id=flow.id)
    if newest is None:
        return bool(flow.segments)
    found = registry.load_source(session=session, flow_id=flow.id, version=newest)
    assert found is not None  # newest_version read it from the registry
    old = load_flow_text(found[0], source=f"{flow.id} v{newest} (registry)")
    return old.segments != flow.segments


def _check_against_registry(session: Session, flow: Flow, mapping: SurveyMapping) -> None:
    if mapping.from_version >= flow.version:
        raise MappingError(
            f"from_version {mapping.from_version} must be older than version {flow.version}"
        )
    found = registry.load_source(session=session, flow_id=flow.id, version=mapping.from_version)
    if found is None:
        raise RegistryError(f"{flow.id} version {mapping.from_version} was never published")
    old = load_flow_text(found[0], source=f"{flow.id} v{mapping.from_version} (registry)")
    problems = check_mapping(old, flow, mapping)
    if problems:
        raise MappingError("; ".join(problems))


def publish_shipped(*, session: Session, paths: list[Path], now: datetime) -> list[PublishResult]:
    """At start-up: register the configured survey files that the registry lacks.

    A file whose version is already published with other content stops the start
    (RegistryError): a changed survey needs a new version number. A file older than the
    registry's newest version is left alone (staff published a newer one).
    """
    results = []
    for path in paths:
        survey = read_survey_file(path)
        newest = registry.newest_version(session=session, flow_id=survey.flow.id)
        if newest is not None and survey.flow.version < newest:
            continue
        try:
            results.append(publish_survey(session=session, survey=survey, now=now, actor="startup"))
        except RegistryError as error:
            raise RegistryError(f"{path}: {error}") from None
    return results


__all__ = [
    "FlowFileError",
    "MappingError",
    "PublishResult",
    "RegistryError",
    "SurveyFile",
    "publish_shipped",
    "publish_survey",
    "read_mapping_file",
    "read_survey_file",
]
