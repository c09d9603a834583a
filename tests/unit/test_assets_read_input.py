"""An as-of input read in the scorer's shape: only the columns it takes, absent ones null."""

from datetime import date
from pathlib import Path

import polars as pl

from assets.common import read_input
from capscore.storage.lake import write_partition
from capscore.storage.paths import DataRoot
from capscore.storage.tables import Table

KEYED = Table("s", "k", ("as_of_date",), "a keyed test table", keys=("code",))
DAY = date(2026, 11, 20)


def test_read_input_takes_the_schema_s_columns_and_nulls_for_absent_ones(tmp_path: Path) -> None:
    root = DataRoot.resolve(tmp_path)
    state = pl.DataFrame({"code": ["a", "b"], "amount": [1, 2], "note": ["x", "y"]})
    write_partition(root, KEYED, state, DAY)
    wanted = {"code": pl.String(), "amount": pl.Float64(), "founded": pl.Date()}
    read = read_input(root, KEYED, DAY, wanted)
    assert read.schema == pl.Schema(wanted)
    assert read.sort("code").rows() == [("a", 1.0, None), ("b", 2.0, None)]
