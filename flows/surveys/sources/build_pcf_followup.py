"""Write aiag_pcf_followup.xlsx: the XLSForm source of AIAG's PCF follow-up survey.

The workbook is what AIAG's authors edit in Excel or KoboToolbox; this script is its
reviewable text. After a change (here or in the workbook), rebuild and import:

    uv run python flows/surveys/sources/build_pcf_followup.py
    uv run surveybot import-xlsform flows/surveys/sources/aiag_pcf_followup.xlsx \\
        -o flows/surveys/aiag_pcf_followup.yaml

tests/flows/xlsform/test_pcf_followup.py fails while the three disagree. Names are
stable ids: stored answers reference them forever, so wording may change, ids not.
The contact question and form are the first survey's, word for word (a test checks).
"""

from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
WORKBOOK = HERE / "aiag_pcf_followup.xlsx"

ZH, EN = "label::中文 (zh)", "label::English (en)"
HINT_ZH, HINT_EN = "hint::中文 (zh)", "hint::English (en)"
SURVEY_COLUMNS = ["type", "name", ZH, EN, HINT_ZH, HINT_EN, "required", "relevant"]
SURVEY_COLUMNS += ["constraint", "field", "snapshot", "unit"]
CHOICES_COLUMNS = ["list_name", "name", ZH, EN, "exclusive", "aliases"]


def q(kind: str, name: str, zh: str, en: str, **columns: str) -> dict[str, str]:
    """One survey row; required unless the row says otherwise."""
    return {"type": kind, "name": name, ZH: zh, EN: en, "required": "yes", **columns}


