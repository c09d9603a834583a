"""Patents as a scorer sees them on day D: visible rows, integer ids, status facts.

Both the patent-quality and the enterprise indicators start here, so "granted",
"valid" and "pending" mean the same everywhere (definitions in the scoring
YAML, `patents:`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

import polars as pl

from capscore.core.patent import citation_key, pair_key
from scoring_models.config import PatentRules

KEY = "application_number"
_TEXT_LIST = pl.List(pl.String())

# The statutory term of a patent right from its filing date (专利法 §42, as amended in
# force 2021-06-01): invention 20 years, utility model 10, design 15, or 10 for a
# design filed before 2021-06-01. A right past its term is not valid whatever the
# provider's legal_status says: a source whose status lags ("granted" decades after
# filing) made an ended invention count as valid for the pool's `valid_invention`
# rule and full Ⅰ类 points while the credit valuation, which reads the term, valued
# it at nothing. Law, not an analyst's setting, hence not in the model YAML. Years of
# 365.25 days, the credit valuation's too (capscore/credit/ip_value.py).
TERM_YEARS: dict[str, int] = {"invention": 20, "utility_model": 10, "design": 15}
DESIGN_15Y_FROM = date(2021, 6, 1)
DESIGN_TERM_BEFORE_2021 = 10
DAYS_PER_YEAR = 365.25


def within_term(as_of: date) -> pl.Expr:
    """Whether the patent's statutory term still runs on `as_of` (true for an unknown type)."""
    kind = pl.col("patent_type")
    term = (
        pl.when((kind == "design") & (pl.col("application_date") < DESIGN_15Y_FROM))
        .then(pl.lit(DESIGN_TERM_BEFORE_2021))
        .otherwise(kind.replace_strict(TERM_YEARS, default=None, return_dtype=pl.Int64))
    )
    age = (pl.lit(as_of) - pl.col("application_date")).dt.total_days() / DAYS_PER_YEAR
    return (age < term).fill_null(True)


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier, clipped to the month's end (31 May - 3 -> 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def subclass_list(codes: pl.Expr, pattern: str) -> pl.Expr:
    """Distinct 4-character IPC subclasses of a list of IPC codes, in first-seen order."""
    return (
        codes.fill_null(pl.lit([], dtype=_TEXT_LIST))
        .list.eval(pl.element().str.to_uppercase().str.replace_all(r"\s+", "").str.slice(0, 4))
        .list.eval(pl.element().filter(pl.element().str.contains(pattern)))
        .list.unique(maintain_order=True)
    )


def visible_patents(patents: pl.DataFrame, as_of: date, rules: PatentRules) -> pl.DataFrame:
    """Patents visible on `as_of`, one row each, sorted, with a UInt32 `pid` and status facts.

    Visible = publication_date <= D (and first landing <= D when the column is
    there). A grant dated after D is not known on D: such a patent is pending.
    """
    rows = patents.filter(pl.col("publication_date") <= as_of)
    if "first_landing_date" in rows.columns:
        rows = rows.filter(
            pl.col("first_landing_date").is_null() | (pl.col("first_landing_date") <= as_of)
        )
    # core/patent has one row per application already (sorted by the key alone: a
    # quarter of the time of sorting by key and publication); a stray duplicate keeps
    # the later publication so the result does not depend on row order.
    rows = rows.sort(KEY)
    if rows.select(pl.col(KEY).eq_missing(pl.col(KEY).shift(1)).any()).item():
        rows = rows.sort(KEY, "publication_date", nulls_last=False).filter(
            pl.col(KEY).ne_missing(pl.col(KEY).shift(-1))
        )
    status = pl.col("legal_status")
    granted = (pl.col("grant_date") <= as_of) | (
        pl.col("grant_date").is_null() & status.is_in(list(rules.granted_statuses_without_date))
    )
    return (
        rows.with_row_index("pid")
        .with_columns(
            subclass_list(pl.col("ipc_codes"), rules.ipc_subclass_pattern).alias("subclasses")
        )
        .select(
            "pid",
            KEY,
            "patent_type",
            "application_date",
            "publication_date",
            pl.when(pl.col("grant_date") <= as_of).then(pl.col("grant_date")).alias("grant_date"),
            "legal_status",
            "subclasses",
            pl.col("subclasses").list.first().str.slice(0, 3).alias("main_class"),
            "claims_count",
            "family_size",
            "pct",
            pl.col("cited_applications").fill_null(pl.lit([], dtype=_TEXT_LIST)),
            granted.fill_null(False).alias("granted"),
            (granted & ~status.is_in(list(rules.invalid_statuses)) & within_term(as_of))
            .fill_null(False)
            .alias("valid"),
            (granted | status.is_in(list(rules.refused_statuses)))
            .fill_null(False)
            .alias("decided"),
            pl.col("patent_type")
            .is_in(list(rules.type_invention))
            .fill_null(False)
            .alias("is_invention"),
            pl.col("patent_type").is_in(list(rules.type_ii)).fill_null(False).alias("is_type_ii"),
        )
        .with_columns((~pl.col("decided")).alias("pending"))
    )


