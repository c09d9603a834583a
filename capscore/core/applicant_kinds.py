"""Applicant kind: enterprise, university, institute, individual, foreign, unknown.

One rule for two users, so that they never disagree: core masks the applicants it
calls individuals (personal data, as inventors: 张三丰 -> 张**, personal.py), and
entity resolution (entity_resolution/kinds.py) classifies the applicants core stores
with it, looking up only enterprises and unknowns in the registry. Universities,
institutes, individuals and foreign firms are never registry enterprises and stay
unmatched with their kind (a false link would credit a university's patents to a
firm). Markers live in applicant_kinds.yaml. The first rule that fires wins, in
this order:

0. A masked name (one character, then only `*`: what core stores for a person)
   -> individual, so that resolving core's masked applicants gives each the kind
   its name as written had.
1. Han script: a Japanese/foreign legal form (株式会社) or a foreign country
   prefix (美国…公司) -> foreign; a company word (公司, 企业, 厂, 合伙…) ->
   enterprise, so 浙江大学科技园发展有限公司 is an enterprise; 研究院/研究所/
   科学院 -> institute; 大学/学院 -> university; 中心/医院… -> institute; 2-4 Han characters,
   5 after a compound surname (欧阳娜娜娜; a title or 个人 after them not counted: 张三
   博士, 李四（个人）), or a name with a middle dot -> individual.
2. Latin script: university / institute words; a foreign legal form (GmbH, AG,
   Inc., KK…) -> foreign; a Chinese-style English company name (Co., Ltd.,
   Technology) -> enterprise; two or three words, each capitalised or in capitals,
   one at least in lower case after its capital (John Smith, LI Ming), titles before
   them (Prof. Dr.) and particles between them (von, van, de…) not counted ->
   individual. A name in capitals alone (JOHN SMITH) stays unknown: Chinese firms'
   English names are written so (XINHENG PHOTOVOLTAIC FACTORY), and a firm read as a
   person would never be looked up.
3. Anything else -> unknown (still a registry candidate).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import opencc
import polars as pl
import yaml

KINDS = ("enterprise", "university", "institute", "individual", "foreign", "unknown")
INDIVIDUAL = "individual"
APPLICANT_KINDS_YAML = Path(__file__).with_name("applicant_kinds.yaml")
# What personal.mask_name leaves of a name: its first character, then stars.
MASKED_NAME = r"^\S\*+$"


@dataclass(frozen=True)
class KindMarkers:
    markers: dict[str, tuple[str, ...]]
    individual_max_chars: int


@cache
def kind_markers(path: Path = APPLICANT_KINDS_YAML) -> KindMarkers:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return KindMarkers(
        markers={k: tuple(v) for k, v in raw["kind_markers"].items()},
        individual_max_chars=int(raw["individual_max_chars"]),
    )


def alternation(words: tuple[str, ...] | list[str]) -> str:
    """Regex alternation of literal words, longest first (the regex engine tries in order)."""
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return "(?:" + "|".join(re.escape(w) for w in ordered) + ")"


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def simplify(names: pl.Series) -> pl.Series:
    """NFKC, whitespace runs -> one space, traditional -> simplified; nulls stay null.

    opencc is called once on the newline-joined text: one C++ call instead of
    one per name (names contain no newline after the whitespace step).
    """
    nfkc = names.str.normalize("NFKC").str.replace_all(r"\s+", " ").str.strip_chars()
    filled = nfkc.fill_null("")
    if filled.len() == 0:
        return nfkc
    converted = _t2s().convert("\n".join(filled.to_list())).split("\n")
    return pl.Series(names.name, converted, dtype=pl.String).zip_with(nfkc.is_not_null(), nfkc)


def _words(markers: tuple[str, ...]) -> str:
    """Whole-token alternation for lower-case Latin text whose non-alphanumerics are spaces."""
    return r"(?:^| )" + alternation(list(markers)) + r"(?: |$)"


def classify_kinds(names: pl.Series) -> pl.Series:
    """The applicant kind of each name (row for row; null names are `unknown`)."""
    voc = kind_markers()
    m = voc.markers
    text = simplify(names.cast(pl.String)).fill_null("")
    han = text.str.replace_all(r"[^\p{Han}·•・\p{L}\p{N}]", "")
    latin = text.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
    frame = pl.DataFrame(
        {
            "han": han,
            "latin": latin,
            "is_han": text.str.contains(r"\p{Han}"),
            "masked": text.str.contains(MASKED_NAME),
        }
    )
    h, lat = pl.col("han"), pl.col("latin")
    foreign_prefix = "^" + alternation(list(m["foreign_country_prefix"]))
    # A title or 个人 after the name (冼星海 博士, 蔺相如（个人）) is not counted.
    han_only = h.str.replace_all(r"[·•・]", "").str.replace(
        alternation(list(m["person_titles_cjk"])) + "+$", ""
    )
    # A compound surname (欧阳, 司马) makes a name one character longer: 欧阳娜娜娜.
    compound = han_only.str.contains("^" + alternation(list(m["compound_surnames_cjk"])))
    longest = (
        pl.when(compound).then(voc.individual_max_chars + 1).otherwise(voc.individual_max_chars)
    )
    individual_han = (
        han_only.str.contains(r"^\p{Han}+$") & han_only.str.len_chars().is_between(2, longest)
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
        .then(pl.lit(INDIVIDUAL))
        .otherwise(pl.lit("unknown"))
    )
    # Titles before the name dropped (Prof. Dr.), two or three words each capitalised or
    # in capitals (LI Ming: patent offices write surnames so), one at least in lower
    # case after its capital (names in capitals alone are Chinese firms' English names
    # too: XINHENG PHOTOVOLTAIC FACTORY), with particles between them (John von Neumann).
    titles = "(?i)^(?:" + alternation(list(m["person_titles_latin"])) + " )+"
    original_words = (
        text.str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars().str.replace(titles, "")
    )
    word = r"\p{Lu}(?:[\p{Ll}'-]+|[\p{Lu}'-]+)"
    particles = "(?:" + alternation(list(m["name_particles_latin"])) + " ){0,2}"
    capitalised_person = original_words.str.contains(
        f"^{word}(?: {particles}{word}){{1,2}}$"
    ) & original_words.str.contains(r"\p{Lu}\p{Ll}")
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
        .then(pl.lit(INDIVIDUAL))
        .otherwise(pl.lit("unknown"))
    )
    return frame.select(
        pl.when(pl.col("masked"))
        .then(pl.lit(INDIVIDUAL))
        .when(pl.col("han") == "")
        .then(pl.lit("unknown"))
        .when(pl.col("is_han"))
        .then(kind_han)
        .otherwise(kind_latin)
        .alias(names.name or "applicant_kind")
    ).to_series()
