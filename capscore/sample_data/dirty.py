"""Bad rows and bad files for `--dirty`, each recorded with the rule it breaks.

Injected rows are extra rows built from a clean template with a fresh key
(an enterprise, application or filer that appears nowhere else), so every
clean row still loads, the ground truth of the clean data is unchanged, and
each injected row breaks exactly one rule. Bad files hold only injected
records for the same reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from capscore.sample_data.codes import (
    credit_codes,
    with_wrong_application_check,
    with_wrong_check_char,
)
from capscore.sample_data.enterprises import Firms
from capscore.sample_data.industries import INDUSTRIES
from capscore.sample_data.names import assemble, new_names
from capscore.sample_data.patents import RESERVED_SERIAL, number_for
from capscore.sample_data.plan import CONTRACT_COLUMNS, PlannedFile
from capscore.sample_data.regions import county_table
from capscore.sample_data.writers import FileSpec, Injection, csv_cell, csv_line, render

# Injected rows per rule, relative to the clean rows of the source (at least one each).
BAD_ROW_RATE = 0.0004
# Index ranges for the credit codes of injected enterprises and filers.
_BAD_CODE_BASE = 50_000_000

BAD_ROW_COLUMNS = ("source", "partition_date", "file", "row_number", "column", "rule", "detail")


@dataclass(frozen=True)
class BadRow:
    source: str
    partition_date: str
    file: str
    row_number: int | None
    column: str | None
    rule: str
    detail: str


@dataclass(frozen=True)
class _Pending:
    """A bad row before its position is known: it goes somewhere after clean row `after` - 1."""

    injection: Injection
    rule: str
    column: str | None
    detail: str
    after: int = 0


@dataclass
class Injected:
    """What `inject` adds: rows per planned file, whole bad files, and the record of both."""

    rows: dict[str, list[Injection]] = field(default_factory=dict)
    files: list[tuple[str, str, date, bytes]] = field(
        default_factory=list
    )  # source, relative, day, data
    bad_rows: list[BadRow] = field(default_factory=list)


# A bad value for a column from (clean record, rng, landing day).
Change = Callable[[dict[str, Any], np.random.Generator, date], Any]


@dataclass(frozen=True)
class Corruption:
    """One way to break one rule: set `column` (or one of `columns`) to a bad value.

    `detail` is formatted with the column, the value and the landing day.
    Rows that are not `representable` in a typed Parquet file go to text files only.
    """

    rule: str
    columns: tuple[str, ...]
    change: Change | None  # None: leave the column empty
    detail: str
    representable: bool = True
    template: Callable[[dict[str, Any]], bool] = lambda r: True


def _const(value: Any) -> Change:
    return lambda r, g, d: value


def _bad_date(r: dict[str, Any], g: np.random.Generator, d: date) -> str:
    return ("2023-02-30", "2023年5月12日", "12/05/2023", "2024-13-01")[int(g.integers(0, 4))]


def _future(r: dict[str, Any], g: np.random.Generator, d: date) -> date:
    return d + timedelta(days=int(g.integers(1, 60)))


def _wrong_credit_check(r: dict[str, Any], g: np.random.Generator, d: date) -> str:
    return str(with_wrong_check_char(np.array([r["credit_code"]]), g)[0])


def _wrong_application_check(r: dict[str, Any], g: np.random.Generator, d: date) -> str:
    return str(with_wrong_application_check(np.array([r["application_number"]]), g)[0])


def _pending(r: dict[str, Any]) -> bool:
    # Future or reversed dates on a record without a grant break no other rule.
    return bool(r["legal_status"] == "pending")


def _granted_other(r: dict[str, Any]) -> bool:
    return bool(r["patent_type"] != "invention" and r["legal_status"] == "granted")


_NOT_ISO = "{column} {value!r} is not an ISO date"
_FUTURE = "{column} {value} is after the landing date {day}"
_MISSING = "required {column} left empty"
_MALFORMED_ROW = Corruption("malformed_row", (), None, "row cannot be parsed", False)

CORRUPTIONS: dict[str, tuple[Corruption, ...]] = {
    "registry": (
        Corruption("check_digit", ("credit_code",), _wrong_credit_check, "credit_code {value}: check character altered"),
        Corruption("bad_format", ("credit_code",), lambda r, g, d: r["credit_code"][:17], "credit_code {value} has 17 characters"),
        Corruption("bad_format", ("region_code",), lambda r, g, d: r["region_code"][:5], "region_code {value} has 5 digits"),
        Corruption("missing_required", ("name", "established_date", "status", "region_code", "snapshot_date"), None, _MISSING),
        Corruption("malformed_date", ("established_date",), _bad_date, _NOT_ISO, False),
        Corruption("future_date", ("snapshot_date",), _future, _FUTURE),
        Corruption("date_order", ("established_date",), lambda r, g, d: d, "established_date {value} after snapshot_date"),
        Corruption("negative_amount", ("registered_capital",), lambda r, g, d: -abs(r["registered_capital"] or 100.0), "{column} {value} is negative"),
        Corruption("malformed_number", ("registered_capital",), _const("五百"), "{column} {value!r} is not a number", False),
        Corruption("unknown_value", ("status",), _const("正常"), "status {value!r} is not a registry status"),
        Corruption("unknown_value", ("srdi_level",), _const("市级"), "srdi_level {value!r} is not none/provincial/national"),
        _MALFORMED_ROW,
    ),
    "patents": (
        Corruption("check_digit", ("application_number",), _wrong_application_check, "application_number {value}: check character altered"),
        Corruption("bad_format", ("application_number",), lambda r, g, d: r["application_number"].replace(".", ""), "application_number {value} has no '.'"),
        Corruption("type_number_mismatch", ("patent_type",), _const("invention"), "patent_type invention, the number says otherwise", template=_granted_other),
        Corruption("missing_required", ("patent_type", "title", "application_date", "publication_date", "applicants", "legal_status"), None, _MISSING),
        Corruption("malformed_date", ("application_date",), _bad_date, _NOT_ISO, False),
        Corruption("future_date", ("publication_date",), _future, _FUTURE, template=_pending),
        Corruption("date_order", ("publication_date",), lambda r, g, d: r["application_date"] - timedelta(days=int(g.integers(5, 200))), "publication_date {value} before application_date", template=_pending),
        Corruption("unknown_value", ("legal_status",), _const("有效"), "legal_status {value!r} is not an allowed status"),
        Corruption("malformed_number", ("claims_count",), _const("十二"), "{column} {value!r} is not an integer", False),
        _MALFORMED_ROW,
    ),
    "rd_records": (
        Corruption("malformed_date", ("reported_date",), _bad_date, _NOT_ISO, False),
        Corruption("future_date", ("reported_date",), _future, _FUTURE),
        Corruption("negative_amount", ("rd_expense",), lambda r, g, d: -abs(r["rd_expense"] or 1.0), "{column} {value} is negative"),
        Corruption("rd_expense_exceeds_revenue", ("rd_expense",), lambda r, g, d: round(r["revenue"] * 2.5 + 1.0, 2), "rd_expense {value} > 2 x revenue {revenue}"),
        Corruption("malformed_number", ("revenue",), _const("约1200"), "{column} {value!r} is not a number", False),
        Corruption("missing_required", ("enterprise_name", "fiscal_year", "revenue", "rd_expense", "reported_date"), None, _MISSING),
        _MALFORMED_ROW,
    ),
}  # fmt: skip


def _raw_line(record: dict[str, Any], spec: FileSpec) -> str:
    """A line that does not parse: extra CSV fields, or JSON cut off in the middle."""
    if spec.fmt.startswith("csv"):
        cells = [csv_cell(v, spec.list_sep) for v in record.values()]
        return csv_line([*cells, "unexpected", "fields"], "")
    text = json.dumps(
        {k: v.isoformat() if isinstance(v, date) else v for k, v in record.items()},
        ensure_ascii=False,
    )
    return text[: len(text) // 2]


def _apply(
    corruption: Corruption, record: dict[str, Any], rng: np.random.Generator, pf: PlannedFile
) -> tuple[Injection, str | None, str]:
    """(injection at a position to be chosen, failing column, detail) for one bad row."""
    if corruption.rule == "malformed_row":
        return Injection(-1, raw=_raw_line(record, pf.spec)), None, corruption.detail
    column = corruption.columns[int(rng.integers(0, len(corruption.columns)))]
    value = None if corruption.change is None else corruption.change(record, rng, pf.partition)
    detail = corruption.detail.format(**record, column=column, value=value, day=pf.partition)
    return Injection(-1, record={**record, column: value}), column, detail


# The key columns of data_contracts/<source>.yaml: unique within one drop.
_KEY = {
    "registry": ("credit_code", "snapshot_date"),
    "patents": ("application_number",),
    "rd_records": ("credit_code", "enterprise_name", "fiscal_year", "reported_date"),
}


class _Fresh:
    """Keys and names that appear nowhere in the clean data."""

    def __init__(self, rng: np.random.Generator, firms: Firms) -> None:
        self.rng = rng
        self.taken = firms.names_taken
        self.counter = 0
        self.counties = county_table()
        self.buffer: list[tuple[str, str, str]] = []

    def _next_index(self) -> int:
        self.counter += 1
        return _BAD_CODE_BASE + self.counter

    def _fill(self, size: int = 2048) -> None:
        rng = self.rng
        places = self.counties[
            rng.choice(self.counties.height, size=size, p=self.counties["weight"].to_numpy())
        ]
        industry = rng.integers(0, len(INDUSTRIES), size)
        names = assemble(
            new_names(rng, places, np.ones(size, dtype=bool), industry, np.zeros(size))
        )
        fresh = (names.is_first_distinct() & ~names.is_in(self.taken)).to_numpy()
        regions = places["county_code"].to_numpy().astype(str)
        index = _BAD_CODE_BASE + self.counter + 1 + np.arange(size)
        self.counter += size
        codes = credit_codes(index, regions, np.ones(size, dtype=bool))
        self.taken = pl.concat([self.taken, names.filter(pl.Series(fresh))])
        self.buffer = [
            (str(c), str(n), str(r))
            for c, n, r, ok in zip(
                codes.tolist(), names.to_list(), regions.tolist(), fresh.tolist(), strict=True
            )
            if ok
        ][::-1]

    def firm(self) -> tuple[str, str, str]:
        """(credit_code, name, region_code) of an enterprise nobody else has."""
        if not self.buffer:
            self._fill()
        return self.buffer.pop()

    def application(self, record: dict[str, Any]) -> str:
        digit = {"invention": 1, "utility_model": 2, "design": 3}[record["patent_type"]]
        serial = RESERVED_SERIAL + self._next_index() - _BAD_CODE_BASE
        year = np.array([record["application_date"].year])
        return str(number_for(year, np.array([digit]), np.array([serial]), np.array([False]))[0])


def _with_fresh_key(source: str, record: dict[str, Any], fresh: _Fresh) -> dict[str, Any]:
    if source == "registry":
        code, name, region = fresh.firm()
        return {
            **record,
            "credit_code": code,
            "name": name,
            "region_code": region,
            "former_names": None,
            "english_name": None,
        }
    if source == "patents":
        return {**record, "application_number": fresh.application(record)}
    code, name, _ = fresh.firm()
    return {**record, "credit_code": code, "enterprise_name": name}


def _templates(
    rng: np.random.Generator, planned: list[PlannedFile], source: str
) -> list[dict[str, Any]]:
    """Clean records of the backlog (their dates fit every later drop too)."""
    first = min(pf.partition for pf in planned)
    rows = pl.concat(
        [pf.frame.select(CONTRACT_COLUMNS[source]) for pf in planned if pf.partition == first]
    )
    if source == "patents":
        # 12-digit numbers only: the fresh number must fit the filing year.
        rows = rows.filter(pl.col("application_date") >= date(2004, 1, 1))
    return rows.sample(n=min(rows.height, 20_000), seed=int(rng.integers(0, 2**31))).to_dicts()


def inject(rng: np.random.Generator, files: list[PlannedFile], firms: Firms) -> Injected:
    out = Injected()
    fresh = _Fresh(rng, firms)
    for source in CORRUPTIONS:
        planned = [pf for pf in files if pf.source == source]
        if not planned:
            continue  # a tiny sample may have no record of a source at all
        templates = _templates(rng, planned, source)
        clean_rows = sum(pf.frame.height for pf in planned)
        per_rule = max(1, round(BAD_ROW_RATE * clean_rows))
        placements: dict[str, list[_Pending]] = {}
        for corruption in CORRUPTIONS[source]:
            candidates = [t for t in templates if corruption.template(t)]
            targets = [pf for pf in planned if pf.spec.is_text or corruption.representable]
            if not candidates or not targets:
                continue  # a tiny sample may have no record this rule can start from
            for _ in range(per_rule):
                template = candidates[int(rng.integers(0, len(candidates)))]
                pf = targets[int(rng.integers(0, len(targets)))]
                record = _for_drop(source, _with_fresh_key(source, template, fresh), pf.partition)
                visible = {c: record.get(c) for c in pf.frame.columns if not c.startswith("_")}
                injection, column, detail = _apply(corruption, visible, rng, pf)
                placements.setdefault(pf.relative, []).append(
                    _Pending(injection, corruption.rule, column, detail)
                )
        _duplicates(rng, source, planned, per_rule, placements)
        for pf in planned:
            _place(rng, pf, placements.get(pf.relative, []), out)
        out.files += _bad_files(rng, source, planned, templates, fresh, out)
    return out


def _for_drop(source: str, record: dict[str, Any], day: date) -> dict[str, Any]:
    """A registry record dated like the clean ones of its drop (the extract of the day before)."""
    if source == "registry":
        return {**record, "snapshot_date": day - timedelta(days=1)}
    return record


def _duplicates(
    rng: np.random.Generator,
    source: str,
    planned: list[PlannedFile],
    count: int,
    placements: dict[str, list[_Pending]],
) -> None:
    """Second copies of clean rows later in the same drop (file name, then row order).

    The first copy loads; the later one breaks the key and is the bad row. The
    copy differs in a non-key value, as a conflicting re-send would.
    """
    key = _KEY[source]
    changed = {"registry": "registered_capital", "patents": "claims_count", "rd_records": "revenue"}
    for _ in range(count):
        original = planned[int(rng.integers(0, len(planned)))]
        row = int(rng.integers(0, original.frame.height))
        record = original.frame.row(row, named=True)
        if isinstance(record.get(changed[source]), int | float):
            record[changed[source]] += 1
        later = [
            pf
            for pf in planned
            if pf.partition == original.partition and pf.relative > original.relative
        ]
        target, after = original, row + 1
        if later and rng.random() < 0.5:
            target, after = later[int(rng.integers(0, len(later)))], 0
        values = {c: record.get(c) for c in target.frame.columns if not c.startswith("_")}
        shown = "/".join(str(record[k]) for k in key)
        detail = f"key {shown} repeats an earlier row of the {target.partition} drop"
        placements.setdefault(target.relative, []).append(
            _Pending(Injection(-1, record=values), "duplicate_key", key[0], detail, after)
        )


def _place(
    rng: np.random.Generator, pf: PlannedFile, pending: list[_Pending], out: Injected
) -> None:
    """Final positions for a file's bad rows (each after its `after` clean rows), and their record."""
    if not pending:
        return
    height = pf.frame.height
    # A bad row goes in front of clean row `anchor` (anchor = height: at the end).
    anchors = np.array([int(rng.integers(p.after, height + 1)) for p in pending])
    order = np.lexsort((rng.random(len(pending)), anchors))
    injections = []
    for placed, i in enumerate(order.tolist()):
        p = pending[i]
        position = int(anchors[i]) + placed
        injections.append(Injection(position, p.injection.record, p.injection.raw))
        out.bad_rows.append(
            BadRow(
                pf.source,
                pf.partition.isoformat(),
                pf.relative,
                position + 1,
                p.column,
                p.rule,
                p.detail,
            )
        )
    out.rows[pf.relative] = injections


