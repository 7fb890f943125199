"""The units a numeric question may declare (`unit:` in a flow file) and how people write them.

A declared unit belongs to a dimension (emissions, energy, share); an answer may be
written in any unit of the same dimension and is converted to the declared one
("1.5万吨" → 15000 for `unit: tCO2e`, "2 MWh" → 2000 for `unit: kWh`). The spellings are
matched after NFKC and casefolding, with spaces, "₂"/"2" and the "e" of CO2e made
irrelevant, so "tCO₂e", "t CO2-e" and "吨二氧化碳当量" are one unit. Pure data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

__all__ = ["DECLARED_UNITS", "Dimension", "Unit", "declared_unit", "spoken_unit"]


class Dimension(StrEnum):
    EMISSIONS = "emissions"  # mass of CO2 equivalent, base: tonne
    ENERGY = "energy"  # base: kWh
    SHARE = "share"  # base: percent


@dataclass(frozen=True)
class Unit:
    """A unit as written in a flow file, with its size in the dimension's base unit."""

    name: str
    dimension: Dimension
    factor: Decimal


_T = Unit("t", Dimension.EMISSIONS, Decimal(1))
_TCO2E = Unit("tCO2e", Dimension.EMISSIONS, Decimal(1))
_KWH = Unit("kWh", Dimension.ENERGY, Decimal(1))
_MWH = Unit("MWh", Dimension.ENERGY, Decimal(1000))
_PERCENT = Unit("%", Dimension.SHARE, Decimal(1))

# What a flow file may declare; `surveybot check` refuses anything else.
DECLARED_UNITS: dict[str, Unit] = {u.name: u for u in (_TCO2E, _T, _KWH, _MWH, _PERCENT)}

_E = Dimension.EMISSIONS
_KILO, _MEGA, _MILLI = Decimal(1000), Decimal(1_000_000), Decimal("0.001")
# Spellings after `_key` (casefolded, no spaces, ₂ → 2, CO2e → co2): unit → (dimension, size).
_SPOKEN: dict[str, tuple[Dimension, Decimal]] = {
    **dict.fromkeys(("t", "tco2", "tonne", "tonnes", "ton", "tons"), (_E, Decimal(1))),
    **dict.fromkeys(("吨", "吨co2", "吨二氧化碳", "吨二氧化碳当量", "公吨"), (_E, Decimal(1))),
    **dict.fromkeys(("kt", "ktco2", "千吨"), (_E, _KILO)),
    **dict.fromkeys(("kg", "kgco2", "公斤", "千克"), (_E, _MILLI)),
    **dict.fromkeys(("kwh", "千瓦时", "度", "度电"), (Dimension.ENERGY, Decimal(1))),
    **dict.fromkeys(("mwh", "兆瓦时"), (Dimension.ENERGY, _KILO)),
    **dict.fromkeys(("gwh", "吉瓦时"), (Dimension.ENERGY, _MEGA)),
    **dict.fromkeys(("%", "percent", "pct"), (Dimension.SHARE, Decimal(1))),
}


def _key(text: str) -> str:
    key = "".join(text.casefold().split()).replace("₂", "2").replace("-", "")
    for suffix in ("co2eq", "co2e"):
        if key.endswith(suffix):
            return key[: -len(suffix)] + "co2"
    return key


def declared_unit(name: str) -> Unit | None:
    """The unit a flow file declares (`unit: MWh`), None when it is not one we convert."""
    return DECLARED_UNITS.get(name)


def spoken_unit(text: str) -> tuple[Dimension, Decimal] | None:
    """(dimension, size in the base unit) of a unit as a respondent wrote it, or None."""
    return _SPOKEN.get(_key(text))
