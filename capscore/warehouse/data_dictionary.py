"""Generate `docs/data_dictionary.md`: every relation and column of the warehouse.

Structure comes from the published warehouse itself (DESCRIBE of every
relation, so types are what analysts get); meanings come from the code:
- the source contracts (`data_contracts/*.yaml`) for source columns,
- the header comment of each `sql/` file for the views it defines,
- `COLUMN_MEANINGS` / `TABLE_COLUMN_MEANINGS` below for what the stages compute,
- `capscore.storage.tables.LAKE_TABLES` for table descriptions and lake layout.

Run `python -m capscore.warehouse.data_dictionary --data-root DIR` after a run to
rewrite the file; `--check` exits 1 when the committed file is stale.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from capscore.sql_library import SQL_DIR, VIEW_SCHEMAS
from capscore.storage.paths import DataRoot
from capscore.storage.tables import LAKE_TABLES, SCHEMAS

REPO = Path(__file__).resolve().parents[2]
CONTRACTS_DIR = REPO / "data_contracts"
DICTIONARY_PATH = REPO / "docs" / "data_dictionary.md"
UNDOCUMENTED = "(undocumented)"

# Tables an asset writes besides the one named like it (asset key = schema/table otherwise).
INGEST_ASSETS = ("raw/registry", "raw/patents", "raw/rd_records")
WRITTEN_BY: dict[str, tuple[str, ...]] = {
    "quality.load_audit": INGEST_ASSETS,
    "quality.quarantine": INGEST_ASSETS,
    "core.enterprise_history": ("core/enterprise",),
    "scoring.enterprise_profile": ("scoring/indicator_value",),
    "scoring.patent_cohort": ("scoring/patent_quality",),
    "scoring.score_reasons": ("scoring/enterprise_score",),
    "pool.tier_transitions": ("pool/cultivation_pool",),
}
CONTRACT_SOURCES = {
    "raw.registry": "registry",
    "raw.patents": "patents",
    "raw.rd_records": "rd_records",
}

# Meaning of a column wherever it appears, unless TABLE_COLUMN_MEANINGS says otherwise.
COLUMN_MEANINGS: dict[str, str] = {
    # partitions and lineage
    "as_of_date": "as-of date D (daily partition): the state of the world as knowable on D",
    "landing_date": "day the drop arrived (landing folder date, daily partition)",
    "partition_date": "landing date of the drop the file belongs to",
    "source": "landing source: registry, patents or rd_records",
    "_file": "landing file the row came from, relative to the data root",
    "_row_number": "1-based data row in that file (CSV rows after the header, JSONL lines, Parquet rows)",
    "_extra": "JSON of the source columns the contract does not know (kept, ignored downstream; every token of two to four Han characters and every Latin word that begins with a capital and goes on in lower case (Li, not ISO) in its values, alone, in a list, between separators such as `;` or after a colon, may be a person's name and is masked)",
    "model_version": "version of the scoring/pool model YAML that produced the row",
    "policy_version": "version of the credit policy YAML that produced the row",
    # source columns the contracts leave undescribed (meanings from sources.md)
    "english_name": "registered English name",
    "status": "registration status: 存续, 在业, 迁入, 迁出, 停业, 吊销 or 注销",
    "industry_code": "GB/T 4754-2017 industry class: letter + up to 4 digits, e.g. C3670",
    "region_code": "GB/T 2260 administrative division code of the registered address, e.g. 330402",
    "address": "住所, registered address",
    "patent_type": "invention, utility_model or design (agrees with the application number)",
    "title": "patent title",
    "applicant_address": "first applicant's address",
    "inventors": "发明人 (personal data: masked)",
    "claims_count": "权利要求数, number of claims",
    "legal_status": "pending, granted, rejected, withdrawn, lapsed or expired",
    "pct": "filed through PCT or with a PCT counterpart",
    "family_size": "countries/offices in the simple patent family",
    "fiscal_year": "fiscal year of the R&D and financial filing",
    "net_profit": "净利润, 万元",
    "total_assets": "资产总额, 万元",
    "total_liabilities": "负债总额, 万元",
    "rd_staff": "研发人员数, R&D staff",
    "total_staff": "从业人员数, all staff",
    # identities
    "credit_code": "统一社会信用代码 (GB 32100-2015) of the enterprise",
    "application_number": "CNIPA application number, e.g. CN202310123456.6",
    "name": "registered enterprise name",
    "first_seen_date": "snapshot_date of the first visible registry snapshot of the enterprise",
    "first_landing_date": "landing date of the first drop that carried the application",
    "forward_citations": "visible patents citing this one as of D",
    "valid_from": "first date this version was in effect",
    "valid_to": "first date it no longer was (null = still current)",
    # entity resolution
    "applicant_position": "0-based position of the applicant in the patent's applicant list",
    "applicant": "applicant name as written on the patent; a person's (applicant_kind individual) is personal data: masked, e.g. 张**",
    "applicant_kind": "enterprise, university, institute, individual, foreign or unknown",
    "match_probability": "model probability (0-1) that the mention is the linked enterprise",
    "method": "how the link was made: credit_code, exact_name, former_name, normalized_name, fuzzy or none",
    "decision": "matched, review (a person decides) or unmatched",
    "explanation": "short text a reviewer understands: why this decision",
    "enterprise_name": "enterprise name as written on the R&D filing; a person's name written there (the applicant-kind rule reads it as an individual's, 王小明) is personal data: masked, e.g. 王**",
    "credit_code_as_filed": "credit code as written on the filing (may be missing or invalid)",
    "credit_code_valid": "the filed credit code has a valid format and check digit",
    "link_method": "how the filing was linked to the enterprise (er.rd_links method)",
    "mention_type": "applicant (a patent applicant) or rd (an R&D filing)",
    "mention_key": "<application_number>#<applicant_position> or <file>#<row_number>",
    "mention": "the name as written (a person's masked, e.g. 王**)",
    "top_candidates": "best candidate enterprises: credit_code, name, probability",
    # scoring
    "indicator": "indicator id (scoring_models/scoring_v1.yaml)",
    "dimension": "innovation, competitiveness, evolution or influence",
    "raw_value": "indicator value before ranking (null = missing, not zero)",
    "score": "percentile rank within the peer group, 0-100 (null when raw_value is missing)",
    "peer_group": "group the enterprise is ranked in: industry section x life stage, or a fallback",
    "direction": "higher or lower: which way is better for the indicator",
    "weight": "weight of the indicator within its dimension",
    "innovation": "innovation (创新力) dimension score, 0-100",
    "competitiveness": "competitiveness (竞争力) dimension score, 0-100",
    "evolution": "evolution (进化力) dimension score, 0-100",
    "influence": "influence (影响力) dimension score, 0-100",
    "composite": "stage-weighted composite of the four dimension scores, 0-100",
    "coverage": "share of the configured indicator weight with a value (1 = nothing missing)",
    "top_reasons": "indicators that raised and lowered the composite most against the peer median",
    "life_stage": "seed, startup, growth or mature (bands in scoring_models)",
    "active": "registration status is 存续, 在业 or 迁入",
    "industry_section": "GB/T 4754 section: first letter of industry_code",
    "revenue_latest": "营业收入 of the latest visible fiscal year, 万元",
    "rd_intensity": "Σ rd_expense / Σ revenue over the last three fiscal years",
    "debt_ratio": "total_liabilities / total_assets, latest fiscal year",
    "valid_invention_count": "granted invention patents (Ⅰ类), not lapsed or expired (by status or statutory term)",
    "valid_type2_count": "valid utility model and design patents (Ⅱ类)",
    "hnte_valid": "High and New Technology Enterprise certificate valid on D",
    # patent quality (OECD)
    "cohort": "cohort the patent was normalized in: application year x IPC class, or a fallback",
    "scope": "distinct 4-character IPC subclasses",
    "claims": "number of claims",
    "grant_lag_days": "grant_date - application_date in days (lower is better)",
    "backward_citations": "applications this patent cites",
    "forward_citations_5y": "citations received within 5 years of publication, visible on D, self-citations excluded",
    "generality": "1 - Herfindahl index of the citing patents' IPC subclasses",
    "originality": "1 - Herfindahl index of the cited patents' IPC subclasses",
    "radicalness": "share of the cited patents' IPC subclasses not among the patent's own",
    "quality_index": "OECD quality_index_4: mean of cohort-normalized forward citations, family size, claims, generality",
    "breakthrough": "forward_citations_5y in the top 1% of the cohort",
    "peer_size": "enterprises in the peer group the indicator was ranked in",
    "peer_median": "the peer group's median raw value of the indicator",
    "peer_median_score": "the peer group's median indicator score, 0-100",
    "innovation_coverage": "share of the innovation indicators' weight with a value",
    "competitiveness_coverage": "share of the competitiveness indicators' weight with a value",
    "evolution_coverage": "share of the evolution indicators' weight with a value",
    "influence_coverage": "share of the influence indicators' weight with a value",
    "fiscal_year_latest": "latest visible fiscal year with an R&D/financial filing",
    "rd_expense_latest": "研发费用 of the latest visible fiscal year, 万元",
    "total_assets_latest": "资产总额 of the latest visible fiscal year, 万元",
    "total_liabilities_latest": "负债总额 of the latest visible fiscal year, 万元",
    "patent_count": "visible patent applications linked to the enterprise",
    "valid_patent_count": "granted patents not lapsed or expired (by status or statutory term), all types",
    "cohort_size": "patents in the cohort used for normalization",
    "cap_forward_citations_5y": "the cohort's normalization quantile of forward_citations_5y "
    "(quality index component = min(value, cap) / cap)",
    "cap_family_size": "the cohort's normalization quantile of family_size",
    "cap_claims": "the cohort's normalization quantile of claims",
    "cap_generality": "the cohort's normalization quantile of generality (missing counts as 0)",
    "cap_scope": "the cohort's normalization quantile of scope",
    "breakthrough_cut": "the cohort's breakthrough quantile of forward_citations_5y",
    "granted": "granted as of D (grant_date <= D, or a status implying an earlier grant)",
    "valid": "granted and not lapsed, expired, rejected or withdrawn as of D, statutory term (专利法 §42) not over",
    "applicant_credit_codes": "resolved (matched) enterprises among the applicants, sorted",
    "decided_by": "model, or reviewer when a reviewer decision in <root>/review/ overrides it",
    # pool
    "exclusion_reason": "why not in the pool: inactive, no_rule_held or not_scored (null when in the pool)",
    "cutoff_grade": "grade the composite alone would give (plain cut-offs, no hysteresis)",
    "previous_grade": "grade on the previous built as-of date (null on the first or when the enterprise was not graded)",
    "grade_basis": "how the grade was set: hysteresis (against previous_grade), "
    "cutoff_no_previous_partition, cutoff_no_previous_grade or not_scored",
    "score_model_version": "scoring model version of the scores the row was built from",
    "pool_model_version": "pool model version of the pool rows the limit was built from",
    "from_grade": "grade before the move",
    "to_grade": "grade after the move",
    "previous_as_of_date": "the as-of date compared with: the latest earlier one with a pool (null on the first)",
    "in_pool": "in the cultivation pool (科创企业培育库) on D",
    "eligibility_reason": "first pool eligibility rule that held (null when not eligible)",
    "grade": "A, B, C or D within the life stage, by composite with hysteresis",
    "tier": "<life_stage>-<grade>, e.g. growth-A",
    "from_tier": "tier before the move (null = not in the pool)",
    "to_tier": "tier after the move (null = not in the pool)",
    "change": "entered, exited, promoted, demoted or stage_changed",
    # credit
    "product": "tech_credit (科技信用贷), ip_pledge (知识产权质押) or warrant_linked (认股选择权贷款)",
    "limit_wan": "credit limit, 万元 (0 with the reason when not eligible)",
    "binding_constraint": "the cap that set the amount",
    "reasons": "why the limit is what it is",
    "ip_value_wan": "value proxy of the enterprise's share of its valid patents, 万元",
    "pledge_value_wan": "pledgeable value: patent values x loan-to-value by patent type, 万元",
    "valid_patents": "valid patents counted in the IP value",
    # quality
    "file": "landing file, relative to the data root",
    "format": "csv, csv.gz, parquet, jsonl or jsonl.gz",
    "encoding": "detected text encoding (utf-8, utf-8-sig, gb18030; null for parquet)",
    "rows_read": "data rows read from the file",
    "rows_loaded": "rows that passed the contract and were loaded",
    "rows_quarantined": "rows routed to quality.quarantine (rows_read = rows_loaded + rows_quarantined)",
    "error": "file-level reason the file was rejected (null when loaded)",
    "loaded_at": "when the file was loaded (UTC)",
    "row_number": "1-based data row in the file (null for a problem with the whole file)",
    "column": "first failing column (null when none applies)",
    "rule": "first failing rule id (data_contracts rule ids, e.g. check_digit)",
    "rules": "every failing rule id, first first",
    "reason": "every reason, first first, joined by '; ': what a person can act on",
    "raw_record": "JSON text of the row as read (personal data masked)",
    "sha256": "sha256 of the file's bytes as loaded (a file rewritten in place is loaded again)",
    # review queue
    "priority": "1 = review first (most at stake, then recurring, then likeliest)",
    "exposure_wan": "the best candidate's credit limits as of the same date, 万元",
    "patents": "the best candidate's patents on that date",
    "same_mention_count": "mentions in the queue with the same text as filed (one decision settles them; two persons masked alike are two texts)",
    # scoring v2
    "stage_basis": "which facts chose the life stage: revenue, age_and_size, age_only (or revenue_unknown_as_zero in v1)",
    "innovation_evidence": "innovation score from the present indicators alone, before credibility shrinkage",
    "competitiveness_evidence": "competitiveness score before credibility shrinkage",
    "evolution_evidence": "evolution score before credibility shrinkage",
    "influence_evidence": "influence score before credibility shrinkage",
    "composite_evidence": "stage-weighted composite of the unshrunk dimension scores",
    # validation
    "section": "backtest, grade_rates, truth, stability or weights",
    "outcome": "certification, revenue_growth, deregistration (or, for stability, what the PSI compares with)",
    "subject": "what is measured: composite, a baseline, a grade, a dimension or an indicator",
    "metric": "auc, gini, ks, firms, events, rate, monotone, spearman, top_decile_lift, psi, expert or challenger",
    "value": "the figure",
    "reference_date": "the as-of date a year back whose scores the backtest judges",
}

TABLE_COLUMN_MEANINGS: dict[str, dict[str, str]] = {
    "quality.load_audit": {"status": "loaded or rejected (the whole file)"},
    "raw.rd_records": {
        "credit_code": "credit code as filed: may be missing or invalid (then resolved by name)",
        "enterprise_name": "enterprise name as written on the R&D filing (a person's too: closed to analysts)",
    },
    "er.rd_links": {"credit_code": "resolved credit code (null when unmatched)"},
    "er.applicant_links": {"credit_code": "linked enterprise (null when unmatched)"},
    "core.rd_filing": {"credit_code": "resolved credit code of the filing enterprise"},
    "core.patent": {
        "forward_citations": "visible patents citing this one as of D",
        "applicants": "申请人/专利权人, in order; a person (an individual applicant) is personal data: masked, e.g. 张**",
    },
    "scoring.patent_cohort": {
        "patents": "visible patents normalized in this cohort (it may hold more: cohort_size)",
        "cohort": "application year and IPC main class (2021-B60), else year and section, "
        "year, or all: the first level with enough patents",
    },
    "pool.tier_history": {
        "valid_to": "first built as-of date no longer in this tier (null = still in it)"
    },
}


@dataclass(frozen=True)
class RelationDoc:
    """What the code says about one relation."""

    description: str
    source: str
    columns: Mapping[str, str] = field(default_factory=dict)


PUBLISHER = "written by `warehouse/duckdb` at each publish (capscore/warehouse/publish.py)"
# meta.*: the publication itself, so an analyst can tell what a warehouse file pins.
META_DOCS: dict[str, RelationDoc] = {
    "meta.published": RelationDoc(
        "This warehouse's publication: one row.",
        PUBLISHER,
        {
            "data_root": "data root whose lake the views read",
            "published_at": "when this warehouse was published (UTC)",
        },
    ),
    "meta.versions": RelationDoc(
        "The Delta table version every lake view of this warehouse is pinned to.",
        PUBLISHER,
        {
            "relation": "warehouse relation (schema.table)",
            "delta_version": "version of its Delta table the view reads, fixed at publish",
        },
    ),
    "meta.as_of_dates": RelationDoc(
        "The as-of dates each as-of relation has rows for, in the versions this warehouse "
        "pins: which dates can be asked for, without scanning a table.",
        PUBLISHER,
        {
            "relation": "warehouse relation (schema.table)",
            "as_of_date": "an as-of date it holds rows for",
        },
    ),
    "meta.analyst_files": RelationDoc(
        "The data files the analysts' sandbox may read: those the published views pin, "
        "never a table holding unmasked personal data.",
        PUBLISHER,
        {"file": "absolute path of one Parquet data file"},
    ),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    meaning: str


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str
    description: str
    source: str
    columns: tuple[Column, ...]
    same_as: str | None = None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


def parse_sql_header(text: str) -> tuple[str, str, dict[str, str]]:
    """(relation, description, column meanings) from a `sql/` file's leading comment.

    The header is `-- <schema>.<name>`, description lines, then `-- columns:` and
    one `--   <column>: <meaning>` line per column (continuations indented deeper).
    """
    lines = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].removeprefix(" "))
    if not lines:
        raise ValueError("no header comment")
    relation = lines[0].strip()
    description: list[str] = []
    columns: dict[str, str] = {}
    current: str | None = None
    in_columns = False
    for line in lines[1:]:
        if line.strip() == "columns:":
            in_columns = True
            continue
        if not in_columns:
            description.append(line.strip())
            continue
        match = re.match(r"^\s{2}(\S[^:]*):\s*(.*)$", line)
        if match:
            current = match.group(1).strip().strip('"')
            columns[current] = match.group(2).strip()
        elif current is not None and line.strip():
            columns[current] += " " + line.strip()
    text_description = " ".join(" ".join(description).split())
    return relation, text_description, columns


def sql_view_docs() -> dict[str, RelationDoc]:
    docs: dict[str, RelationDoc] = {}
    known = {t.relation for t in LAKE_TABLES}
    for path in sorted(SQL_DIR.glob("*.sql")):
        schema, _, name = path.stem.partition("_")
        if schema not in VIEW_SCHEMAS or not name:
            continue
        text = path.read_text(encoding="utf-8")
        relation, description, columns = parse_sql_header(text)
        if relation != f"{schema}.{name}":
            raise ValueError(f"{path.name}: header names {relation!r}, expected {schema}.{name}")
        body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
        reads = sorted(
            r
            for r in known | {f"{r}_asof" for r in known}
            if re.search(rf"\b{re.escape(r)}\b", body)
        )
        source = f"view defined in `sql/{path.name}`" + (
            " over " + ", ".join(f"`{r}`" for r in reads) if reads else ""
        )
        docs[relation] = RelationDoc(description, source, columns)
    return docs


def contract_meanings() -> dict[str, dict[str, str]]:
    """Source column meanings per source, from `data_contracts/<source>.yaml` when present."""
    found: dict[str, dict[str, str]] = {}
    for source in sorted(set(CONTRACT_SOURCES.values())):
        path = CONTRACTS_DIR / f"{source}.yaml"
        if not path.exists():
            continue
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        columns = spec.get("columns", {})
        items = (
            columns.items() if isinstance(columns, dict) else ((c.get("name"), c) for c in columns)
        )
        meanings: dict[str, str] = {}
        for name, column in items:
            if isinstance(column, dict):
                meaning = column.get("meaning") or column.get("description")
                if name and meaning:
                    meanings[str(name)] = " ".join(str(meaning).split())
        found[source] = meanings
    return found


def lake_docs() -> dict[str, RelationDoc]:
    docs: dict[str, RelationDoc] = {}
    for table in LAKE_TABLES:
        layout = "/".join(f"{key}=…" for key in table.partition_keys)
        writers = WRITTEN_BY.get(table.relation, (str(table),))
        by = ", ".join(f"`{w}`" for w in writers)
        noun = "asset" if len(writers) == 1 else "assets"
        source = f"lake `lake/{table}/{layout}/`, written by {noun} {by}"
        if table.relation in CONTRACT_SOURCES:
            contract = CONTRACT_SOURCES[table.relation]
            source += f"; columns per the `{contract}` source contract (sources.md)"
        if table.latest_only:
            docs[table.relation] = RelationDoc(
                f"{table.description} The latest as-of date only (every date: "
                f"`{table.relation}_asof`).",
                source,
            )
            docs[f"{table.relation}_asof"] = RelationDoc(
                f"{table.description} Every as-of date.", source
            )
        else:
            docs[table.relation] = RelationDoc(table.description, source)
    return docs


def column_meaning(
    relation: str,
    column: str,
    doc: RelationDoc | None,
    contracts: Mapping[str, Mapping[str, str]],
) -> str:
    base = relation.removesuffix("_asof")
    if doc is not None and column in doc.columns:
        return doc.columns[column]
    if column in TABLE_COLUMN_MEANINGS.get(base, {}):
        return TABLE_COLUMN_MEANINGS[base][column]
    source = CONTRACT_SOURCES.get(base)
    if source is not None and column in contracts.get(source, {}):
        return contracts[source][column]
    if column in COLUMN_MEANINGS:
        return COLUMN_MEANINGS[column]
    # Registry columns carried into core tables mean what the contract says.
    for meanings in contracts.values():
        if column in meanings:
            return meanings[column]
    return UNDOCUMENTED


def _schema_rank(schema: str) -> int:
    return SCHEMAS.index(schema) if schema in SCHEMAS else len(SCHEMAS)


def describe_warehouse(con: duckdb.DuckDBPyConnection) -> list[Relation]:
    """Every relation of the warehouse with its columns and what the code says about them."""
    names = con.sql(
        "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal "
        "UNION SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal"
    ).fetchall()
    docs = {**lake_docs(), **sql_view_docs(), **META_DOCS}
    contracts = contract_meanings()
    relations: list[Relation] = []
    shapes: dict[str, tuple[tuple[str, str], ...]] = {}
    for schema, name in sorted(names, key=lambda r: (_schema_rank(r[0]), r[1])):
        qualified = f"{schema}.{name}"
        shape = tuple((str(c[0]), str(c[1])) for c in con.sql(f"DESCRIBE {qualified}").fetchall())
        shapes[qualified] = shape
        doc = docs.get(qualified)
        columns = tuple(
            Column(col, typ, column_meaning(qualified, col, doc, contracts)) for col, typ in shape
        )
        base = qualified.removesuffix("_asof")
        same_as = base if base != qualified and shapes.get(base) == shape else None
        relations.append(
            Relation(
                schema,
                name,
                doc.description if doc else UNDOCUMENTED,
                doc.source if doc else UNDOCUMENTED,
                columns,
                same_as,
            )
        )
    return relations


def undocumented(relations: Sequence[Relation]) -> list[str]:
    """`schema.relation` or `schema.relation.column` for everything without a meaning."""
    missing = [r.qualified for r in relations if r.description == UNDOCUMENTED]
    missing += [
        f"{r.qualified}.{c.name}" for r in relations for c in r.columns if c.meaning == UNDOCUMENTED
    ]
    return missing


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(relations: Sequence[Relation]) -> str:
    out = [
        "# Data dictionary",
        "",
        "Every schema, relation and column of the analysts' warehouse "
        "(`<data root>/warehouse.duckdb`). Generated by `python -m capscore.warehouse.data_dictionary` "
        "from the published warehouse (types) and the code (meanings: source contracts, "
        "`sql/` headers, `warehouse/data_dictionary.py`); do not edit by hand.",
        "",
        "Personal data (`legal_representative`, `inventors`, individual applicants, a "
        "person's name written as an R&D filing's `enterprise_name`) is masked "
        "in every view, e.g. 张**.",
        "",
    ]
    by_schema: dict[str, list[Relation]] = {}
    for relation in relations:
        by_schema.setdefault(relation.schema, []).append(relation)
    out += ["## Contents", ""]
    for schema, members in by_schema.items():
        links = ", ".join(f"[{r.qualified}](#{r.qualified.replace('.', '')})" for r in members)
        out.append(f"- **{schema}**: {links}")
    for schema, members in by_schema.items():
        out += ["", f"## {schema}"]
        for r in members:
            out += ["", f"### {r.qualified}", "", r.description, "", f"Source: {r.source}.", ""]
            if r.same_as:
                out.append(f"Columns: as `{r.same_as}`.")
                continue
            out += ["| column | type | meaning |", "|---|---|---|"]
            out += [f"| `{c.name}` | {_cell(c.type)} | {_cell(c.meaning)} |" for c in r.columns]
    return "\n".join(out) + "\n"


def generate(warehouse: Path) -> tuple[str, list[str]]:
    """(markdown, undocumented items) for the warehouse file at `warehouse`."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        relations = describe_warehouse(con)
    finally:
        con.close()
    return render(relations), undocumented(relations)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data-root", help="data root holding warehouse.duckdb")
    parser.add_argument("--output", default=str(DICTIONARY_PATH))
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    args = parser.parse_args(argv)
    warehouse = DataRoot.resolve(args.data_root).warehouse
    if not warehouse.exists():
        print(f"no warehouse at {warehouse}: run the pipeline first", file=sys.stderr)
        return 2
    text, missing = generate(warehouse)
    for item in missing:
        print(f"undocumented: {item}", file=sys.stderr)
    output = Path(args.output)
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            print(
                f"{output} is out of date: run python -m capscore.warehouse.data_dictionary",
                file=sys.stderr,
            )
            return 1
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
