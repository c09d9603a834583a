"""The analysts' connection to the published warehouse: read-only, sandboxed, masked.

Analysts are a role with less privilege than the pipeline. `analyst_connection`
(what `capscore query` and `capscore explain` use, and what the README tells
analysts to use) opens the published warehouse read-only, then locks DuckDB's
configuration so that the session

- reads only the files the published views pin (`meta.analyst_files`: never a
  raw table holding personal data, never anything outside the warehouse, no
  `/etc/passwd`), with `enable_external_access = false`; a statement naming such a
  raw table (CLOSED_TO_ANALYSTS) is refused with a message saying where its rows are
  masked;
- cannot write any file: only read statements run (SELECT, EXPLAIN, PRAGMA,
  CALL); COPY, EXPORT, ATTACH, INSTALL, CREATE, SET ... are refused;
- cannot undo any of this (`lock_configuration`);
- cannot starve the nightly run: a share of the memory and of the cores (at most the
  machine's), no spill to disk, and a time limit per call (`sql()`, `execute()`,
  `answer()`: running the query, fetching its rows and, for `answer`, formatting and
  writing them) past which DuckDB is interrupted and the call fails (`QueryTimedOut`;
  nothing written, the session stays usable).

Personal data is masked in every relation the session can reach (publish.py).
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import polars as pl

from capscore.sql_library import sql_identifier, sql_literal
from capscore.storage.files import atomic_write
from capscore.storage.paths import DataRoot
from capscore.storage.tables import LAKE_TABLES, READ_INSTEAD

# Relations whose files hold personal data as landed: their views exist for the
# pipeline's own use, and the sandbox cannot read their files.
CLOSED_TO_ANALYSTS = frozenset(t.relation for t in LAKE_TABLES if t.personal and not t.materialize)
READ_STATEMENTS = {
    duckdb.StatementType.SELECT,
    duckdb.StatementType.EXPLAIN,
    duckdb.StatementType.PRAGMA,
    duckdb.StatementType.CALL,
}


class WarehouseMissing(RuntimeError):
    pass


class WarehouseMoved(RuntimeError):
    """The warehouse pins the lake of another data root (the root was copied or moved)."""


class QueryRefused(PermissionError):
    """A statement an analyst may not run."""


class QueryTimedOut(TimeoutError):
    """A query ran past the session's time limit and was interrupted (nothing written)."""


class SettingInvalid(ValueError):
    """An analyst session setting from the environment that cannot be used."""


T = TypeVar("T")
# How often the watch repeats its interrupt once the limit has passed: an interrupt sent
# while DuckDB is between statements (binding a view, or before the lazy relation of
# sql() starts) is forgotten when the next one starts.
_INTERRUPT_AGAIN_S = 0.1
# Rows `answer` formats at a time: the time limit is checked between slices (polars and
# Python, unlike DuckDB, cannot be interrupted), so a call stops at most one slice past
# it (50,000 rows of a nested column as CSV: about 0.2 s).
_ROWS_PER_PIECE = 50_000


# Column types polars cannot take or write (intervals, unions, bytes): returned as the
# text DuckDB writes them as.
_TEXT_TYPES = re.compile(r"\b(INTERVAL|UNION|VARIANT|BIT|BLOB)\b")


def _published(root: DataRoot) -> duckdb.DuckDBPyConnection:
    if not root.warehouse.exists():
        raise WarehouseMissing(
            f"no warehouse at {root.warehouse}: run `capscore run --data-root {root.root}` first"
        )
    con = duckdb.connect(str(root.warehouse), read_only=True)
    published_for = _published_root(con)
    if published_for != str(root.root):
        con.close()
        raise WarehouseMoved(
            f"{root.warehouse} was published for the data root {published_for}: run "
            f"`capscore publish --data-root {root.root}` to point it at this root's lake"
        )
    return con


def _published_root(con: duckdb.DuckDBPyConnection) -> str | None:
    found = con.execute("SELECT data_root FROM meta.published").fetchall()
    return found[0][0] if found else None


