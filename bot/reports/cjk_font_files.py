"""Where a Chinese-capable font file lies on this machine, without importing matplotlib.

matplotlib lists fonts from its cache (~/.cache/matplotlib/fontlist-*.json), built the
first time it ran: a font installed afterwards (fonts-wqy-microhei added to a running
server's image) is missing from it, and the charts silently drew boxes or fell back to
English. `chart_fonts` therefore registers the file found here explicitly, and start-up
(`bot.app.asgi`) warns in one line when there is none at all.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

# Debian/Ubuntu packages first (fonts-wqy-microhei, fonts-wqy-zenhei, fonts-noto-cjk),
# then the usual Windows and macOS files.
KNOWN_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "/System/Library/Fonts/PingFang.ttc",
)
FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    os.path.expanduser("~/.fonts"),
    os.path.expanduser("~/.local/share/fonts"),
)
_NAME = re.compile(
    r"wqy|notosans(cjk|sc)|sourcehansans(sc|cn)|droidsansfallback|msyh|simhei|pingfang", re.I
)
_SUFFIXES = {".ttf", ".ttc", ".otf", ".otc"}


def find_cjk_font_files(
    known: tuple[str, ...] = KNOWN_FILES, dirs: tuple[str, ...] = FONT_DIRS
) -> list[str]:
    """Existing CJK font files, the known ones first, then any under the font folders."""
    found = [path for path in known if os.path.isfile(path)]
    for folder in dirs:
        root = Path(folder)
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            name = path.name.replace("-", "").replace("_", "")
            if path.suffix.lower() in _SUFFIXES and _NAME.search(name) and str(path) not in found:
                found.append(str(path))
    return found


@lru_cache(maxsize=1)
def cjk_font_available() -> bool:
    return bool(find_cjk_font_files())
