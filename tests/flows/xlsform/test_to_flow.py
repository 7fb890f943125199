"""flows.xlsform.to_flow: a workbook becomes a valid Flow, or every problem names its row."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.errors import FlowFileError, Problem
from flows.model import Clause, FieldKind, Option, QuestionType, Segment, SnapshotMode, Text
from flows.xlsform import flow_yaml, import_xlsform
from tests.flows.xlsform.forms import EN, ROLE, ROLE_CHOICES, SETTINGS, ZH, question, write_form


def problems(path: Path) -> list[Problem]:
    with pytest.raises(FlowFileError) as caught:
        import_xlsform(path)
    return caught.value.problems


def test_a_small_form_becomes_a_flow(tmp_path: Path) -> None:
    survey = [
        ROLE,
        question("integer", "staff", required="yes", constraint=". >= 0 and . <= 100000",
                 **{"constraint_message::中文 (zh)": "请输入 0 到 100000",
                    "constraint_message::English (en)": "0 to 100000, please"}),
        question("note", "intro"),
        question("select_multiple goods", "goods", required="yes",
                 relevant="${role} = 'supplier'", constraint="count-selected(.) <= 2"),
        question("text", "why", relevant="selected(${goods}, 'steel')"),
        question("select_one yn", "agree", required="TRUE"),
    ]  # fmt: skip
    choices = [
        *ROLE_CHOICES,
        {"list_name": "goods", "name": "steel", ZH: "钢", EN: "Steel"},
        {"list_name": "goods", "name": "glass", ZH: "玻璃", EN: "Glass"},
        {"list_name": "goods", "name": "none", ZH: "无", EN: "None", "exclusive": "yes"},
        {"list_name": "yn", "name": "yes", ZH: "是", EN: "Yes"},
        {"list_name": "yn", "name": "no", ZH: "否", EN: "No"},
    ]
    flow = import_xlsform(write_form(tmp_path / "f.xlsx", survey, choices)).flow
    assert (flow.id, flow.version, flow.title) == ("tiny", 1, Text("标题", "Title"))
    staff = flow.question("staff")
    assert (staff.type, staff.min_value, staff.max_value) == (QuestionType.INTEGER, 0, 100000)
    assert staff.constraint_message == Text("请输入 0 到 100000", "0 to 100000, please")
    assert flow.question("intro").type is QuestionType.NOTE
    goods = flow.question("goods")
    assert goods.when == (Clause("role", ("supplier",)),) and goods.max_selected == 2
    assert goods.options[2] == Option("none", Text("无", "None"), exclusive=True)
    why = flow.question("why")
    assert why.when == (Clause("goods", ("steel",)),) and why.required is False
    assert flow.question("agree").type is QuestionType.YES_NO  # a select_one over yes/no


def test_label_columns_accept_short_language_names(tmp_path: Path) -> None:
    survey = [{"type": "select_one role", "name": "role", "label::zh": "角色", "label::en": "Role"}]
    choices = [{"list_name": "role", "name": o["name"], "label::Chinese": o[ZH],
                "label::English": o[EN]} for o in ROLE_CHOICES]  # fmt: skip
    flow = import_xlsform(write_form(tmp_path / "f.xlsx", survey, choices)).flow
    assert flow.question("role").text == Text("角色", "Role")
    assert flow.question("role").options[1].text == Text("供应商", "Supplier")


def test_a_plain_label_is_in_the_default_language(tmp_path: Path) -> None:
    survey = [{"type": "select_one role", "name": "role", "label": "角色", EN: "Role"}]
    settings = {**SETTINGS, "default_language": "中文 (zh)"}
    choices = [{**o, "label": o[ZH]} for o in ROLE_CHOICES]
    choices = [{k: v for k, v in o.items() if k != ZH} for o in choices]
    flow = import_xlsform(write_form(tmp_path / "f.xlsx", survey, choices, settings)).flow
    assert flow.question("role").text == Text("角色", "Role")


def test_or_other_adds_the_choice_and_the_question_to_specify(tmp_path: Path) -> None:
    survey = [question("select_multiple role or_other", "role", required="yes")]
    flow = import_xlsform(write_form(tmp_path / "f.xlsx", survey)).flow
    assert [o.id for o in flow.question("role").options] == ["oem", "supplier", "other"]
    other = flow.question("role_other")
    assert other.type is QuestionType.TEXT and other.when == (Clause("role", ("other",)),)
    assert not other.required


def test_not_equal_on_a_select_one_means_any_other_choice(tmp_path: Path) -> None:
    survey = [ROLE, question("text", "why", relevant="${role} != 'oem'")]
    flow = import_xlsform(write_form(tmp_path / "f.xlsx", survey)).flow
    assert flow.question("why").when == (Clause("role", ("supplier",)),)


def test_contact_fields_and_their_rules(tmp_path: Path) -> None:
    survey = [
        question("text", "phone", field="phone", snapshot="no"),
        question("text", "email", field="email", required="${phone} = ''"),
    ]
    flow = import_xlsform(write_form(tmp_path / "f.xlsx", survey)).flow
    email = flow.question("email")
    assert (email.type, email.field, email.required_unless) == (
        QuestionType.FIELD,
        FieldKind.EMAIL,
        "phone",
    )
    assert flow.question("phone").snapshot is False and flow.question("phone").required is False


def test_metadata_rows_and_appearance_are_noted_not_refused(tmp_path: Path) -> None:
    survey = [{"type": "start", "name": "start"}, {**ROLE, "appearance": "minimal"}]
    result = import_xlsform(write_form(tmp_path / "f.xlsx", survey))
    assert [q.id for q in result.flow.questions] == ["role"]
    assert [n.place for n in result.notes] == ["survey sheet, row 1", "survey sheet, row 2"]
    assert "appearance" in result.notes[0].message and "start" in result.notes[1].message


# --- problems, each with its sheet and row -------------------------------------------

UNSUPPORTED_ROWS = [
    ({"type": "begin group", "name": "g"}, "groups"),
    ({"type": "end group"}, "groups"),
    ({"type": "begin_repeat", "name": "r"}, "repeats"),
    ({"type": "calculate", "name": "c", "calculation": "1 + 1"}, "calculat"),
    ({"type": "select_one_from_file items.csv", "name": "f"}, "from a file"),
    ({"type": "date", "name": "d"}, "'date'"),
    ({"type": "range", "name": "r"}, "'range'"),
    ({"type": "teleport", "name": "t"}, "'teleport'"),
    ({**ROLE, "choice_filter": "${x} = 'y'"}, "choice filter"),
    ({**ROLE, "default": "oem"}, "default"),
    ({**ROLE, "read_only": "yes"}, "read-only"),
    ({**ROLE, "image": "logo.png"}, "media"),
    ({**ROLE, ZH: "角色 ${x}"}, "${…}"),
    ({**ROLE, "relevant": "not(${x} = 'y')"}, "'not'"),
    ({**ROLE, "required": "${x} > 3"}, "required"),
    ({**ROLE, "constraint": "regex(., '[0-9]+')"}, "constraint"),
    ({**ROLE, "type": "select_one role or_other extra"}, "LIST_NAME"),
    ({**ROLE, "type": "select_one colours"}, "'colours' is not on the choices sheet"),
    ({**ROLE, "snapshot": "perhaps"}, "not yes or no"),
    ({"name": "lonely"}, "type is empty"),
    ({"type": "text"}, "name is empty"),
]


@pytest.mark.parametrize(("row", "said"), UNSUPPORTED_ROWS, ids=lambda v: str(v)[:40])
def test_every_unsupported_construct_names_its_sheet_and_row(
    tmp_path: Path, row: dict[str, object], said: str
) -> None:
    survey = [question("text", "first"), row, question("text", "last")]
    found = problems(write_form(tmp_path / "f.xlsx", survey))
    assert {p.place for p in found} == {"survey sheet, row 3"}, found
    assert any(said in p.message for p in found), found


RELEVANT_PROBLEMS = [
    ("${role} = 'oem' or ${goods} = 'x'", "across different questions"),
    ("(${role} = 'oem' and ${role} = 'supplier') or ${role} = 'oem'", "`and` groups"),
    ("${role} > 1", "compares numbers"),
    ("${role} = ", "quoted choice name"),
    ("${goods} = 'steel'", "selected(${goods}, 'steel')"),
    ("${goods} != 'steel'", "!= needs"),
    ("now() > 3", "'now'"),
]


@pytest.mark.parametrize(("expression", "said"), RELEVANT_PROBLEMS)
def test_unsupported_relevant_names_the_row(tmp_path: Path, expression: str, said: str) -> None:
    goods = question("select_multiple role", "goods")
    survey = [ROLE, goods, question("text", "why", relevant=expression)]
    found = problems(write_form(tmp_path / "f.xlsx", survey))
    assert [p.place for p in found] == ["survey sheet, row 4"]
    assert found[0].message.startswith("relevant ") and said in found[0].message


def test_header_problems_name_row_one(tmp_path: Path) -> None:
    survey = [{**ROLE, "label::Français (fr)": "Rôle", "relevent": "${x} = 'y'"}]
    found = problems(write_form(tmp_path / "f.xlsx", survey))
    assert [p.place for p in found] == ["survey sheet, row 1", "survey sheet, row 1"]
    assert "only 中文 (zh) and English (en)" in found[0].message
    assert "did you mean 'relevant'?" in found[1].message


def test_other_sheets_and_settings_problems(tmp_path: Path) -> None:
    settings = {**SETTINGS, "version": "2024.1", "default_language": "Français (fr)"}
    extra = [{"list_name": "x", "name": "y"}]
    found = problems(write_form(tmp_path / "f.xlsx", [ROLE], settings=settings,
                                external_choices=extra))  # fmt: skip
    assert {p.place for p in found} == {"external_choices sheet", "settings sheet, row 2"}
    messages = " | ".join(p.message for p in found)
    assert "'2024.1'" in messages and "Français" in messages and "external" in messages


def test_all_problems_are_collected_not_just_the_first(tmp_path: Path) -> None:
    survey = [
        {"type": "begin group", "name": "g"},
        {**ROLE, "relevant": "${nothing} = 'x'"},
        question("geopoint", "where"),
        {**question("text", "Bad Name")},
        {"type": "end group"},
    ]
    choices = [*ROLE_CHOICES, {"list_name": "role", "name": "oem", ZH: "又一个", EN: ""}]
    found = [str(p) for p in problems(write_form(tmp_path / "f.xlsx", survey, choices))]
    assert [p.split(":")[0] for p in found] == [  # sheet by sheet, top to bottom
        *(f"survey sheet, row {n}" for n in (2, 3, 4, 5, 6)),
        "choices sheet, row 4",
        "choices sheet, row 4",
    ]
    assert found[1] == "survey sheet, row 3: relevant: unknown question 'nothing'"
    assert found[3].startswith("survey sheet, row 5: name: 'Bad Name' is not a slug")
    assert found[5] == (
        "choices sheet, row 4: name: duplicate option id (first at choices sheet, row 2)"
    )
    assert found[6] == "choices sheet, row 4: label::English (en): missing English text"


def test_checker_findings_point_at_settings_columns(tmp_path: Path) -> None:
    settings = {k: v for k, v in SETTINGS.items() if k != "form_title::English (en)"}
    settings |= {"form_id": "Tiny Form", "next": "tiny"}
    found = problems(write_form(tmp_path / "f.xlsx", [ROLE], settings={**settings}))
    assert {str(p) for p in found} >= {
        "settings sheet, row 2: form_id: 'Tiny Form' is not a slug (lower-case ASCII letters, "
        "digits, _)",
        "settings sheet, row 2: form_title::English (en): missing English text",
    }


def test_a_workbook_without_settings_says_what_is_missing(tmp_path: Path) -> None:
    found = problems(write_form(tmp_path / "f.xlsx", [ROLE], settings=None))
    assert {p.place for p in found} == {"settings sheet"}
    assert "form_id: is missing" in {p.message for p in found}


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    path.write_text("type,name\n", encoding="utf-8")
    [problem] = problems(path)
    assert problem.place == "f.xlsx" and "not an Excel .xlsx workbook" in problem.message


def test_settings_declare_live_figures_and_peer_segments(tmp_path: Path) -> None:
    survey = [ROLE, question("select_multiple goods", "goods"), question("select_one yn", "agree")]
    choices = [
        *ROLE_CHOICES,
        {"list_name": "goods", "name": "steel", ZH: "钢", EN: "Steel"},
        {"list_name": "goods", "name": "glass", ZH: "玻璃", EN: "Glass"},
        {"list_name": "yn", "name": "yes", ZH: "是", EN: "Yes"},
        {"list_name": "yn", "name": "no", ZH: "否", EN: "No"},
    ]
    settings = {**SETTINGS, "snapshots": "on_completion", "segments": "role=supplier/goods role"}
    imported = import_xlsform(write_form(tmp_path / "f.xlsx", survey, choices, settings))
    flow = imported.flow
    assert flow.snapshots is SnapshotMode.ON_COMPLETION
    assert flow.segments == (
        Segment(by="goods", within=(("role", "supplier"),)),
        Segment(by="role"),
    )
    assert "segments:\n  - {within: {role: supplier}, by: goods}" in flow_yaml(imported.data)


def test_segment_and_snapshot_settings_problems_name_their_column(tmp_path: Path) -> None:
    survey = [ROLE, question("text", "why"), question("select_one role", "again")]
    settings = {**SETTINGS, "snapshots": "sometimes", "segments": "role=/x"}
    found = {str(p) for p in problems(write_form(tmp_path / "f.xlsx", survey, settings=settings))}
    assert found == {
        "settings sheet, row 2: segments 'role=/x': write question=option/…/by_question, e.g. "
        "role=supplier/commodity",
        "settings sheet, row 2: snapshots: must be one of after_each, on_completion, off; got "
        "'sometimes'",
    }
    settings = {**SETTINGS, "segments": "why nobody=yes/role"}
    found = {str(p) for p in problems(write_form(tmp_path / "f.xlsx", survey, settings=settings))}
    assert found == {
        "settings sheet, row 2: segments: segments[0].by: 'why' is not a choice question",
        "settings sheet, row 2: segments: segments[1].within.nobody: unknown question 'nobody'",
    }


def test_decimal_rows_declare_their_unit_and_round_trip(tmp_path: Path) -> None:
    from flows.xlsform import export_xlsform

    survey = [
        ROLE,
        question("decimal", "energy", unit="MWh", constraint=". >= 0 and . <= 5000"),
        question("integer", "plants", unit="%", required="yes"),
    ]
    flow = import_xlsform(write_form(tmp_path / "f.xlsx", survey)).flow
    energy = flow.question("energy")
    assert (energy.type, energy.unit, energy.min_value, energy.max_value) == (
        QuestionType.DECIMAL, "MWh", 0, 5000,
    )  # fmt: skip
    assert flow.question("plants").unit == "%"
    export_xlsform(flow, tmp_path / "again.xlsx")
    again = import_xlsform(tmp_path / "again.xlsx").flow
    assert again == flow


@pytest.mark.parametrize(
    ("row", "said"),
    [
        (question("decimal", "d", constraint=". > 0"), "a decimal's range is inclusive"),
        (question("decimal", "d", unit="GJ"), "unit: unknown unit 'GJ'"),
        (question("text", "d", unit="t"), "unit: only integer and decimal questions take unit"),
    ],
)
def test_unit_and_decimal_problems_name_the_row(
    tmp_path: Path, row: dict[str, object], said: str
) -> None:
    found = problems(write_form(tmp_path / "f.xlsx", [ROLE, row]))
    assert [p.place for p in found] == ["survey sheet, row 3"], found
    assert said in found[0].message, found
