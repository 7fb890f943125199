"""flows.definition: the shipped AIAG flow matches the seed survey; bad files fail with places."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows import numbering
from flows.definition import load_flow, parse_flow
from flows.errors import FlowFileError, Problem
from flows.flow_reader import CONTACT_ROLE
from flows.model import (
    Clause,
    CountingUnit,
    FieldKind,
    Flow,
    OrganisationRules,
    QuestionType,
    Segment,
    SnapshotMode,
)
from flows.surveys import DEFAULT_FLOW

FIXTURES = Path(__file__).parent / "fixtures"
# A copy of the seed survey (the AIAG summary report) the flow was transcribed from.
SEED = FIXTURES / "aiag_carbon_seed.txt"

SEED_QUESTIONS = [
    "role",
    "commodity",
    "function",
    "carbon_policy",
    "ghg_target",
    "methodology",
    "lead_function",
    "customer_goal",
    "supplier_goals",
    "reporting_standard",
    "reporting_explain",
    "lifecycle_process",
    "marketing",
    "info_needs",
    "contact",
]
ORGANISATION_STEP = ["org_share", "org_company", "org_code", "org_plant"]
CONTACT_FORM = [
    "contact_consent",
    "contact_name",
    "contact_company",
    "contact_phone",
    "contact_email",
    "contact_time",
]

HEAD = """\
spec_version: 1
id: tiny
version: 1
title: {zh: 标题, en: Title}
preface: {zh: 引言, en: Preface}
closing: {zh: 谢谢, en: Thanks}
"""


def squash(text: str) -> str:
    """The seed is a PDF dump with arbitrary line wrapping: compare without whitespace."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def seed() -> str:
    return squash(SEED.read_text(encoding="utf-8"))


def load_error(tmp_path: Path, text: str) -> FlowFileError:
    path = tmp_path / "flow.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FlowFileError) as caught:
        load_flow(path)
    return caught.value


# --- the shipped flow ---------------------------------------------------------------


def test_shipped_flow_loads_with_its_identity(flow: Flow) -> None:
    assert (flow.id, flow.version, flow.spec_version) == ("aiag_carbon", 3, 1)
    assert flow.snapshots is SnapshotMode.AFTER_EACH
    assert flow.segments == (Segment(by="commodity", within=(("role", "supplier"),)),)
    assert "https://aiag.org.cn/ACAC/" in flow.closing.zh
    assert "https://aiag.org.cn/ACAC/" in flow.closing.en
    assert flow.followup is not None
    assert "https://www.wenjuan.com/s/iUJ3qaE/" in flow.followup.zh
    assert "https://www.wenjuan.com/s/iUJ3qaE/" in flow.followup.en


def test_load_flow_accepts_a_str_path() -> None:
    assert load_flow(str(DEFAULT_FLOW)).id == "aiag_carbon"


def test_questions_follow_the_seed_order_then_the_contact_form(flow: Flow) -> None:
    assert [q.id for q in flow.questions] == SEED_QUESTIONS + CONTACT_FORM + ORGANISATION_STEP


def test_the_organisation_step_is_declared_and_outside_the_count(flow: Flow) -> None:
    assert flow.organisation == OrganisationRules(
        question="org_company", key="org_code", plant="org_plant", ask="org_share"
    )
    assert flow.counting is CountingUnit.RESPONDENT
    assert numbering.total(flow) == 14
    assert all(numbering.label(flow, qid) is None for qid in ORGANISATION_STEP)


def test_question_types(flow: Flow) -> None:
    by_type: dict[QuestionType, list[str]] = {}
    for question in flow.questions:
        by_type.setdefault(question.type, []).append(question.id)
    assert by_type == {
        QuestionType.SINGLE: ["role"],
        QuestionType.MULTI: [
            "commodity",
            "function",
            "methodology",
            "lead_function",
            "info_needs",
            "contact",
        ],
        QuestionType.YES_NO: [
            "carbon_policy",
            "ghg_target",
            "customer_goal",
            "supplier_goals",
            "reporting_standard",
            "lifecycle_process",
            "marketing",
            "contact_consent",
            "org_share",
        ],
        QuestionType.TEXT: ["reporting_explain"],
        QuestionType.FIELD: CONTACT_FORM[1:] + ORGANISATION_STEP[1:],
    }


@pytest.mark.parametrize("question_id", SEED_QUESTIONS)
def test_question_text_is_verbatim_from_the_seed(flow: Flow, seed: str, question_id: str) -> None:
    text = flow.question(question_id).text
    assert squash(text.zh) in seed
    assert squash(text.en) in seed


@pytest.mark.parametrize("question_id", SEED_QUESTIONS)
def test_option_texts_are_verbatim_from_the_seed(flow: Flow, seed: str, question_id: str) -> None:
    for option in flow.question(question_id).options:
        assert squash(option.text.zh) in seed, option.id
        assert squash(option.text.en) in seed, option.id


