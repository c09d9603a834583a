"""The analyst views in sql/mart_*.sql, run by DuckDB over small hand-made tables."""

from collections.abc import Iterator
from datetime import date

import duckdb
import pytest

from capscore.sql_library import SQL_DIR, with_macros
from capscore.warehouse.publish import MASK_MACRO

D0, D7, D30 = date(2026, 6, 1), date(2026, 6, 8), date(2026, 7, 1)

TABLES = {
    "core.enterprise_asof": """
        credit_code VARCHAR, as_of_date DATE, name VARCHAR, region_code VARCHAR,
        industry_code VARCHAR, status VARCHAR, legal_representative VARCHAR""",
    "scoring.enterprise_score": """
        credit_code VARCHAR, as_of_date DATE, innovation DOUBLE, competitiveness DOUBLE,
        evolution DOUBLE, influence DOUBLE, composite DOUBLE, peer_group VARCHAR,
        model_version VARCHAR, top_reasons VARCHAR[], life_stage VARCHAR, coverage DOUBLE""",
    "pool.cultivation_pool": """
        credit_code VARCHAR, as_of_date DATE, in_pool BOOLEAN, eligibility_reason VARCHAR,
        exclusion_reason VARCHAR, life_stage VARCHAR, grade VARCHAR, tier VARCHAR, model_version VARCHAR""",
    "credit.credit_limit": """
        credit_code VARCHAR, as_of_date DATE, product VARCHAR, limit_wan DOUBLE,
        policy_version VARCHAR, binding_constraint VARCHAR, reasons VARCHAR""",
    "er.review_queue": """
        as_of_date DATE, mention_type VARCHAR, mention_key VARCHAR,
        mention VARCHAR, match_probability DOUBLE, exposure_wan DOUBLE, patents BIGINT,
        same_mention_count BIGINT,
        top_candidates STRUCT(credit_code VARCHAR, name VARCHAR, probability DOUBLE)[],
        explanation VARCHAR""",
    "er.applicant_links": """
        application_number VARCHAR, applicant_position BIGINT, applicant VARCHAR,
        applicant_kind VARCHAR, credit_code VARCHAR""",
    "quality.load_audit": """
        source VARCHAR, partition_date DATE, file VARCHAR, format VARCHAR, encoding VARCHAR,
        rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, status VARCHAR,
        error VARCHAR, loaded_at TIMESTAMPTZ""",
    "scoring.validation": """
        section VARCHAR, outcome VARCHAR, subject VARCHAR, metric VARCHAR, value DOUBLE,
        as_of_date DATE, reference_date DATE, model_version VARCHAR""",
    "quality.quarantine": """
        source VARCHAR, partition_date DATE, file VARCHAR, row_number BIGINT, "column" VARCHAR,
        rule VARCHAR, rules VARCHAR[], reason VARCHAR, raw_record VARCHAR""",
}


def mart_files() -> list[str]:
    return sorted(p.stem for p in SQL_DIR.glob("mart_*.sql"))


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    for schema in ("core", "scoring", "pool", "credit", "er", "quality", "mart"):
        con.execute(f"CREATE SCHEMA {schema}")
    con.execute(MASK_MACRO)
    with_macros(con)
    for relation, columns in TABLES.items():
        con.execute(f"CREATE TABLE {relation} ({columns})")
    for stem in mart_files():
        sql = (SQL_DIR / f"{stem}.sql").read_text(encoding="utf-8").strip().rstrip(";")
        con.execute(f"CREATE VIEW mart.{stem.removeprefix('mart_')} AS {sql}")
    yield con
    con.close()


def insert(con: duckdb.DuckDBPyConnection, relation: str, rows: list[tuple]) -> None:
    marks = ", ".join("?" * len(rows[0]))
    con.executemany(f"INSERT INTO {relation} VALUES ({marks})", rows)


def records(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def enterprise(code: str, day: date, name: str, region: str = "330402", rep: str | None = "张三丰"):
    return (code, day, name, region, "C3670", "存续", rep)


def score(code: str, day: date, composite: float, stage: str = "growth"):
    return (
        code,
        day,
        50.0,
        60.0,
        70.0,
        80.0,
        composite,
        f"C×{stage}",
        "scoring_v1",
        ["r1"],
        stage,
        0.9,
    )


def pool(code: str, day: date, in_pool: bool, stage: str = "growth", grade: str = "B"):
    return (
        code,
        day,
        in_pool,
        "hnte" if in_pool else None,
        None if in_pool else "not eligible",
        stage,
        grade,
        f"{stage}-{grade}",
        "pool_v1",
    )


def test_every_mart_file_is_a_view_named_for_the_file(con):
    views = {
        r[0]
        for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE schema_name = 'mart'"
        ).fetchall()
    }
    assert views == {stem.removeprefix("mart_") for stem in mart_files()}
    assert {
        "enterprise_scorecard",
        "pool_summary",
        "tier_movers",
        "credit_exposure",
        "er_review_queue",
        "data_quality",
    } <= views


