"""`/remind`: queue the reminders of the chosen survey now, not at their usual hour.

Who is due (the reminder job's rules, without its wait) is the reminders
worker's to say (`bot.workers.reminders.remind_now`); this command reports how many
were queued, or that the survey is closed, and audits the count.
"""

from __future__ import annotations

from bot.dispatch.render import Renderer
from bot.staff.call import Call, Result, Say
from bot.surveys.catalog import SurveyCatalog
from bot.workers.reminders import NOW_AFTER_HOURS, remind_now
from flows.model import Flow
from flows.staff_replies import StaffRemind

__all__ = ["remind"]


def remind(call: Call, flow: Flow, catalog: SurveyCatalog, renderer: Renderer, say: Say) -> Result:
    queued = remind_now(
        session=call.session,
        catalog=catalog,
        renderer=renderer,
        flow_id=flow.id,
        now=call.now,
    )
    reply = StaffRemind(queued=queued, title=flow.title, hours=round(NOW_AFTER_HOURS))
    detail: dict[str, object] = {"survey": flow.id, "queued": queued}
    return Result(say(reply), "remind", detail)
