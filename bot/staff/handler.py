"""The dispatcher's staff hook: staff commands from staff members, audited.

Called inside the message's transaction, after dedupe and the sender's lock
(`bot.service.Service.staff_handler`). Returns None, so the survey engine answers, for
anyone not listed in SURVEYBOT_STAFF and for staff in a `/test` run (`test_runs`): staff
are never respondents, so any other staff message that is no command gets the staff
help. A non-staff "/stats" gets the engine's unknown-command help and learns nothing;
the attempt is written to the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.envelope import Envelope, Message, Outcome
from bot.pseudonyms import Pseudonyms
from bot.render import Renderer
from bot.settings import Settings, StaffMember
from bot.staff import broadcast, contact_commands, org_commands, stats_command, test_runs
from bot.staff.call import Call, Result
from bot.staff.catalog import STAFF_COMMANDS
from bot.staff.commands import (
    StaffCommand,
    StaffRequest,
    chinese_word,
    parse_staff_command,
    split_reference,
)
from bot.staff.names import StaffNames
from bot.staff.survey_choice import chosen_flow, survey_command
from bot.survey_catalog import SurveyCatalog
from bot.web.links import ExportFormat, dashboard_login_url, export_url
from bot.web.signing import DASHBOARD_TTL_S, EXPORT_TTL_S, Signer, load_signer
from flows.events import Reply
from flows.model import Flow, Lang, Question
from storage import repositories as repo
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
        self._commands: dict[StaffCommand, Callable[[Call], Result]]
        self._commands = {
            StaffCommand.HELP: self._help,
            StaffCommand.STATS: self._stats,
            StaffCommand.PROGRESS: self._progress,
            StaffCommand.CONTACTS: self._contacts,
            StaffCommand.CLAIM: self._move_contact,
            StaffCommand.UNCLAIM: self._move_contact,
            StaffCommand.ASSIGN: self._move_contact,
            StaffCommand.DONE: self._move_contact,
            StaffCommand.EXPORT: self._export,
            StaffCommand.DASHBOARD: self._dashboard,
            StaffCommand.BROADCAST: self._broadcast,
            StaffCommand.CONFIRM: self._confirm,
            StaffCommand.CANCEL: self._cancel,
            StaffCommand.CHART: self._chart,
            StaffCommand.SURVEY: self._survey,
            StaffCommand.TEST: self._test,
            StaffCommand.ORGS: self._orgs,
        }

    def __call__(self, session: Session, envelope: Envelope) -> Outcome | None:
        text = envelope.inbound.text
        member = StaffMember(envelope.channel, envelope.user_id)
        now = envelope.inbound.now
        if not self.settings.is_staff(envelope.channel, envelope.user_id):
            if text is not None and envelope.inbound.expect is None:
                self._note_denied(session, text, member, now)
            return None
        request = None
        if text is not None and envelope.inbound.expect is None:
            request = parse_staff_command(text)
            if request is None:
                # 确认 / 取消 alone are staff words only while a broadcast awaits confirmation.
                request = parse_staff_command(text, confirming=True)
                if request is not None and not broadcast.is_pending(
                    session=session, actor=str(member), now=now
                ):
                    request = None
        if request is None:
            if test_runs.in_test_run(session=session, member=member, now=now):
                return None  # a /test run: survey input (counted as test data)
            # Staff are never respondents: anything else gets the staff help.
            request = StaffRequest(StaffCommand.HELP)
        call = Call(session, request, member, now)
        result = self._commands[request.command](call)
        argument = request.argument
        if request.command is StaffCommand.DONE:
            # The note may name the person: it lives (and is erased) with the request only.
            argument = split_reference(argument)[0]
        detail = {
            "command": request.command.value,
            "argument": argument[:AUDIT_ARGUMENT_CHARS],
            **result.detail,
        }
        repo.audit(
            session=session,
            actor=call.actor,
            action=result.action,
            detail=json.dumps(detail, ensure_ascii=False, default=str),
            now=now,
        )
        return Outcome(tuple(result.messages), personal=result.personal)

    def _note_denied(self, session: Session, text: str, member: StaffMember, now: datetime) -> None:
        request = parse_staff_command(text)
        if request is None or not text.lstrip().startswith(("/", "／")):
            return  # ordinary survey input ("统计" may be someone's answer)
        if request.command is StaffCommand.HELP:
            return  # /help is the respondents' help too
        detail = json.dumps({"command": request.command.value})
        # Not staff: a respondent, whose id must not outlive their "delete my data".
        actor = self.pseudonyms.actor(str(member))
        repo.audit(session=session, actor=actor, action="staff_denied", detail=detail, now=now)

    def _say(self, reply: Reply) -> list[Message]:
        return [Message(self.renderer.render(reply, Lang.BOTH))]

    def _help(self, call: Call) -> Result:
        commands = [
            {"name": name, "text": text, "word": chinese_word(StaffCommand(name))}
            for name, text in STAFF_COMMANDS
        ]
        return Result(self._say(Reply("staff_help", {"commands": commands})), "help")

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

    def _orgs(self, call: Call) -> Result:
        return org_commands.orgs(call, self._flow(call), self._say)

    def _survey(self, call: Call) -> Result:
        return survey_command(call, self.catalog, self._say)

    def _line(self, reply: Reply) -> str:
        return self.renderer.render(reply, Lang.BOTH).strip()

    def _stats(self, call: Call) -> Result:
        return stats_command.stats(call, self._flow(call), self._say, self._line)

    def _question(self, flow: Flow, ref: str) -> Question | Reply:
        return stats_command.find_reportable(flow, ref)

    def _progress(self, call: Call) -> Result:
        return stats_command.progress(call, self._flow(call), self._say, self._line)

    def _contacts(self, call: Call) -> Result:
        return contact_commands.list_requests(call, self.flow, self._say, self.names)

    def _move_contact(self, call: Call) -> Result:
        return contact_commands.move(call, self.flow, self._say, self.names, self._line)

    def _export(self, call: Call) -> Result:
        links = [
            {
                "label": f.value.upper(),
                "url": export_url(
                    self.settings, self.signer, call.member, f, survey_id=self.flow.id
                ),
            }
            for f in (ExportFormat.CSV, ExportFormat.XLSX)
        ]
        params = {"kind": "export", "links": links, "minutes": EXPORT_TTL_S // 60}
        return Result(self._say(Reply("staff_link", params)), "export_link")

    def _dashboard(self, call: Call) -> Result:
        url = dashboard_login_url(self.settings, self.signer, call.member)
        links = [{"label": "Dashboard", "url": url}]
        params = {"kind": "dashboard", "links": links, "minutes": DASHBOARD_TTL_S // 60}
        return Result(self._say(Reply("staff_link", params)), "dashboard_link")

    def _broadcast(self, call: Call) -> Result:
        reply = broadcast.prepare(
            session=call.session, actor=call.actor, text=call.request.argument, now=call.now
        )
        return Result(self._say(reply), "broadcast_prepared")

    def _confirm(self, call: Call) -> Result:
        reply, sent = broadcast.confirm(
            session=call.session, actor=call.actor, now=call.now, renderer=self.renderer
        )
        if sent is None:
            return Result(self._say(reply), "broadcast_confirm_nothing")
        counts = {"now": len(sent.now), "later": len(sent.later), "text": sent.text}
        return Result(self._say(reply), "broadcast_sent", counts)

    def _cancel(self, call: Call) -> Result:
        reply = broadcast.cancel(session=call.session, actor=call.actor, now=call.now)
        return Result(self._say(reply), "broadcast_cancelled")

    def _chart(self, call: Call) -> Result:
        return stats_command.chart(call, self._flow(call), self._say, self._line)


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