def _bad_files(
    rng: np.random.Generator,
    source: str,
    planned: list[PlannedFile],
    templates: list[dict[str, Any]],
    fresh: _Fresh,
    out: Injected,
) -> list[tuple[str, str, date, bytes]]:
    """Whole files that cannot be loaded: truncated, wrong encoding, empty, missing a column."""
    days = sorted({pf.partition for pf in planned})
    columns = list(CONTRACT_COLUMNS[source])
    picks = rng.integers(0, len(templates), 12).tolist()
    records = [_with_fresh_key(source, templates[i], fresh) for i in picks]
    frame = pl.DataFrame(records, schema=planned[0].frame.select(columns).schema)

    def record(
        day: date, name: str, rule: str, column: str | None, detail: str, data: bytes
    ) -> tuple[str, str, date, bytes]:
        relative = f"landing/{source}/{day.isoformat()}/{name}"
        out.bad_rows.append(BadRow(source, day.isoformat(), relative, None, column, rule, detail))
        return source, relative, day, data

    mid, late = days[len(days) // 2], days[-2] if len(days) > 1 else days[-1]
    s = mid.strftime("%Y%m%d")
    if source == "patents":
        gz = render(frame, FileSpec("x", "csv.gz"))
        parquet = render(frame, FileSpec("x", "parquet"))
        return [
            record(
                mid,
                f"patents_{s}_resend.csv.gz",
                "unreadable_file",
                None,
                "gzip stream cut off",
                gz[: len(gz) * 3 // 5],
            ),
            record(
                late,
                f"patents_{late.strftime('%Y%m%d')}_late.parquet",
                "unreadable_file",
                None,
                "Parquet file cut off (no footer)",
                parquet[: len(parquet) // 2],
            ),
        ]
    if source == "registry":
        without = render(frame.drop("status"), FileSpec("x", "csv"))
        return [
            record(
                mid,
                f"registry_changes_{s}_supplement.csv",
                "missing_column",
                "status",
                "required column status is missing",
                without,
            )
        ]
    text = render(frame, FileSpec("x", "csv")).decode("utf-8")
    return [
        record(
            mid,
            f"rd_filings_{s}_legacy.csv",
            "encoding",
            None,
            "file is UTF-16, neither UTF-8 nor GB18030",
            text.encode("utf-16"),
        ),
        record(
            late,
            f"rd_filings_{late.strftime('%Y%m%d')}_empty.jsonl",
            "empty_file",
            None,
            "file has 0 bytes",
            b"",
        ),
    ]
