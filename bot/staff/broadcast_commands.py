"""`/broadcast`, `/confirm` and `/cancel` as staff commands: replies and audit entries.

The broadcast's own rules (who is reachable now, what is held, the pending text) live in
`bot.staff.broadcast`; this module turns its answers into the command's `Result` and,
for `/broadcast`, leaves keeping the text to the message's write transaction.
"""

from __future__ import annotations

from bot.dispatch.render import Renderer
from bot.staff import broadcast
from bot.staff.call import Call, Planned, Result, Say

__all__ = ["cancel", "confirm", "prepare"]


def prepare(call: Call, say: Say) -> Planned:
    text = call.request.argument
    reply, valid = broadcast.preview(session=call.session, text=text, now=call.now)
    result = Result(say(reply), "broadcast_prepared")
    if not valid:
        return result

    def keep(write: Call) -> Result:
        broadcast.keep(session=write.session, actor=write.actor, text=text, now=write.now)
        return result

    return keep


def confirm(call: Call, say: Say, renderer: Renderer) -> Result:
    reply, sent = broadcast.confirm(
        session=call.session, actor=call.actor, now=call.now, renderer=renderer
    )
    if sent is None:
        return Result(say(reply), "broadcast_confirm_nothing")
    counts = {"now": len(sent.now), "later": len(sent.later), "text": sent.text}
    return Result(say(reply), "broadcast_sent", counts)


def cancel(call: Call, say: Say) -> Result:
    reply = broadcast.cancel(session=call.session, actor=call.actor, now=call.now)
    return Result(say(reply), "broadcast_cancelled")