def test_preface_chinese_is_verbatim_from_the_seed(flow: Flow, seed: str) -> None:
    assert squash(flow.preface.zh) in seed
    assert flow.preface.zh.endswith("AIAG 可持续发展小组")
    assert "CBAM" in flow.preface.en  # the seed has no English preface: a translation


def test_seed_wording_is_kept_even_its_typo(flow: Flow) -> None:
    option = flow.question("info_needs").option("quantifying_methods")
    assert option is not None
    assert option.text.en == "Quantifying Caron Emissions Methodologies"


def test_option_ids_and_split_texts(flow: Flow) -> None:
    role = flow.question("role")
    assert [(o.id, o.text.zh, o.text.en) for o in role.options] == [
        ("oem", "主机厂", "OEM"),
        ("supplier", "供应商", "Supplier"),
    ]
    assert [o.id for o in flow.question("contact").options] == [
        "right_now",
        "updated_info",
        "on_request",
        "no_need",
    ]
    epd = flow.question("methodology").option("epd_emsd")
    assert epd is not None
    assert (epd.text.zh, epd.text.en) == ("EPD/ EMSD 指南", "EPD/ EMSD Guidelines")


def test_exclusive_options(flow: Flow) -> None:
    exclusive = {(q.id, o.id) for q in flow.questions for o in q.options if o.exclusive}
    assert exclusive == {
        ("methodology", "not_determined"),
        ("lead_function", "not_determined"),
        ("contact", "no_need"),
    }


def test_yes_no_questions_get_yes_and_no_from_the_loader(flow: Flow) -> None:
    for question in flow.questions:
        if question.type is QuestionType.YES_NO:
            texts = [(o.id, o.text.zh, o.text.en) for o in question.options]
            assert texts == [("yes", "是", "Yes"), ("no", "否", "No")], question.id


@pytest.mark.parametrize(
    ("question_id", "when"),
    [
        ("commodity", (Clause("role", ("supplier",)),)),
        ("customer_goal", (Clause("role", ("supplier",)),)),
        ("reporting_explain", (Clause("reporting_standard", ("yes",)),)),
        ("contact_consent", (Clause("contact", ("right_now",)),)),
        *[(qid, (Clause("contact_consent", ("yes",)),)) for qid in CONTACT_FORM[1:]],
        *[(qid, (Clause("org_share", ("yes",)),)) for qid in ORGANISATION_STEP[1:]],
    ],
)
def test_conditions(flow: Flow, question_id: str, when: tuple[Clause, ...]) -> None:
    assert flow.question(question_id).when == when


def test_unconditional_questions(flow: Flow) -> None:
    conditional = {"commodity", "customer_goal", "reporting_explain", *CONTACT_FORM}
    conditional |= set(ORGANISATION_STEP[1:])
    assert all(not q.when for q in flow.questions if q.id not in conditional)


def test_free_text_explanation_is_optional_and_bounded(flow: Flow) -> None:
    explain = flow.question("reporting_explain")
    assert (explain.required, explain.max_length, explain.snapshot) == (False, 500, False)


def test_contact_form(flow: Flow) -> None:
    form = {qid: flow.question(qid) for qid in CONTACT_FORM}
    notice = form["contact_consent"].notice
    assert notice is not None
    assert "删除我的数据" in notice.zh and "delete my data" in notice.en
    assert [form[qid].field for qid in CONTACT_FORM[1:]] == [
        FieldKind.NAME,
        FieldKind.COMPANY,
        FieldKind.PHONE,
        FieldKind.EMAIL,
        FieldKind.TEXT,
    ]
    assert [form[qid].required for qid in CONTACT_FORM[1:]] == [True, True, False, True, False]
    assert form["contact_email"].required_unless == "contact_phone"
    assert not any(question.snapshot for question in form.values())


def test_contact_rules(flow: Flow) -> None:
    assert flow.contact is not None
    assert flow.contact.question == "contact"
    assert (flow.contact.right_now, flow.contact.updates, flow.contact.on_request) == (
        "right_now",
        "updated_info",
        "on_request",
    )
    assert list(flow.contact.detail_questions) == CONTACT_FORM[1:]
    assert [q.id for q in flow.questions if q.role == CONTACT_ROLE] == ["contact"]


# --- structural errors --------------------------------------------------------------


def test_unknown_key_is_reported_with_its_place_and_a_hint(tmp_path: Path) -> None:
    error = load_error(
        tmp_path,
        HEAD
        + "questions:\n"
        + "  - {id: role, type: yes_no, text: {zh: 是吗, en: Is it}, optons: []}\n",
    )
    assert error.problems == [
        Problem("questions[0] (role).optons", "unknown key; did you mean 'options'?")
    ]


