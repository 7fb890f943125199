"""The fuzz tests' own yardstick: what counts as an evaluated template probe."""

from __future__ import annotations

from tests.fuzz.strategies import evaluated_probes


def test_a_probe_replaced_by_its_result_is_caught() -> None:
    assert evaluated_probes("note {{ 7*7 }} end", "Got it: note 49 end") == ["{{ 7*7 }}"]
    assert evaluated_probes("{{ 'ab' * 3 }}", "ababab") == ["{{ 'ab' * 3 }}"]


def test_a_probe_shown_as_text_is_not_evaluated_whatever_numbers_surround_it() -> None:
    page = "Explain: <%= 7*7 %>  Role: supplier 49.1 %  OEM 50.9 %"
    assert evaluated_probes("<%= 7*7 %>", page) == []


def test_a_result_already_in_what_was_sent_is_no_evidence() -> None:
    assert evaluated_probes("49 parts, {{ 7*7 }}", "49") == []