SURVEY = [
    q("select_one pcf_status", "pcf_status",
      "贵司是否已核算产品碳足迹（PCF）？",
      "Has your company calculated a product carbon footprint (PCF)?"),
    q("select_multiple pcf_standard", "pcf_standard",
      "贵司依据（或计划依据）哪些标准或规则核算产品碳足迹？",
      "Which standards or rulebooks does your company use (or plan to use) to calculate "
      "product carbon footprints?",
      relevant="${pcf_status} != 'no'"),
    q("text", "pcf_standard_other",
      "请注明贵司采用的其他标准或规则。",
      "Please name the other standard or rulebook.",
      required="", relevant="selected(${pcf_standard}, 'other')", snapshot="no",
      constraint="string-length(.) <= 200"),
    q("note", "scope_definitions",
      "说明：范围一指企业自有或控制的排放源产生的直接排放；范围二指外购电力、热力和蒸汽产生的"
      "间接排放；范围三指价值链中的其他间接排放，包括上游（如外购原材料、运输）和下游（如售出"
      "产品的使用及报废处理）。",
      "Note: Scope 1 covers direct emissions from sources the company owns or controls; "
      "Scope 2, indirect emissions from purchased electricity, heat and steam; Scope 3, all "
      "other indirect emissions in the value chain, upstream (e.g. purchased materials, "
      "transport) and downstream (e.g. use and end-of-life treatment of sold products).",
      required=""),
    q("select_multiple scopes", "scopes",
      "贵司目前量化了哪些范围的温室气体排放？",
      "Which scopes of greenhouse gas emissions does your company currently quantify?"),
    q("select_multiple scope3_categories or_other", "scope3_hardest",
      "在范围三中，哪些类别的数据收集或量化最为困难？",
      "Which Scope 3 categories are the hardest to collect data for or to quantify?",
      relevant="selected(${scopes}, 'scope_3_upstream') or "
      "selected(${scopes}, 'scope_3_downstream')"),
    # "How much": optional figures, converted to the declared unit ("1.5万吨" → 15000 tCO2e).
    q("decimal", "scope12_emissions",
      "贵司上一年度范围一和范围二排放总量是多少？",
      "What were your company's total Scope 1 and Scope 2 emissions last year?",
      required="", unit="tCO2e", constraint=". >= 0 and . <= 100000000", snapshot="no",
      relevant="selected(${scopes}, 'scope_1') or selected(${scopes}, 'scope_2')"),
    q("decimal", "electricity_use",
      "贵司上一年度的用电量是多少？",
      "How much electricity did your company use last year?",
      required="", unit="MWh", constraint=". >= 0 and . <= 100000000", snapshot="no"),
    q("decimal", "renewable_share",
      "其中可再生电力所占比例是多少？",
      "What share of that electricity was renewable?",
      required="", unit="%", constraint=". >= 0 and . <= 100", snapshot="no"),
    q("select_multiple emission_factors", "emission_factors",
      "贵司使用哪些排放因子来源？",
      "Which sources of emission factors does your company use?"),
    q("select_multiple tools", "tools",
      "贵司使用哪些工具核算碳足迹？",
      "Which tools does your company use to calculate carbon footprints?"),
    q("select_one supplier_data_share", "supplier_data_share",
      "在贵司的外购材料中，有多大比例已采用供应商特定的碳排放数据？",
      "What share of your purchased materials is covered by supplier-specific emission data?"),
    q("select_multiple customer_formats", "customer_formats",
      "贵司的客户要求以哪些格式提供碳足迹数据？",
      "In which formats do your customers ask for carbon footprint data?"),
    q("select_one verification", "verification",
      "贵司的产品碳足迹是否经过第三方核查？",
      "Has your product carbon footprint been verified by a third party?",
      relevant="${pcf_status} = 'all_main_products' or ${pcf_status} = 'some_products'"),
    q("select_multiple obstacles", "obstacles",
      "贵司开展产品碳足迹工作的最大障碍是什么？",
      "What are the biggest obstacles to your product carbon footprint work?"),
    q("select_one pilot_interest", "pilot_interest",
      "贵司是否有兴趣参与 AIAG 关于统一产品碳足迹数据交换的试点项目？",
      "Would your company be interested in an AIAG pilot for a common PCF data exchange?"),
    # The first survey's follow-up question and contact form, word for word.
    q("select_multiple contact", "contact",
      "如果您需要AIAG与您联系，支持您的碳减排工作，请选择。",
      "If you need AIAG to contact you to support your Carbon Reduction, please choose"),
    q("select_one yes_no", "contact_consent",
      "您是否同意 AIAG 为联系您而收集上述个人信息？",
      "Do you agree that AIAG collects the personal information above to contact you?",
      relevant="selected(${contact}, 'right_now')", snapshot="no", **{
          HINT_ZH: "个人信息告知：为跟进您的碳减排支持需求，AIAG 将收集您的姓名、公司、电话和/或"
          "电子邮箱以及方便联系的时间，仅用于联系您、跟进该需求。我们会在您的需求处理完毕 30 天"
          "后删除这些信息；您也可以随时发送“删除我的数据”立即删除。如不同意，我们不会"
          "收集，您的问卷答案不受影响。",
          HINT_EN: "Personal information notice: to follow up on your request for "
          "carbon-reduction support, AIAG will collect your name, company, phone number "
          "and/or e-mail address and your preferred contact time, and use them only to "
          "contact you about this request. We delete them 30 days after your request has "
          'been handled; you can also send "delete my data" at any time to have them deleted '
          "at once. If you do not agree, we collect nothing and your survey answers are "
          "not affected.",
      }),
    q("text", "contact_name", "请告诉我们您的姓名。", "Please tell us your name.",
      field="name", relevant="${contact_consent} = 'yes'", snapshot="no"),
    q("text", "contact_company", "请告诉我们您的公司名称。", "Please tell us your company name.",
      field="company", relevant="${contact_consent} = 'yes'", snapshot="no"),
    q("text", "contact_phone",
      "请留下您的手机或电话号码（选填）。",
      "Please leave your mobile or phone number (optional).",
      required="", field="phone", relevant="${contact_consent} = 'yes'", snapshot="no"),
    q("text", "contact_email",
      "请留下您的电子邮箱（如已留电话则选填）。",
      "Please leave your e-mail address (optional if you gave a phone number).",
      required="${contact_phone} = ''", field="email", relevant="${contact_consent} = 'yes'",
      snapshot="no"),
    q("text", "contact_time",
      "您希望我们在什么时间联系您？（选填，例如：工作日下午）",
      "When would you prefer to be contacted? (optional, e.g. weekday afternoons)",
      required="", field="text", relevant="${contact_consent} = 'yes'",
      constraint="string-length(.) <= 100", snapshot="no"),
]  # fmt: skip

