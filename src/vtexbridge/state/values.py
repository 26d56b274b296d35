"""Small JSON values by (scope, key): bookmarks such as a feed's last position. Never a secret."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from vtexbridge.state._db import Db
from vtexbridge.state.tables import kv


class Values:
    """Small values (``store.values``)."""

    def __init__(self, db: Db) -> None:
        self._db = db

    def get(self, scope: str, key: str, default: Any = None) -> Any:
        with self._db.read() as conn:
            row = conn.execute(sa.select(kv.c.value).where(kv.c.scope == scope, kv.c.key == key)).first()
        return default if row is None else row[0]

    def put(self, scope: str, key: str, value: Any) -> None:
        """Store a small JSON value (a bookmark); never a secret."""
        ins = self._db.insert(kv)
        stmt = ins.values(scope=scope, key=key, value=value, updated_at=self._db.now()).on_conflict_do_update(
            index_elements=[kv.c.scope, kv.c.key],
            set_={"value": ins.excluded.value, "updated_at": ins.excluded.updated_at},
        )
        with self._db.write() as conn:
            conn.execute(stmt)
