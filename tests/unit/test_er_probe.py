"""The model probe (benchmarks/er_probe.py) makes what it says: names one element away."""

from __future__ import annotations

import polars as pl

from benchmarks.er_probe import probes
from capscore.entity_resolution.confusables import OTHER, substitution_kind

FIRMS = pl.DataFrame(
    {
        "credit_code": ["A", "B", "C"],
        "name": ["嘉兴信华电气有限公司", "海盐恒博塑业有限公司", "浙江瑞恒机床股份有限公司"],
        "address": ["浙江省嘉兴市南湖区长安路1号", "浙江省嘉兴市海盐县秦山路2号", None],
        "region_code": ["330402", "330424", "330106"],
    }
)
POOL = sorted(set("信华恒博瑞鑫新宏海盐电气塑业机床桓欣"))


def _differing(a: str, b: str) -> list[tuple[str, str]]:
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


def test_probe_names_are_one_element_away() -> None:
    made = pl.DataFrame(
        probes(FIRMS, POOL, per_kind=10, seed=1),
        schema=["kind", "name", "address", "source"],
        orient="row",
    )
    names = dict(FIRMS.select("credit_code", "name").iter_rows())
    own = dict(FIRMS.select("credit_code", "address").iter_rows())
    assert {
        "other_industry",
        "other_prefecture",
        "zihao_confusable",
        "typo_confusable",
        "typo_other_street",
    } <= set(made["kind"])
    for kind, name, address, source in made.iter_rows():
        registered = names[source]
        assert name != registered
        if kind == "typo_other_street":
            (swap,) = _differing(registered, name)
            assert substitution_kind(*swap) != OTHER
            place = own[source].split("区")[0].split("县")[0]
            assert address.startswith(place) and address.endswith("创新路999号")
        elif kind.startswith(("zihao_", "typo_")):
            (swap,) = _differing(registered, name)
            related = substitution_kind(*swap) != OTHER
            assert related == kind.endswith("confusable")
            assert (address == (own[source] or "")) == kind.startswith("typo_")
        elif kind == "other_prefecture":
            assert not name.startswith(("嘉兴", "海盐", "浙江")) and address.startswith("浙江省")
            assert not address.startswith("浙江省嘉兴市")
        else:
            assert kind == "other_industry" and name[:4] == registered[:4]