def patent_owners(visible: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """(pid, credit_code): the enterprises a visible patent is resolved to (`matched` links only)."""
    return (
        links.filter((pl.col("decision") == "matched") & pl.col("credit_code").is_not_null())
        .select(KEY, "credit_code")
        .join(visible.select(KEY, "pid"), on=KEY, how="inner")
        .select("pid", "credit_code")
        .unique()
    )


def patent_subclasses(visible: pl.DataFrame) -> pl.DataFrame:
    """(pid, subclass): one row per distinct IPC subclass of each visible patent.

    `subclass` is a UInt32 code: the indicators only test subclasses for
    equality, and integer keys are much cheaper than text.
    """
    return (
        visible.select("pid", pl.col("subclasses").alias("subclass"))
        .explode("subclass")
        .drop_nulls()
        .with_columns(pl.col("subclass").cast(pl.Categorical).to_physical().cast(pl.UInt32))
    )


def citation_edges(visible: pl.DataFrame) -> pl.DataFrame:
    """(edge, citing_pid, cited_pid, citing_pub, cited_pub): distinct citations among visible patents.

    A citation is known on D only if the citing patent is visible on D; the
    cited application must be a visible patent too to have anything to count.
    `edge` is the (citing, cited) pair as one UInt64.
    """
    targets = visible.select(
        citation_key(pl.col(KEY)).alias("_cited_number"),
        pl.col("pid").alias("cited_pid"),
        pl.col("publication_date").alias("cited_pub"),
    )
    return (
        visible.select(
            pl.col("pid").alias("citing_pid"),
            pl.col("publication_date").alias("citing_pub"),
            pl.col("cited_applications").alias("_cited_number"),
        )
        .explode("_cited_number")
        .with_columns(citation_key(pl.col("_cited_number")))
        .join(targets, on="_cited_number", how="inner")
        .filter(pl.col("citing_pid") != pl.col("cited_pid"))
        .with_columns(pair_key(pl.col("citing_pid"), pl.col("cited_pid")).alias("edge"))
        .unique("edge")
        .select("edge", "citing_pid", "cited_pid", "citing_pub", "cited_pub")
    )


def self_citation_flags(edges: pl.DataFrame, owners: pl.DataFrame) -> pl.Series:
    """Per edge: do citing and cited patent share a resolved applicant (credit_code)?"""
    codes = owners.select("credit_code").unique().with_row_index("_eid")
    own = owners.join(codes, on="credit_code").select("pid", "_eid")
    owned = own.select(pair_key(pl.col("pid"), pl.col("_eid")).alias("_key"))
    shared = (
        edges.select("edge", "citing_pid", "cited_pid")
        .join(own.rename({"pid": "citing_pid"}), on="citing_pid", how="inner")
        .select("edge", pair_key(pl.col("cited_pid"), pl.col("_eid")).alias("_key"))
        .join(owned, on="_key", how="semi")
        .get_column("edge")
        .unique()
    )
    return edges.get_column("edge").is_in(shared).alias("self_citation")


@dataclass(frozen=True)
class PatentView:
    """What patent quality and the enterprise indicators both start from on D: the
    visible patents, the enterprises they resolve to and the citations among them.
    Built once, it serves both."""

    pats: pl.DataFrame  # visible_patents
    owners: pl.DataFrame  # patent_owners
    edges: pl.DataFrame  # citation_edges


def patent_view(
    patents: pl.DataFrame, links: pl.DataFrame, as_of: date, rules: PatentRules
) -> PatentView:
    """`patents`: core/patent as of D; `links`: er/applicant_links as of D."""
    pats = visible_patents(patents, as_of, rules)
    return PatentView(pats, patent_owners(pats, links), citation_edges(pats))
