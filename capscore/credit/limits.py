"""Credit limits per enterprise and product (scoring.md §5, scoring_models/credit_policy_v1.yaml).

Every amount is the minimum of its terms and caps, so it never exceeds a cap;
every term is non-decreasing in the grade (ladders are validated monotone) and
the grade is non-decreasing in the composite, so a higher composite never
lowers a limit. Rounding is down, so it cannot lift a limit over a cap either.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import polars as pl

from capscore.row_lists import present_values, row_list
from scoring_models.policy_config import CreditPolicy

# What was decided and on which collateral. The rating and financials a limit used are
# scoring/enterprise_score and scoring/enterprise_profile of the same date (and the reasons
# quote those that bound it): copied into 3 rows per enterprise they were 6% of the lake's
# growth a day.
LIMIT_COLUMNS = [
    "credit_code",
    "as_of_date",
    "product",
    "limit_wan",
    "policy_version",
    "binding_constraint",
    "reasons",
    "in_pool",
    "tier",
    "life_stage",
    "grade",
    "ip_value_wan",
    "pledge_value_wan",
    "valid_patents",
    "pool_model_version",
    "score_model_version",
]
# Float noise (0.1 * 3000 = 300.00000000000006) must not cost a 万元 when rounding down.
_EPSILON = 1e-9


def _text(value: pl.Expr) -> pl.Expr:
    return value.cast(pl.Float64).round(2).cast(pl.String)


def _by_grade(ladder: Mapping[str, float]) -> pl.Expr:
    """The grade's rung; grades off the ladder (the zero grades) get 0."""
    return pl.col("grade").replace_strict(dict(ladder), default=0.0, return_dtype=pl.Float64)


# A filed balance sheet with liabilities and no assets: the debt ratio has no value
# (liabilities / 0), yet it is not unknown but as high as it gets. The profile leaves
# debt_ratio null (scoring.enterprise_profile: a zero denominator), which alone would
# read as "no balance sheet filed" and not gate; the gate reads the filed figures.
_no_assets_for_debt = (
    (pl.col("total_liabilities_latest") > 0) & (pl.col("total_assets_latest") <= 0)
).fill_null(False)
# The profile columns the gates read that a caller's profile may lack (then unknown).
_BALANCE_SHEET = ("total_assets_latest", "total_liabilities_latest")


def _gates(policy: CreditPolicy) -> tuple[pl.Expr, pl.Expr]:
    """(gate ids, gate reasons) as list columns; empty lists when nothing gates."""
    checks = [
        (
            "inactive",
            ~pl.col("status").is_in(list(policy.active_statuses)).fill_null(False),
            pl.format("inactive: status {}", pl.col("status").fill_null("unknown")),
        ),
        (
            "not_in_pool",
            ~pl.col("in_pool").fill_null(False),
            pl.format(
                "not in the cultivation pool ({})", pl.col("exclusion_reason").fill_null("unknown")
            ),
        ),
        (
            f"grade_{'_'.join(policy.zero_grades)}",
            pl.col("in_pool").fill_null(False) & pl.col("grade").is_in(list(policy.zero_grades)),
            pl.format("grade {} gets no credit", pl.col("grade")),
        ),
        (
            "debt_ratio",
            (pl.col("debt_ratio") > policy.max_debt_ratio).fill_null(False) | _no_assets_for_debt,
            pl.when(_no_assets_for_debt)
            .then(
                pl.format(
                    "liabilities {} with total assets 0: debt ratio unbounded > {}",
                    _text(pl.col("total_liabilities_latest")),
                    pl.lit(policy.max_debt_ratio),
                )
            )
            .otherwise(
                pl.format(
                    "debt ratio {} > {}",
                    _text(pl.col("debt_ratio")),
                    pl.lit(policy.max_debt_ratio),
                )
            ),
        ),
    ]
    ids = present_values(*(pl.when(cond).then(pl.lit(gid)) for gid, cond, _ in checks))
    texts = present_values(*(pl.when(cond).then(text) for _, cond, text in checks))
    return ids, texts


def _first_binding(amount: pl.Expr, terms: list[tuple[str, pl.Expr]]) -> pl.Expr:
    binding: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, term in reversed(terms):
        binding = pl.when(amount == term).then(pl.lit(name)).otherwise(binding)
    return binding


