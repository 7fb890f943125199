"""Every reply the engine (and the staff side) can produce renders in 中文, English and
bilingual."""

from __future__ import annotations

import pkgutil
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flows
from bot.dispatch.render import TEMPLATES as TEMPLATES_DIR
from bot.dispatch.render import Renderer, compile_templates, template_keys
from bot.reports import staff_replies as fmt
from bot.reports.round_changes import change_report
from flows import (
    colleague_replies,
    command_replies,
    completion_replies,
    confirmation_replies,
    contact_form_replies,
    outside_step_replies,
    replies,
    staff_replies,
    staff_report_replies,
)
from flows.command_replies import UnsupportedInput
from flows.completion_replies import CompletedHint, Snapshot
from flows.definition import load_flow
from flows.events import Intent
from flows.model import Flow, Lang, Text
from flows.replies import AnswersDropped, AskQuestion, InvalidAnswer, Recorded, Reply
from flows.reply_registry import REQUESTS, TEMPLATES
from flows.staff_replies import StaffContactAlert
from flows.staff_report_replies import (
    StaffChanges,
    StaffChangesUnmapped,
    StaffChart,
    StaffCrosstab,
    StaffCrosstabSame,
    StaffFilterError,
    StaffFilterLine,
    StaffPrivateQuestion,
    StaffProgress,
    StaffStatsQuestion,
    StaffUnknownQuestion,
)
from flows.state import Answer
from flows.surveys import DEFAULT_FLOW
from tests.flows.script import Script

# The modules that define reply kinds: the engine's, by job, and the staff side's.
REPLY_MODULES = (
    replies,
    command_replies,
    confirmation_replies,
    contact_form_replies,
    completion_replies,
    outside_step_replies,
    colleague_replies,
    staff_replies,
    staff_report_replies,
)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def test_every_reply_module_is_checked() -> None:
    """A new `flows/*replies.py` joins REPLY_MODULES, so its kinds are checked below."""
    found = {m.name for m in pkgutil.iter_modules(flows.__path__) if m.name.endswith("replies")}
    assert found == {m.__name__.removeprefix("flows.") for m in REPLY_MODULES}


def test_every_template_exists_in_every_language() -> None:
    zh, en, both = (template_keys(lang) for lang in (Lang.ZH, Lang.EN, Lang.BOTH))
    assert zh == en == both


def test_every_reply_kind_has_its_template_in_every_language() -> None:
    kinds = {
        c
        for module in REPLY_MODULES
        for c in vars(module).values()
        if isinstance(c, type) and issubclass(c, Reply)
    }
    assert kinds - {Reply} == set(TEMPLATES) | set(REQUESTS)  # each kind registered, once
    assert len(set(TEMPLATES.values())) == len(TEMPLATES)  # no two kinds share a template
    for kind, name in TEMPLATES.items():
        for lang in Lang:
            assert (TEMPLATES_DIR / lang.value / f"{name}.j2").is_file(), (kind, lang)


def test_no_template_is_unused() -> None:
    """Every template is a registered reply kind's, the engine's or the staff side's."""
    assert template_keys(Lang.ZH) == set(TEMPLATES.values())


def test_bilingual_question_shows_both_languages(renderer: Renderer, flow: Flow) -> None:
    question = flow.question("role")
    reply = AskQuestion(question, "1", 15, last_step=False, current=None, optional=False)
    text = renderer.render(reply, Lang.BOTH)
    assert "您是OEM厂商还是供应商？" in text and "Are you an OEM or a Supplier?" in text
    assert "1. 主机厂 OEM" in text and "【1/15】" in text
    assert "Are you" not in renderer.render(reply, Lang.ZH)
    assert "您是" not in renderer.render(reply, Lang.EN)


def test_a_bilingual_recorded_answer_names_an_option_once_when_both_labels_are_one(
    renderer: Renderer, flow: Flow
) -> None:
    recorded = Recorded(flow.question("methodology"), Answer(options=("iso14064", "ghg_protocol")))
    text = renderer.render(recorded, Lang.BOTH)
    assert text.startswith("✓ 已记录 Recorded：ISO14064、温室气体核算体系 / ISO14064, GHG Protocol")
    alone = Recorded(flow.question("methodology"), Answer(options=("iso14064",)))
    assert renderer.render(alone, Lang.BOTH) == "✓ 已记录 Recorded：ISO14064"
    typed = Recorded(flow.question("reporting_explain"), Answer(text="CDP"))
    assert renderer.render(typed, Lang.BOTH) == "✓ 已记录 Recorded：CDP"


