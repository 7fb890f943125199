"""Staff as people see them: a display name from SURVEYBOT_STAFF_NAMES, never a raw id.

`SURVEYBOT_STAFF_NAMES="wechat:o_abc=王芳,telegram:12345=Li Lei"`; a staff member
without a name is "员工 Staff N" (their place in SURVEYBOT_STAFF). Someone no longer on
the staff list (a claim from before a change) is "前员工 Former staff".
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings, StaffMember, parse_staff
from flows.parse_results import normalize


class BadStaffNames(ValueError):
    """SURVEYBOT_STAFF_NAMES has an entry that is no `channel:id=name`."""


@dataclass(frozen=True)
class StaffNames:
    members: tuple[StaffMember, ...]
    names: dict[str, str]  # str(member) → name

    @classmethod
    def from_settings(cls, settings: Settings) -> StaffNames:
        return cls(settings.staff, parse_names(settings.staff_names_raw))

    def name(self, actor: str | None) -> str:
        """The display name of `actor` ("wechat:o_abc")."""
        if actor is None:
            return ""
        if actor in self.names:
            return self.names[actor]
        for index, member in enumerate(self.members, start=1):
            if str(member) == actor:
                return f"员工 Staff {index}"
        return "前员工 Former staff"

    def find(self, text: str) -> StaffMember | None:
        """A staff member by display name (any case), by number (1…) or by channel:id."""
        wanted = normalize(text).casefold()
        for index, member in enumerate(self.members, start=1):
            names = {str(member).casefold(), normalize(self.name(str(member))).casefold()}
            names.add(f"staff {index}")
            if wanted in names or wanted == str(index):
                return member
        return None

    def others(self, actor: str) -> list[StaffMember]:
        return [m for m in self.members if str(m) != actor]


def parse_names(raw: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        who, sep, name = item.partition("=")
        if not sep or not name.strip():
            raise BadStaffNames(f"SURVEYBOT_STAFF_NAMES entry {item!r} is not channel:id=name")
        try:
            (member,) = parse_staff(who)
        except ValueError as error:
            raise BadStaffNames(f"SURVEYBOT_STAFF_NAMES entry {item!r}: {error}") from None
        names[str(member)] = name.strip()
    return names