def test_scorecard_pivots_limits_and_masks_the_legal_representative(con):
    insert(
        con,
        "core.enterprise_asof",
        [enterprise("A", D0, "甲公司"), enterprise("B", D0, "乙公司", rep=None)],
    )
    insert(con, "scoring.enterprise_score", [score("A", D0, 81.5), score("B", D0, 30.0)])
    insert(
        con,
        "pool.cultivation_pool",
        [pool("A", D0, True, grade="A"), pool("B", D0, False, grade="D")],
    )
    insert(
        con,
        "credit.credit_limit",
        [
            ("A", D0, "tech_credit", 300.0, "credit_policy_v1", "stage_cap", "ok"),
            ("A", D0, "ip_pledge", 120.5, "credit_policy_v1", "product_cap", "ok"),
            ("A", D0, "warrant_linked", 0.0, "credit_policy_v1", None, "not seed"),
            ("B", D0, "tech_credit", 0.0, "credit_policy_v1", None, "not in pool"),
        ],
    )
    rows = {r["credit_code"]: r for r in records(con, "SELECT * FROM mart.enterprise_scorecard")}
    a, b = rows["A"], rows["B"]
    assert a["legal_representative_masked"] == "张**"
    assert b["legal_representative_masked"] is None
    assert (a["tier"], a["grade"], a["in_pool"]) == ("growth-A", "A", True)
    assert (b["tier"], b["in_pool"], b["exclusion_reason"]) == (None, False, "not eligible")
    assert (a["tech_credit_wan"], a["ip_pledge_wan"], a["warrant_linked_wan"]) == (
        300.0,
        120.5,
        0.0,
    )
    assert a["total_limit_wan"] == pytest.approx(420.5)
    assert a["prefecture_code"] == "330400"
    assert "张三丰" not in str(records(con, "SELECT * FROM mart.enterprise_scorecard"))


def test_pool_summary_counts_pool_members_per_cell(con):
    insert(
        con,
        "core.enterprise_asof",
        [
            enterprise("A", D0, "甲"),
            enterprise("B", D0, "乙"),
            enterprise("C", D0, "丙", region="110101"),
            enterprise("X", D0, "外"),
        ],
    )
    insert(
        con,
        "scoring.enterprise_score",
        [
            score("A", D0, 70.0),
            score("B", D0, 60.123456),
            score("C", D0, 65.0),
            score("X", D0, 90.0),
        ],
    )
    insert(
        con,
        "pool.cultivation_pool",
        [
            pool("A", D0, True),
            pool("B", D0, True),
            pool("C", D0, True),
            pool("X", D0, False),
        ],
    )
    insert(
        con,
        "credit.credit_limit",
        [
            ("A", D0, "tech_credit", 100.0, "v1", "k", "r"),
            ("A", D0, "ip_pledge", 50.0, "v1", "k", "r"),
            ("B", D0, "tech_credit", 0.0, "v1", None, "r"),
        ],
    )
    rows = records(con, "SELECT * FROM mart.pool_summary ORDER BY region_code")
    assert [(r["region_code"], r["tier"], r["enterprises"]) for r in rows] == [
        ("110101", "growth-B", 1),
        ("330402", "growth-B", 2),
    ]
    zhejiang = rows[1]
    # Rounded to 4 decimals: a parallel sum's last digits must not differ between runs.
    assert zhejiang["avg_composite"] == 65.0617
    assert zhejiang["enterprises_with_credit"] == 1
    assert zhejiang["total_limit_wan"] == pytest.approx(150.0)
    assert (zhejiang["prefecture_code"], zhejiang["province_code"]) == ("330400", "330000")


