"""Chart plumbing: a CJK font when the machine has one, text fitting, PNG encoding.

matplotlib's bundled DejaVu Sans has no Chinese glyphs, and a missing glyph is a
`UserWarning` ("Glyph … missing from font(s)") plus an empty box in the image. So the
charts ask `chart_font()` which glyphs are really available: with a CJK font (Debian's
fonts-wqy-microhei, Noto CJK, …) labels are bilingual; without one they fall back to
English, and any character still not covered is replaced before matplotlib sees it.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from PIL import Image

from bot.reports.cjk_font_files import find_cjk_font_files
from flows.model import Lang

BASE_FAMILY = "DejaVu Sans"  # bundled with matplotlib: always there
# Simplified-Chinese capable families, best first (Debian, Noto/Source Han, Windows, macOS).
CJK_FAMILIES = (
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "Droid Sans Fallback",
)
_PROBE = "中文选项百分比"
DPI = 100  # 8 in wide → 800 px: sharp on a phone, small to upload
PALETTE_COLOURS = 64


@dataclass(frozen=True)
class ChartFont:
    """Font families to try in order (matplotlib falls back glyph by glyph) and the
    code points they cover together."""

    families: tuple[str, ...]
    coverage: frozenset[int]

    @property
    def cjk(self) -> bool:
        return all(ord(c) in self.coverage for c in _PROBE)

    def lang(self, wanted: Lang) -> Lang:
        """The label language to draw: English when Chinese cannot be drawn."""
        return wanted if self.cjk else Lang.EN

    def clean(self, text: str) -> str:
        """`text` with every character the fonts cannot draw made drawable (NFKC
        compatibility form, e.g. a full-width "？" → "?"), or replaced by "?"."""
        out = []
        for char in text:
            if char in "\n " or ord(char) in self.coverage:
                out.append(char)
                continue
            compat = unicodedata.normalize("NFKC", char)
            out.append(compat if all(ord(c) in self.coverage for c in compat) else "?")
        return "".join(out)


def _charmap(path: str) -> frozenset[int]:
    return frozenset(FT2Font(path).get_charmap())


@lru_cache(maxsize=1)
def latin_font() -> ChartFont:
    """DejaVu Sans alone (also what the charts use on a machine without a CJK font)."""
    path = font_manager.findfont(font_manager.FontProperties(family=BASE_FAMILY))
    return ChartFont((BASE_FAMILY,), _charmap(path))


def register_cjk_fonts(files: list[str] | None = None) -> None:
    """Add the machine's CJK font files to matplotlib's font list if its cache (built
    before they were installed) lacks them."""
    manager = font_manager.fontManager
    known = {f.fname for f in manager.ttflist}
    for path in find_cjk_font_files() if files is None else files:
        if path not in known:
            manager.addfont(path)


@lru_cache(maxsize=1)
def chart_font() -> ChartFont:
    """The best installed CJK family plus DejaVu Sans, or DejaVu Sans alone."""
    base = latin_font()
    register_cjk_fonts()
    installed = {f.name: f.fname for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        path = installed.get(family)
        if path is None:
            continue
        font = ChartFont((family, *base.families), base.coverage | _charmap(path))
        if font.cjk:
            return font
    return base


def char_width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def wrap(text: str, width: int) -> str:
    """Wrap at spaces between Latin words and between any two CJK characters,
    counting a CJK character as two columns."""
    lines: list[str] = []
    line, used = "", 0
    for token in _tokens(" ".join(text.split())):
        if token == " ":
            if line:
                line, used = line + " ", used + 1
            continue
        size = sum(char_width(c) for c in token)
        if line.strip() and used + size > width:
            lines.append(line.rstrip())
            line, used = "", 0
        line, used = line + token, used + size
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)


def _tokens(text: str) -> list[str]:
    """Latin words, single spaces and single wide characters."""
    tokens: list[str] = []
    word = ""
    for char in text:
        if char == " " or char_width(char) == 2:
            if word:
                tokens.append(word)
                word = ""
            tokens.append(char)
        else:
            word += char
    if word:
        tokens.append(word)
    return tokens


def text_props(font: ChartFont) -> dict[str, Any]:
    """Keyword arguments for every matplotlib text drawn from survey data."""
    # Survey text is plain text: a "$" must never switch matplotlib to mathtext.
    return {"fontfamily": list(font.families), "parse_math": False}


def encode_png(figure: Figure) -> bytes:
    """A palette PNG: flat bars and anti-aliased text need few colours, and 64 keep
    a tall chart with Chinese text near 50 KB instead of 150 KB (WeChat/Telegram upload)."""
    # Straight from Agg's pixel buffer: encoding a full-colour PNG only to decode it
    # again cost a fifth of the drawing time (same bytes out).
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    size = canvas.get_width_height()
    image = Image.frombuffer("RGBA", size, canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    palette = image.convert("RGB").quantize(PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()