def test_a_skip_is_confirmed_and_says_when_it_removed_an_answer(
    renderer: Renderer, flow: Flow
) -> None:
    question = flow.question("reporting_explain")
    skipped = Recorded(question, Answer())
    assert renderer.render(skipped, Lang.ZH) == "✓ 已跳过"
    assert renderer.render(skipped, Lang.EN) == "✓ Skipped"
    assert renderer.render(skipped, Lang.BOTH) == "✓ 已跳过 Skipped"
    cleared = Recorded(question, Answer(), cleared=True)
    assert renderer.render(cleared, Lang.ZH) == "✓ 已跳过，原答案已删除"
    assert renderer.render(cleared, Lang.EN) == "✓ Skipped; the earlier answer was removed"
    both = "✓ 已跳过 Skipped：原答案已删除 / the earlier answer was removed"
    assert renderer.render(cleared, Lang.BOTH) == both


def test_removed_answers_are_named_by_number(renderer: Renderer) -> None:
    two = AnswersDropped(("2", "8"))
    assert renderer.render(two, Lang.ZH) == "第 2、8 题的回答已不适用，已删除。"
    english = "Your answers to questions 2 and 8 no longer apply and were removed."
    assert renderer.render(two, Lang.EN) == english
    assert renderer.render(two, Lang.BOTH) == "第 2、8 题的回答已不适用，已删除。\n" + english
    one = renderer.render(AnswersDropped(("10a",)), Lang.EN)
    assert one == "Your answer to question 10a no longer applies and was removed."
    three = renderer.render(AnswersDropped(("2", "8", "10a")), Lang.EN)
    assert three.startswith("Your answers to questions 2, 8 and 10a no longer")


def test_after_completion_the_hint_names_the_follow_up_survey(renderer: Renderer) -> None:
    hint = renderer.render(CompletedHint(offer_next=True), Lang.ZH)
    assert hint.startswith("您已完成本次调查，感谢参与！后续调查就在这里，回复“后续调查”即可开始")
    english = renderer.render(CompletedHint(offer_next=True), Lang.EN)
    assert 'The follow-up survey is right here: reply "next" to start it.' in english
    assert "后续调查" not in renderer.render(CompletedHint(), Lang.ZH)
    assert "follow-up" not in renderer.render(CompletedHint(), Lang.EN)


def _item(text: object, shown: str, count: int | None = None, pct: str | None = None) -> dict:  # type: ignore[type-arg]
    others = None if count is None else count - 1
    return {
        "text": text,
        "shown": shown,
        "mine": True,
        "count": count,
        "others": others,
        "pct": pct,
    }


def test_a_snapshot_counted_per_unit_names_the_rule_on_its_base(
    renderer: Renderer, flow: Flow
) -> None:
    yes = flow.question("carbon_policy").option("yes")
    per_organisation = Snapshot(8, [_item(yes.text, "exact", 4, "50")], 2, counting="organisation")
    assert renderer.render(per_organisation, Lang.ZH) == (
        "8 家机构中（按机构计，每家一次；您的答案代表您的机构），"
        "您和另外 3 家选择了“是”（4/8，50%）。"
    )
    assert renderer.render(per_organisation, Lang.EN) == (
        "Of 8 organisations (counted per organisation, each once; your answers stand for your"
        " organisation), you and 3 others chose Yes (4 of 8, 50%)."
    )
    per_plant = Snapshot(9, [_item(yes.text, "few")], 2, counting="plant")
    assert renderer.render(per_plant, Lang.ZH) == (
        "9 个工厂中（按工厂计，每个工厂一次；您的答案代表您的工厂），"
        "您和少数其他单位（最多 2 个）选择了“是”。"
    )
    both = renderer.render(per_plant, Lang.BOTH)
    assert "按工厂计" in both and "counted per plant, each once" in both


