"""/orgs (机构): organisations, their respondents and completion; merge, split, confirm.

- `/orgs` lists the chosen survey's organisations (most respondents first) with each
  respondent's link number, channel, plant and whether they completed; the likenesses
  waiting for a decision; and the survey's counting rule with its counts.
- `/orgs merge A B` (合并) moves organisation B's respondents to A;
  `/orgs split L` (拆分) moves respondent link L out into an organisation of its own;
  `/orgs same M` (相同) merges a proposed likeness, `/orgs different M` (不同) keeps the
  two apart. The staff handler writes each to the audit log with the ids it touched.
Respondents appear by link number and channel only: no name, no chat id.
"""

from __future__ import annotations

from dataclasses import fields

from bot.staff.call import Call, Result, Say
from flows.model import Flow
from flows.parse_results import normalize
from flows.staff_replies import StaffOrgs, StaffOrgsDone, StaffOrgsError
from storage.organisation_queries import organisations, pending_matches, unit_count
from storage.organisations import OrganisationError, decide_match, merge, split

ORGS_SHOWN = 30
_VERBS = {
    "merge": "merge",
    "合并": "merge",
    "split": "split",
    "拆分": "split",
    "same": "same",
    "相同": "same",
    "different": "different",
    "不同": "different",
}
_ARITY = {"merge": 2, "split": 1, "same": 1, "different": 1}


def changes_something(call: Call) -> bool:
    """With words after /orgs it merges, splits or decides: run in the write transaction."""
    return bool(normalize(call.request.argument).split())


def orgs(call: Call, flow: Flow, say: Say) -> Result:
    words = normalize(call.request.argument).split()
    if not words:
        return _overview(call, flow, say)
    verb = _VERBS.get(words[0].casefold())
    ids = [_number(w) for w in words[1:]]
    if verb is None or len(ids) != _ARITY[verb] or None in ids:
        return _refused(say, "usage")
    numbers = [i for i in ids if i is not None]
    try:
        action, done = _carry_out(call, verb, numbers)
    except OrganisationError as error:
        return _refused(say, error.reason)
    # The audit detail: the ids touched, as the reply shows them.
    detail: dict[str, object] = {
        f.name: getattr(done, f.name)
        for f in fields(done)
        if f.name not in ("lang", "verb") and getattr(done, f.name) is not None
    }
    return Result(say(done), action, detail)


def _carry_out(call: Call, verb: str, numbers: list[int]) -> tuple[str, StaffOrgsDone]:
    """The audit action and the ids touched; OrganisationError when it cannot be done."""
    session, now = call.session, call.now
    if verb == "merge":
        keep, other = numbers
        moved = merge(session=session, keep_id=keep, other_id=other, now=now)
        return "org_merged", StaffOrgsDone(verb=verb, kept=keep, merged=other, links=moved)
    if verb == "split":
        old, new = split(session=session, link_id=numbers[0], now=now)
        return "org_split", StaffOrgsDone(verb=verb, link=numbers[0], source=old, to=new)
    same = verb == "same"
    match = decide_match(session=session, match_id=numbers[0], same=same, now=now)
    action = "org_match_confirmed" if same else "org_match_rejected"
    return action, StaffOrgsDone(
        verb=verb,
        match=numbers[0],
        organisation=match.organisation_id,
        candidate=match.candidate_id,
    )


def _overview(call: Call, flow: Flow, say: Say) -> Result:
    found = organisations(session=call.session, flow_id=flow.id)
    shown = found[:ORGS_SHOWN]
    counts = unit_count(session=call.session, flow_id=flow.id, unit=flow.counting)
    reply = StaffOrgs(
        survey=flow.title,
        counting=flow.counting.value,
        started=counts.started,
        completed=counts.completed,
        organisations=shown,
        more=len(found) - len(shown),
        matches=pending_matches(session=call.session),
    )
    detail: dict[str, object] = {"organisations": len(found), "counting": flow.counting.value}
    return Result(say(reply), "orgs_viewed", detail)


def _refused(say: Say, reason: str) -> Result:
    return Result(say(StaffOrgsError(reason=reason)), "orgs_refused", {"reason": reason})


def _number(word: str) -> int | None:
    digits = word.lstrip("#LlMm")  # "L12", "M3", "#7" as shown in the list
    return int(digits) if digits.isdigit() and len(digits) <= 12 else None
