"""split_utf8 (WeChat's 2048-byte passive reply) and split_utf16 (Telegram's 4096 units)."""

from __future__ import annotations

import random
import re

import pytest

from bot.channels.text_split import (
    WECHAT_TEXT_LIMIT_BYTES,
    _max_prefix,
    split_utf8,
    split_utf16,
    utf16_units,
)


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _no_space(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _check(text: str, parts: list[str], limit: int) -> None:
    assert all(0 < _size(p) <= limit for p in parts)
    assert _no_space("".join(parts)) == _no_space(text)  # nothing lost, nothing added


def test_short_text_is_one_part() -> None:
    assert split_utf8("你好 hello") == ["你好 hello"]


def test_empty_or_blank_text_has_no_parts() -> None:
    assert split_utf8("") == []
    assert split_utf8(" \n\n ") == []


def test_limit_is_bytes_not_characters() -> None:
    text = "碳" * 683  # 2049 bytes, 683 characters
    parts = split_utf8(text)
    assert [len(p) for p in parts] == [682, 1]
    assert _size(parts[0]) == 2046
    _check(text, parts, WECHAT_TEXT_LIMIT_BYTES)


def test_exactly_at_the_limit_is_one_part() -> None:
    assert split_utf8("a" * 2048) == ["a" * 2048]
    assert split_utf8("碳" * 682 + "ab") == ["碳" * 682 + "ab"]


def test_emoji_are_never_cut() -> None:
    text = "😀" * 600  # 4 bytes each
    parts = split_utf8(text)
    assert [len(p) for p in parts] == [512, 88]
    _check(text, parts, WECHAT_TEXT_LIMIT_BYTES)


@pytest.mark.parametrize(
    "cluster",
    [
        "👍🏽",  # emoji + skin tone
        "👨\u200d👩\u200d👧",  # ZWJ family
        "🇨🇳",  # flag: two regional indicators
        "❤\ufe0f",  # variation selector
        "e\u0301",  # combining accent
        "1\ufe0f\u20e3",  # keycap
    ],
)
def test_emoji_sequences_and_combining_marks_stay_whole(cluster: str) -> None:
    text = "x" + cluster * 400
    for limit in (61, 62, 63, 64, 65, 66, 67):
        parts = split_utf8(text, limit)
        _check(text, parts, limit)
        for part in parts[1:]:
            assert part.startswith(cluster), (limit, part[:4])


def test_prefers_paragraph_breaks() -> None:
    para = "问" * 400  # 1200 bytes
    text = "\n\n".join([para, para, para])
    assert split_utf8(text) == [para, para, para]


def test_prefers_line_breaks_over_a_hard_cut() -> None:
    lines = [f"第{i}题 选项 A/B/C/D，请回复数字。" for i in range(100)]
    text = "\n".join(lines)
    parts = split_utf8(text)
    _check(text, parts, WECHAT_TEXT_LIMIT_BYTES)
    assert all(part.split("\n")[-1] in lines for part in parts)  # every part ends a line


def test_a_break_too_early_is_ignored_to_save_messages() -> None:
    # Customer-service messages are scarce: a tiny first part would waste one.
    text = "Intro\n\n" + "碳" * 1000
    parts = split_utf8(text)
    assert parts[0].startswith("Intro\n\n碳")
    assert len(parts) == 2


def test_long_line_without_breaks_is_cut_between_characters() -> None:
    text = ("abc中文😀" * 1000).strip()
    parts = split_utf8(text)
    _check(text, parts, WECHAT_TEXT_LIMIT_BYTES)
    assert "".join(parts) == text  # hard cuts drop nothing


def test_words_are_kept_whole_in_english() -> None:
    text = " ".join(["carbon"] * 1000)
    parts = split_utf8(text, 100)
    _check(text, parts, 100)
    assert all(set(p.split(" ")) == {"carbon"} for p in parts)


def test_a_single_huge_cluster_is_still_split() -> None:
    text = "e" + "\u0301" * 2000  # hostile: one "character" of 4001 bytes
    parts = split_utf8(text)
    _check(text, parts, WECHAT_TEXT_LIMIT_BYTES)


def test_limit_must_hold_a_character() -> None:
    with pytest.raises(ValueError):
        split_utf8("abc", 3)


def test_the_longest_fitting_prefix_is_found_in_one_pass() -> None:
    """_max_prefix (encode once, back up to a character start) agrees with counting the
    bytes character by character, for 1- to 4-byte characters at every limit."""
    rng = random.Random(11)
    alphabet = "aé碳👍\u0301 \n"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        limit = rng.randint(0, 60)
        used, expected = 0, len(text)
        for i, ch in enumerate(text):
            used += len(ch.encode("utf-8"))
            if used > limit:
                expected = i
                break
        assert _max_prefix(text, limit) == expected, (text, limit)


# -- split_utf16 (Telegram) -----------------------------------------------------------


def test_utf16_cuts_an_overlong_line_and_counts_emoji_as_two() -> None:
    assert split_utf16("a" * 5000) == ["a" * 4096, "a" * 904]
    parts = split_utf16("😀" * 2049)
    assert [len(p) for p in parts] == [2048, 1]
    assert split_utf16("  \n  ") == []


def test_utf16_packs_whole_lines() -> None:
    lines = [f"{n:03d} " + "x" * 95 for n in range(100)]  # 99 units each
    parts = split_utf16("\n".join(lines), 1000)
    assert [p.count("\n") + 1 for p in parts] == [10] * 10
    assert "\n".join(parts) == "\n".join(lines)


@pytest.mark.parametrize("cluster", ["👍🏽", "👨‍👩‍👧", "🇨🇳", "e\u0301"])
def test_utf16_hard_cuts_keep_clusters_whole(cluster: str) -> None:
    text = "a" + cluster * 400
    for part in split_utf16(text, 101):
        assert utf16_units(part) <= 101
        assert part.replace(cluster, "").strip("a") == ""
    assert "".join(split_utf16(text, 101)) == text


def test_utf16_limit_must_hold_a_character() -> None:
    with pytest.raises(ValueError):
        split_utf16("abc", 1)