def test_snapshot_reads_like_the_issue(renderer: Renderer, flow: Flow) -> None:
    """ "you and 3 others (4 of 8)": "also" only about others, on a named base."""
    yes = flow.question("carbon_policy").option("yes")
    exact = Snapshot(8, [_item(yes.text, "exact", 4, "50")], 2)
    assert renderer.render(exact, Lang.ZH) == "8 位受访者中，您和另外 3 人选择了“是”（4/8，50%）。"
    assert (
        renderer.render(exact, Lang.EN)
        == "Of 8 respondents, you and 3 others chose Yes (4 of 8, 50%)."
    )
    assert renderer.render(exact, Lang.BOTH) == (
        "8 位受访者中，您和另外 3 人选择了“是”（4/8，50%）。 / "
        "Of 8 respondents, you and 3 others chose Yes (4 of 8, 50%)."
    )
    alone = Snapshot(316, [_item(yes.text, "alone")], 2)
    assert renderer.render(alone, Lang.EN) == "Of 316 respondents, so far only you chose Yes."
    assert renderer.render(alone, Lang.ZH) == "316 位受访者中，目前只有您选择了“是”。"
    few = Snapshot(9, [_item(yes.text, "few")], 2)
    assert (
        renderer.render(few, Lang.EN)
        == "Of 9 respondents, you and a few others (at most 2) chose Yes."
    )
    assert renderer.render(few, Lang.ZH) == "9 位受访者中，您和少数其他人（最多 2 人）选择了“是”。"
    most = Snapshot(9, [_item(yes.text, "most")], 2)
    assert renderer.render(most, Lang.EN) == (
        "Of 9 respondents, you and most others (all but at most 2) chose Yes."
    )
    assert (
        renderer.render(most, Lang.ZH)
        == "9 位受访者中，您和大多数其他人（最多 2 人例外）选择了“是”。"
    )


def test_staff_replies_show_a_question_outside_the_count_by_its_text(
    renderer: Renderer, flow: Flow
) -> None:
    """The contact consent has no number: every staff reply about it shows its text alone,
    never its id in the number's place, an empty 【】 or "None"."""
    consent, role = flow.question("contact_consent"), flow.question("role")
    number = fmt.number(flow, consent)
    assert number is None and fmt.number(flow, role) == "1"
    pairs = [(Answer(("yes",)), Answer(("no",)))]
    shown = "截至 As of x\n筛选 Filter：不含测试数据 test data left out"
    kinds: list[Reply] = [
        StaffStatsQuestion(number=number, question=consent, choice=True, respondents=0,
                           selections=0, rows=[], texts=[], text_total=0, numbers=None,
                           as_of="x", filter_line=shown),
        StaffCrosstab(row_question=consent, col_question=consent, row_number=number,
                      col_number=number, respondents=0, columns=[], as_of="x", filter_line=""),
        StaffCrosstabSame(number=number),
        StaffChart(question=consent, number=number, respondents=0, chartable=True,
                   drawing=False, as_of="x", filter_line=""),
        StaffPrivateQuestion(question=consent, number=number),
        StaffChangesUnmapped(question=consent, number=number, survey="earlier"),
        StaffChanges(question=consent, number=number, survey="earlier",
                     report=change_report(flow, consent, consent.id, pairs)),
        StaffContactAlert(reference="C-000001", reason=Text("问卷", "survey"), created="x",
                          details=[], question=consent, number=number),
        StaffFilterError(problem="not_choice", text="x", question=consent, number=number,
                         options=[]),
        StaffFilterError(problem="unknown_option", text="x", question=consent, number=number,
                         options=[Text("是", "Yes")]),
        StaffFilterLine(conditions=[{"number": number, "question": consent,
                                     "option": Text("是", "Yes")}],
                        since=None, until=None, channel=None, language=None, test=False),
        StaffProgress(started=1, completed=0, rate=0, started_today=1, completed_today=0,
                      unfinished=1, waiting=[{"question": consent, "number": number,
                                              "sessions": 1, "idle": 0, "reached": 1,
                                              "pct": 100}],
                      idle_hours=24, reminded=0, came_back=0, as_of="x", filter_line=""),
    ]  # fmt: skip
    for reply in kinds:
        for lang in Lang:
            text = renderer.render(reply, lang)
            assert consent.id not in text or isinstance(reply, StaffPrivateQuestion), reply
            empty = [t for t in ("【】", "[]", "（）", "()", "None") if t in text]
            assert not empty, (reply, lang, text)
            wanted = {Lang.ZH: [consent.text.zh], Lang.EN: [consent.text.en]}.get(
                lang, [consent.text.zh, consent.text.en]
            )
            if not isinstance(reply, StaffCrosstabSame | StaffPrivateQuestion):
                assert all(w in text for w in wanted), (reply, lang, text)
    listed = renderer.render(
        StaffUnknownQuestion(ref="x", not_choice=False, questions=fmt.question_list(flow)), Lang.EN
    )
    assert "\n1. role — " in listed and f"\n{consent.id} — {consent.text.en}" in listed
    assert "None" not in listed


