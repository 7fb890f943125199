"""Charts find the CJK font even when matplotlib's font cache predates it; start-up says
so in one line when there is none."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from matplotlib import font_manager

from bot.reports import chart_fonts
from bot.reports.cjk_font_files import find_cjk_font_files

WQY = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def test_font_files_are_found_by_known_path_and_by_name(tmp_path: Path) -> None:
    nested = tmp_path / "truetype" / "noto"
    nested.mkdir(parents=True)
    (nested / "NotoSansCJK-Regular.ttc").write_bytes(b"")
    (nested / "DejaVuSans.ttf").write_bytes(b"")
    known = str(tmp_path / "known.ttf")
    Path(known).write_bytes(b"")
    found = find_cjk_font_files(known=(known, str(tmp_path / "absent.ttf")), dirs=(str(tmp_path),))
    assert found == [known, str(nested / "NotoSansCJK-Regular.ttc")]
    assert find_cjk_font_files(known=(), dirs=(str(tmp_path / "none"),)) == []


@pytest.mark.skipif(not Path(WQY).exists(), reason="fonts-wqy-microhei not installed")
def test_a_font_cache_built_before_the_font_was_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    stale = font_manager.FontManager()
    stale.ttflist = [f for f in stale.ttflist if "wqy" not in f.fname.lower()]
    assert not any(f.name == "WenQuanYi Micro Hei" for f in stale.ttflist)
    monkeypatch.setattr(font_manager, "fontManager", stale)
    chart_fonts.chart_font.cache_clear()
    try:
        font = chart_fonts.chart_font()
    finally:
        chart_fonts.chart_font.cache_clear()
    assert font.cjk and font.families[0] == "WenQuanYi Micro Hei"


def test_start_up_warns_once_without_a_cjk_font(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, db_url: str
) -> None:
    from bot.app import asgi as app_module
    from tests.bot.staff.conftest import make_runtime

    monkeypatch.setattr(app_module, "cjk_font_available", lambda: False)
    runtime = make_runtime(db_url)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.app.asgi"):
            app_module.create_app(runtime.settings, runtime=runtime)
        warnings = [r.getMessage() for r in caplog.records if "CJK" in r.getMessage()]
        assert warnings == [
            "no CJK font found: charts are labelled in English (apt install fonts-wqy-microhei)"
        ]
        caplog.clear()
        monkeypatch.setattr(app_module, "cjk_font_available", lambda: True)
        with caplog.at_level(logging.WARNING, logger="bot.app.asgi"):
            app_module.create_app(runtime.settings, runtime=runtime)
        assert not [r for r in caplog.records if "CJK" in r.getMessage()]
    finally:
        runtime.engine.dispose()
