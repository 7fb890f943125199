"""Turn `Reply` objects into text, one jinja2 template per kind and language.

Templates live in `bot/templates/{zh,en,both}/<name>.j2`, named by the one registry
(flows.reply_registry) for engine and staff replies alike; `both` is the seed's
bilingual layout. Chat text is plain text, so no HTML autoescape here (the web
dashboard has its own, autoescaping environment).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, MutableMapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from bot.dispatch.render_taps import Taps
from flows.model import Lang
from flows.replies import Reply
from flows.reply_registry import template_name, template_params

TEMPLATES = Path(__file__).parents[1] / "templates"
_BLANK_LINES = re.compile(r"\n{3,}")
RENDERED_KEPT = 4096  # texts kept by one Renderer


class _ChatEnvironment(Environment):
    """Each template's globals as a plain dict, not jinja2's ChainMap over the
    environment's: every render copies them into its context and every `{% import %}`
    compares their keys, and through a ChainMap (Python code, per key) that made a
    reply's render about four times dearer. What the ChainMap keeps live, globals
    changed after a template is loaded, jinja2 advises against, and nothing here does:
    this environment's globals are jinja2's own, never changed."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


@functools.cache
def _environment(templates: Path) -> Environment:
    """One environment per template directory, shared by every Renderer of the process
    (the dispatcher's, the staff's, the workers'): each template compiled once."""
    return _ChatEnvironment(
        loader=FileSystemLoader(str(templates)),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        # Templates ship with the code: no stat() of every template on every reply.
        auto_reload=False,
        cache_size=-1,  # all of them (~260): none compiled again after an eviction
    )


def compile_templates(templates: Path = TEMPLATES) -> int:
    """Compile every template now (a worker's start-up, ~0.3 s of CPU), not on the first
    reply that needs it (1-5 ms each, paid by the first respondents after a deploy)."""
    env = _environment(templates)
    names = [name for name in env.list_templates() if name.endswith(".j2")]
    for name in names:
        env.get_template(name)
    return len(names)


class Renderer:
    def __init__(self, templates: Path = TEMPLATES) -> None:
        self._env = _environment(templates)
        self._templates: dict[tuple[Lang, str], Template] = {}
        self._rendered: dict[tuple[object, ...], str] = {}

    def render(self, reply: Reply, lang: Lang, *, links: bool = False) -> str:
        """`links`: options and command words as WeChat tap links (bot.dispatch.render_taps)."""
        chosen = reply.lang or lang
        name, params = template_name(reply), template_params(reply)
        # Most replies are a question's prompt: the same text for everyone who reaches
        # it. Replies whose parameters hash (frozen flow objects, numbers, strings) are
        # rendered once; live figures (lists) are rendered every time.
        key: tuple[object, ...] | None = (chosen, links, name, *params.items())
        try:
            cached = self._rendered.get(key)  # type: ignore[arg-type]
        except TypeError:
            key, cached = None, None
        if cached is not None:
            return cached
        template = self._templates.get((chosen, name))
        if template is None:
            template = self._env.get_template(f"{chosen.value}/{name}.j2")
            self._templates[(chosen, name)] = template
        rendered = template.render(**params, taps=Taps(links=links))
        text = _BLANK_LINES.sub("\n\n", rendered).strip()
        if key is not None:
            if len(self._rendered) >= RENDERED_KEPT:
                self._rendered.clear()  # bounded: many surveys and versions over time
            self._rendered[key] = text
        return text

    def render_all(self, replies: Iterable[Reply], lang: Lang, *, links: bool = False) -> list[str]:
        texts = (self.render(reply, lang, links=links) for reply in replies)
        return [text for text in texts if text]


def template_keys(lang: Lang, templates: Path = TEMPLATES) -> set[str]:
    return {p.stem for p in (templates / lang.value).glob("*.j2") if not p.stem.startswith("_")}
