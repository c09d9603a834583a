"""Personal data leaves the raw layer masked (data minimization).

Nothing after the raw layer needs a legal representative's, an inventor's or an
individual applicant's name, so core stores them masked (first character, then
`*`): a derived table can then be read by anyone the warehouse lets in. The raw
layer and the landing files keep the names as received.

An applicant is a person when the applicant-kind rule (applicant_kinds.py) says
`individual`; entity resolution classifies with the same rule, which calls the
masked name an individual too: a firm's name, even one called like a person
(张三丰科技有限公司), is never masked, and resolution reads it as written.
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
    """Applicant names (trimmed) the applicant-kind rule has read, and whether it calls
    each a person: a later call, or a later night (core/person_cache.py), classifies
    only the names it has not met (3.3M patents name ~1M applicants, 2.5 s to classify;
    a night adds some thousands)."""

    known: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PERSON_NAMES))

    def persons(self, names: pl.Series) -> pl.Series:
        """The names among `names` (distinct) that are persons."""
        asked = names.to_frame("name")
        new = asked.join(self.known, on="name", how="anti")
        if new.height:
            person = classify_kinds(new["name"]) == INDIVIDUAL
            self.known = pl.concat([self.known, new.with_columns(person.alias("person"))])
        return asked.join(self.known.filter("person"), on="name", how="semi")["name"]


def mask_individual_applicants(
    frame: pl.DataFrame, names: PersonNames | None = None
) -> pl.DataFrame:
    """`frame` with each name in its `applicants` (a list per row) that the applicant-kind
    rule calls a person masked (张三丰 -> 张**, as trimmed: the first character shown is
    the name's); the others as written. Each distinct name is classified once (`names`:
    those met before)."""
    if APPLICANTS not in frame.columns:
        return frame
    distinct = frame[APPLICANTS].explode().drop_nulls().str.strip_chars().unique()
    persons = (names or PersonNames()).persons(distinct)
    if persons.is_empty():
        return frame
    masked = pl.select(mask_name(pl.lit(persons))).to_series()
    trimmed = pl.element().str.strip_chars()
    return frame.with_columns(
        pl.col(APPLICANTS).list.eval(
            pl.when(trimmed.is_in(persons.implode()))
            .then(trimmed.replace_strict(persons, masked, default=None))
            .otherwise(pl.element())
        )
    )


# A row as read (quality/quarantine's raw_record, JSON) names its applicants as a list
# or as the `;`-joined cell of a CSV.
_APPLICANTS_VALUE = re.compile(r'("applicants"\s*:\s*)(\[[^\]]*\]|"(?:[^"\\]|\\.)*")')


def mask_applicants_in_records(records: pl.Series) -> pl.Series:
    """Rows as read (JSON text) with the persons among their `applicants` masked as core
    masks them; a record without applicants, or whose value cannot be read, unchanged."""
    found: list[tuple[int, re.Match[str], list[str], bool]] = []
    for row, record in enumerate(records.to_list()):
        match = None if record is None else _APPLICANTS_VALUE.search(record)
        if match is None:
            continue
        try:
            value = json.loads(match.group(2))
        except json.JSONDecodeError:
            continue
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
