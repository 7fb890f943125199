"""Golden transcript of the completion message (issue 17 §6) through POST /wechat.

One message: the closing words, each numbered answer with its live figures (✓ = the
respondent's own), and one next step, the in-chat follow-up (never the old web link,
as the survey offers an in-chat one). Five respondents answered before, so figures
show. Without the customer-service API a long reply is paged, each page ≤ 2048 bytes.
Run with SURVEYBOT_UPDATE_GOLDEN=1 to rewrite the golden files after a deliberate change.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from bot.channels.wechat.pages import MORE_CONTENT, paginate
from bot.dispatch.render import Renderer
from bot.dispatch.summary import figure_params, indexed
from bot.reports.disclosure import question_figures
from flows.completion_replies import Completed
from flows.definition import load_flow
from flows.model import Lang
from flows.surveys import DEFAULT_FLOW
from tests.bot.wechat_harness import open_harness
from tests.flows.script import Script

GOLDEN = Path(__file__).parent / "golden"
OEM = ("1", "7", "1", "2", "6", "4", "2", "2", "2", "2", "4", "2", "2")  # an OEM; no org step
LANGUAGES = {"zh": "中文", "en": "English", "both": "双语"}
PASSIVE_BYTES = 2048


@pytest.mark.parametrize("lang", list(LANGUAGES))
async def test_the_completion_message_in_each_language(db_url: str, lang: str) -> None:
    async with open_harness(db_url, wechat_app_secret=None, snapshot_min_respondents=5) as h:
        sim = h.simulator(safe=True)
        for n in range(5):
            for text in ("hi", "中文", *OEM):
                await sim.send_text(f"o_seed{n}", text)
        for text in ("hi", LANGUAGES[lang], *OEM[:-1]):
            await sim.send_text("o_viewer", text)
        reply = await sim.send_text("o_viewer", OEM[-1])
        pages = [reply]
        while (
            reply.text is not None
            and reply.text.rstrip().endswith(")")
            and "/" in (reply.text.rsplit("(", 1)[-1])
        ):
            page, total = reply.text.rsplit("(", 1)[-1].rstrip(")").split("/")
            if page == total:
                break
            reply = await sim.send_text("o_viewer", MORE_CONTENT)
            pages.append(reply)
        for page in pages:
            assert page.text is not None and len(page.text.encode("utf-8")) <= PASSIVE_BYTES
        shown = "\n---\n".join(page.shown for page in pages)

    golden = GOLDEN / f"completion_{lang}.txt"
    if os.environ.get("SURVEYBOT_UPDATE_GOLDEN"):
        golden.write_text(shown + "\n", encoding="utf-8")
    assert shown == golden.read_text(encoding="utf-8").rstrip("\n")
    assert "wenjuan" not in shown  # one next step: the in-chat follow-up only
    assert shown.count("后续调查" if lang != "en" else "next") >= 1


ALL_OPTIONS = ("2", "1,2,3,4,5,6,7,8,9,10", "1,2,3,4,5,6,7", "是", "是", "1,2,3,4,5", "1,2,3",
               "是", "是", "是", "我们遵守 GRI 标准和 TCFD 框架，每年发布经第三方审核的 ESG 报告。",
               "是", "是", "1,2,3,4,5,6", "2,3", "否")  # fmt: skip


def test_the_worst_case_fits_one_passive_reply_in_one_language() -> None:
    """Every multiple-choice option chosen, every figure exact: zh and en fit 2048 bytes
    with tap links; bilingual is paged between lines, the next step on the last page."""
    flow = load_flow(DEFAULT_FLOW)
    script = Script(flow)
    script.answer_all("hi", "双语", *ALL_OPTIONS)
    done = next(r for r in script.last.replies if isinstance(r, Completed))  # type: ignore[union-attr]
    assert script.state is not None
    rows = []
    for question in flow.questions:
        answer = script.state.answers.get(question.id)
        if question.is_choice and answer is not None and answer.options:
            counts = {o.id: 10 + 3 * i for i, o in enumerate(question.options)}
            mine = set(answer.options)
            figures = question_figures(question, counts, 40, mine, min_group=5, min_cell=3, top=3)
            assert figures is not None
            items = [figure_params(question, f) for f in figures.figures]
            rows.append({"question": question, "base": 40, "figures": items})
    summary = {"rows": rows, "segment": None, "answered": True, "coarse": False, "at_most": 2}
    reply = replace(done, figures=indexed(summary))
    renderer = Renderer()
    sizes = {lang: len(renderer.render(reply, lang, links=True).encode()) for lang in Lang}
    assert sizes[Lang.ZH] <= PASSIVE_BYTES and sizes[Lang.EN] <= PASSIVE_BYTES, sizes
    pages = paginate(renderer.render(reply, Lang.BOTH, links=True))
    assert len(pages) == 2 and all(len(p.encode()) <= PASSIVE_BYTES for p in pages)
    assert "后续调查" in pages[-1] and "14. " in pages[-1]


def test_without_figures_or_follow_up_survey_the_message_says_so() -> None:
    """Too few respondents: the answers alone, no ✓ heading; no `next:` in the flow: the
    flow's own follow-up text (the old web link) is the next step."""
    flow = load_flow(DEFAULT_FLOW)
    script = Script(flow)
    script.answer_all("hi", "中文", *ALL_OPTIONS)
    done = next(r for r in script.last.replies if isinstance(r, Completed))  # type: ignore[union-attr]
    empty = {"rows": [], "segment": None, "answered": True, "coarse": False, "at_most": 2}
    reply = replace(done, figures=indexed(empty), offer_next=False, followup=flow.followup)
    text = Renderer().render(reply, Lang.ZH)
    assert "\n您的答案：\n1. 供应商\n2. 内饰、外饰" in text and "✓" not in text
    assert "参与人数较少" in text
    assert text.endswith(flow.followup.zh) and "回复“后续调查”" not in text  # type: ignore[union-attr]