def test_tier_movers_compare_with_the_latest_date_a_period_back(con):
    days = [D0, D7, D30]
    insert(
        con, "core.enterprise_asof", [enterprise(c, d, f"{c}公司") for c in "ABCDEF" for d in days]
    )
    insert(
        con,
        "scoring.enterprise_score",
        [score(c, d, 50.0 + i) for i, d in enumerate(days) for c in "ABCDEF"],
    )
    insert(
        con,
        "pool.cultivation_pool",
        [
            pool("A", D0, True, grade="B"),
            pool("A", D7, True, grade="A"),
            pool("A", D30, True, grade="A"),
            pool("B", D0, True),
            pool("B", D7, False),
            pool("B", D30, False),
            pool("C", D0, False),
            pool("C", D7, True),
            pool("C", D30, True),
            pool("D", D0, True),
            pool("D", D7, True),
            pool("D", D30, True),
            pool("E", D0, True, stage="startup"),
            pool("E", D7, True, stage="growth"),
            pool("E", D30, True, stage="growth", grade="C"),
            pool("F", D0, True, grade="A"),
            pool("F", D7, True, grade="B"),
            pool("F", D30, True, grade="A"),
        ],
    )
    week = records(
        con, f"SELECT * FROM mart.tier_movers WHERE as_of_date = '{D7}' AND period_days = 7"
    )
    changes = {r["credit_code"]: (r["from_tier"], r["to_tier"], r["change"]) for r in week}
    assert changes == {
        "A": ("growth-B", "growth-A", "promoted"),
        "B": ("growth-B", None, "exited"),
        "C": (None, "growth-B", "entered"),
        "E": ("startup-B", "growth-B", "stage_changed"),
        "F": ("growth-A", "growth-B", "demoted"),
    }
    assert {r["base_date"] for r in week} == {D0}
    assert week[0]["composite_change"] == pytest.approx(1.0)
    # 30 days back from D30 is D0 (D7 is too recent); 7 days back is D7 (latest <= D30 - 7).
    month = records(
        con, f"SELECT * FROM mart.tier_movers WHERE as_of_date = '{D30}' AND period_days = 30"
    )
    assert {r["credit_code"]: r["change"] for r in month} == {
        "A": "promoted",
        "B": "exited",
        "C": "entered",
        "E": "demoted",
    }
    recent = records(
        con, f"SELECT * FROM mart.tier_movers WHERE as_of_date = '{D30}' AND period_days = 7"
    )
    assert {r["base_date"] for r in recent} == {D7}
    assert {r["credit_code"] for r in recent} == {"E", "F"}
    # No built date lies 90 days back: no rows rather than everybody "entered".
    assert not records(con, "SELECT * FROM mart.tier_movers WHERE period_days = 90")


def test_credit_exposure_sums_by_product_stage_grade_region(con):
    insert(
        con,
        "core.enterprise_asof",
        [enterprise("A", D0, "甲"), enterprise("B", D0, "乙"), enterprise("C", D0, "丙")],
    )
    insert(
        con,
        "scoring.enterprise_score",
        [score("A", D0, 80.0), score("B", D0, 60.0), score("C", D0, 20.0)],
    )
    insert(
        con,
        "pool.cultivation_pool",
        [pool("A", D0, True), pool("B", D0, True), pool("C", D0, False)],
    )
    insert(
        con,
        "credit.credit_limit",
        [
            ("A", D0, "tech_credit", 200.0, "v1", "stage_cap", "r"),
            ("B", D0, "tech_credit", 100.0, "v1", "revenue", "r"),
            ("C", D0, "tech_credit", 0.0, "v1", None, "not in pool"),
            ("A", D0, "ip_pledge", 40.0, "v1", "product_cap", "r"),
        ],
    )
    rows = records(con, "SELECT * FROM mart.credit_exposure ORDER BY product, grade NULLS LAST")
    ip, tech_b, tech_out = rows
    assert (ip["product"], ip["total_limit_wan"], ip["enterprises_with_limit"]) == (
        "ip_pledge",
        40.0,
        1,
    )
    assert (tech_b["grade"], tech_b["enterprises_evaluated"], tech_b["enterprises_with_limit"]) == (
        "B",
        2,
        2,
    )
    assert tech_b["total_limit_wan"] == 300.0
    assert tech_b["avg_limit_wan"] == 150.0
    assert tech_b["max_limit_wan"] == 200.0
    assert (tech_out["grade"], tech_out["enterprises_with_limit"], tech_out["avg_limit_wan"]) == (
        None,
        0,
        None,
    )


