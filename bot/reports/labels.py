"""What every report calls an option, a contact field, and which questions are personal.

Shared by the text report, the charts, the staff replies and the dashboard, so a label
reads the same wherever staff see it.
"""

from __future__ import annotations

from flows.model import NO, YES, FieldKind, Flow, Question, QuestionType, Text

# yes_no questions may omit their options in the flow file (the loader adds them).
_IMPLICIT = {YES: Text("是", "Yes"), NO: Text("否", "No")}

FIELD_LABELS = {
    FieldKind.NAME: "姓名 Name",
    FieldKind.COMPANY: "公司 Company",
    FieldKind.PHONE: "电话 Phone",
    FieldKind.EMAIL: "邮箱 E-mail",
}


def option_text(question: Question, option_id: str) -> Text:
    """The option's bilingual text; an id the question no longer has stands for itself."""
    option = question.option(option_id)
    if option is not None:
        return option.text
    return _IMPLICIT.get(option_id, Text(option_id, option_id))


def is_personal(flow: Flow, question: Question) -> bool:
    """Contact-form fields: personal information, never in statistics."""
    if question.type is QuestionType.FIELD:
        return True
    return flow.contact is not None and question.id in flow.contact.detail_questions
