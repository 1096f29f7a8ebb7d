"""The Peewee database: one proxy for the models, opened per request, set from DATABASE."""

import datetime as dt
import fcntl
import os
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, g, has_app_context
from peewee import Database, DatabaseProxy, Model, ModelSelect, SqliteDatabase
from playhouse.db_url import connect

database = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
}


class Compiled:
    """A SELECT run on every page, its SQL written by Peewee once per kind of database, not per request.

    Writing the SQL is most of a small query's cost in Peewee (0.3–0.5 ms of CPU). `build(*args)` returns
    the query; each argument (an integer id or a datetime) must reach the SQL as a parameter. A call returns
    the rows as `model` instances (columns without a field, like an alias, come back as stored).
    """

    def __init__(self, model: type[Model], build: Callable[..., ModelSelect]) -> None:
        self.model, self._build, self._prepared = model, build, {}

    @staticmethod
    def _marker(value, n):
        if isinstance(value, dt.datetime):
            return dt.datetime(1901, 2, 3, 4, 5, 6, 1000 + n)
        if isinstance(value, int) and not isinstance(value, bool):
            return 987_654_321_000 + n
        raise TypeError(f"Compiled queries take ids and datetimes, not {type(value).__name__}")

    def _prepare(self, args):
        key = (type(database.obj), len(args))
        if key not in self._prepared:
            markers = [self._marker(value, n) for n, value in enumerate(args)]
            sql, params = self._build(*markers).sql()
            slots = [next((n for n, m in enumerate(markers) if type(p) is type(m) and p == m), None) for p in params]
            if {n for n in slots if n is not None} != set(range(len(args))):
                raise ValueError("every argument of a compiled query must be a parameter of its SQL")
            self._prepared[key] = (sql, params, slots)
        return self._prepared[key]

    def __call__(self, *args):
        sql, params, slots = self._prepare(args)
        return self.model.raw(sql, *[p if n is None else args[n] for p, n in zip(params, slots)])

    def first(self, *args: int | dt.datetime) -> Model | None:
        return next(iter(self(*args)), None)


def make_database(url: str, base_dir: str = ".", busy_timeout_ms: int | None = None) -> Database:
    """SQLite from a path (pragmas applied to every new connection), anything else from a URL."""
    pragmas = dict(SQLITE_PRAGMAS)
    if busy_timeout_ms is not None:
        pragmas["busy_timeout"] = int(busy_timeout_ms)
    if "://" not in url:
        path = url if os.path.isabs(url) else os.path.join(base_dir, url)
        os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
        return SqliteDatabase(path, pragmas=pragmas, check_same_thread=False)
    if url.startswith("sqlite"):
        return connect(url, pragmas=pragmas)
    return connect(url)


def project_root(app: Flask) -> str:
    return os.path.realpath(os.path.join(app.root_path, ".."))


def sqlite_path(app: Flask) -> str | None:
    """The absolute path of the SQLite file, or None when DATABASE is a server URL."""
    url = app.config["DATABASE"]
    if "://" in url:
        return url.split(":///", 1)[1] if url.startswith("sqlite:///") else None
    return url if os.path.isabs(url) else os.path.join(project_root(app), url)


class DatabaseInUse(Exception):
    """Another process (the portal, a worker) has the SQLite database open for its whole life."""


_in_use = OrderedDict()  # SQLite path -> the open lock file holding this process's shared lock
_KEPT = 16  # a process serves one database; tests make many, whose older locks are let go


def in_use_lock_path(path: str) -> str:
    return path + ".in-use"


def hold_in_use(path: str) -> None:
    """Hold a shared lock on DATABASE.in-use for the life of this process (app servers and workers), so that
    `restore` sees the database is in use; waits while a restore holds it exclusively."""
    if path in _in_use:
        _in_use.move_to_end(path)
        return
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    lock = os.fdopen(os.open(in_use_lock_path(path), os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600), "a+")
    fcntl.flock(lock, fcntl.LOCK_SH)
    _in_use[path] = lock
    while len(_in_use) > _KEPT:
        _in_use.popitem(last=False)[1].close()


@contextmanager
def used_alone(path: str) -> Iterator[None]:
    """The database's exclusive use (restore): DatabaseInUse when another process holds it."""
    own = _in_use.pop(path, None)
    if own is not None:
        own.close()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    lock = os.fdopen(os.open(in_use_lock_path(path), os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600), "a+")
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseInUse(path) from None
        yield
    finally:
        lock.close()
        if own is not None:
            hold_in_use(path)


def init_app(app: Flask) -> None:
    database.initialize(
        make_database(app.config["DATABASE"], project_root(app), app.config.get("SQLITE_BUSY_TIMEOUT_MS"))
    )
    path = sqlite_path(app)
    if path is not None:
        hold_in_use(path)

    @app.before_request
    def _open():
        database.connect(reuse_if_open=True)

    if app.config.get("QUERY_COUNT_HEADER"):
        _count_queries_per_request(app)

    @app.teardown_appcontext
    def _close(exc):
        if not database.is_closed():
            database.close()


@contextmanager
def write_locked(rows: ModelSelect) -> Iterator[None]:
    """A transaction that holds the write lock before it reads anything, so that concurrent writers of the
    same rows run one after the other: SQLite's BEGIN IMMEDIATE takes the database's single write lock;
    elsewhere `rows` (a SELECT of the rows to guard) is locked FOR UPDATE. Inside a caller's transaction it
    is a savepoint, and the caller's lock holds."""
    db = database.obj
    if isinstance(db, SqliteDatabase):
        with db.atomic("IMMEDIATE"):
            yield
    else:
        with db.atomic():
            rows.for_update().execute()
            yield


@contextmanager
def counting_queries() -> Iterator[Any]:
    """Count the SQL statements run inside the block: `with counting_queries() as n: …; n.count`."""

    class Counter:
        count = 0

    counter = Counter()

    def hook(event):
        counter.count += 1

    hooks = database.obj.query_hooks
    hooks.append(hook)
    try:
        yield counter
    finally:
        hooks.remove(hook)


def _count_queries_per_request(app):
    """With QUERY_COUNT_HEADER on (benchmarks), each response says how many queries it ran."""

    def hook(event):
        if has_app_context():
            g.query_count = g.get("query_count", 0) + 1

    database.obj.query_hooks.append(hook)

    @app.after_request
    def _header(response):
        response.headers["X-Query-Count"] = str(g.get("query_count", 0))
        return response


def create_private_file(path: str | None) -> None:
    """An empty file only its owner may read (0600), unless it exists already. SQLite gives its -wal and
    -shm files the database file's mode, so creating the database this way keeps all three private."""
    if path and not os.path.exists(path):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
