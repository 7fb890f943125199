"""`/test` (试答): staff take the survey as test respondents; test data stays out.

Staff are never respondents: outside a test run a staff member's message that is no
staff command gets the staff help (`StaffHandler`). `/test` marks the staff member's own
respondent row as test data (`storage.test_data`, every figure leaves it out) and opens
a test run, kept per staff member in the shared key-value table: until `/test end`
their other messages are survey input. `/test mark 123` marks respondent 123 (the
export's respondent_id) as test data, `/test unmark 123` makes them real again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session

from bot.settings import StaffMember
from bot.staff.call import Call, Result, Say
from flows.parse_results import normalize
from flows.staff_replies import StaffTest
from storage.kv import kv_delete, kv_get, kv_set
from storage.segment_counters import Declared
from storage.test_data import mark_test

# A forgotten test run ends by itself: staff then get the staff help again.
TEST_RUN = timedelta(days=7)


class RunAction(StrEnum):
    START = "start"
    END = "end"
    MARK = "mark"
    UNMARK = "unmark"
    USAGE = "usage"


@dataclass(frozen=True)
class RunRequest:
    action: RunAction
    respondent_id: int | None = None


_WORDS = {
    "": RunAction.START,
    "start": RunAction.START,
    "开始": RunAction.START,
    "end": RunAction.END,
    "stop": RunAction.END,
    "off": RunAction.END,
    "结束": RunAction.END,
    "mark": RunAction.MARK,
    "标记": RunAction.MARK,
    "unmark": RunAction.UNMARK,
    "取消标记": RunAction.UNMARK,
}
_ID = re.compile(r"#?(\d{1,12})")


def parse_test(argument: str) -> RunRequest:
    """ "" → start; "end" / "结束"; "mark 123" / "标记 123"; "unmark 123" / "取消标记 123"."""
    parts = normalize(argument).strip().casefold().split()
    action = _WORDS.get(parts[0] if parts else "")
    if action is None:
        return RunRequest(RunAction.USAGE)
    if action in (RunAction.MARK, RunAction.UNMARK):
        number = _ID.fullmatch(parts[1]) if len(parts) == 2 else None
        if number is None:
            return RunRequest(RunAction.USAGE)
        return RunRequest(action, int(number[1]))
    return RunRequest(action) if len(parts) <= 1 else RunRequest(RunAction.USAGE)


def _key(member: StaffMember) -> str:
    return f"staff_test:{member}"


def in_test_run(*, session: Session, member: StaffMember, now: datetime) -> bool:
    return kv_get(session=session, key=_key(member), now=now) is not None


def run_test_command(
    call: Call, respondent_id: int, say: Say, declared: Mapping[str, Declared]
) -> Result:
    """Carry out `/test …`; `respondent_id`: the staff member's own respondent row;
    `declared`: each survey's peer segments, whose counters follow a marked respondent."""
    request = parse_test(call.request.argument)
    session, now = call.session, call.now
    reply = StaffTest(action=request.action.value)
    detail: dict[str, object] = {"action": request.action.value}
    match request.action:
        case RunAction.START:
            mark_test(
                session=session,
                respondent_id=respondent_id,
                is_test=True,
                now=now,
                declared=declared,
            )
            kv_set(session=session, key=_key(call.member), value="1", expires_at=now + TEST_RUN)
            reply = replace(reply, days=TEST_RUN.days)
        case RunAction.END:
            kv_delete(session=session, key=_key(call.member))
        case RunAction.MARK | RunAction.UNMARK:
            assert request.respondent_id is not None
            wanted = request.action is RunAction.MARK
            marked = mark_test(
                session=session,
                respondent_id=request.respondent_id,
                is_test=wanted,
                now=now,
                declared=declared,
            )
            changed = marked is not None and marked.was_test != wanted
            found = marked is not None
            reply = replace(reply, respondent=request.respondent_id, found=found, changed=changed)
            detail.update(respondent=request.respondent_id, found=marked is not None)
        case RunAction.USAGE:
            pass
    return Result(say(reply), f"test_{request.action.value}", detail)
