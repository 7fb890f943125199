"""The Official Account's custom menu: click keys (what the channel maps to intents) and
the bilingual definition pushed with `WeChatApi.create_menu(menu_definition())`.

Limits, from WeChat's "创建自定义菜单" (createCustomMenu) reference: at most 3 top-level
buttons with at most 5 sub-buttons each; a name is at most 16 bytes at the top level and
60 bytes in a sub-menu (errcode 40018 otherwise); a click key at most 128 bytes. The
client shows about 4 Chinese characters at the top level and 8 in a sub-menu and
truncates the rest with "…", so top-level labels are kept short.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

TOP_LEVEL_MAX_BUTTONS = 3
SUB_MENU_MAX_BUTTONS = 5
TOP_LEVEL_NAME_MAX_BYTES = 16
SUB_MENU_NAME_MAX_BYTES = 60
KEY_MAX_BYTES = 128


class MenuKey(StrEnum):
    """EventKey of a CLICK push. Stored in WeChat's menu: renaming one breaks old menus."""

    START_SURVEY = "START_SURVEY"
    MY_ANSWERS = "MY_ANSWERS"
    CONTACT_AIAG = "CONTACT_AIAG"
    LATEST_RESULTS = "LATEST_RESULTS"


def _click(name: str, key: MenuKey) -> dict[str, str]:
    return {"type": "click", "name": name, "key": key.value}


def menu_definition() -> dict[str, Any]:
    """The menu JSON for `/cgi-bin/menu/create`, validated against WeChat's limits."""
    menu: dict[str, Any] = {
        "button": [
            {
                "name": "问卷 Survey",
                "sub_button": [
                    _click("开始/继续 Start", MenuKey.START_SURVEY),
                    _click("我的答案 My answers", MenuKey.MY_ANSWERS),
                ],
            },
            _click("结果 Results", MenuKey.LATEST_RESULTS),
            _click("联系 Contact", MenuKey.CONTACT_AIAG),
        ]
    }
    validate_menu(menu)
    return menu


def _check_name(name: str, limit: int) -> None:
    size = len(name.encode("utf-8"))
    if not name or size > limit:
        raise ValueError(f"menu name {name!r} is {size} bytes, WeChat allows 1..{limit}")


def validate_menu(menu: dict[str, Any]) -> None:
    """Raise ValueError where WeChat would answer 40018 (or a similar size error)."""
    buttons = menu.get("button", [])
    if not 1 <= len(buttons) <= TOP_LEVEL_MAX_BUTTONS:
        raise ValueError(f"a menu has 1..{TOP_LEVEL_MAX_BUTTONS} top-level buttons")
    for button in buttons:
        _check_name(button["name"], TOP_LEVEL_NAME_MAX_BYTES)
        subs = button.get("sub_button")
        if subs is None:
            _check_key(button)
            continue
        if not 1 <= len(subs) <= SUB_MENU_MAX_BUTTONS:
            raise ValueError(f"a sub-menu has 1..{SUB_MENU_MAX_BUTTONS} buttons")
        for sub in subs:
            _check_name(sub["name"], SUB_MENU_NAME_MAX_BYTES)
            _check_key(sub)


def _check_key(button: dict[str, Any]) -> None:
    if button.get("type") == "click":
        key = button.get("key", "")
        if not key or len(key.encode("utf-8")) > KEY_MAX_BYTES:
            raise ValueError(f"click key {key!r} must be 1..{KEY_MAX_BYTES} bytes")
