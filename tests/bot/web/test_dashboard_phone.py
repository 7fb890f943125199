"""Charts a phone can read: the page offers narrow images below 640 px."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image

from tests.bot.web.conftest import SeededSite


@pytest.fixture
async def staff(sqlite_site: SeededSite) -> AsyncIterator[httpx.AsyncClient]:
    async with sqlite_site.client() as client:
        assert (await client.get(sqlite_site.login_path())).status_code == 200
        yield client


async def test_phones_get_narrow_charts(staff: httpx.AsyncClient) -> None:
    html = (await staff.get("/dashboard")).text
    assert (
        '<source media="(max-width: 640px)" srcset="/dashboard/chart/role.png?size=phone">' in html
    )
    assert 'srcset="/dashboard/progress.png?size=phone"' in html
    filtered = (await staff.get("/dashboard?where=role%3Aoem")).text
    assert 'srcset="/dashboard/chart/role.png?where=role%3Aoem&amp;size=phone"' in filtered
    for path in ("/dashboard/chart/role.png", "/dashboard/progress.png"):
        wide = Image.open(io.BytesIO((await staff.get(path)).content))
        narrow = Image.open(io.BytesIO((await staff.get(f"{path}?size=phone")).content))
        assert wide.width == 800 and narrow.width == 400, path