def _tech_credit(policy: CreditPolicy) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    known = pl.col("revenue_latest").is_not_null()
    revenue = pl.col("revenue_latest").fill_null(0.0).clip(lower_bound=0.0)
    revenue_term = _by_grade(policy.k_grade) * revenue
    ip_term = _by_grade(policy.ltv_grade) * pl.col("ip_value_wan") + _by_grade(
        policy.unsecured_grade
    )
    stage_cap = pl.col("life_stage").replace_strict(
        dict(policy.stage_caps), default=0.0, return_dtype=pl.Float64
    )
    product_cap = pl.lit(policy.product_caps["tech_credit"])
    terms = [
        ("revenue_multiple", revenue_term),
        ("ip_collateral", ip_term),
        ("stage_cap", stage_cap),
        ("product_cap", product_cap),
    ]
    amount = pl.min_horizontal([t for _, t in terms])
    reasons = row_list(
        pl.format(
            "revenue {} × k {} (grade {}) = {}",
            _text(revenue),
            _text(_by_grade(policy.k_grade)),
            pl.col("grade"),
            _text(revenue_term),
        ),
        pl.format(
            "IP value {} × LTV {} + unsecured {} = {}",
            _text(pl.col("ip_value_wan")),
            _text(_by_grade(policy.ltv_grade)),
            _text(_by_grade(policy.unsecured_grade)),
            _text(ip_term),
        ),
        pl.format("{} stage cap {}", pl.col("life_stage"), _text(stage_cap)),
        pl.format("product cap {}", _text(product_cap)),
    )
    binding = _first_binding(amount, terms)
    line = policy.no_filing
    if line is None:
        return amount, binding, reasons
    # Without a filing the revenue is unknown, never 0: an IP-and-rating line instead.
    ip_line = _by_grade(policy.ltv_grade) * pl.col("ip_value_wan") + line.unsecured_share * (
        _by_grade(policy.unsecured_grade)
    )
    line_terms = [
        ("ip_and_rating_line", ip_line),
        ("no_filing_cap", pl.lit(line.cap)),
        ("stage_cap", stage_cap),
        ("product_cap", product_cap),
    ]
    line_amount = pl.min_horizontal([t for _, t in line_terms])
    line_reasons = row_list(
        pl.lit("no financial filing: revenue unknown, the limit is an IP-and-rating line"),
        pl.format(
            "IP value {} × LTV {} + {} × unsecured {} = {}",
            _text(pl.col("ip_value_wan")),
            _text(_by_grade(policy.ltv_grade)),
            pl.lit(line.unsecured_share),
            _text(_by_grade(policy.unsecured_grade)),
            _text(ip_line),
        ),
        pl.format("no-filing cap {}", pl.lit(line.cap)),
        pl.format("{} stage cap {}", pl.col("life_stage"), _text(stage_cap)),
        pl.format("product cap {}", _text(product_cap)),
    )
    return (
        pl.when(known).then(amount).otherwise(line_amount),
        pl.when(known).then(binding).otherwise(_first_binding(line_amount, line_terms)),
        pl.when(known).then(reasons).otherwise(line_reasons),
    )


def _ip_pledge(policy: CreditPolicy) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    collateral = pl.col("pledge_value_wan")
    product_cap = pl.lit(policy.product_caps["ip_pledge"])
    terms = [("pledge_collateral", collateral), ("product_cap", product_cap)]
    amount = pl.min_horizontal(collateral, product_cap)
    reasons = row_list(
        pl.format(
            "{} valid patents pledgeable for {} (value × LTV by type)",
            pl.col("valid_patents"),
            _text(collateral),
        ),
        pl.format("product cap {}", _text(product_cap)),
    )
    return amount, _first_binding(amount, terms), reasons


