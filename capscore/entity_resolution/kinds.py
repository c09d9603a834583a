"""Applicant kind: enterprise, university, institute, individual, foreign, unknown.

Only enterprises and unknowns are looked up in the registry; universities,
institutes, individuals and foreign firms are never registry enterprises and
stay unmatched with their kind (a false link would credit a university's
patents to a firm). Markers live in vocabulary.yaml. The first rule that fires
wins, in this order:

1. Han script: a Japanese/foreign legal form (株式会社) or a foreign country
   prefix (美国…公司) -> foreign; a company word (公司, 企业, 厂, 合伙…) ->
   enterprise, so 浙江大学科技园发展有限公司 is an enterprise; 研究院/研究所/
   科学院 -> institute; 大学/学院 -> university; 中心/医院… -> institute; 2-4 Han characters, or a
   name with a middle dot -> individual.
2. Latin script: university / institute words; a foreign legal form (GmbH, AG,
   Inc., KK…) -> foreign; a Chinese-style English company name (Co., Ltd.,
   Technology) -> enterprise; two or three capitalised words -> individual.
3. Anything else -> unknown (still a registry candidate).
"""

from __future__ import annotations

import polars as pl

from capscore.entity_resolution.normalize import simplify
from capscore.entity_resolution.vocabulary import alternation, vocabulary

KINDS = ("enterprise", "university", "institute", "individual", "foreign", "unknown")
CANDIDATE_KINDS = ("enterprise", "unknown")


def _words(markers: tuple[str, ...]) -> str:
    """Whole-token alternation for lower-case Latin text whose non-alphanumerics are spaces."""
    return r"(?:^| )" + alternation(list(markers)) + r"(?: |$)"


def classify_kinds(names: pl.Series) -> pl.Series:
    """The applicant kind of each name (row for row; null names are `unknown`)."""
    voc = vocabulary()
    m = voc.kind_markers
    text = simplify(names.cast(pl.String)).fill_null("")
    han = text.str.replace_all(r"[^\p{Han}·•・\p{L}\p{N}]", "")
    latin = text.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
    frame = pl.DataFrame({"han": han, "latin": latin, "is_han": text.str.contains(r"\p{Han}")})
    h, lat = pl.col("han"), pl.col("latin")
    foreign_prefix = "^" + alternation(list(m["foreign_country_prefix"]))
    han_only = h.str.replace_all(r"[·•・]", "")
    individual_han = (
        han_only.str.contains(r"^\p{Han}+$")
        & han_only.str.len_chars().is_between(2, voc.individual_max_chars)
    ) | h.str.contains(r"^\p{Han}+[·•・]\p{Han}+")
    kind_han = (
        pl.when(h.str.contains(alternation(list(m["foreign_cjk"]))))
        .then(pl.lit("foreign"))
        .when(
            h.str.contains(foreign_prefix) & h.str.contains(alternation(list(m["enterprise_cjk"])))
        )
        .then(pl.lit("foreign"))
        .when(h.str.contains(alternation(list(m["enterprise_cjk"]))))
        .then(pl.lit("enterprise"))
        .when(h.str.contains(alternation(list(m["research_cjk"]))))
        .then(pl.lit("institute"))
        .when(h.str.contains(alternation(list(m["university_cjk"]))))
        .then(pl.lit("university"))
        .when(h.str.contains(alternation(list(m["institute_cjk"]))))
        .then(pl.lit("institute"))
        .when(individual_han)
        .then(pl.lit("individual"))
        .otherwise(pl.lit("unknown"))
    )
    original_words = text.str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
    capitalised_person = original_words.str.contains(
        r"^\p{Lu}[\p{Ll}'-]+( \p{Lu}[\p{Ll}'-]+){1,2}$"
    )
    frame = frame.with_columns(capitalised_person.alias("person"))
    kind_latin = (
        pl.when(lat.str.contains(_words(m["university_latin"])))
        .then(pl.lit("university"))
        .when(lat.str.contains(_words(m["institute_latin"])))
        .then(pl.lit("institute"))
        .when(lat.str.contains(_words(m["foreign_latin"])))
        .then(pl.lit("foreign"))
        .when(lat.str.contains(_words(m["enterprise_latin"])))
        .then(pl.lit("enterprise"))
        .when(pl.col("person"))
        .then(pl.lit("individual"))
        .otherwise(pl.lit("unknown"))
    )
    return frame.select(
        pl.when(pl.col("han") == "")
        .then(pl.lit("unknown"))
        .when(pl.col("is_han"))
        .then(kind_han)
        .otherwise(kind_latin)
        .alias(names.name or "applicant_kind")
    ).to_series()
