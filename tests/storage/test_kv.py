from __future__ import annotations

from sqlalchemy.engine import Engine

from storage.kv import kv_delete, kv_get, kv_set
from storage.transactions import transaction
from tests.storage.sample import NOW, at


def test_values_expire_and_can_be_replaced_or_deleted(engine: Engine) -> None:
    with transaction(engine) as session:
        kv_set(session=session, key="wechat:token", value="T1", expires_at=at(120))
        kv_set(session=session, key="forever", value="x", expires_at=None)
    with transaction(engine) as session:
        assert kv_get(session=session, key="wechat:token", now=at(119)) == "T1"
        assert kv_get(session=session, key="wechat:token", now=at(120)) is None
        assert kv_get(session=session, key="forever", now=at(10**6)) == "x"
        kv_set(session=session, key="wechat:token", value="T2", expires_at=at(240))
        assert kv_get(session=session, key="wechat:token", now=at(121)) == "T2"
        kv_delete(session=session, key="forever")
        assert kv_get(session=session, key="forever", now=NOW) is None
        assert kv_get(session=session, key="missing", now=NOW) is None