def test_wrong_types_are_reported_with_their_places(tmp_path: Path) -> None:
    text = HEAD.replace("version: 1\ntitle", "version: '1'\ntitle") + (
        "questions:\n  - {id: role, type: yes_no, text: Is it, required: 1}\n"
    )
    assert load_error(tmp_path, text).problems == [
        Problem("version", "must be an integer, got string '1'"),
        Problem("questions[0] (role).text", "must be a mapping, got string 'Is it'"),
        Problem("questions[0] (role).required", "must be a boolean, got integer 1"),
    ]


def test_every_structural_problem_is_collected(tmp_path: Path) -> None:
    error = load_error(tmp_path, (FIXTURES / "structure_errors.yaml").read_text("utf-8"))
    assert error.problems == [
        Problem("version", "missing required key"),
        Problem("title.fr", "unknown key (allowed: zh, en)"),
        Problem("questions[0] (role).type", "must be one of single_choice, multiple_choice, "
                "yes_no, text, field, integer, decimal, note; got 'single'"),
        Problem("questions[0] (role).options[1].text.en", "must be a string, got integer 42"),
        Problem("questions[1]", "must be a mapping, got a list"),
        Problem("questions[2] (notes).when[0].any_of", "must be a list, got string 'yes'"),
        Problem("questions[2] (notes).field", "must be one of name, company, phone, email, "
                "text, uscc; got 'fax'"),
        Problem("contact.details[1]", "must be a string, got integer 3"),
    ]  # fmt: skip
    assert str(error).splitlines()[0].endswith("flow.yaml: 8 problems")
    assert "  questions[1]: must be a mapping, got a list" in str(error).splitlines()


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    error = load_error(tmp_path, (FIXTURES / "syntax_error.yaml").read_text("utf-8"))
    [problem] = error.problems
    assert problem == Problem(
        "line 6, column 8",
        "not valid YAML: while parsing a flow mapping (started at line 5, column 8); "
        "expected ',' or '}', but got ':'",
    )


def test_a_duplicated_key_is_an_error_not_a_silent_override(tmp_path: Path) -> None:
    error = load_error(tmp_path, HEAD + "id: again\nquestions: []\n")
    [problem] = error.problems
    assert problem.place == "line 7, column 1"
    assert "found duplicate key 'id'" in problem.message


def test_yes_and_no_are_option_ids_not_booleans(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(
        HEAD + "questions:\n"
        "  - {id: ok, type: yes_no, text: {zh: 好吗, en: OK}}\n"
        "  - {id: why, type: text, text: {zh: 为什么, en: Why},"
        " when: [{question: ok, any_of: [yes]}]}\n"
        "  - {id: off, type: text, text: {zh: 关, en: Off}, required: false}\n",
        encoding="utf-8",
    )
    flow = load_flow(path)
    assert flow.question("why").when == (Clause("ok", ("yes",)),)
    assert flow.question("off").text.en == "Off"
    assert flow.question("off").required is False


def test_missing_required_keys(tmp_path: Path) -> None:
    error = load_error(tmp_path, HEAD + "questions:\n  - {id: q, text: {zh: 问, en: Q}}\n")
    assert error.problems == [Problem("questions[0] (q).type", "missing required key")]


def test_unsupported_spec_version_is_the_only_problem_reported(tmp_path: Path) -> None:
    error = load_error(tmp_path, "spec_version: 2\nid: tiny\nnew_keys: anything\n")
    assert error.problems == [Problem("spec_version", "unsupported 2; this reader knows 1")]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", Problem("top level", "the file is empty")),
        ("- a\n- b\n", Problem("top level", "must be a mapping, got a list")),
    ],
)
def test_the_top_level_must_be_a_mapping(tmp_path: Path, text: str, problem: Problem) -> None:
    assert load_error(tmp_path, text).problems == [problem]


def test_a_file_that_is_not_utf8_is_a_flow_file_error(tmp_path: Path) -> None:
    path = tmp_path / "flow.yaml"
    path.write_bytes(HEAD.encode("gb18030"))
    with pytest.raises(FlowFileError) as caught:
        load_flow(path)
    assert caught.value.problems[0].message.startswith("not UTF-8 text")


def test_parse_flow_runs_the_semantic_checker() -> None:
    data = {
        "spec_version": 1,
        "id": "tiny",
        "version": 1,
        "title": {"zh": "标题", "en": "Title"},
        "preface": {"zh": "引言", "en": ""},
        "closing": {"zh": "谢谢", "en": "Thanks"},
        "questions": [{"id": "q", "type": "yes_no", "text": {"zh": "问", "en": "Q"}}],
    }
    with pytest.raises(FlowFileError) as caught:
        parse_flow(data, source="inline")
    assert caught.value.problems == [Problem("preface.en", "missing English text")]
    assert caught.value.source == "inline"