def test_errors_are_bilingual(renderer: Renderer, flow: Flow) -> None:
    reply = InvalidAnswer("not_an_option", {}, flow.question("role"), 1, lang=Lang.BOTH)
    text = renderer.render(reply, Lang.ZH)
    assert "没有这个编号" in text and "There is no such number" in text


def test_a_refused_name_says_what_a_name_may_hold(renderer: Renderer, flow: Flow) -> None:
    # "Jane <b>Doe</b>" has no digit: the reason must not say "no digits" alone.
    from flows.answer_parsing import parse_answer
    from flows.parse_results import Invalid

    question = flow.question("contact_name")
    refused = parse_answer(question, "Jane <b>Doe</b>")
    assert isinstance(refused, Invalid)
    reply = InvalidAnswer(refused.reason.value, dict(refused.params), question, 0)
    text = renderer.render(reply, Lang.EN)
    assert "letters, with spaces, hyphens, dots or apostrophes" in text
    assert "no digits or other signs), at most 50 characters" in text
    assert (
        "使用文字，可含空格、连字符、点或撇号（不含数字和其他符号），最多 50 字"
        in renderer.render(reply, Lang.ZH)
    )


def test_a_text_too_long_says_by_how_much(renderer: Renderer, flow: Flow) -> None:
    from flows.answer_parsing import parse_answer
    from flows.parse_results import Invalid

    question = flow.question("reporting_explain")
    refused = parse_answer(question, "我们" * 325)
    assert isinstance(refused, Invalid)
    reply = InvalidAnswer(refused.reason.value, dict(refused.params), question, 0)
    assert "您写了 650 字，最多 500 字，请删减后再发送。答案未记录。" in renderer.render(
        reply, Lang.ZH
    )
    assert "650 characters, at most 500. Please shorten it" in renderer.render(reply, Lang.EN)


def test_a_partly_read_list_and_its_question_fit_one_passive_reply(
    renderer: Renderer, flow: Flow
) -> None:
    # The worst case: every option found, the longest echo, bilingual, with tap links.
    # Naming the found options by number keeps the refusal and the question again within
    # WeChat's 2048 bytes (their full bilingual texts took 2,291).
    from flows import numbering

    for question in (q for q in flow.questions if q.is_choice and q.options):
        found = tuple(o.id for o in question.options)
        refused = InvalidAnswer("partly_unknown", {"found": found, "given": "座" * 40}, question, 1)
        number, total = numbering.label(flow, question.id), numbering.total(flow)
        again = AskQuestion(question, number, total, False, None, False)
        text = "\n\n".join(renderer.render_all([refused, again], Lang.BOTH, links=True))
        assert len(text.encode("utf-8")) <= 2048, question.id


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "1",
                "2",
                "1,3",
                "是",
                "跳过",
                "back",
                "help",
                "我的答案",
                "修改 2",
                "联系我",
                "restart",
                "yes",
                "x",
                "english",
                "中文",
            ]
        ),
        min_size=1,
        max_size=50,
    ),
    st.sampled_from(list(Intent)),
)
def test_random_conversations_render_in_all_languages(
    flow: Flow, texts: list[str], intent: Intent
) -> None:
    renderer = Renderer()
    script = Script(flow)
    for i, text in enumerate(texts):
        step = script.send(text) if i % 7 else script.send(intent=intent, wait=timedelta(hours=2))
        for reply in step.replies:
            if type(reply) in REQUESTS:
                continue
            for lang in Lang:
                assert renderer.render(reply, lang).strip()