def published_root(warehouse: Path) -> str | None:
    """The data root whose lake the warehouse's views read (meta.published)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return _published_root(con)
    finally:
        con.close()


def _explained(con: duckdb.DuckDBPyConnection, query: str) -> list[Any] | None:
    """The statements an EXPLAIN statement explains (None when they cannot be told):
    the text after `EXPLAIN [ANALYZE] [(options)]`, comments skipped."""
    found = duckdb.tokenize(query)
    ends = [pos for pos, _ in found[1:]] + [len(query)]
    kept = [
        (pos, end) for (pos, kind), end in zip(found, ends, strict=True) if kind.name != "comment"
    ]
    tokens = [pos for pos, _ in kept]
    words = [query[pos:end].strip() for pos, end in kept]
    i = 1 if words and words[0].upper() == "EXPLAIN" else len(tokens)
    if i < len(words) and words[i].upper() in ("ANALYZE", "ANALYSE"):
        i += 1
    if i < len(words) and words[i] == "(":
        depth = 0
        while i < len(words):
            depth += {"(": 1, ")": -1}.get(words[i], 0)
            i += 1
            if depth == 0:
                break
    if i >= len(tokens):
        return None
    try:
        return list(con.extract_statements(query[tokens[i] :]))
    except duckdb.Error:
        return None


def _write_types(con: duckdb.DuckDBPyConnection, statement: Any) -> list[str]:
    """The types of the statements `statement` runs that are not reads. EXPLAIN ANALYZE
    runs the statement it explains, and the sandbox may open the files the views pin:
    `EXPLAIN ANALYZE COPY ... TO '<a pinned lake file>' (USE_TMP_FILE false)` would
    overwrite the lake in place, so what an EXPLAIN explains must be a read too."""
    if statement.type not in READ_STATEMENTS:
        return [statement.type.name]
    if statement.type != duckdb.StatementType.EXPLAIN:
        return []
    inner = _explained(con, statement.query)
    if not inner:
        return ["EXPLAIN (of a statement that cannot be told)"]
    return [name for s in inner for name in _write_types(con, s)]


class AnalystConnection:
    """A sandboxed read-only session (see the module docstring)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, timeout: float) -> None:
        self._con = con
        self.timeout = timeout
        # When the call in progress must have returned (time.monotonic()), None between calls.
        self._ends: float | None = None

    def _timed_out(self) -> QueryTimedOut:
        return QueryTimedOut(
            f"the query ran past the time limit of {self.timeout:g} s and was stopped "
            # No command named: `capscore query` and `capscore explain` both take it.
            f"(nothing was written): raise the limit with --timeout SECONDS or "
            f"${TIMEOUT_ENV} (default {DEFAULT_TIMEOUT_S:g} s)"
        )

    def _in_time(self) -> None:
        """QueryTimedOut once the call in progress is past its limit: for the work between
        the pieces of an answer, which the interrupt cannot stop."""
        if self._ends is not None and time.monotonic() > self._ends:
            raise self._timed_out()

    def _within_limit(self, run: Callable[[], T]) -> T:
        """`run()`, stopped if the whole of it (the query, the fetch of its rows, what is
        done with them) takes longer than the time limit. A watch thread waits for the
        limit, then interrupts DuckDB (again every 0.1 s, until `run` returns); it ends
        before this returns, so it never touches a later query. Work DuckDB does not do
        (polars, formatting) checks `_in_time` between pieces; and a `run` that returns
        past the limit (its rows fetched in time, then converted too slowly) fails the
        same way: its result is dropped."""
        done = threading.Event()
        lock = threading.Lock()
        fired = threading.Event()

        def watch() -> None:
            wait = self.timeout
            while not done.wait(wait):
                with lock:  # `done` cannot be set between this check and the interrupt
                    if done.is_set():
                        return
                    fired.set()
                    self._con.interrupt()
                wait = _INTERRUPT_AGAIN_S

        ends = time.monotonic() + self.timeout
        watcher = threading.Thread(target=watch, name="capscore-analyst-timeout", daemon=True)
        self._ends = ends
        watcher.start()
        try:
            result = run()
        except duckdb.InterruptException:
            if not fired.is_set():
                raise
            raise self._timed_out() from None
        finally:
            with lock:
                done.set()
            watcher.join()
            self._ends = None
        if time.monotonic() > ends:
            raise self._timed_out()
        return result

    def check(self, sql: str) -> None:
        try:
            statements = self._con.extract_statements(sql)
        except duckdb.Error as exc:
            raise duckdb.ParserException(str(exc).splitlines()[0]) from None
        refused = [name for s in statements for name in _write_types(self._con, s)]
        if refused:
            raise QueryRefused(
                f"analysts may only read: {', '.join(sorted(set(refused)))} statements are "
                "refused (SELECT, EXPLAIN, PRAGMA and CALL run)"
            )
        try:
            named = {name.lower() for name in duckdb.get_table_names(sql, qualified=True)}
        except duckdb.Error:
            return  # the statement fails on its own, with DuckDB's message
        closed = sorted(CLOSED_TO_ANALYSTS & named)
        if closed:
            instead = ", ".join(READ_INSTEAD[name] for name in closed)
            raise QueryRefused(
                f"{', '.join(closed)}: the rows as landed, with personal data unmasked, are "
                f"open to the pipeline only; read {instead} (the same records, masked)"
            )

    def sql(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        self.check(sql)
        return self._within_limit(lambda: self._frame(sql, params))

    def _frame(
        self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
    ) -> pl.DataFrame:
        # con.sql() runs every statement at once but a final SELECT, which .pl() runs.
        relation = self._con.sql(sql, params=params)
        if relation is None:
            return pl.DataFrame()
        as_text = [_TEXT_TYPES.search(str(t)) is not None for t in relation.types]
        if any(as_text):
            relation = relation.project(
                ", ".join(
                    f"CAST({sql_identifier(c)} AS VARCHAR) AS {sql_identifier(c)}"
                    if text
                    else sql_identifier(c)
                    for c, text in zip(relation.columns, as_text, strict=True)
                )
            )
        return relation.pl()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        self.check(sql)
        return self._within_limit(lambda: self._con.execute(sql, params).fetchall())

    def answer(self, sql: str, fmt: str, out: Path | None = None) -> tuple[int, str]:
        """`sql`'s rows as text in `fmt` (`format_result`), and how many there are, all
        within one time limit: running, fetching, formatting and, with `out`, writing.
        With `out` the text goes to that file, written atomically: whole, or past the
        limit not at all (a file already there is left as it was); "" is returned."""
        self.check(sql)
        if out is None:
            text: list[str] = []
            rows = self._within_limit(lambda: self._answer(sql, fmt, text.append))
            return rows, "".join(text)
        written: list[int] = []

        def write(tmp: Path) -> None:
            with tmp.open("w", encoding="utf-8") as file:
                written.append(self._within_limit(lambda: self._answer(sql, fmt, file.write)))

        atomic_write(out, write)  # renamed into place only once written within the limit
        return written[0], ""

    def _answer(self, sql: str, fmt: str, write: Callable[[str], object]) -> int:
        frame = self._frame(sql)
        for piece in _pieces(frame, fmt):
            self._in_time()
            write(piece)
        return frame.height

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> AnalystConnection:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


MEMORY_LIMIT_ENV = "CAPSCORE_ANALYST_MEMORY_LIMIT"
THREADS_ENV = "CAPSCORE_ANALYST_THREADS"
TIMEOUT_ENV = "CAPSCORE_ANALYST_TIMEOUT"
# Five minutes: a mart view is read in under a second (a 40-firm root of 28 dates) and
# an analyst waits at a prompt, so a query still running after five minutes is far more
# likely a mistake (a cross join, a join on the wrong key) than work; it then costs the
# nightly run minutes of (capped) CPU, not hours. An analyst who means it raises it.
DEFAULT_TIMEOUT_S = 300.0


def timeout_seconds(text: str) -> float:
    """A time limit in seconds: a finite number > 0 (ValueError otherwise)."""
    value = float(text)
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"expected a number of seconds > 0, got {text!r}")
    return value


