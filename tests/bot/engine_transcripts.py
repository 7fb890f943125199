"""The engine's replies to a script of messages, rendered as a respondent reads them:
the golden transcripts of the organisation step (tests/bot/fixtures/*.txt)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.dispatch.render import Renderer
from flows.completion_replies import SnapshotRequest, SummaryRequest
from flows.model import Lang
from tests.flows.script import Script

# Live figures are filled in from the database by bot.dispatch.snapshots: not the engine's words.
FILLED_BY_THE_DISPATCHER = (SnapshotRequest, SummaryRequest)


def rendered(script: Script, texts: Iterable[str], lang: Lang, *, kept: Iterable[str]) -> str:
    """Send `texts` in order; the messages in `kept` and the replies to them, rendered
    in `lang` ("" for the others: sent, not shown)."""
    keep = set(kept)
    renderer = Renderer()
    lines: list[str] = []
    for text in texts:
        step = script.send(text)
        if text in keep:
            lines.append(f">>> {text}")
            shown = [r for r in step.replies if not isinstance(r, FILLED_BY_THE_DISPATCHER)]
            lines += renderer.render_all(shown, lang)
    return "\n".join(lines) + "\n"
