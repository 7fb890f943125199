"""The flow files shipped with the bot."""

from __future__ import annotations

from pathlib import Path

DEFAULT_FLOW = Path(__file__).with_name("aiag_carbon.yaml")


def shipped_flow_paths() -> list[Path]:
    """Every flow file in this package, sorted (tests and `surveybot check` walk them)."""
    return sorted(Path(__file__).parent.glob("*.yaml"))
