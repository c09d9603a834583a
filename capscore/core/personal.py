"""Personal data leaves the raw layer masked (data minimization).

Nothing after the raw layer needs a legal representative's, an inventor's or an
individual applicant's name, so core stores them masked (first character, then
`*`): a derived table can then be read by anyone the warehouse lets in. The raw
layer and the landing files keep the names as received.

An applicant is a person when the applicant-kind rule (applicant_kinds.py) says
`individual`; entity resolution classifies with the same rule, which calls the
masked name an individual too: a firm's name, even one called like a person
(张三丰科技有限公司), is never masked, and resolution reads it as written.

An R&D filing names an enterprise (`enterprise_name`), but a filer may write a
person's name there (the legal representative's, 王小明): entity resolution links
the filing by the name as filed (raw/rd_records), and what is stored after it
(er.rd_links, core.rd_filing, the review queue, a quarantined filing as the
warehouse shows it) holds the name masked when the same rule calls it a person.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import polars as pl

from capscore.core.applicant_kinds import INDIVIDUAL, classify_kinds
from capscore.landing.columns import EXTRA

PERSONAL_COLUMNS = ("legal_representative",)
PERSONAL_LIST_COLUMNS = ("inventors",)
# A list of names of which those of persons are personal (applicant_kinds.py).
APPLICANTS = "applicants"
# `_extra` holds the source columns the contract does not know, as JSON: any may name a
# person (a filer, 填报人), alone, in a list or in a joined cell (王小明;李四), after a
# role (经办人：王小明), in Latin script (Li Ming), so every token of two to four Han
# characters, and every Latin word that begins with a capital and goes on in lower case,
# in a value keeps its first character: a city, a role or an English word too, the safe
# side (JSON's own null/true/false are lower case); a word in capitals alone (CNIPA-BIB,
# ISO) is a code far more often than a name, as in applicant kinds, and stays. A token is bounded by a value's quotes, a separator
# or the backslash of an escaped quote (a JSON list written into a text cell); a key is
# not a value (its closing quote is followed by `:`). Core stores it so (the analysts'
# sandbox can read core's files, not only its views) and the warehouse masks the raw
# layer's with the same rule (publish.MASK_EXTRA_MACRO; Rust regex and RE2 read it
# alike). Applied twice: neighbouring tokens share the separator one match consumes.
_SEPARATORS = ";；,，、/·()（）:：\\\\\\s"
_TOKEN = "(\\p{Han}|\\p{Lu})(?:\\p{Han}{1,3}|\\p{Ll}[\\p{Latin}'’-]*)"
EXTRA_NAME = f'(["\\[{_SEPARATORS}]){_TOKEN}("\\s*[,}}\\]]|[{_SEPARATORS}])'


def mask_name(name: pl.Expr) -> pl.Expr:
    """张三丰 -> 张**: the first character, then one * per further character (at least one)."""
    length = name.str.len_chars()
    return (
        pl.when(length == 0)
        .then(pl.lit("*"))
        .otherwise(name.str.slice(0, 1).str.pad_end(pl.max_horizontal(length, 2), "*"))
    )


def mask_extra(extra: pl.Expr) -> pl.Expr:
    """{"填报人":"王小明;李四"} -> {"填报人":"王**;李**"} (EXTRA_NAME)."""
    once = extra.str.replace_all(EXTRA_NAME, "${1}${2}**${3}")
    return once.str.replace_all(EXTRA_NAME, "${1}${2}**${3}")


PERSON_NAMES: dict[str, pl.DataType] = {"name": pl.String(), "person": pl.Boolean()}


@dataclass
class PersonNames:
    """Names (trimmed: patent applicants, R&D filers) the applicant-kind rule has read,
    and whether it calls each a person: a later call, or a later night
    (core/person_cache.py), classifies only the names it has not met (3.3M patents name
    ~1M applicants, 2.5 s to classify; 1.6M R&D filings ~400,000 filers, 1.2 s; a night
    adds some thousands). `read`: how many it was made with."""

    known: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PERSON_NAMES))
    read: int = field(init=False)

    def __post_init__(self) -> None:
        self.read = self.known.height

    def persons(self, names: pl.Series) -> pl.Series:
        """The names among `names` (distinct) that are persons."""
        asked = names.to_frame("name")
        new = asked.join(self.known, on="name", how="anti")
        if new.height:
            person = classify_kinds(new["name"]) == INDIVIDUAL
            self.known = pl.concat([self.known, new.with_columns(person.alias("person"))])
        return asked.join(self.known.filter("person"), on="name", how="semi")["name"]


def _persons_masked(values: pl.Series, names: PersonNames | None) -> tuple[pl.Series, pl.Series]:
    """The distinct values (trimmed) the applicant-kind rule calls persons, and each masked."""
    persons = (names or PersonNames()).persons(values.drop_nulls().str.strip_chars().unique())
    return persons, pl.select(mask_name(pl.lit(persons))).to_series()


def _shown(value: pl.Expr, persons: pl.Series, masked: pl.Series) -> pl.Expr:
    """`value` masked as trimmed when it is one of `persons`, else as written."""
    trimmed = value.str.strip_chars()
    return (
        pl.when(trimmed.is_in(persons.implode()))
        .then(trimmed.replace_strict(persons, masked, default=None))
        .otherwise(value)
    )


def mask_individual_applicants(
    frame: pl.DataFrame, names: PersonNames | None = None
) -> pl.DataFrame:
    """`frame` with each name in its `applicants` (a list per row) that the applicant-kind
    rule calls a person masked (张三丰 -> 张**, as trimmed: the first character shown is
    the name's); the others as written. Each distinct name is classified once (`names`:
    those met before)."""
    if APPLICANTS not in frame.columns:
        return frame
    persons, masked = _persons_masked(frame[APPLICANTS].explode(), names)
    if persons.is_empty():
        return frame
    return frame.with_columns(pl.col(APPLICANTS).list.eval(_shown(pl.element(), persons, masked)))


# The column of an R&D filing (rd_records) that names the filer: an enterprise by the
# contract, a person when the filer wrote one there.
FILED_NAME = "enterprise_name"


def mask_individual_names(
    frame: pl.DataFrame, column: str = FILED_NAME, names: PersonNames | None = None
) -> pl.DataFrame:
    """`frame` with each value of `column` that the applicant-kind rule calls a person
    masked as an individual applicant is (王小明 -> 王**, as trimmed); the others, a
    firm's name called like a person's (王小明科技有限公司) included, as written.
    Masking twice is masking once (the rule calls 王** a person)."""
    if column not in frame.columns or frame.height == 0:
        return frame
    persons, masked = _persons_masked(frame[column], names)
    if persons.is_empty():
        return frame
    return frame.with_columns(_shown(pl.col(column), persons, masked).alias(column))


# A row as read (quality/quarantine's raw_record, JSON) names its applicants as a list
# or as the `;`-joined cell of a CSV.
_APPLICANTS_VALUE = re.compile(r'("applicants"\s*:\s*)(\[[^\]]*\]|"(?:[^"\\]|\\.)*")')


_Found = tuple[int, re.Match[str], object]


def _json_values(records: list[str | None], value: re.Pattern[str]) -> list[_Found]:
    """Per record (JSON text as read) that `value` finds in and whose second group reads
    as JSON: its row, the match and the value read."""
    found = []
    for row, record in enumerate(records):
        match = None if record is None else value.search(record)
        if match is None:
            continue
        try:
            found.append((row, match, json.loads(match.group(2))))
        except json.JSONDecodeError:
            continue
    return found


def mask_applicants_in_records(records: pl.Series) -> pl.Series:
    """Rows as read (JSON text) with the persons among their `applicants` masked as core
    masks them; a record without applicants, or whose value cannot be read, unchanged."""
    found: list[tuple[int, re.Match[str], list[str], bool]] = []
    for row, match, value in _json_values(records.to_list(), _APPLICANTS_VALUE):
        if isinstance(value, str):
            found.append((row, match, value.split(";"), True))
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            found.append((row, match, value, False))
    if not found:
        return records
    lists = pl.DataFrame({APPLICANTS: [names for _, _, names, _ in found]})
    masked = mask_individual_applicants(lists)[APPLICANTS].to_list()
    out = records.to_list()
    for (row, match, names, joined), shown in zip(found, masked, strict=True):
        if shown == names:
            continue
        value = ";".join(shown) if joined else shown
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        record = match.string
        out[row] = record[: match.start(2)] + text + record[match.end(2) :]
    return pl.Series(records.name, out, dtype=pl.String)


# A quarantined filing as read (JSON text) names its filer as a string.
_FILED_NAME_VALUE = re.compile(rf'("{FILED_NAME}"\s*:\s*)("(?:[^"\\]|\\.)*")')
# What a duplicate filing's reason quotes of its key (data_contracts/quarantine.py).
_IN_REASON = f"{FILED_NAME}={{}}"


def mask_filed_names_in_records(rows: pl.DataFrame) -> pl.DataFrame:
    """Quarantined rows (`raw_record`, JSON text as read, and `reason`) with a filing's
    `enterprise_name` that the applicant-kind rule calls a person masked as core and
    entity resolution store it, in the record and where the reason quotes it (a
    duplicate key: `enterprise_name=王小明`); every other row unchanged."""
    found = [
        (row, match, value)
        for row, match, value in _json_values(rows["raw_record"].to_list(), _FILED_NAME_VALUE)
        if isinstance(value, str)
    ]
    if not found:
        return rows
    filed = pl.DataFrame(
        {FILED_NAME: [value for _, _, value in found]}, schema={FILED_NAME: pl.String}
    )
    shown = mask_individual_names(filed)[FILED_NAME].to_list()
    records, reasons = rows["raw_record"].to_list(), rows["reason"].to_list()
    for (row, match, value), masked in zip(found, shown, strict=True):
        if masked == value:
            continue
        text = json.dumps(masked, ensure_ascii=False)
        record = match.string
        records[row] = record[: match.start(2)] + text + record[match.end(2) :]
        if reasons[row] is not None:
            reasons[row] = reasons[row].replace(_IN_REASON.format(value), _IN_REASON.format(masked))
    return rows.with_columns(
        pl.Series("raw_record", records, dtype=pl.String),
        pl.Series("reason", reasons, dtype=pl.String),
    )


def mask_personal(frame: pl.DataFrame, names: PersonNames | None = None) -> pl.DataFrame:
    """`frame` with every personal column it has masked, names in `_extra` and persons
    among the applicants included (`names`: applicant names met before)."""
    return mask_individual_applicants(frame, names).with_columns(
        *([mask_extra(pl.col(EXTRA)).alias(EXTRA)] if EXTRA in frame.columns else []),
        *[mask_name(pl.col(c)).alias(c) for c in PERSONAL_COLUMNS if c in frame.columns],
        *[
            pl.col(c).list.eval(mask_name(pl.element())).alias(c)
            for c in PERSONAL_LIST_COLUMNS
            if c in frame.columns
        ],
    )