def analyst_timeout() -> float:
    """An analyst query's time limit in seconds: $CAPSCORE_ANALYST_TIMEOUT, else 300."""
    configured = os.environ.get(TIMEOUT_ENV, "").strip()
    if not configured:
        return DEFAULT_TIMEOUT_S
    try:
        return timeout_seconds(configured)
    except ValueError:
        raise SettingInvalid(
            f"${TIMEOUT_ENV} must be a number of seconds > 0, got {configured!r}"
        ) from None


def analyst_threads() -> int:
    """An analyst session's DuckDB threads: $CAPSCORE_ANALYST_THREADS (1 to the machine's
    cores), else a quarter of the cores this process may use (at least one)."""
    configured = os.environ.get(THREADS_ENV, "").strip()
    if configured:
        # More threads than cores only fight the nightly run for them.
        cores = os.cpu_count() or len(os.sched_getaffinity(0))
        if not configured.isdecimal() or not 1 <= int(configured) <= cores:
            raise SettingInvalid(
                f"${THREADS_ENV} must be a whole number of threads from 1 to {cores} "
                f"(this machine's cores), got {configured!r}"
            )
        return int(configured)
    return max(len(os.sched_getaffinity(0)) // 4, 1)


def analyst_memory_limit() -> str:
    """An analyst session's memory: $CAPSCORE_ANALYST_MEMORY_LIMIT (a DuckDB size, e.g.
    `4GB`), else a quarter of the machine's."""
    configured = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    if configured:
        return configured
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{max(total // 4 // 2**20, 256)}MB"


def analyst_connection(root: DataRoot, timeout: float | None = None) -> AnalystConnection:
    """The sandboxed session; `timeout`: each query's limit in seconds (default
    $CAPSCORE_ANALYST_TIMEOUT, else 300)."""
    limit = analyst_timeout() if timeout is None else timeout_seconds(str(timeout))
    threads = analyst_threads()
    con = _published(root)
    try:
        _lock_down(con, threads)
    except BaseException:
        con.close()
        raise
    return AnalystConnection(con, limit)


def _lock_down(con: duckdb.DuckDBPyConnection, threads: int) -> None:
    allowed = [row[0] for row in con.execute("SELECT file FROM meta.analyst_files").fetchall()]
    listed = ", ".join(sql_literal(p) for p in allowed)
    con.execute(f"SET allowed_paths = [{listed}]")
    # A large sort or join would spill to `<warehouse>.tmp/`, in the data root, up to
    # 90% of the free disk, and DuckDB takes 80% of the memory by default: an analyst's
    # query could fill the disk or starve the nightly run. The session gets a share of
    # the memory and spills nowhere (past it the query fails, alone).
    con.execute(f"SET memory_limit = {sql_literal(analyst_memory_limit())}")
    con.execute("SET temp_directory = ''")
    # DuckDB runs a query on every core by default: the nightly run shares the machine.
    con.execute(f"SET threads = {threads}")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def run_query(root: DataRoot, sql: str, timeout: float | None = None) -> pl.DataFrame:
    with analyst_connection(root, timeout) as con:
        return con.sql(sql)


def answer_query(
    root: DataRoot, sql: str, fmt: str, out: Path | None = None, timeout: float | None = None
) -> tuple[int, str]:
    """`capscore query`: AnalystConnection.answer in a session of its own."""
    with analyst_connection(root, timeout) as con:
        return con.answer(sql, fmt, out)


def _as_json_text(column: pl.Series) -> pl.Series:
    return pl.Series(
        column.name,
        # to_list(): iterating a list column yields Series, whose str() is a printout.
        [
            None if v is None else json.dumps(v, ensure_ascii=False, default=str)
            for v in column.to_list()
        ],
        dtype=pl.String,
    )


def _flat_list(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.List) and not dtype.inner.is_nested()


def format_result(frame: pl.DataFrame, fmt: str) -> str:
    """`frame` as `capscore query` prints it: `table` (at most 200 rows shown), `csv`
    or `json`."""
    return "".join(_pieces(frame, fmt))


def _pieces(frame: pl.DataFrame, fmt: str, rows: int = _ROWS_PER_PIECE) -> Iterator[str]:
    """`format_result(frame, fmt)` in pieces of `rows` rows each (the table at once: it
    shows at most 200 rows), so that the time limit can stop it between two."""
    if fmt == "csv":
        for start in range(0, max(frame.height, 1), rows):
            yield _csv(frame.slice(start, rows), header=start == 0)
        return
    if fmt == "json":
        frame = _json_numbers(frame)  # on the whole: every slice gets the same types
        yield "["
        for start in range(0, frame.height, rows):
            # write_json() is one array, `[{...},{...}]`: its rows, joined with a comma.
            yield ("," if start else "") + frame.slice(start, rows).write_json()[1:-1]
        yield "]\n"
        return
    with pl.Config(tbl_rows=200, tbl_cols=-1, fmt_str_lengths=80, tbl_width_chars=200):
        table = f"{frame}\n"
    yield table  # outside the Config: the caller's code runs while this waits


def _csv(frame: pl.DataFrame, header: bool) -> str:
    # CSV has no lists: a list of values is joined the way the landing contract does;
    # anything else nested (structs, maps, lists of them) is JSON text.
    flat = frame.with_columns(
        pl.col(name).cast(pl.List(pl.Utf8)).list.join("; ")
        for name, dtype in frame.schema.items()
        if _flat_list(dtype)
    )
    flat = flat.with_columns(
        _as_json_text(flat[name]) for name, dtype in flat.schema.items() if dtype.is_nested()
    )
    return flat.write_csv(include_header=header)


def _json_numbers(frame: pl.DataFrame) -> pl.DataFrame:
    # Whole-number decimals (DuckDB's HUGEINT sums) as JSON numbers, not strings.
    whole = [
        name
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Decimal) and dtype.scale == 0
    ]
    fits = [
        n
        for n in whole
        if frame[n].cast(pl.Int64, strict=False).null_count() == frame[n].null_count()
    ]
    return frame.with_columns(pl.col(fits).cast(pl.Int64))
