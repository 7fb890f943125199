"""The custom menu respects WeChat's documented limits and uses the mapped keys."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.wechat.menu import MenuKey, menu_definition, validate_menu


def _buttons(menu: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for button in menu["button"]:
        out.extend(button.get("sub_button", [button]))
    return out


def test_every_key_is_in_the_menu_once() -> None:
    keys = [b["key"] for b in _buttons(menu_definition())]
    assert sorted(keys) == sorted(k.value for k in MenuKey)


def test_names_fit_the_byte_limits_and_are_bilingual() -> None:
    menu = menu_definition()
    for button in menu["button"]:
        assert len(button["name"].encode()) <= 16
        for sub in button.get("sub_button", []):
            assert len(sub["name"].encode()) <= 60
    for button in _buttons(menu):
        name = button["name"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in name) and any(
            ch.isascii() and ch.isalpha() for ch in name
        )


@pytest.mark.parametrize(
    "menu",
    [
        {"button": []},
        {"button": [{"type": "click", "name": "开始/继续 Start", "key": "K"}]},  # 19 bytes
        {"button": [{"type": "click", "name": "a", "key": "K" * 129}]},
        {
            "button": [
                {"name": "m", "sub_button": [{"type": "click", "name": "x" * 61, "key": "K"}]}
            ]
        },
        {"button": [{"name": "m", "sub_button": []}]},
        {"button": [{"type": "click", "name": "a", "key": "K"}] * 4},
    ],
)
def test_limits_are_enforced(menu: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        validate_menu(menu)
