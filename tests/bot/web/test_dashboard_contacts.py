"""The dashboard's contact list: claim / give back / done buttons and a note, by POST
with a CSRF token; times in China time with the zone; staff by display name."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlmodel import col, select

from bot.dispatch.envelope import Channel
from bot.settings import StaffMember
from storage.contacts import find_contact
from storage.models import Outbox
from storage.transactions import transaction
from tests.bot.web.conftest import SeededSite
from tests.bot.web.seed_db import STAFF

OTHER = "telegram:4242"
STAFF_LIST = f"{STAFF},{OTHER}"


@pytest.fixture
async def staff(site: SeededSite) -> AsyncIterator[httpx.AsyncClient]:
    async with site.client(staff=STAFF_LIST) as client:
        assert (await client.get(site.login_path())).status_code == 200
        yield client


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None
    return match[1]


def _row(html: str, reference: str) -> str:
    start = html.index(f'data-reference="{reference}"')
    return html[start : html.index("</tr>", start)]


def _outbox(site: SeededSite) -> list[Outbox]:
    with transaction(site.engine) as session:
        return list(session.exec(select(Outbox).order_by(col(Outbox.id))).all())


async def test_claim_note_and_done_from_the_dashboard(
    staff: httpx.AsyncClient, site: SeededSite
) -> None:
    open_ref = site.seed.references[1]  # references[0] is claimed by the seed
    html = (await staff.get("/dashboard")).text
    row = _row(html, open_ref)
    assert "北京时间 (UTC+8)" in row and "未认领 unclaimed" in row
    assert "问卷中选择立即联系" in row and 'value="claim"' in row
    assert "staff-openid" not in html  # staff appear by display name
    token = _csrf(html)
    before = len(_outbox(site))

    claimed = await staff.post(f"/dashboard/contacts/{open_ref}",
                               data={"csrf": token, "action": "claim"})  # fmt: skip
    assert claimed.status_code == 303 and claimed.headers["location"] == "/dashboard#contacts"
    with transaction(site.engine) as session:
        assert find_contact(session=session, ref=open_ref).claimed_by == STAFF
    told = _outbox(site)[before:]
    assert [(o.channel, o.recipient) for o in told] == [("telegram", "4242")]
    assert f"员工 Staff 1 认领了联系请求 {open_ref}" in json.loads(told[0].payload_json)["text"]

    row = _row((await staff.get("/dashboard")).text, open_ref)
    assert "已认领 claimed" in row and "员工 Staff 1" in row and 'value="unclaim"' in row
    note = {"csrf": token, "action": "note", "note": "周二回电"}
    noted = await staff.post(f"/dashboard/contacts/{open_ref}", data=note)
    assert noted.status_code == 303
    assert "周二回电</textarea>" in (await staff.get("/dashboard")).text
    done = await staff.post(f"/dashboard/contacts/{open_ref}",
                            data={"csrf": token, "action": "done", "note": "已回电"})  # fmt: skip
    assert done.status_code == 303
    with transaction(site.engine) as session:
        contact = find_contact(session=session, ref=open_ref)
    assert (contact.status, contact.note) == ("done", "已回电")
    assert f'data-reference="{open_ref}"' not in (await staff.get("/dashboard")).text
    actions = [(r.action, json.loads(r.detail).get("outcome")) for r in site.audit_rows()]
    assert ("contact_claim", "claimed") in actions and ("contact_done", "done") in actions


async def test_a_post_without_a_valid_csrf_token_or_from_another_site_changes_nothing(
    staff: httpx.AsyncClient, site: SeededSite
) -> None:
    ref = site.seed.references[1]
    token = _csrf((await staff.get("/dashboard")).text)
    other_token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    attempts = [
        ({"action": "claim"}, {}),
        ({"action": "claim", "csrf": other_token}, {}),
        ({"action": "claim", "csrf": token}, {"origin": "https://evil.example"}),
        ({"action": "explode", "csrf": token}, {}),
    ]
    for data, headers in attempts:
        response = await staff.post(f"/dashboard/contacts/{ref}", data=data, headers=headers)
        assert response.status_code == 403, data
    with transaction(site.engine) as session:
        assert find_contact(session=session, ref=ref).status == "open"
    # A token is bound to its session: another staff member's session cannot use it.
    colleague = StaffMember(Channel.TELEGRAM, "4242")
    async with site.client(staff=STAFF_LIST) as other:
        assert (await other.get(site.login_path(colleague))).status_code == 200
        response = await other.post(f"/dashboard/contacts/{ref}",
                                    data={"csrf": token, "action": "claim"})  # fmt: skip
        assert response.status_code == 403
        own = _csrf((await other.get("/dashboard")).text)
        assert own != token
    denied = [r for r in site.audit_rows() if r.action == "staff_web_denied"]
    assert len(denied) >= 4
