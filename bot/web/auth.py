"""Who may see the dashboard: staff, proven by a signed link, then a signed cookie.

A login link (`links.dashboard_login_url`) is exchanged for a session cookie that is
signed, HttpOnly, SameSite=Strict and expires (in the browser and, independently, in
its signature). It names a session kept on the server (`bot.web.sessions`), which
signing out ends. Every request re-checks that the member is still in SURVEYBOT_STAFF.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings, StaffMember, parse_staff
from bot.staff.signing import DASHBOARD_TTL_S, InvalidLink, Signer

SESSION_COOKIE = "surveybot_staff"
SESSION_PURPOSE = "staff-session"
SESSION_TTL_S = DASHBOARD_TTL_S
_SID_SEPARATOR = " "  # never in a member ('channel:id') nor in a url-safe session id


@dataclass(frozen=True)
class StaffSession:
    member: StaffMember
    sid: str


class Forbidden(Exception):
    """No (valid) proof of being staff; `member` is set when the proof was genuine but
    the member is not (or no longer) staff."""

    def __init__(self, reason: str, member: StaffMember | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.member = member


@dataclass(frozen=True)
class StaffGate:
    settings: Settings
    signer: Signer

    def from_token(self, purpose: str, token: str | None, *, max_age: int) -> StaffMember:
        return self._staff(self.subject(purpose, token, max_age=max_age))

    def subject(self, purpose: str, token: str | None, *, max_age: int) -> str:
        """The signed subject of a genuine, unexpired `purpose` token; else Forbidden."""
        if not token:
            raise Forbidden("missing link token")
        try:
            return self.signer.verify(purpose, token, max_age=max_age)
        except InvalidLink as exc:
            raise Forbidden(str(exc)) from None

    def staff_member(self, subject: str) -> StaffMember:
        """'channel:id' → the member, if still in SURVEYBOT_STAFF; else Forbidden."""
        return self._staff(subject)

    def from_cookie(self, cookie: str | None) -> StaffSession:
        """The cookie's member and session id; the caller checks that the session is
        still open on the server (`bot.web.sessions`)."""
        if not cookie:
            raise Forbidden("not signed in")
        try:
            subject = self.signer.verify(SESSION_PURPOSE, cookie, max_age=SESSION_TTL_S)
        except InvalidLink as exc:
            raise Forbidden(f"session: {exc}") from None
        member, sep, sid = subject.rpartition(_SID_SEPARATOR)
        if not sep or not sid:
            raise Forbidden("session without a server-side id")
        return StaffSession(self._staff(member), sid)

    def session_value(self, member: StaffMember, sid: str) -> str:
        return self.signer.sign(SESSION_PURPOSE, f"{member}{_SID_SEPARATOR}{sid}")

    @property
    def secure_cookie(self) -> bool:
        return self.settings.public_url.lower().startswith("https://")

    def _staff(self, subject: str) -> StaffMember:
        member = parse_subject(subject)
        if member is None:
            raise Forbidden("malformed subject")
        if member not in self.settings.staff:
            raise Forbidden("not a staff member", member)
        return member


def parse_subject(subject: str) -> StaffMember | None:
    """'wechat:OPENID' → the member; anything else (several, none, unknown channel) → None."""
    try:
        members = parse_staff(subject)
    except ValueError:
        return None
    return members[0] if len(members) == 1 else None
