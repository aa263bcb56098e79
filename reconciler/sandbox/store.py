# ruff: noqa: S608 — table and column names come from the TABLES constant, never from input
"""SQLite persistence: one table per object kind, indexed key columns plus a JSON document.

One connection, used from the event loop only (handlers never await while holding a
transaction), so no locking is needed. Every write is committed before its answer is sent.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reconciler.sandbox.ids import encode, seeded_uuid

Doc = dict[str, Any]

#: table → indexed columns (besides ``id`` and the JSON ``doc``)
TABLES: dict[str, tuple[str, ...]] = {
    "customers": ("external_id", "org_id", "status", "due", "priv"),
    "subscribers": (
        "customer_id",
        "email_lc",
        "person_id",
        "status",
        "external_customer_id",
        "created",
        "last_change",
    ),
    "locations": ("org_id", "name_lc"),
    "people": ("org_id", "email_lc", "phone", "extension", "location_id"),
    # the number inventory: ``id`` is the E.164 number (one org and location holds it)
    "numbers": ("org_id", "location_id", "state"),
    # telephony jobs (move users, disable calling); ``due`` while the job runs
    "jobs": ("org_id", "kind", "due"),
}
INDEXES = {
    "customers": ("external_id", "org_id", "due"),
    "subscribers": ("customer_id", "email_lc", "person_id", "created"),
    "locations": ("org_id",),
    "people": ("org_id", "email_lc", "phone"),
    "numbers": ("org_id", "location_id"),
    "jobs": ("org_id", "due"),
}


class StoreUnusable(Exception):
    """The store's file cannot be used: not SQLite, not the sandbox's tables, or not openable.

    Raised by :class:`Store` (so by ``create_app``) before anything is written to the file;
    the message names the file and the reason, never a traceback's worth of SQLite detail.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def _reason(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "file is not a database" in text or "file is encrypted" in text:
        return "not a SQLite database (give the sandbox a new file, or one it made)"
    if "unable to open" in text:
        return "cannot be opened as a SQLite database (a directory, or a folder that is missing?)"
    return f"not a sandbox database: {text}"


#: From this offset on, a page is read through the list's remembered order (``_deep_page``).
DEEP_OFFSET = 1000


