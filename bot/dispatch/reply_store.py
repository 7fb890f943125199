"""The rendered reply kept with the processed-message row, so a retried push gets exactly
the same answer (`bot.dispatch.service`); a staff /chart's picture is kept base64-encoded."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Sequence

import orjson

from bot.dispatch.envelope import Choice, Message


def encode_reply(messages: Sequence[Message]) -> list[str]:
    """The rendered reply, kept so a retried push gets exactly the same answer."""
    out = []
    for message in messages:
        # Shallow, not dataclasses.asdict (a deep copy, on every reply): fields are plain.
        data = {**vars(message), "choices": [vars(c) for c in message.choices]}
        image = data.pop("image_png", None)
        if image:  # rare (a staff /chart): kept, so a retry does not lose the picture
            data["image_png_b64"] = base64.b64encode(image).decode("ascii")
        out.append(orjson.dumps(data).decode())
    return out


def decode_reply(stored: Sequence[str]) -> tuple[Message, ...]:
    messages = []
    for raw in stored:
        data = orjson.loads(raw)
        choices = tuple(Choice(**c) for c in data.pop("choices", []))
        image = data.pop("image_png_b64", None)
        known = {f.name for f in dataclasses.fields(Message)} - {"choices", "image_png"}
        fields = {k: v for k, v in data.items() if k in known}
        png = base64.b64decode(image) if image else None
        messages.append(Message(choices=choices, image_png=png, **fields))
    return tuple(messages)
