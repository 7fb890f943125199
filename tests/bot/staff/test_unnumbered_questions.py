"""A question outside the count (the AIAG survey's contact consent) in staff replies: its
text alone, never its id in the number's place, and no empty 【】 brackets."""

from __future__ import annotations

from flows import numbering
from tests.bot.staff.conftest import OEM, SUPPLIER, Chat

CONSENT = "contact_consent"
CONSENT_ZH = "您是否同意 AIAG 为联系您而收集上述个人信息？"
CONSENT_EN = "Do you agree that AIAG collects the personal information above to contact you?"
# A supplier who asks to be contacted right away ("1") and agrees (是) to the consent question.
RIGHT_NOW = [*SUPPLIER[:-2], "1"]
AGREES = [*RIGHT_NOW, "是", "张三", "ACME", "13800138000", "跳过", "跳过", "2"]


def assert_text_alone(text: str) -> None:
    assert CONSENT not in text
    assert "【】" not in text and "[]" not in text and "None" not in text
    assert CONSENT_ZH in text and CONSENT_EN in text


def test_the_consent_question_has_no_number(chat: Chat) -> None:
    flow = chat.runtime.flow
    assert flow.id == "aiag_carbon" and flow.has_question(CONSENT)
    assert numbering.label(flow, CONSENT) is None


def test_stats_shows_the_consent_question_by_its_text(chat: Chat) -> None:
    chat.survey("s1", AGREES)
    chat.survey("o1", OEM)
    text = chat.staff(f"/stats {CONSENT}").text
    assert_text_alone(text)
    assert text.startswith(CONSENT_ZH + "\n" + CONSENT_EN + "\n")
    assert "受访者 Respondents n = 1" in text and "是 (Yes)：1｜100.00%｜100.00%" in text


def test_a_crosstab_and_a_chart_show_the_consent_question_by_its_text(chat: Chat) -> None:
    chat.survey("s1", AGREES)
    rows = chat.staff(f"/stats {CONSENT} by 1").text
    assert_text_alone(rows)
    assert rows.startswith(CONSENT_ZH + " " + CONSENT_EN + "\n按 by【1】")
    cols = chat.staff(f"/stats 1 by {CONSENT}").text
    assert_text_alone(cols)
    assert f"\n按 by{CONSENT_ZH} {CONSENT_EN}" in cols
    caption = chat.staff(f"/chart {CONSENT}").text
    assert_text_alone(caption)
    assert caption.startswith(f"{CONSENT_ZH}（受访者 1 人）")
    assert f"\n{CONSENT_EN} (1 respondents)" in caption


def test_a_filter_on_the_consent_question_names_its_text(chat: Chat) -> None:
    chat.survey("s1", AGREES)
    chat.survey("o1", OEM)
    text = chat.staff(f"/stats 1 where {CONSENT}=是").text
    assert_text_alone(text)
    assert f"筛选 Filter：“{CONSENT_ZH} {CONSENT_EN}”=是 (Yes)；" in text
    assert "受访者 Respondents n = 1" in text  # the supplier only
    numbered = chat.staff("/stats 6 where 1=OEM").text
    assert "筛选 Filter：【1】=主机厂 (OEM)；" in numbered


def test_progress_shows_a_stop_at_the_consent_question_by_its_text(chat: Chat) -> None:
    chat.survey("s1", RIGHT_NOW)  # stopped at the consent question
    text = chat.staff("/progress").text
    assert_text_alone(text)
    assert f"  {CONSENT_ZH} {CONSENT_EN}：1（" in text
