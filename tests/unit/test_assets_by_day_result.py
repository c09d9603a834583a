"""A looping asset's result: one row of figures per day, however long the backfill."""

from datetime import date, timedelta

from assets.common import by_day_result


def test_a_figure_first_present_after_a_hundred_days_keeps_its_type() -> None:
    # A year's backfill: the first 120 days have no backtest date yet, the later ones do.
    start = date(2025, 11, 3)
    days = [start + timedelta(days=i) for i in range(150)]
    summary = [
        {
            "as_of_date": day,
            "figures": 30 + (i >= 120),
            "reference_date": day - timedelta(days=365) if i >= 120 else None,
        }
        for i, day in enumerate(days)
    ]
    result = by_day_result(summary, "figures")
    metadata = result.metadata or {}
    assert metadata["dagster/row_count"] == 31
    table = str(metadata["by_as_of_date"].value)  # type: ignore[union-attr]
    # The latest days first: those of a long backfill are the ones to read.
    assert table.splitlines()[2].startswith(
        f"| {days[-1]} | 31 | {days[-1] - timedelta(days=365)} |"
    )
    assert "100 more rows not shown" in table