class Store:
    """The sandbox's state. IDs are minted from ``seed`` and a persisted counter.

    ``StoreUnusable`` if ``path`` cannot hold it.
    """

    def __init__(self, path: str, seed: int) -> None:
        self.seed = seed
        try:
            self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreUnusable(path, _reason(exc)) from None
        try:
            self._prepare(path)
        except sqlite3.Error as exc:
            self.db.close()
            raise StoreUnusable(path, _reason(exc)) from None
        self._in_tx = False
        #: Bumped by every write of this connection (``data_version`` counts the others').
        self._writes = 0
        #: (table, where, params, order) → (versions, rowids in order): deep pages of a list
        self._orders: dict[tuple[Any, ...], tuple[tuple[int, int], list[int]]] = {}

    def _prepare(self, path: str) -> None:
        """Create the tables and indexes a fresh file lacks; read the ID counter."""
        self.db.execute("PRAGMA journal_mode=WAL" if path != ":memory:" else "PRAGMA temp_store=2")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS templates (name TEXT PRIMARY KEY, provisioning_id TEXT)"
        )
        self.db.execute("CREATE TABLE IF NOT EXISTS free_accounts (email_lc TEXT PRIMARY KEY)")
        for table, cols in TABLES.items():
            columns = ", ".join(cols)
            self.db.execute(
                f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, {columns}, doc TEXT)"
            )
            for col in INDEXES[table]:
                self.db.execute(f"CREATE INDEX IF NOT EXISTS {table}_{col} ON {table} ({col})")
        row = self.db.execute("SELECT v FROM meta WHERE k = 'counter'").fetchone()
        self.counter = int(row[0]) if row else 0

    # transactions -----------------------------------------------------------------------
    def begin(self) -> None:
        if not self._in_tx:
            self.db.execute("BEGIN")
            self._in_tx = True

    def commit(self) -> None:
        if self._in_tx:
            self.db.execute(
                "INSERT OR REPLACE INTO meta (k, v) VALUES ('counter', ?)", (str(self.counter),)
            )
            self.db.execute("COMMIT")
            self._in_tx = False

    def rollback(self) -> None:
        if self._in_tx:
            self.db.execute("ROLLBACK")
            self._in_tx = False
            row = self.db.execute("SELECT v FROM meta WHERE k = 'counter'").fetchone()
            self.counter = int(row[0]) if row else 0

    def close(self) -> None:
        self.rollback()
        self.db.close()

    def mint_uuid(self) -> str:
        self.begin()
        self.counter += 1
        return seeded_uuid(self.seed, self.counter)

    def mint(self, kind: str) -> str:
        return encode(kind, self.mint_uuid())

    # generic rows -----------------------------------------------------------------------
    def insert(self, table: str, doc: Doc, **cols: Any) -> None:
        self.begin()
        self._writes += 1
        names = ["id", *TABLES[table], "doc"]
        values = [doc["id"], *(self._col(cols.get(c)) for c in TABLES[table]), json.dumps(doc)]
        marks = ", ".join("?" * len(names))
        self.db.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", values)

    def insert_many(self, table: str, rows: Iterable[tuple[Doc, Mapping[str, Any]]]) -> None:
        self.begin()
        self._writes += 1
        names = ["id", *TABLES[table], "doc"]
        marks = ", ".join("?" * len(names))
        self.db.executemany(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",
            (
                [doc["id"], *(self._col(cols.get(c)) for c in TABLES[table]), json.dumps(doc)]
                for doc, cols in rows
            ),
        )

    def update(self, table: str, doc: Doc, **cols: Any) -> None:
        self.begin()
        self._writes += 1
        sets = ", ".join(f"{c} = ?" for c in TABLES[table])
        values = [*(self._col(cols.get(c)) for c in TABLES[table]), json.dumps(doc), doc["id"]]
        self.db.execute(f"UPDATE {table} SET {sets}, doc = ? WHERE id = ?", values)

    def delete(self, table: str, id_: str) -> None:
        self.delete_where(table, {"id": id_})

    def delete_where(self, table: str, where: Mapping[str, Any]) -> None:
        """Delete every row whose columns equal ``where``, in one statement."""
        self.begin()
        self._writes += 1
        sql, params = self._where(where, None)
        self.db.execute(f"DELETE FROM {table}{sql}", params)

    def get(self, table: str, id_: str) -> Doc | None:
        row = self.db.execute(f"SELECT doc FROM {table} WHERE id = ?", (id_,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def row(self, table: str, id_: str) -> dict[str, Any] | None:
        """Document plus indexed columns (``priv`` decoded) of one row."""
        found = self.rows(table, {"id": id_})
        return found[0] if found else None

    def rows(
        self, table: str, where: Mapping[str, Any] | None = None, *, order: str = "rowid"
    ) -> list[dict[str, Any]]:
        """Documents plus indexed columns (``priv`` decoded) of the rows matching ``where``,
        in one query."""
        cols = TABLES[table]
        sql, params = self._where(where, None)
        out: list[dict[str, Any]] = []
        query = f"SELECT {', '.join(cols)}, doc FROM {table}{sql} ORDER BY {order}"
        for row in self.db.execute(query, params):
            one = dict(zip(cols, row[:-1], strict=True))
            one["doc"] = json.loads(row[-1])
            if "priv" in one:
                one["priv"] = json.loads(one["priv"]) if one["priv"] else {}
            out.append(one)
        return out

    def select(
        self,
        table: str,
        where: Mapping[str, Any] | None = None,
        *,
        order: str = "rowid",
        limit: int | None = None,
        offset: int = 0,
        extra: tuple[str, Sequence[Any]] | None = None,
    ) -> list[Doc]:
        """Documents whose columns equal ``where`` (a list value means "any of")."""
        sql, params = self._where(where, extra)
        if limit is not None and offset >= DEEP_OFFSET:
            return self._deep_page(table, sql, params, order, limit, offset)
        query = f"SELECT doc FROM {table}{sql} ORDER BY {order}"
        if limit is not None:
            query += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [json.loads(r[0]) for r in self.db.execute(query, params)]

    def _deep_page(
        self, table: str, sql: str, params: list[Any], order: str, limit: int, offset: int
    ) -> list[Doc]:
        """One page far into a list: SQLite walks every row before ``OFFSET``, so a list of
        100,000 read page by page costs a quadratic walk. The order of the whole list (its
        rowids) is kept until this connection or another one writes, and a page is read by
        rowid: the same rows in the same order as ``LIMIT … OFFSET``."""
        version = self.db.execute("PRAGMA data_version").fetchone()[0]
        versions = (self._writes, int(version))
        key = (table, sql, tuple(params), order)
        known = self._orders.get(key)
        if known is None or known[0] != versions:
            query = f"SELECT rowid FROM {table}{sql} ORDER BY {order}"
            if len(self._orders) >= 16:
                self._orders.clear()
            known = self._orders[key] = (versions, [r[0] for r in self.db.execute(query, params)])
        page = known[1][offset : offset + limit]
        if not page:
            return []
        marks = ", ".join("?" * len(page))
        query = f"SELECT rowid, doc FROM {table} WHERE rowid IN ({marks})"
        docs = dict(self.db.execute(query, page).fetchall())
        return [json.loads(docs[r]) for r in page if r in docs]

    def count(
        self,
        table: str,
        where: Mapping[str, Any] | None = None,
        extra: tuple[str, Sequence[Any]] | None = None,
    ) -> int:
        sql, params = self._where(where, extra)
        return int(self.db.execute(f"SELECT COUNT(*) FROM {table}{sql}", params).fetchone()[0])

    def ids(self, table: str, where: Mapping[str, Any]) -> list[str]:
        sql, params = self._where(where, None)
        return [
            r[0] for r in self.db.execute(f"SELECT id FROM {table}{sql} ORDER BY rowid", params)
        ]

    @staticmethod
    def _where(
        where: Mapping[str, Any] | None, extra: tuple[str, Sequence[Any]] | None
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for col, value in (where or {}).items():
            if isinstance(value, list | tuple | set | frozenset):
                values = list(value)
                clauses.append(f"{col} IN ({', '.join('?' * len(values))})" if values else "0")
                params.extend(values)
            elif value is None:
                clauses.append(f"{col} IS NULL")
            else:
                clauses.append(f"{col} = ?")
                params.append(value)
        if extra:
            clauses.append(extra[0])
            params.extend(extra[1])
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    @staticmethod
    def _col(value: Any) -> Any:
        return json.dumps(value) if isinstance(value, dict) else value

    # templates and free accounts -------------------------------------------------------
    def put_template(self, name: str, provisioning_id: str) -> bool:
        """Create or rebind a template; False when it already had that ID."""
        row = self.db.execute(
            "SELECT provisioning_id FROM templates WHERE name = ?", (name,)
        ).fetchone()
        if row is not None and row[0] == provisioning_id:
            return False
        self.begin()
        self.db.execute(
            "INSERT OR REPLACE INTO templates (name, provisioning_id) VALUES (?, ?)",
            (name, provisioning_id),
        )
        self.commit()
        return True

    def templates(self) -> list[dict[str, str]]:
        rows = self.db.execute("SELECT name, provisioning_id FROM templates ORDER BY name")
        return [{"name": n, "provisioningId": p} for n, p in rows]

    def has_provisioning_id(self, provisioning_id: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM templates WHERE provisioning_id = ?", (provisioning_id,)
        ).fetchone()
        return row is not None

    def add_free_accounts(self, emails: Iterable[str]) -> None:
        self.begin()
        self.db.executemany(
            "INSERT OR IGNORE INTO free_accounts (email_lc) VALUES (?)",
            ((e.lower(),) for e in emails),
        )

    def is_free_account(self, email: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM free_accounts WHERE email_lc = ?", (email.lower(),)
        ).fetchone()
        return row is not None

    def due_customers(self, now: float) -> list[str]:
        rows = self.db.execute(
            "SELECT id FROM customers WHERE due IS NOT NULL AND due <= ? ORDER BY due, rowid",
            (now,),
        )
        return [r[0] for r in rows]