def _warrant_linked(policy: CreditPolicy) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    stages, min_innovation, min_evolution = (
        policy.warrant_stages,
        policy.min_innovation,
        policy.min_evolution,
    )
    financials = (
        pl.col("revenue_latest").is_not_null() if policy.warrant_needs_financials else pl.lit(True)
    )
    rule = (
        pl.col("life_stage").is_in(list(stages)).fill_null(False)
        & (pl.col("innovation") >= min_innovation).fill_null(False)
        & (pl.col("evolution") >= min_evolution).fill_null(False)
    )
    eligible = rule & financials
    ladder = _by_grade(policy.warrant_ladder)
    product_cap = pl.lit(policy.product_caps["warrant_linked"])
    offered = pl.min_horizontal(ladder, product_cap)
    amount = pl.when(eligible).then(offered).otherwise(0.0)
    binding = (
        pl.when(~rule)
        .then(pl.lit("warrant_rule"))
        .when(~financials)
        .then(pl.lit("financial_filing"))
        .otherwise(
            _first_binding(offered, [("grade_ladder", ladder), ("product_cap", product_cap)])
        )
    )
    facts = pl.format(
        "stage {}, innovation {}, evolution {} ({} stage {}, innovation ≥ {} and evolution ≥ {})",
        pl.col("life_stage").fill_null("unknown"),
        _text(pl.col("innovation")).fill_null("missing"),
        _text(pl.col("evolution")).fill_null("missing"),
        pl.when(rule).then(pl.lit("meets the rule:")).otherwise(pl.lit("needs")),
        pl.lit("/".join(stages)),
        pl.lit(min_innovation),
        pl.lit(min_evolution),
    )
    reasons = row_list(
        facts,
        pl.when(eligible)
        .then(
            pl.format(
                "grade {} ladder {}, product cap {}",
                pl.col("grade"),
                _text(ladder),
                _text(product_cap),
            )
        )
        .when(~financials)
        .then(pl.lit("no financial filing: warrant-linked lending needs known financials"))
        .otherwise(pl.lit("not eligible for warrant-linked lending")),
    )
    return amount, binding, reasons


def credit_limits(
    pool: pl.DataFrame,
    score: pl.DataFrame,
    profile: pl.DataFrame,
    ip_values: pl.DataFrame,
    policy: CreditPolicy,
    as_of: date,
) -> pl.DataFrame:
    """credit/credit_limit rows: every enterprise of the pool partition × every product.

    `pool` is pool/cultivation_pool, `score` scoring/enterprise_score (composite,
    innovation, evolution), `profile` scoring/enterprise_profile (status, revenue_latest,
    debt_ratio and, when present, total_assets_latest and total_liabilities_latest) and
    `ip_values` credit.ip_value.enterprise_ip_values, all as of D.
    """
    frame = (
        pool.select(
            "credit_code",
            "in_pool",
            "exclusion_reason",
            "tier",
            "life_stage",
            "grade",
            pl.col("model_version").alias("pool_model_version"),
            "score_model_version",
        )
        .join(
            score.select("credit_code", "composite", "innovation", "evolution"),
            on="credit_code",
            how="left",
        )
        .join(
            profile.select(
                "credit_code",
                "status",
                "revenue_latest",
                "debt_ratio",
                *[
                    pl.col(c) if c in profile.columns else pl.lit(None, pl.Float64).alias(c)
                    for c in _BALANCE_SHEET
                ],
            ),
            on="credit_code",
            how="left",
        )
        .join(ip_values, on="credit_code", how="left")
        .with_columns(
            pl.col("ip_value_wan", "pledge_value_wan").fill_null(0.0),
            pl.col("valid_patents").fill_null(0),
        )
    )
    gate_ids, gate_texts = _gates(policy)
    frame = frame.with_columns(gate_ids.alias("_gate_ids"), gate_texts.alias("_gate_texts"))
    # A gated enterprise gets 0 on its first gate, whatever the product: the products'
    # terms and reasons, the costly part, are worked out for the others only.
    gated = pl.col("_gate_ids").list.len() > 0
    closed = frame.filter(gated).with_columns(
        pl.lit(0.0).alias("limit_wan"),
        pl.col("_gate_ids").list.first().alias("binding_constraint"),
        pl.col("_gate_texts").alias("reasons"),
    )
    open_ = frame.filter(~gated)
    step = policy.round_down_to_wan
    products = []
    for product, (amount, binding, reasons) in {
        "tech_credit": _tech_credit(policy),
        "ip_pledge": _ip_pledge(policy),
        "warrant_linked": _warrant_linked(policy),
    }.items():
        floored = ((amount.clip(lower_bound=0.0) + _EPSILON) / step).floor() * step
        # The epsilon may lift a hair over the amount; a cap is never exceeded.
        rounded = pl.min_horizontal(floored, amount.clip(lower_bound=0.0))
        offered = open_.with_columns(
            rounded.alias("limit_wan"),
            binding.alias("binding_constraint"),
            reasons.alias("reasons"),
        )
        for rows in (closed, offered):
            products.append(rows.with_columns(pl.lit(product).alias("product")))
    return (
        pl.concat(products)
        .with_columns(
            pl.lit(as_of).alias("as_of_date"), pl.lit(policy.version).alias("policy_version")
        )
        .select(LIMIT_COLUMNS)
        .sort("credit_code", "product")
    )