NONE = "exclusive"  # marks "none / not determined": cannot be combined with other choices
CHOICES = [
    ("pcf_status", "all_main_products", "是，已覆盖全部主要产品", "Yes, for all main products"),
    ("pcf_status", "some_products", "是，已覆盖部分产品", "Yes, for some products"),
    ("pcf_status", "planned", "计划在未来 12 个月内开展", "Planned within the next 12 months"),
    ("pcf_status", "no", "否", "No"),
    ("pcf_standard", "iso_14067", "ISO 14067", "ISO 14067"),
    ("pcf_standard", "ghg_product_standard", "温室气体核算体系产品标准",
     "GHG Protocol Product Standard"),
    ("pcf_standard", "pas_2050", "PAS 2050", "PAS 2050"),
    ("pcf_standard", "catena_x_rulebook", "Catena-X PCF 规则手册", "Catena-X PCF Rulebook"),
    ("pcf_standard", "other", "其他", "Other"),
    ("pcf_standard", "not_determined", "尚未确定", "Not yet determined", NONE),
    ("scopes", "scope_1", "范围一", "Scope 1"),
    ("scopes", "scope_2", "范围二", "Scope 2"),
    ("scopes", "scope_3_upstream", "范围三（上游）", "Scope 3 upstream"),
    ("scopes", "scope_3_downstream", "范围三（下游）", "Scope 3 downstream"),
    ("scopes", "none_yet", "尚未量化", "None yet", NONE),
    ("scope3_categories", "purchased_goods", "外购商品和服务", "Purchased goods and services"),
    ("scope3_categories", "upstream_transport", "上游运输和配送",
     "Upstream transportation and distribution"),
    ("scope3_categories", "waste", "运营中产生的废弃物", "Waste generated in operations"),
    ("scope3_categories", "use_of_sold_products", "售出产品的使用", "Use of sold products"),
    ("scope3_categories", "end_of_life", "售出产品的报废处理",
     "End-of-life treatment of sold products"),
    ("emission_factors", "ecoinvent", "ecoinvent", "ecoinvent"),
    ("emission_factors", "sphera_gabi", "Sphera（GaBi）", "Sphera (GaBi)"),
    ("emission_factors", "clcd", "中国生命周期基础数据库（CLCD）",
     "Chinese Life Cycle Database (CLCD)"),
    ("emission_factors", "government_factors", "政府发布的排放因子",
     "Government emission factors"),
    ("emission_factors", "supplier_primary_data", "供应商提供的一手数据",
     "Primary data from suppliers"),
    ("emission_factors", "none_yet", "尚未使用", "None yet", NONE),
    ("tools", "spreadsheets", "电子表格（如 Excel）", "Spreadsheets (e.g. Excel)"),
    ("tools", "lca_software", "商业生命周期评价（LCA）软件", "Commercial LCA software"),
    ("tools", "erp_module", "ERP 系统模块", "ERP module"),
    ("tools", "in_house_system", "自主开发的系统", "In-house system"),
    ("tools", "consultancy", "委托咨询机构", "Consultancy"),
    ("tools", "none", "暂无", "None", NONE),
    ("supplier_data_share", "zero", "0%", "0%"),
    ("supplier_data_share", "under_10", "低于 10%", "Under 10%"),
    ("supplier_data_share", "from_10_to_50", "10%–50%", "10–50%"),
    ("supplier_data_share", "over_50", "高于 50%", "Over 50%"),
    ("customer_formats", "catena_x", "Catena-X", "Catena-X"),
    ("customer_formats", "cdp_supply_chain", "CDP 供应链", "CDP Supply Chain"),
    ("customer_formats", "customer_template", "客户自有模板", "Customer's own template"),
    ("customer_formats", "imds_camds", "IMDS/CAMDS", "IMDS/CAMDS"),
    ("customer_formats", "none", "尚无客户要求", "No customer has asked yet", NONE),
    ("verification", "yes", "是", "Yes"),
    ("verification", "in_progress", "正在进行", "In progress"),
    ("verification", "no", "否", "No"),
    ("obstacles", "supplier_data", "获取供应商数据", "Getting data from suppliers"),
    ("obstacles", "methodology", "方法学不明确", "Unclear methodology"),
    ("obstacles", "tool_cost", "工具成本高", "Cost of tools"),
    ("obstacles", "skills", "缺乏专业技能", "Lack of skills"),
    ("obstacles", "management_support", "管理层支持不足", "Lack of management support"),
    ("pilot_interest", "yes", "是", "Yes"),
    ("pilot_interest", "maybe", "可能", "Maybe"),
    ("pilot_interest", "no", "否", "No"),
    ("contact", "right_now", "立即联系", "Right now"),
    ("contact", "updated_info", "有信息更新时", "When updated information"),
    ("contact", "on_request", "有需要时", "Request when need"),
    ("contact", "no_need", "暂不需要", "No need currently", NONE),
    ("yes_no", "yes", "是", "Yes"),
    ("yes_no", "no", "否", "No"),
]  # fmt: skip

