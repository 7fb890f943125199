"""Two versions of a small survey, for the mapping and registry tests."""

from __future__ import annotations

from flows.definition import load_flow_text
from flows.model import Flow

V1 = """
spec_version: 1
id: mini
version: 1
title: {zh: 小调查, en: Mini survey}
preface: {zh: 前言, en: Preface}
closing: {zh: 谢谢, en: Thanks}
next: mini_next
questions:
  - id: role
    type: single_choice
    text: {zh: 角色, en: Role}
    options:
      - {id: oem, text: {zh: 主机厂, en: OEM}}
      - {id: supplier, text: {zh: 供应商, en: Supplier}}
  - id: tools
    type: multiple_choice
    text: {zh: 工具, en: Tools}
    options:
      - {id: excel, text: {zh: 表格, en: Spreadsheets}}
      - {id: lca, text: {zh: LCA 软件, en: LCA software}}
      - {id: none, text: {zh: 无, en: None}, exclusive: true}
  - id: remarks
    type: text
    required: false
    text: {zh: 备注, en: Remarks}
  - id: size
    type: integer
    min_value: 1
    text: {zh: 员工人数, en: Employees}
"""

# Version 2: `tools` renamed `software` with `excel` renamed `sheets`; `lca` dropped;
# `remarks` dropped; a new question `region` before `size`.
V2 = """
spec_version: 1
id: mini
version: 2
title: {zh: 小调查, en: Mini survey}
preface: {zh: 前言, en: Preface}
closing: {zh: 谢谢, en: Thanks}
next: mini_next
questions:
  - id: role
    type: single_choice
    text: {zh: 角色, en: Role}
    options:
      - {id: oem, text: {zh: 主机厂, en: OEM}}
      - {id: supplier, text: {zh: 供应商, en: Supplier}}
  - id: software
    type: multiple_choice
    text: {zh: 软件, en: Software}
    options:
      - {id: sheets, text: {zh: 表格, en: Spreadsheets}}
      - {id: erp, text: {zh: ERP, en: ERP}}
      - {id: none, text: {zh: 无, en: None}, exclusive: true}
  - id: region
    type: single_choice
    text: {zh: 地区, en: Region}
    options:
      - {id: cn, text: {zh: 中国, en: China}}
      - {id: other, text: {zh: 其他, en: Other}}
  - id: size
    type: integer
    min_value: 1
    text: {zh: 员工人数, en: Employees}
"""

NEXT = """
spec_version: 1
id: mini_next
version: 1
title: {zh: 后续调查, en: Follow-up survey}
preface: {zh: 后续前言, en: Follow-up preface}
closing: {zh: 谢谢, en: Thanks}
questions:
  - id: pcf
    type: yes_no
    text: {zh: 计算过 PCF 吗, en: Calculated a PCF}
"""

# Version 3: as version 2 without `region` (nothing new to ask).
V3 = V2.replace("version: 2", "version: 3").replace(
    """  - id: region
    type: single_choice
    text: {zh: 地区, en: Region}
    options:
      - {id: cn, text: {zh: 中国, en: China}}
      - {id: other, text: {zh: 其他, en: Other}}
""",
    "",
)

MAPPING = {
    "from_version": 1,
    "questions": {"tools": "software", "remarks": None},
    "options": {"tools": {"excel": "sheets", "lca": None}},
}


def v1() -> Flow:
    return load_flow_text(V1)


def v2() -> Flow:
    return load_flow_text(V2)


def v3() -> Flow:
    return load_flow_text(V3)


def next_flow() -> Flow:
    return load_flow_text(NEXT)
