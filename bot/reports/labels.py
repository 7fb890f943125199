"""What every report calls an option, a contact field, and which questions are personal.

Shared by the text report, the charts, the staff replies, the exports and the dashboard,
so a label reads the same wherever staff see it.
"""

from __future__ import annotations

import re

from flows import numbering
from flows.model import NO, YES, FieldKind, Flow, Question, QuestionType, Text

# yes_no questions may omit their options in the flow file (the loader adds them).
_IMPLICIT = {YES: Text("是", "Yes"), NO: Text("否", "No")}

FIELD_LABELS = {
    FieldKind.NAME: "姓名 Name",
    FieldKind.COMPANY: "公司 Company",
    FieldKind.PHONE: "电话 Phone",
    FieldKind.EMAIL: "邮箱 E-mail",
}


# Contact requests: why one was made and where it stands, as staff read it (never the
# stored ids "survey" / "contact_me" / "claimed").
REASON_LABELS = {
    "survey": Text("问卷中选择立即联系", "asked in the survey to be contacted"),
    "contact_me": Text("发送了“联系我”", "sent 'contact me'"),
}
STATUS_LABELS = {
    "open": Text("未认领", "unclaimed"),
    "claimed": Text("已认领", "claimed"),
    "done": Text("已完成", "done"),
}


def reason_text(reason: str) -> Text:
    return REASON_LABELS.get(reason, Text("其他", "other"))


def status_text(status: str) -> Text:
    return STATUS_LABELS.get(status, Text(status, status))


def option_text(question: Question, option_id: str) -> Text:
    """The option's bilingual text; an id the question no longer has stands for itself."""
    option = question.option(option_id)
    if option is not None:
        return option.text
    return _IMPLICIT.get(option_id, Text(option_id, option_id))


def is_personal(flow: Flow, question: Question) -> bool:
    """Never in statistics: the contact details (`is_contact_detail`), and the
    organisation step, since who answers for which company is no finding."""
    return is_contact_detail(flow, question) or _in_organisation_step(flow, question)


def is_contact_detail(flow: Flow, question: Question) -> bool:
    """Personal information given for being contacted: the contact form's questions and
    any other form field outside the organisation step. Kept only while a contact request
    needs them: an export leaves them out once the person's request is handled, and
    retention forgets them (bot.workers.retention). The organisation step is not among
    them: its notice says the company is no personal information and is kept until the
    person deletes their data."""
    if _in_organisation_step(flow, question):
        return False
    if question.type is QuestionType.FIELD:
        return True
    return flow.contact is not None and question.id in flow.contact.detail_questions


def _in_organisation_step(flow: Flow, question: Question) -> bool:
    return flow.organisation is not None and question.id in flow.organisation.question_ids


def detail_label(flow: Flow, question_id: str) -> str:
    """A contact detail's heading: "电话 Phone" for the known kinds, otherwise the
    question's own words up to its first bracket ("您希望我们在什么时间联系您？ When would
    you prefer to be contacted?"), never the stored id."""
    if not flow.has_question(question_id):
        return "其他 Other"
    question = flow.question(question_id)
    if question.field in FIELD_LABELS:
        return FIELD_LABELS[question.field]
    zh = re.split(r"[（(]", question.text.zh, maxsplit=1)[0].strip()
    en = re.split(r"[（(]", question.text.en, maxsplit=1)[0].strip()
    return zh if zh == en else f"{zh} {en}"


def numbered(flow: Flow, question_id: str, text: str) -> str:
    """ "5. text" for a question with a number; the text alone for one outside the count
    (the contact form, the organisation step), never its id in the number's place."""
    number = numbering.label(flow, question_id)
    return f"{number}. {text}" if number else text
