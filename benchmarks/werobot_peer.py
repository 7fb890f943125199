"""The peer of `surveybot bench compare`: the AIAG survey written the plain way.

What a user would write instead of this product (issue 21): WeRoBot under bottle, one
gunicorn sync worker, WeRoBot's own SQLite session storage, one `answers` table on the
standard library's `sqlite3` in WAL mode, and a text reply with the next question. It
walks the questions in order, one message each, and stores what was typed as it came:
no retry dedupe, no transaction around a message, no validation, no branching, no
snapshots, no staff side. It is a yardstick, not a product.

    gunicorn -w 1 -k sync -b 127.0.0.1:PORT 'benchmarks.werobot_peer:app_from_env()'

with WECHAT_TOKEN, WECHAT_APP_ID, WECHAT_ENCODING_AES_KEY and PEER_DB_DIR set.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from bottle import Bottle
from werobot import WeRoBot
from werobot.contrib.bottle import make_view
from werobot.session.sqlitestorage import SQLiteStorage

from flows.definition import load_flow
from flows.model import Flow, Question
from flows.surveys import DEFAULT_FLOW

PATH = "/wechat"


def question_texts(flow: Flow) -> list[str]:
    """Each answerable question as one bilingual text message, as a plain bot sends it."""
    texts = []
    for number, question in enumerate(_answerable(flow), start=1):
        lines = [f"【{number}】{question.text.zh}", question.text.en]
        lines += [f"{i}. {o.text.zh} / {o.text.en}" for i, o in enumerate(question.options, 1)]
        texts.append("\n".join(lines))
    return texts


def _answerable(flow: Flow) -> list[Question]:
    return [q for q in flow.questions if not q.is_note]


def make_app(token: str, app_id: str, aes_key: str | None, db_dir: Path) -> Bottle:
    flow = load_flow(DEFAULT_FLOW)
    questions = question_texts(flow)
    ids = [q.id for q in _answerable(flow)]
    welcome = f"{flow.title.zh} / {flow.title.en}\n\n{questions[0]}"
    thanks = "感谢您的参与！/ Thank you for taking part!"

    robot = WeRoBot(token=token)
    robot.config.update(
        APP_ID=app_id,
        ENCODING_AES_KEY=aes_key,
        SESSION_STORAGE=SQLiteStorage(str(db_dir / "werobot_session.sqlite3")),
    )
    answers = sqlite3.connect(str(db_dir / "answers.sqlite3"), check_same_thread=False)
    answers.execute("PRAGMA journal_mode=WAL")
    answers.execute(
        "CREATE TABLE IF NOT EXISTS answers"
        " (openid TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, at REAL NOT NULL)"
    )

    @robot.subscribe
    def subscribed(message: Any, session: dict[str, Any]) -> str:
        session["at"] = 0
        return welcome

    @robot.text
    def answered(message: Any, session: dict[str, Any]) -> str:
        at = int(session.get("at", 0))
        if at >= len(questions):
            return thanks
        answers.execute(
            "INSERT INTO answers (openid, question, answer, at) VALUES (?, ?, ?, ?)",
            (message.source, ids[at], message.content, time.time()),
        )
        answers.commit()
        session["at"] = at + 1
        return questions[at + 1] if at + 1 < len(questions) else thanks

    app = Bottle()
    app.route(PATH, ["GET", "POST"], make_view(robot))
    return app


def app_from_env() -> Bottle:
    return make_app(
        os.environ["WECHAT_TOKEN"],
        os.environ["WECHAT_APP_ID"],
        os.environ.get("WECHAT_ENCODING_AES_KEY") or None,
        Path(os.environ.get("PEER_DB_DIR", ".")),
    )
