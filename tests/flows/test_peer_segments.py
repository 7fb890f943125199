"""The peer-segment contributions of one session (pure)."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from flows.model import Segment
from flows.peer_segments import (
    Declared,
    answered_in_rows,
    answered_in_state,
    contributions,
    delta,
    segments_of,
)
from flows.state import Answer

SUPPLIERS = (Segment(by="commodity", within=(("role", "supplier"),)),)
# A second declaration of the same survey: by commodity alone (suppliers and OEMs).
BOTH: Declared = (*SUPPLIERS, Segment(by="commodity"))


def s(commodity: str) -> str:
    return f"role=supplier/commodity:{commodity}"


SUPPLIER = {"role": frozenset({"supplier"}), "commodity": frozenset({"interior", "chassis"})}


def test_a_supplier_is_in_one_segment_per_commodity() -> None:
    assert segments_of(SUPPLIER, SUPPLIERS) == (s("chassis"), s("interior"))
    assert segments_of({**SUPPLIER, "role": frozenset({"oem"})}, SUPPLIERS) == ()
    assert segments_of({"role": frozenset({"supplier"})}, SUPPLIERS) == ()  # no commodity yet
    assert segments_of({"commodity": frozenset({"interior"})}, SUPPLIERS) == ()


def test_contributions_count_size_respondents_and_options() -> None:
    answered = {**SUPPLIER, "tools": frozenset({"excel", "sap"}), "explain": frozenset()}
    got = contributions(answered, SUPPLIERS)
    for segment in (s("interior"), s("chassis")):
        assert got[(segment, "", "")] == 1
        assert got[(segment, "tools", "")] == 1 and got[(segment, "tools", "sap")] == 1
        assert got[(segment, "explain", "")] == 1  # a text answer: answered, no option
        assert got[(segment, "role", "supplier")] == 1
    assert sum(got.values()) == 2 * (1 + 4 + 5)


def test_delta_of_answering_switching_role_and_changing_commodity() -> None:
    before = dict(SUPPLIER)
    assert delta(before, {**before, "policy": frozenset({"yes"})}, SUPPLIERS) == Counter(
        {
            (s("interior"), "policy", ""): 1,
            (s("interior"), "policy", "yes"): 1,
            (s("chassis"), "policy", ""): 1,
            (s("chassis"), "policy", "yes"): 1,
        }
    )
    leaving = delta(before, {**before, "role": frozenset({"oem"})}, SUPPLIERS)
    assert leaving == Counter({k: -n for k, n in contributions(before, SUPPLIERS).items()})
    moved = delta(before, {**before, "commodity": frozenset({"chassis", "body"})}, SUPPLIERS)
    assert moved[(s("interior"), "", "")] == -1 and moved[(s("body"), "", "")] == 1
    assert (s("chassis"), "", "") not in moved  # still there: nothing changes
    oem = {"role": frozenset({"oem"})}
    assert delta(oem, {**oem, "x": frozenset()}, SUPPLIERS) == {}


def test_the_state_and_the_rows_say_the_same() -> None:
    state = {
        "role": Answer(options=("supplier",)),
        "commodity": Answer(options=("interior",)),
        "explain": Answer(text="GRI"),
        "skipped": Answer(),  # a skip writes no row
    }
    rows = [("role", "supplier"), ("commodity", "interior"), ("explain", None)]
    assert answered_in_state(state) == answered_in_rows(rows)
    assert "skipped" not in answered_in_state(state)


_ANSWERED = st.dictionaries(
    st.sampled_from(["role", "commodity", "tools", "policy"]),
    st.frozensets(st.sampled_from(["supplier", "oem", "interior", "body", "excel", "yes"])),
)


@given(_ANSWERED, _ANSWERED, _ANSWERED)
def test_deltas_add_up_along_any_path(a: dict, b: dict, c: dict) -> None:  # type: ignore[type-arg]
    total = Counter(contributions(a, SUPPLIERS))
    for before, after in ((a, b), (b, c)):
        total.update(delta(before, after, SUPPLIERS))
    assert {k: n for k, n in total.items() if n} == dict(contributions(c, SUPPLIERS))


_SUPPLIER = st.fixed_dictionaries(
    {
        "role": st.just(frozenset({"supplier"})),
        "commodity": st.frozensets(st.sampled_from(["interior", "body"]), min_size=1),
    }
)


@given(_SUPPLIER, _ANSWERED, _ANSWERED)
def test_a_step_within_the_same_segments_counts_only_what_changed(
    segment: dict,  # type: ignore[type-arg]
    a: dict,  # type: ignore[type-arg]
    b: dict,  # type: ignore[type-arg]
) -> None:
    """Same role and commodities before and after: the short path, checked against the
    full recount."""
    before = {**{k: v for k, v in a.items() if k not in segment}, **segment}
    after = {**{k: v for k, v in b.items() if k not in segment}, **segment}
    expected = contributions(after, SUPPLIERS)
    expected.subtract(contributions(before, SUPPLIERS))
    assert delta(before, after, SUPPLIERS) == Counter({k: n for k, n in expected.items() if n})


def test_a_survey_without_declared_segments_counts_none() -> None:
    assert segments_of(SUPPLIER, ()) == ()
    assert contributions(SUPPLIER, ()) == Counter()
    assert delta({}, SUPPLIER, ()) == Counter()


def test_each_declaration_names_its_own_segments() -> None:
    oem = {"role": frozenset({"oem"}), "commodity": frozenset({"body"})}
    assert segments_of(oem, BOTH) == ("commodity:body",)
    assert segments_of(SUPPLIER, BOTH) == (
        "commodity:chassis",
        "commodity:interior",
        s("chassis"),
        s("interior"),
    )


@given(_ANSWERED, _ANSWERED, _ANSWERED)
def test_deltas_add_up_with_several_declarations(a: dict, b: dict, c: dict) -> None:  # type: ignore[type-arg]
    total = Counter(contributions(a, BOTH))
    for before, after in ((a, b), (b, c)):
        total.update(delta(before, after, BOTH))
    assert {k: n for k, n in total.items() if n} == dict(contributions(c, BOTH))