def test_review_queue_masks_people_and_orders_by_what_is_at_stake(con):
    cand = lambda code, p: {"credit_code": code, "name": f"{code}公司", "probability": p}  # noqa: E731
    insert(
        con,
        "er.review_queue",
        [
            (D0, "applicant", "CN1#0", "李小龙", 0.6, 0.0, 0, 1, [cand("P", 0.6)], "person-like"),
            (
                D0,
                "applicant",
                "CN2#1",
                "华科技",
                0.7,
                500.0,
                3,
                2,
                [cand("Q", 0.55), cand("R", 0.7)],
                "fuzzy",
            ),
            (
                D0,
                "rd",
                "landing/rd_records/2026-06-01/a.csv#3",
                "华科技",
                0.72,
                0.0,
                3,
                2,
                [cand("R", 0.72)],
                "no code",
            ),
            (D0, "applicant", "CN3#0", "远景公司", 0.4, 0.0, 0, 1, [], "no candidate"),
        ],
    )
    insert(
        con,
        "er.applicant_links",
        [
            ("CN1", 0, "李小龙", "individual", None),
            ("CN2", 1, "华科技", "enterprise", None),
        ],
    )
    rows = records(con, "SELECT * FROM mart.er_review_queue")
    assert [r["mention_key"] for r in rows] == [
        "CN2#1",
        "landing/rd_records/2026-06-01/a.csv#3",
        "CN1#0",
        "CN3#0",
    ]
    by_key = {r["mention_key"]: r for r in rows}
    assert by_key["CN1#0"]["mention"] == "李**"
    assert "李小龙" not in str(rows)
    fuzzy = by_key["CN2#1"]
    assert (fuzzy["best_credit_code"], fuzzy["best_probability"]) == ("R", 0.7)
    assert (fuzzy["exposure_wan"], fuzzy["patents"]) == (500.0, 3)
    assert fuzzy["runner_up_probability"] == 0.55
    assert fuzzy["margin"] == pytest.approx(0.15)
    assert fuzzy["same_mention_count"] == 2
    empty = by_key["CN3#0"]
    assert (empty["best_credit_code"], empty["best_probability"], empty["priority"]) == (
        None,
        None,
        4,
    )


def test_data_quality_adds_up_files_rows_and_rules(con):
    insert(
        con,
        "quality.load_audit",
        [
            (
                "patents",
                D0,
                "landing/patents/2026-06-01/a.csv",
                "csv",
                "utf-8",
                10,
                8,
                2,
                "loaded",
                None,
                "2026-06-02 01:00:00+00",
            ),
            (
                "patents",
                D0,
                "landing/patents/2026-06-01/b.csv",
                "csv",
                None,
                0,
                0,
                0,
                "rejected",
                "missing column title",
                "2026-06-02 01:00:01+00",
            ),
            (
                "registry",
                D0,
                "landing/registry/2026-06-01/r.parquet",
                "parquet",
                None,
                5,
                5,
                0,
                "loaded",
                None,
                "2026-06-02 01:00:00+00",
            ),
        ],
    )
    insert(
        con,
        "quality.quarantine",
        [
            (
                "patents",
                D0,
                "landing/patents/2026-06-01/a.csv",
                3,
                "application_number",
                "check_digit",
                ["check_digit"],
                "check digit mismatch: expected 3, got 7",
                "{}",
            ),
            (
                "patents",
                D0,
                "landing/patents/2026-06-01/a.csv",
                7,
                "publication_date",
                "malformed_date",
                ["malformed_date"],
                "bad date",
                "{}",
            ),
            (
                "patents",
                D0,
                "landing/patents/2026-06-01/b.csv",
                None,
                "title",
                "missing_column",
                ["missing_column"],
                "missing column title",
                None,
            ),
        ],
    )
    rows = {r["source"]: r for r in records(con, "SELECT * FROM mart.data_quality")}
    patents, registry = rows["patents"], rows["registry"]
    assert (patents["files"], patents["files_rejected"]) == (2, 1)
    assert (patents["rows_read"], patents["rows_loaded"], patents["rows_quarantined"]) == (10, 8, 2)
    assert patents["quarantine_rate"] == pytest.approx(0.2)
    assert patents["rule_counts"] == {"check_digit": 1, "malformed_date": 1}
    assert patents["file_errors"] == ["landing/patents/2026-06-01/b.csv: missing column title"]
    assert (registry["rule_counts"], registry["file_errors"], registry["quarantine_rate"]) == (
        None,
        [],
        0.0,
    )

    reasons = records(con, "SELECT * FROM mart.quarantine_reasons ORDER BY rule")
    assert [(r["rule"], r["rows"]) for r in reasons] == [
        ("check_digit", 1),
        ("malformed_date", 1),
        ("missing_column", 1),
    ]
    assert reasons[0]["example_reason"].startswith("check digit mismatch")
    assert reasons[0]["example_row_number"] == 3
    assert reasons[2]["example_row_number"] is None


def test_top_binding_constraint_breaks_ties_by_name(con):
    insert(con, "core.enterprise_asof", [enterprise(c, D0, f"{c}公司") for c in "AB"])
    insert(con, "pool.cultivation_pool", [pool(c, D0, True) for c in "AB"])
    insert(
        con,
        "credit.credit_limit",
        [
            ("A", D0, "tech_credit", 100.0, "v", "stage_cap", "r"),
            ("B", D0, "tech_credit", 50.0, "v", "ip_collateral", "r"),
        ],
    )
    answers = {
        con.execute("SELECT top_binding_constraint FROM mart.credit_exposure").fetchall()[0][0]
        for _ in range(5)
    }
    assert answers == {"ip_collateral"}
