"""Authoring flows in Excel: XLSForm (the form standard of ODK and KoboToolbox), both ways.

`import_xlsform(path)` reads a workbook and returns the flow data (for the YAML flow
file) and the validated `Flow`; `FlowFileError` lists every problem, each named with
its sheet and row ("survey sheet, row 7"). `export_xlsform(flow, path)` writes a
workbook that imports back to an equal `Flow`; `flow_yaml(data)` is the flow file text.

The conventions, in short (docs/xlsform.md has the whole table):

- survey: `type` (select_one LIST [or_other], select_multiple LIST [or_other], text,
  integer, note), `name`, `label::中文 (zh)` / `label::English (en)` (or `label::zh`,
  `label::en`), `hint::…` (shown above the question), `required` (yes, or
  `${q} = ''`: required unless q was answered), `relevant`, `constraint`,
  `constraint_message::…`; extensions `field` (text rows: name, company, phone, email,
  text), `snapshot` (no: no peer percentages after the answer) and `number` (the
  survey's own question number, "5" or "10a").
- choices: `list_name`, `name`, `label::…`; extensions `exclusive` (yes: cannot be
  combined, e.g. 尚未确定 / Not yet determined) and `aliases` (near forms accepted for
  the choice, separated by ";"). A select_one over exactly `yes` and
  `no` is a yes_no question.
- settings: `form_id`, `version` (a whole number), `form_title::…`,
  `default_language`; extensions `preface::…`, `closing::…`, `followup::…`, `next`
  (the flow offered afterwards) and `contact_question`, `contact_right_now`,
  `contact_updates`, `contact_on_request`, `contact_details` (the follow-up rules),
  `organisation_question`, `organisation_key`, `organisation_plant`, `organisation_ask`,
  `organisation_colleagues_see_answers` (the organisation step) and `counting`.
"""

from __future__ import annotations

from flows.xlsform.from_flow import export_xlsform, flow_to_workbook
from flows.xlsform.to_flow import XLSFormImport, import_xlsform, sheets_to_flow
from flows.xlsform.yaml_text import flow_yaml, generated_header

__all__ = [
    "XLSFormImport",
    "export_xlsform",
    "flow_to_workbook",
    "flow_yaml",
    "generated_header",
    "import_xlsform",
    "sheets_to_flow",
]
