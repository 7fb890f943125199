"""The dispatcher's staff hook: staff commands from staff members, audited.

Off the respondents' write path (`bot.dispatch.staff_dispatch`): `prepare` reads in the command's
own read-only transaction (reports take their time there) and returns a `StaffWork`;
the dispatcher calls it in the message's short write transaction, after dedupe and the
sender's lock, to make the change (claim, broadcast, test mark, …) and write the audit
row, so a retried push changes nothing twice and gets the stored reply. `prepare`
returns None, so the survey engine answers, for staff in a `/test` run (`test_runs`):
staff are never respondents, so any other staff message that is no command gets the
staff help. A non-staff "/stats" gets the engine's unknown-command help and learns
nothing; the attempt is written to the audit log (`note_denied`).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.dispatch.envelope import Envelope, Message, Outcome
from bot.dispatch.pseudonyms import Pseudonyms
from bot.dispatch.render import Renderer
from bot.settings import Settings, StaffMember
from bot.staff import (
    broadcast,
    broadcast_commands,
    changes_command,
    contact_commands,
    link_commands,
    org_commands,
    remind_command,
    stats_command,
    test_runs,
)
from bot.staff.call import Call, Planned, Result
from bot.staff.catalog import STAFF_COMMANDS
from bot.staff.commands import (
    StaffCommand,
    StaffRequest,
    chinese_word,
    parse_staff_command,
    split_reference,
)
from bot.staff.names import StaffNames
from bot.staff.signing import Signer, load_signer
from bot.staff.survey_choice import chosen_flow, survey_command
from bot.surveys.catalog import SurveyCatalog
from flows.model import Flow, Lang, Question
from flows.parse_results import normalize
from flows.replies import Reply
from flows.staff_replies import StaffHelp
from storage.audit import audit
from storage.test_data import respondent_id_of

IDLE = timedelta(hours=24)  # an unfinished respondent silent this long has probably left
AUDIT_ARGUMENT_CHARS = 500


class StaffHandler:
    def __init__(
        self,
        *,
        flow: Flow,
        settings: Settings,
        signer: Signer,
        renderer: Renderer | None = None,
        catalog: SurveyCatalog | None = None,
    ) -> None:
        self.flow = flow  # the default survey: contact details are read with its labels
        self.catalog = catalog or SurveyCatalog.fixed(flow)
        self.settings = settings
        self.signer = signer
        self.pseudonyms = Pseudonyms.from_secret(signer.secret)
        self.renderer = renderer or Renderer()
        self.names = StaffNames.from_settings(settings)
        # Each runs in the read transaction and returns its reply, or what is left to
        # change in the write transaction (`_in_write`: all of it).
        self._commands: dict[StaffCommand, Callable[[Call], Planned]]
        self._commands = {
            StaffCommand.HELP: self._help,
            StaffCommand.STATS: self._stats,
            StaffCommand.PROGRESS: self._progress,
            StaffCommand.CONTACTS: self._contacts,
            StaffCommand.CLAIM: _in_write(self._move_contact),
            StaffCommand.UNCLAIM: _in_write(self._move_contact),
            StaffCommand.ASSIGN: _in_write(self._move_contact),
            StaffCommand.DONE: _in_write(self._move_contact),
            StaffCommand.EXPORT: self._export,
            StaffCommand.DASHBOARD: self._dashboard,
            StaffCommand.BROADCAST: self._broadcast,
            StaffCommand.CONFIRM: _in_write(self._confirm),
            StaffCommand.CANCEL: _in_write(self._cancel),
            StaffCommand.CHART: self._chart,
            StaffCommand.SURVEY: self._survey,
            StaffCommand.TEST: _in_write(self._test),
            StaffCommand.REMIND: _in_write(self._remind),
            StaffCommand.CHANGES: self._changes,
            StaffCommand.ORGS: self._orgs,
        }

    def is_staff(self, envelope: Envelope) -> bool:
        return self.settings.is_staff(envelope.channel, envelope.user_id)

    def prepare(self, session: Session, envelope: Envelope) -> StaffWork | None:
        """The command's reads, in its own read-only transaction; what is left to write.

        None: a staff member's survey input (a `/test` run), for the survey engine."""
        text = envelope.inbound.text
        member = StaffMember(envelope.channel, envelope.user_id)
        now = envelope.inbound.now
        request = None
        if text is not None and envelope.inbound.expect is None:
            request = parse_staff_command(text)
            if request is None:
                # 确认 / 取消 alone: the broadcast's confirmation; with none waiting, said so
                # (as /confirm does), unless in a /test run, where they are survey input.
                request = parse_staff_command(text, confirming=True)
                if (
                    request is not None
                    and not broadcast.is_pending(session=session, actor=str(member), now=now)
                    and test_runs.in_test_run(session=session, member=member, now=now)
                ):
                    request = None
        if request is None:
            if test_runs.in_test_run(session=session, member=member, now=now):
                return None  # a /test run: survey input (counted as test data)
            # Staff are never respondents: anything else gets the staff help, naming a
            # command it does not know ("/stat": did you mean /stats?).
            word = (text or "").strip().split(maxsplit=1)[0] if (text or "").strip() else ""
            unknown = word if normalize(word).startswith("/") else ""
            request = StaffRequest(StaffCommand.HELP, unknown)
        planned = self._commands[request.command](Call(session, request, member, now))
        return StaffWork(self, request, member, now, planned)

    def finish(self, work: StaffWork, session: Session) -> Outcome:
        """In the message's write transaction: the state change, if any, and the audit row."""
        call = Call(session, work.request, work.member, work.now)
        result = work.planned if isinstance(work.planned, Result) else work.planned(call)
        argument = work.request.argument
        if work.request.command is StaffCommand.DONE:
            # The note may name the person: it lives (and is erased) with the request only.
            argument = split_reference(argument)[0]
        detail = {
            "command": work.request.command.value,
            "argument": argument[:AUDIT_ARGUMENT_CHARS],
            **result.detail,
        }
        audit(
            session=session,
            actor=call.actor,
            action=result.action,
            detail=json.dumps(detail, ensure_ascii=False, default=str),
            now=work.now,
        )
        return Outcome(tuple(result.messages), personal=result.personal)

    def note_denied(self, session: Session, envelope: Envelope) -> None:
        """A non-staff sender's staff command is written to the audit log (in their
        message's transaction); the survey engine answers them."""
        text = envelope.inbound.text
        if self.is_staff(envelope) or text is None or envelope.inbound.expect is not None:
            return
        request = parse_staff_command(text)
        if request is None or not text.lstrip().startswith(("/", "／")):
            return  # ordinary survey input ("统计" may be someone's answer)
        if request.command is StaffCommand.HELP:
            return  # /help is the respondents' help too
        detail = json.dumps({"command": request.command.value})
        # Not staff: a respondent, whose id must not outlive their "delete my data".
        actor = self.pseudonyms.actor(str(StaffMember(envelope.channel, envelope.user_id)))
        now = envelope.inbound.now
        audit(session=session, actor=actor, action="staff_denied", detail=detail, now=now)

    def _say(self, reply: Reply) -> list[Message]:
        return [Message(self.renderer.render(reply, Lang.BOTH))]

    def _help(self, call: Call) -> Result:
        commands = [
            {"name": name, "text": text, "word": chinese_word(StaffCommand(name))}
            for name, text in STAFF_COMMANDS
        ]
        unknown = call.request.argument if call.request.argument.startswith("/") else None
        guess = None
        if unknown:
            head = normalize(unknown).casefold().lstrip("/")
            close = difflib.get_close_matches(head, [n for n, _ in STAFF_COMMANDS], n=1)
            guess = close[0] if close else None
        reply = StaffHelp(commands=commands, unknown=unknown, guess=guess)
        return Result(self._say(reply), "help")

    def _flow(self, call: Call) -> Flow:
        return chosen_flow(
            session=call.session, catalog=self.catalog, member=call.member, now=call.now
        )

    def _test(self, call: Call) -> Result:
        own = respondent_id_of(
            session=call.session,
            channel=call.member.channel.value,
            channel_user_id=call.member.user_id,
        )
        assert own is not None  # the dispatcher created it before calling this hook
        declared = self.catalog.declared_segments(call.session)
        return test_runs.run_test_command(call, own, self._say, declared)

    def _orgs(self, call: Call) -> Planned:
        if org_commands.changes_something(call):  # merge, split, same, different
            return lambda write: org_commands.orgs(write, self._flow(write), self._say)
        return org_commands.orgs(call, self._flow(call), self._say)

    def _survey(self, call: Call) -> Planned:
        return survey_command(call, self.catalog, self._say)

    def _line(self, reply: Reply) -> str:
        return self.renderer.render(reply, Lang.BOTH).strip()

    def _stats(self, call: Call) -> Result:
        return stats_command.stats(call, self._flow(call), self._say, self._line)

    def _question(self, flow: Flow, ref: str) -> Question | Reply:
        return stats_command.find_reportable(flow, ref)

    def _changes(self, call: Call) -> Result:
        return changes_command.changes(call, self._flow(call), self._say)

    def _progress(self, call: Call) -> Result:
        return stats_command.progress(call, self._flow(call), self._say, self._line)

    def _contacts(self, call: Call) -> Result:
        return contact_commands.list_requests(call, self.flow, self._say, self.names)

    def _move_contact(self, call: Call) -> Result:
        return contact_commands.move(call, self.flow, self._say, self.names, self._line)

    def _export(self, call: Call) -> Result:
        return link_commands.export(call, self.settings, self.signer, self.flow, self._say)

    def _remind(self, call: Call) -> Result:
        flow = self._flow(call)
        return remind_command.remind(call, flow, self.catalog, self.renderer, self._say)

    def _dashboard(self, call: Call) -> Result:
        return link_commands.dashboard(call, self.settings, self.signer, self._say)

    def _broadcast(self, call: Call) -> Planned:
        return broadcast_commands.prepare(call, self._say)

    def _confirm(self, call: Call) -> Result:
        return broadcast_commands.confirm(call, self._say, self.renderer)

    def _cancel(self, call: Call) -> Result:
        return broadcast_commands.cancel(call, self._say)

    def _chart(self, call: Call) -> Planned:
        return stats_command.chart(call, self._flow(call), self._say, self._line)


@dataclass(frozen=True)
class StaffWork:
    """A staff command whose reads are done (`StaffHandler.prepare`). Called with the
    message's write session, it makes the command's change and writes its audit row."""

    handler: StaffHandler
    request: StaffRequest
    member: StaffMember
    now: datetime
    planned: Planned

    def __call__(self, session: Session) -> Outcome:
        return self.handler.finish(self, session)


def _in_write(command: Callable[[Call], Result]) -> Callable[[Call], Planned]:
    """A command that only changes state: all of it runs in the write transaction."""
    return lambda _read: command


def build_staff_handler(
    settings: Settings, engine: Engine, flow: Flow, catalog: SurveyCatalog | None = None
) -> StaffHandler | None:
    """The hook for `Service`, or None when SURVEYBOT_STAFF names nobody.

    The signing key is read now, outside any message's transaction (a nested one would
    wait on SQLite's write lock): with SURVEYBOT_SECRET_KEY set that touches nothing,
    otherwise the key kept in the database is read or created once.
    """
    if not settings.staff:
        return None
    return StaffHandler(
        flow=flow,
        settings=settings,
        signer=load_signer(engine, settings.secret_key),
        catalog=catalog,
    )