def test_prompts_render_once_and_live_figures_every_time(flow: Flow) -> None:
    renderer = Renderer()
    question = flow.question("role")
    ask = AskQuestion(question, "1", 15, last_step=False, current=None, optional=False)
    first = renderer.render(ask, Lang.BOTH)
    assert renderer.render(replace(ask), Lang.BOTH) is first  # kept
    later = renderer.render(replace(ask, number="2"), Lang.BOTH)
    assert "【2/15】" in later and "【1/15】" in first
    assert renderer.render(ask, Lang.EN) != first  # per language
    yes = flow.question("carbon_policy").option("yes")
    for pct in ("72", "50"):  # a list of figures: never kept, always current
        figures = Snapshot(16, [_item(yes.text, "exact", 9, pct)], 2)
        assert f"{pct}%" in renderer.render(figures, Lang.EN)


def test_no_respondent_notice_names_wechat_features() -> None:
    # The same templates serve Telegram (issue 17): "WeChat voice" means nothing there.
    renderer = Renderer()
    for lang in Lang:
        text = renderer.render(UnsupportedInput(), lang)
        assert "WeChat" not in text and "微信" not in text


def test_every_template_is_compiled_at_start_and_shared_by_all_renderers() -> None:
    compiled = compile_templates()
    assert compiled == len(list(TEMPLATES_DIR.rglob("*.j2")))
    first, second = Renderer(), Renderer()
    assert first._env is second._env  # compiled once for the dispatcher, staff, workers
    loaded = set(first._env.cache or {})
    assert len(loaded) >= compiled  # none waits for its first reply to be compiled


def test_a_number_refusal_gives_an_example_the_question_takes(renderer: Renderer) -> None:
    followup = load_flow(DEFAULT_FLOW.with_name("aiag_pcf_followup.yaml"))
    share = followup.question("renewable_share")  # 0-100 %
    refused = InvalidAnswer("not_number", {}, share, 0)
    assert "例如 50（单位 %）" in renderer.render(refused, Lang.ZH)
    assert "e.g. 50 (in %)" in renderer.render(refused, Lang.EN)


def test_a_phone_refusal_names_landlines_too(renderer: Renderer, flow: Flow) -> None:
    refused = InvalidAnswer("invalid_phone", {}, flow.question("contact_phone"), 0)
    text = renderer.render(refused, Lang.ZH)
    assert text.startswith("电话号码格式不正确：手机如 138 0013 8000，座机如 021-5888 1234")


def test_chat_templates_get_their_globals_as_a_plain_dict() -> None:
    """jinja2's ChainMap of globals made every render copy them key by key in Python
    (bot.dispatch.render._ChatEnvironment): a plain dict, with jinja2's own globals."""
    from bot.dispatch.render import TEMPLATES, _environment

    template = _environment(TEMPLATES).get_template("zh/snapshot.j2")
    assert type(template.globals) is dict
    assert {"range", "dict", "namespace"} <= template.globals.keys()


def test_the_email_refused_as_skipped_names_the_phone_as_the_other_way() -> None:
    from flows.command_replies import CannotSkip
    from flows.surveys import DEFAULT_FLOW

    flow = load_flow(DEFAULT_FLOW)
    refused = CannotSkip(instead=flow.question("contact_phone"))
    assert Renderer().render(refused, Lang.BOTH) == (
        "此题为必答题，不能跳过。没有留电话时此项必填；如想改留电话，请回复“返回”。\n"
        "This question is required and cannot be skipped. It is needed because a phone "
        'number was not given; to give a phone number instead, reply "back".'
    )


def test_a_greeting_typed_as_a_name_is_quoted_back() -> None:
    from flows.surveys import DEFAULT_FLOW

    flow = load_flow(DEFAULT_FLOW)
    company = InvalidAnswer("not_a_name", {"given": "你好"}, flow.question("org_company"), 1)
    person = InvalidAnswer("not_a_name", {"given": "hello"}, flow.question("contact_name"), 1)
    assert (
        Renderer()
        .render(company, Lang.ZH)
        .startswith("“你好”不是公司名称，请输入公司名称（如“上海某某汽车零部件有限公司”）。")
    )
    assert (
        Renderer()
        .render(person, Lang.EN)
        .startswith('"hello" is not a name: please enter your name.')
    )
