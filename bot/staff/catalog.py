"""The staff commands (name, bilingual description), shown to staff only.

Telegram shows them through a chat-scoped `setMyCommands`; WeChat staff type them.
"""

from __future__ import annotations

from flows.model import Text

STAFF_COMMANDS: tuple[tuple[str, Text], ...] = (
    (
        "stats",
        Text(
            "统计：整体报告或单题（/stats 题号 [by 题号]）", "Report, one question or a cross-tab"
        ),
    ),
    ("progress", Text("进度：开始、完成、流失", "Started, completed, drop-off")),
    (
        "remind",
        Text(
            "提醒：立即向 48 小时内中途停下的人发送唯一一次提醒",
            "Send the one reminder now to those who stopped (48 h window)",
        ),
    ),
    (
        "contacts",
        Text("联系：联系请求，未认领在前（mine/open/all）", "Contact requests (mine/open/all)"),
    ),
    ("claim", Text("认领联系请求：/claim 编号", "Claim a request: /claim ID")),
    ("unclaim", Text("退回联系请求：/unclaim 编号", "Give a request back: /unclaim ID")),
    ("assign", Text("指派联系请求：/assign 编号 员工", "Assign a request: /assign ID staff")),
    ("done", Text("完成联系请求：/done 编号 [备注]", "Close a request: /done ID [note]")),
    ("export", Text("导出：CSV/XLSX/SPSS 下载链接", "Signed CSV/XLSX/SPSS download links")),
    ("broadcast", Text("群发：/broadcast 内容", "Message respondents who asked for updates")),
    ("chart", Text("图表：/chart 题号", "Chart of one question")),
    ("dashboard", Text("仪表板登录链接", "Dashboard login link")),
    ("survey", Text("调查：报告针对哪个调查（/survey 编号）", "Which survey reports are about")),
    ("changes", Text("变化：与上一轮相比（/changes 题号）", "What changed since last round")),
    (
        "orgs",
        Text(
            "机构：受访者与完成情况；合并、拆分、确认相似名称",
            "Organisations: respondents, completion; merge, split, confirm",
        ),
    ),
    (
        "test",
        Text(
            "试答：以测试身份答题（/test end 结束；/test mark 编号 标为测试数据）",
            "Take the survey as test data (/test end; /test mark ID)",
        ),
    ),
)

RESPONDENT_COMMANDS: tuple[tuple[str, Text], ...] = (
    ("start", Text("开始或继续调查", "Start or resume the survey")),
    ("help", Text("帮助", "Help")),
    ("lang", Text("切换语言", "Switch language")),
    ("restart", Text("重新开始", "Start over")),
    ("myanswers", Text("我的答案", "My answers")),
    ("next", Text("完成后开始后续调查", "After finishing: start the follow-up survey")),
)
