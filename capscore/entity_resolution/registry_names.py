"""Every name an enterprise is known by, with the period it was in use.

Sources: the SCD2 history (a name per version, valid_from/valid_to at snapshot
dates), the registry's former_names (in use before the first snapshot, start
unknown) and the English name. The first version's start is unknown too: the
name was in use before the registry extract first showed it. A null
valid_from/valid_to means an open end.
"""

from __future__ import annotations

import polars as pl

NAME_TYPES = ("current", "former", "english")
REGISTRY_NAME_SCHEMA = {
    "credit_code": pl.String,
    "registry_name": pl.String,
    "name_type": pl.String,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
}


def registry_names(enterprises: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    """credit_code, registry_name, name_type (current/former/english), valid_from, valid_to.

    One row per (credit_code, registry_name); a name that is both current and
    former (renamed back) counts as current.
    """
    ent = enterprises.select(
        "credit_code",
        "name",
        pl.col("former_names").cast(pl.List(pl.String))
        if "former_names" in enterprises.columns
        else pl.lit(None, dtype=pl.List(pl.String)).alias("former_names"),
        pl.col("english_name").cast(pl.String)
        if "english_name" in enterprises.columns
        else pl.lit(None, dtype=pl.String).alias("english_name"),
    )
    versions = (
        history.select("credit_code", "name", "valid_from", "valid_to")
        .join(ent.select("credit_code"), on="credit_code", how="semi")
        .sort("credit_code", "valid_from")
        .with_columns(
            # The earliest version's name was in use before the registry first showed it.
            pl.when(pl.int_range(pl.len()).over("credit_code") == 0)
            .then(None)
            .otherwise(pl.col("valid_from"))
            .alias("valid_from"),
            pl.col("valid_from").min().over("credit_code").alias("_first_seen"),
        )
    )
    spans = (
        versions.group_by("credit_code", "name")
        .agg(
            pl.col("valid_from").min().alias("valid_from"),
            # Any open (null) end wins over dated ends.
            pl.when(pl.col("valid_to").is_null().any())
            .then(None)
            .otherwise(pl.col("valid_to").max())
            .alias("valid_to"),
            pl.col("valid_from").is_null().any().alias("_open_start"),
        )
        .with_columns(
            pl.when(pl.col("_open_start"))
            .then(None)
            .otherwise(pl.col("valid_from"))
            .alias("valid_from")
        )
    )
    first_seen = versions.group_by("credit_code").agg(pl.col("_first_seen").first())
    current = (
        ent.select("credit_code", "name")
        .join(spans, on=["credit_code", "name"], how="left")
        .select(
            "credit_code",
            pl.col("name").alias("registry_name"),
            pl.lit("current").alias("name_type"),
            "valid_from",
            pl.lit(None, dtype=pl.Date).alias("valid_to"),
        )
    )
    former_from_history = spans.join(
        ent.select("credit_code", "name"), on=["credit_code", "name"], how="anti"
    ).select(
        "credit_code",
        pl.col("name").alias("registry_name"),
        pl.lit("former").alias("name_type"),
        "valid_from",
        "valid_to",
    )
    former_listed = (
        ent.select("credit_code", pl.col("former_names").alias("registry_name"))
        .explode("registry_name")
        .drop_nulls("registry_name")
        .join(first_seen, on="credit_code", how="left")
        .select(
            "credit_code",
            "registry_name",
            pl.lit("former").alias("name_type"),
            pl.lit(None, dtype=pl.Date).alias("valid_from"),
            pl.col("_first_seen").alias("valid_to"),
        )
    )
    english = ent.filter(pl.col("english_name").str.strip_chars().fill_null("") != "").select(
        "credit_code",
        pl.col("english_name").alias("registry_name"),
        pl.lit("english").alias("name_type"),
        pl.lit(None, dtype=pl.Date).alias("valid_from"),
        pl.lit(None, dtype=pl.Date).alias("valid_to"),
    )
    rank = {t: i for i, t in enumerate(NAME_TYPES)}
    sources = (current, former_from_history, former_listed, english)
    return (
        pl.concat(
            [
                frame.cast(REGISTRY_NAME_SCHEMA).with_columns(  # type: ignore[arg-type]
                    pl.lit(i, dtype=pl.Int8).alias("_source")
                )
                for i, frame in enumerate(sources)
            ]
        )
        .with_columns(pl.col("name_type").replace_strict(rank, return_dtype=pl.Int8).alias("_rank"))
        # History knows the dated span of a former name; the listed copy does not.
        # A total order, so that the copy kept never depends on the input row order.
        .sort(
            "credit_code",
            "registry_name",
            "_rank",
            pl.col("valid_to").is_null(),
            "_source",
            "valid_from",
            "valid_to",
            nulls_last=True,
        )
        .unique(subset=["credit_code", "registry_name"], keep="first", maintain_order=True)
        .drop("_rank", "_source")
    )
