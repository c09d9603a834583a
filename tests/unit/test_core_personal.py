"""Personal names leave the raw layer masked: the first character, then stars."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from capscore.core.person_cache import read_person_names, write_person_names
from capscore.core.personal import (
    PersonNames,
    mask_individual_applicants,
    mask_name,
    mask_personal,
)
from capscore.storage.paths import DataRoot
from capscore.warehouse.publish import MASK_EXTRA_MACRO


def _masked(name: str | None) -> str | None:
    return None if name is None else name[:1] + "*" * max(len(name) - 1, 1)


@given(st.lists(st.one_of(st.none(), st.text(max_size=80))))
def test_a_name_keeps_its_first_character_and_a_star_for_each_other(
    names: list[str | None],
) -> None:
    frame = pl.DataFrame({"name": names}, schema={"name": pl.String})
    masked = frame.select(mask_name(pl.col("name")).alias("name"))["name"]
    assert masked.to_list() == [_masked(n) for n in names]


def test_every_personal_column_is_masked_lists_included() -> None:
    frame = pl.DataFrame(
        {
            "legal_representative": ["张三丰", None],
            "inventors": [["李四", "Johann Bach"], None],
            "name": ["嘉兴华泰汽车零部件有限公司", "X"],
            # A column the contract does not know, as landed: a filer's name.
            "_extra": ['{"填报人":"王小明","备注":"嘉兴华泰汽车零部件有限公司"}', None],
        }
    )
    masked = mask_personal(frame)
    assert masked["legal_representative"].to_list() == ["张**", None]
    assert masked["inventors"].to_list() == [["李*", "J**********"], None]
    assert masked["name"].equals(frame["name"])
    # core's files hold no name its warehouse view masks: the analysts' sandbox reads them.
    assert masked["_extra"].to_list() == [
        '{"填报人":"王**","备注":"嘉兴华泰汽车零部件有限公司"}',
        None,
    ]


EXTRA_CASES = [
    ('{"填报人":"王小明"}', '{"填报人":"王**"}'),
    # A list, a joined cell, a name with a role after it: every short Han token is masked
    # (a role or a city too: masking more than names is the safe side).
    ('{"联系人":["王小明","李四"]}', '{"联系人":["王**","李**"]}'),
    ('{"联系人":"王小明;李四;赵五"}', '{"联系人":"王**;李**;赵**"}'),
    ('{"联系人": "王小明、李四 赵五"}', '{"联系人": "王**、李**　赵**"}'.replace("　", " ")),
    ('{"负责人":"阿卜杜拉·买买提(经理)"}', '{"负责人":"阿**·买**(经**)"}'),
    # A name after a role and a colon, a Latin name, a JSON list written into a text cell
    # (its quotes escaped), a list of Latin names: masked like the others.
    (
        '{"联系人":"经办人：乜小兵","备注":"报送人:梁丘据"}',
        '{"联系人":"经**：乜**","备注":"报**:梁**"}',
    ),
    (
        '{"填报人":"Li Quanming","股东":["Ann Quarry","Hans QUELL"]}',
        '{"填报人":"L** Q**","股东":["A** Q**","H** QUELL"]}',
    ),
    (
        '{"联系人":"[\\"拓跋珪珪\\",\\"Mila Listquell\\"]"}',
        '{"联系人":"[\\"拓**\\",\\"M** L**\\"]"}',
    ),
    # Keys, firm names and other text stay as they are, and so do codes in capitals (a
    # source system, a standard): a word in capitals alone is not read as a name, as in
    # applicant kinds (Chinese firms' English names and codes are written so).
    ('{"备注":"嘉兴华泰汽车零部件有限公司","编号":"A12","批次":"B20261109-01"}', None),
    ('{"source_system":"CNIPA-BIB","标准":"GB/T 7714","认证":"ISO 9001"}', None),
    ('{"填报人":null,"人数":12}', None),
]


def test_extra_masks_every_short_han_token_of_its_values_and_no_key() -> None:
    extra = pl.DataFrame({"_extra": [case for case, _ in EXTRA_CASES]})
    masked = mask_personal(extra)["_extra"].to_list()
    assert masked == [want or case for case, want in EXTRA_CASES]


def test_the_warehouse_masks_extra_as_core_does() -> None:
    con = duckdb.connect()
    con.execute(MASK_EXTRA_MACRO)
    for case, want in EXTRA_CASES:
        assert con.execute("SELECT mask_extra(?)", [case]).fetchone() == (want or case,)


def test_individual_applicants_are_masked_firms_and_firms_named_like_people_are_not() -> None:
    from capscore.core.personal import mask_individual_applicants

    frame = pl.DataFrame(
        {
            "applicants": [
                ["张三丰", "嘉兴华泰汽车零部件有限公司"],
                # A firm called like a person, a university, a foreign firm: all kept.
                ["张三丰科技有限公司", "John Smith Technology Co., Ltd.", "浙江大学"],
                ["John Smith", "阿卜杜·热合曼", "Siemens AG"],
                None,
            ]
        }
    )
    masked = mask_individual_applicants(frame)
    assert masked["applicants"].to_list() == [
        ["张**", "嘉兴华泰汽车零部件有限公司"],
        ["张三丰科技有限公司", "John Smith Technology Co., Ltd.", "浙江大学"],
        ["J*********", "阿******", "Siemens AG"],
        None,
    ]
    # Masking twice is masking once (a drop may repeat a patent already masked).
    assert mask_individual_applicants(masked).equals(masked)


def test_entity_resolution_reads_a_masked_person_as_an_individual_and_nothing_else_moves() -> None:
    from capscore.core.applicant_kinds import classify_kinds as core_kinds
    from capscore.core.personal import mask_individual_applicants
    from capscore.entity_resolution.kinds import classify_kinds

    names = [
        "张三丰",
        "欧阳娜娜",
        "阿卜杜·热合曼",
        "John Smith",
        "Anna Maria Lopez",
        "嘉兴华泰汽车零部件有限公司",
        "张三丰科技有限公司",
        "John Smith Technology Co., Ltd.",
        "浙江大学",
        "中国科学院宁波材料技术与工程研究所",
        "Siemens AG",
        "L'Oreal",
        "华为",
        "",
    ]
    # One rule: ER classifies with core's classifier.
    assert classify_kinds is core_kinds
    kinds = classify_kinds(pl.Series(names)).to_list()
    masked = mask_individual_applicants(pl.DataFrame({"applicants": [names]}))["applicants"]
    masked_kinds = classify_kinds(pl.Series(masked.to_list()[0])).to_list()
    assert masked_kinds == kinds
    for name, kind, shown in zip(names, kinds, masked.to_list()[0], strict=True):
        assert (shown != name) == (kind == "individual" and len(name) > 1), name


def test_a_quarantined_rows_individual_applicants_are_masked_as_in_core() -> None:
    from capscore.core.personal import mask_applicants_in_records

    records = pl.Series(
        [
            '{"applicants":["郑鑫","嘉兴天华汽车零部件有限公司"],"inventors":"***"}',
            # A CSV cell as read: `;`-joined.
            '{"applicants":"李新峰;Siemens AG;John Smith","x":1}',
            '{"_line": "a,b"}',
            None,
        ]
    )
    assert mask_applicants_in_records(records).to_list() == [
        '{"applicants":["郑*","嘉兴天华汽车零部件有限公司"],"inventors":"***"}',
        '{"applicants":"李**;Siemens AG;J*********","x":1}',
        '{"_line": "a,b"}',
        None,
    ]


def test_applicant_names_met_before_are_not_classified_again(tmp_path: Path) -> None:
    patents = pl.DataFrame(
        {"applicants": [["王小明", "嘉兴华泰汽车零部件有限公司"], [" 李四 ", "John Smith"]]}
    )
    fresh = mask_individual_applicants(patents)
    names = PersonNames()
    assert mask_individual_applicants(patents, names).equals(fresh)
    assert names.known.height == 4
    # Kept for the next run, and read as made: a name met is taken as it was read then
    # (hence the kept file is named by the rule's digest).
    root = DataRoot.resolve(tmp_path / "root")
    write_person_names(root, names)
    kept = read_person_names(root)
    assert kept.known.sort("name").equals(names.known.sort("name"))
    # A run that met no new name keeps nothing again; a full run starts from none.
    assert write_person_names(root, kept) is None
    assert read_person_names(root, full=True).known.is_empty()
    # A step that reads only some names adds what it meets to all the kept ones.
    some = read_person_names(root, among=pl.Series([" 李四 ", "赵六"]))
    assert some.known["name"].to_list() == ["李四"]
    some.persons(pl.Series(["赵六"]))
    write_person_names(root, some)
    assert read_person_names(root).known.height == 5
    told = PersonNames(pl.DataFrame({"name": ["王小明"], "person": [False]}))
    shown = mask_individual_applicants(patents, told)["applicants"].to_list()
    assert shown == [["王小明", "嘉兴华泰汽车零部件有限公司"], ["李*", "J*********"]]
    assert told.known.height == 4  # the other three classified and added


RECORD_CASES = [
    # A personal value holding an escaped quote (a JSON list written into a text cell):
    # masked whole, not up to the quote.
    (
        r'{"legal_representative":"[\"张三丰\",\"李四光\"]","status":"存续"}',
        '{"legal_representative":"[**","status":"存续"}',
    ),
    (r'{"inventors":"[\"张三丰\"]","title":"x"}', '{"inventors":"***","title":"x"}'),
    (r'{"inventors":["张三]丰","李四"],"title":"x"}', '{"inventors":"***","title":"x"}'),
    # A line that could not be split: Latin names and escaped (\uXXXX) names are masked
    # too; codes, numbers and lower-case words stay.
    (
        r'{"_line": "C2,JAMES QUARREG,\\u5b87\\u6587\\u62d3,CN202519900102.4,'
        r'G06F16/00,B20261109-01,Jean-Pierre Quelmont,invention"}',
        r'{"_line": "C2,J** Q**,\\u5b87**,CN202519900102.4,'
        r'G06F16/00,B20261109-01,J** Q**,invention"}',
    ),
]


def test_the_warehouse_masks_every_name_of_a_quarantined_record() -> None:
    from capscore.warehouse.publish import (
        MASK_JSON_MACRO,
        MASK_MACRO,
        MASK_UNKNOWN_KEYS_MACRO,
    )

    con = duckdb.connect()
    for macro in (MASK_MACRO, MASK_EXTRA_MACRO, MASK_UNKNOWN_KEYS_MACRO, MASK_JSON_MACRO):
        con.execute(macro)
    for case, want in RECORD_CASES:
        assert con.execute("SELECT mask_json(?)", [case]).fetchone() == (want,)


def test_an_r_and_d_filer_s_name_read_as_a_person_is_masked_a_firm_s_is_not() -> None:
    from capscore.core.personal import mask_individual_names

    filings = pl.DataFrame(
        {
            "enterprise_name": [
                # A filer who wrote a person's name (the legal representative's) where
                # the firm's goes: masked as an individual applicant is, as trimmed.
                "王小明",
                " 李四 ",
                "John Smith",
                # A firm called like a person, a firm: as written.
                "王小明科技有限公司",
                "嘉兴华泰汽车零部件有限公司",
                None,
            ],
            "fiscal_year": [2023, 2023, 2024, 2023, 2023, 2023],
        }
    )
    names = PersonNames()
    masked = mask_individual_names(filings, "enterprise_name", names)
    assert masked["enterprise_name"].to_list() == [
        "王**",
        "李*",
        "J*********",
        "王小明科技有限公司",
        "嘉兴华泰汽车零部件有限公司",
        None,
    ]
    assert masked["fiscal_year"].equals(filings["fiscal_year"])
    # Each distinct name is read once; masking twice is masking once.
    assert names.known.height == 5
    assert mask_individual_names(masked, "enterprise_name", names).equals(masked)
    # The same rule as the applicants': every name shown alike in both.
    as_applicants = mask_individual_applicants(
        pl.DataFrame({"applicants": [filings["enterprise_name"].to_list()]})
    )
    assert as_applicants["applicants"].to_list() == [masked["enterprise_name"].to_list()]


def test_a_quarantined_filing_s_person_name_is_masked_in_its_record_and_its_reason() -> None:
    from capscore.core.personal import mask_filed_names_in_records

    rows = pl.DataFrame(
        {
            "raw_record": [
                '{"credit_code":null,"enterprise_name":"王小明","fiscal_year":2016}',
                '{"enterprise_name":"王小明科技有限公司","fiscal_year":2016}',
                '{"_line": "a,b"}',
                None,
            ],
            "reason": [
                "duplicate key credit_code=null, enterprise_name=王小明, fiscal_year=2016, "
                "reported_date=2026-11-03: first loaded from landing/x.csv row 1",
                "revenue '约1200' is not a number",
                "row cannot be parsed",
                "empty file",
            ],
        }
    )
    masked = mask_filed_names_in_records(rows)
    assert masked["raw_record"].to_list() == [
        '{"credit_code":null,"enterprise_name":"王**","fiscal_year":2016}',
        *rows["raw_record"].to_list()[1:],
    ]
    assert masked["reason"].to_list() == [
        "duplicate key credit_code=null, enterprise_name=王**, fiscal_year=2016, "
        "reported_date=2026-11-03: first loaded from landing/x.csv row 1",
        *rows["reason"].to_list()[1:],
    ]
