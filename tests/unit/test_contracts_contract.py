from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from data_contracts.contract import (
    FILE_RULES,
    ROW_RULES,
    SOURCES,
    ContractError,
    load_contract,
    parse_contract,
)
from data_contracts.rules import row_checks


def document(**column: Any) -> dict[str, Any]:
    return {
        "source": "x",
        "key": ["a"],
        "max_quarantine_rate": 0.1,
        "columns": [{"name": "a", "type": "string"}, {"name": "b", "type": "date", **column}],
    }


def test_contracts_load_and_use_only_declared_rule_ids() -> None:
    for source in SOURCES:
        contract = load_contract(source)
        assert contract.source == source
        rules = {check.rule for check in row_checks(contract, date(2026, 11, 12))}
        assert rules <= set(ROW_RULES)
    assert not set(ROW_RULES) & set(FILE_RULES)


def test_sources_md_requirements_are_declared() -> None:
    registry = load_contract("registry")
    assert registry.required == [
        "credit_code",
        "name",
        "established_date",
        "status",
        "region_code",
        "snapshot_date",
    ]
    assert registry.column("status").allowed == (
        "存续",
        "在业",
        "迁入",
        "迁出",
        "停业",
        "吊销",
        "注销",
    )
    patents = load_contract("patents")
    assert patents.list_columns == {"applicants", "inventors", "ipc_codes", "cited_applications"}
    assert patents.column("patent_type").agrees_with_number == "application_number"
    rd = load_contract("rd_records")
    assert rd.column("credit_code").invalid_identifier == "flag"
    assert not rd.column("net_profit").non_negative
    assert rd.column("rd_expense").at_most is not None


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ({"type": "datetime"}, "type must be one of"),
        ({"not_after": "zz"}, "unknown column"),
        ({"identifier": "isbn"}, "identifier must be one of"),
        ({"invalid_identifier": "flag"}, "needs flag_column"),
        ({"colour": "red"}, "unexpected keyword"),
    ],
)
def test_a_wrong_declaration_is_refused(column: dict[str, Any], message: str) -> None:
    with pytest.raises(ContractError, match=message):
        parse_contract(document(**column))


def test_unknown_source_is_refused() -> None:
    with pytest.raises(ContractError):
        load_contract("weather")
