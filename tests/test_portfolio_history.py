"""Portfolio demand histories: messages that name the missing periods, column names."""

from __future__ import annotations

import pandas as pd

from idinn.portfolio import read_demand_history


def test_missing_dates_are_named():
    weekly = pd.DataFrame({
        "sku": ["w"] * 4 + ["ok"] * 2,
        "date": ["2024-01-03", "2024-01-10", "2024-01-31", "2024-02-07", "2024-01-03", "2024-01-10"],
        "quantity": [1, 2, 3, 4, 1, 1],
    })
    histories, errors = read_demand_history(weekly)
    assert list(histories) == ["ok"] and list(errors) == ["w"]
    # weekly on Wednesdays: the weeks of 2024-01-17 and 2024-01-24 are absent
    assert errors["w"] == ("2 missing period(s) between date 2024-01-03 and 2024-02-07: 2024-01-17, 2024-01-24 "
                           "(pass fill_missing=True / --fill-missing to count them as zero demand)")
    monthly = pd.DataFrame({"sku": ["m"] * 3, "date": ["2024-01-15", "2024-02-15", "2024-04-15"], "quantity": [1, 1, 1]})
    _, errors = read_demand_history(monthly)
    assert errors["m"].startswith("1 missing period(s) between date 2024-01 and 2024-04: 2024-03 (")


def test_missing_period_numbers_are_named_and_long_gaps_shortened():
    hist = pd.DataFrame({"sku": ["p"] * 3, "period": [1, 2, 10], "quantity": [0, 1, 2]})
    _, errors = read_demand_history(hist)
    assert errors["p"].startswith("7 missing period(s) between period 1 and 10: 3, 4, 5, 6, 7, ... (2 more) ")