# Near forms accepted for a choice (";"-separated), the first survey's word for word.
ALIASES = {
    ("contact", "no_need"): "不需要;暂时不需要;不用;不用了;暂时不用;no need;not needed;not now",
}

SETTINGS = {
    "form_id": "aiag_pcf_followup",
    "version": 2,
    "default_language": "中文 (zh)",
    "form_title::中文 (zh)": "AIAG 产品碳足迹（PCF）后续调查",
    "form_title::English (en)": "AIAG Product Carbon Footprint (PCF) Follow-up Survey",
    # The seed's 后续调查 Follow up Survey, as the preface of the survey it announces.
    "preface::中文 (zh)": (
        "通过第一轮碳性能调查，我们了解到，许多公司尚缺乏合适的工具或解决方案来计算产品层面的"
        "碳足迹，尤其是如何正确量化“范围三”排放。\n\n"
        "为此，AIAG 启动了第二轮调查，聚焦如何支持主机厂及其供应商开展产品碳足迹工作，重点关注"
        "“如何执行”以及“用什么”来实施。第一轮调查报告可在 https://aiag.org.cn/ACAC/ 获取。\n\n"
        "AIAG 可持续发展小组"
    ),
    "preface::English (en)": (
        "The first carbon performance survey showed that many companies do not yet have "
        "suitable tools or solutions to calculate carbon footprints at product level, in "
        "particular to quantify Scope 3 emissions correctly.\n\n"
        "AIAG has therefore launched this second survey, focused on how to support OEMs and "
        'their suppliers with product carbon footprints: "how to do it" and "with what". '
        "The report of the first survey is available at https://aiag.org.cn/ACAC/.\n\n"
        "AIAG Sustainability Team"
    ),
    "closing::中文 (zh)": (
        "感谢您参与 AIAG 产品碳足迹后续调查！"
        "汇总结果将通过 AIAG 公众号和 https://aiag.org.cn/ 发布。"
    ),
    "closing::English (en)": (
        "Thank you for taking part in the AIAG product carbon footprint follow-up survey! "
        "The aggregated results will be published on AIAG's WeChat account and at "
        "https://aiag.org.cn/."
    ),
    "contact_question": "contact",
    "contact_right_now": "right_now",
    "contact_updates": "updated_info",
    "contact_on_request": "on_request",
    "contact_details": "contact_name contact_company contact_phone contact_email contact_time",
}


def build(path: Path = WORKBOOK) -> Path:
    workbook = Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    survey.append(SURVEY_COLUMNS)
    for row in SURVEY:
        survey.append([row.get(column) or None for column in SURVEY_COLUMNS])
    choices = workbook.create_sheet("choices")
    choices.append(CHOICES_COLUMNS)
    for list_name, name, zh, en, *flags in CHOICES:
        exclusive = "yes" if NONE in flags else None
        choices.append([list_name, name, zh, en, exclusive, ALIASES.get((list_name, name))])
    settings = workbook.create_sheet("settings")
    settings.append(list(SETTINGS))
    settings.append(list(SETTINGS.values()))
    for sheet in (survey, choices, settings):
        sheet.freeze_panes = "A2"
        for letter in "ABCDEFGHIJKLMNOPQ":
            sheet.column_dimensions[letter].width = 28
    workbook.save(path)
    return path


if __name__ == "__main__":
    print(f"wrote {build(Path(sys.argv[1]) if len(sys.argv) > 1 else WORKBOOK)}")
