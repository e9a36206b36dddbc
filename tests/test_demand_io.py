"""Reading demand history: series keys, dates, missing periods, strict cells."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from idinn._demand_io import read_demand_history, read_demand_series
from idinn.demand import EmpiricalDemand, TraceDemand

# Three SKUs interleaved, dates out of order, SKU "C" misses the weeks of 15 and 22 January.
LONG = """date,sku_id,demand
2024-01-15,B,5
2024-01-01,A,1
2024-01-08,C,7
2024-01-01,B,4
2024-01-15,A,3
2024-01-01,C,6
2024-01-08,A,2
2024-01-22,A,4
2024-01-29,C,9
2024-01-08,B,0
"""


def write(tmp_path: Path, text: str, name: str = "demand.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_long_weekly_file_is_split_sorted_and_gap_filled_when_asked(tmp_path):
    p = write(tmp_path, LONG)
    got = read_demand_history(p, key="sku_id", date="date", quantity="demand", missing="zero")
    assert list(got) == ["B", "A", "C"]  # order of first appearance
    assert got["A"].tolist() == [1, 2, 3, 4]
    assert got["B"].tolist() == [4, 0, 5]
    assert got["C"].tolist() == [6, 7, 0, 0, 9]
    assert all(v.dtype == np.int64 for v in got.values())


def test_missing_weeks_are_refused_by_default_naming_them(tmp_path):
    p = write(tmp_path, LONG)
    msg = (
        f"File {str(p)!r}: series 'C' has 2 missing period(s) between 2024-01-01 and 2024-01-29: "
        "2024-01-15, 2024-01-22. Pass missing='zero' to count a missing period as zero demand, or add its row."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        read_demand_history(p, key="sku_id", date="date", quantity="demand")
    with pytest.raises(ValueError, match=re.escape(msg)):
        TraceDemand.from_csv(p, "demand", key="sku_id", sku="C", date="date")


def test_from_csv_picks_one_sku_sorted_by_date(tmp_path):
    p = write(tmp_path, LONG)
    assert TraceDemand.from_csv(p, "demand", key="sku_id", sku="A", date="date").series.tolist() == [1, 2, 3, 4]
    assert TraceDemand.from_csv(p, "demand", key="sku_id", sku="C", date="date", missing="zero").series.tolist() == [
        6, 7, 0, 0, 9]
    e = EmpiricalDemand.from_csv(p, "demand", key="sku_id", sku="B", date="date")
    assert e.history.tolist() == [4, 0, 5]
    assert e.pmf()[0].tolist() == [0, 4, 5]


def test_several_series_without_key_are_refused(tmp_path):
    p = write(tmp_path, LONG)
    hint = ("Pass key=<the column that names each series> (one of ['date', 'sku_id', 'demand']) and "
            "sku=<the series to read>, or date=<the date column> if the file holds one series.")
    # The call: one column, nothing else.
    with pytest.raises(ValueError, match=re.escape(
        f"File {str(p)!r} seems to hold several series: column(s) ['date', 'sku_id'] repeat their values "
        f"(e.g. ['2024-01-15', '2024-01-01', '2024-01-08']). {hint}"
    )):
        TraceDemand.from_csv(p, "demand")
    with pytest.raises(ValueError, match=re.escape(
        f"File {str(p)!r} holds several series: date 2024-01-01 appears in data row 2 (line 3) and "
        f"data row 4 (line 5). {hint}"
    )):
        TraceDemand.from_csv(p, "demand", date="date")
    with pytest.raises(ValueError, match=re.escape(
        f"File {str(p)!r} holds 3 series in column 'sku_id' ('B', 'A', 'C'). Pass sku=<one of them> to read one series."
    )):
        EmpiricalDemand.from_csv(p, "demand", key="sku_id")
    with pytest.raises(ValueError, match=re.escape(
        f"File {str(p)!r} has no series 'Z' in column 'sku_id'; its series are 'B', 'A', 'C'."
    )):
        TraceDemand.from_csv(p, "demand", key="sku_id", sku="Z")


def test_single_series_with_dates_is_sorted(tmp_path):
    p = write(tmp_path, "date,demand\n2024-03-01,3\n2024-01-01,1\n2024-02-01,2\n")
    # Monthly dates (28-31 days apart) are counted in calendar months.
    assert TraceDemand.from_csv(p, "demand", date="date").series.tolist() == [1, 2, 3]
    q = write(tmp_path, "period,demand\n3,30\n1,10\n2,20\n5,50\n", "int.csv")
    with pytest.raises(ValueError, match=re.escape(
        f"File {str(q)!r}: the series has 1 missing period(s) between 1 and 5: 4. Pass missing='zero'"
    )):
        TraceDemand.from_csv(q, "demand", date="period")
    assert TraceDemand.from_csv(q, "demand", date="period", missing="zero").series.tolist() == [10, 20, 30, 0, 50]


def test_duplicate_rows_and_irregular_dates(tmp_path):
    p = write(tmp_path, "date,sku,demand\n2024-01-01,A,1\n2024-01-08,A,2\n2024-01-08,A,5\n")
    with pytest.raises(ValueError, match=re.escape(
        f"File {str(p)!r}: series 'A' has two rows for date 2024-01-08: data row 2 (line 3) and data row 3 "
        "(line 4). Add them up into one row per period."
    )):
        read_demand_history(p, key="sku", date="date", quantity="demand")
    q = write(tmp_path, "date,demand\n2024-01-01,1\n2024-01-08,2\n2024-01-18,5\n", "odd.csv")
    with pytest.raises(ValueError, match=re.escape(
        f"File {str(q)!r}: the dates in column 'date' are not on a regular grid of periods: the smallest gap "
        "between two consecutive dates is 7 day(s), but 2024-01-08 to 2024-01-18 is 10 day(s). "
        "Give one row per period (every day, week or month)."
    )):
        TraceDemand.from_csv(q, "demand", date="date")
    r = write(tmp_path, "date,demand\n2024-01-01,1\n01/08/2024,2\n", "us.csv")
    with pytest.raises(ValueError, match=re.escape(
        f"File {str(r)!r}, data row 2 (line 3), column 'date': '01/08/2024' is not a date in ISO 8601 form "
        "(YYYY-MM-DD) nor an integer period number. Write dates as YYYY-MM-DD."
    )):
        TraceDemand.from_csv(r, "demand", date="date")


@pytest.mark.parametrize(
    ("cell", "detail"),
    [
        ("1_000", "'1_000' is not a number: digit separators ('_', ',', \"'\", ' ') are not read; write the digits "
                  "alone, e.g. '1000'."),
        ('"1,000"', "'1,000' is not a number: digit separators ('_', ',', \"'\", ' ') are not read; write the digits "
                    "alone, e.g. '1000'."),
        ("12345678901234567890", "'12345678901234567890' is too large: a demand must be at most "
                                 "9223372036854775807 (the int64 limit)."),
        ("inf", "'inf' is not a finite number."),
        ("0x10", "'0x10' is not a number."),
    ],
)
def test_cells_are_read_strictly(tmp_path, cell, detail):
    p = write(tmp_path, f"week,sales\n1,4\n2,{cell}\n")
    msg = f"File {str(p)!r}, data row 2 (line 3), column 'sales': {detail} Every demand must be an integer >= 0."
    with pytest.raises(ValueError, match=re.escape(msg)):
        TraceDemand.from_csv(p, "sales")


def test_exact_big_integers_and_exponents(tmp_path):
    p = write(tmp_path, "sales\n9007199254740993\n1e1\n7.0\n")
    # 2**53 + 1 is read exactly (not through a float); the demand model then refuses it
    # (the float32 simulator holds integers exactly only up to 2**24).
    assert read_demand_series(p, "sales").tolist() == [9007199254740993, 10, 7]
    with pytest.raises(ValueError, match=re.escape(
        "The 'series' parameter of TraceDemand must be at most 16777216"
    )):
        TraceDemand.from_csv(p, "sales")


def test_latin1_byte_is_refused_with_its_line_and_the_way_out(tmp_path):
    p = tmp_path / "latin.csv"
    p.write_bytes(b"store,sales\nParis,3\nCr\xe9teil,4\n")
    with pytest.raises(ValueError, match=re.escape(
        f"File {str(p)!r} is not valid UTF-8 text: byte 0xe9 on line 3, column 'store' cannot be decoded. Save the "
        "file as UTF-8, or pass encoding='latin-1' (or the encoding it was written in)."
    )):
        TraceDemand.from_csv(p, "sales")
    assert TraceDemand.from_csv(p, "sales", encoding="latin-1").series.tolist() == [3, 4]


def test_data_frame_input_and_options_are_checked():
    frame = pd.DataFrame({
        "date": pd.to_datetime(["2024-01-15", "2024-01-01", "2024-01-08", "2024-01-01"]),
        "sku": [7, 7, 7, 8],
        "qty": [3.0, 1.0, 2.0, 9.0],
    })
    got = read_demand_history(frame, key="sku", date="date", quantity="qty")
    assert {k: v.tolist() for k, v in got.items()} == {"7": [1, 2, 3], "8": [9]}
    bad = frame.assign(qty=[3.0, 1.5, 2.0, 9.0])
    with pytest.raises(ValueError, match=re.escape(
        "The demand-history table, row 2 (index 1), column 'qty': '1.5' is not an integer."
    )):
        read_demand_history(bad, key="sku", date="date", quantity="qty")
    with pytest.raises(ValueError, match=re.escape(
        "The 'missing' parameter of read_demand_history must be one of 'refuse', 'zero'. Got 'fill' instead."
    )):
        read_demand_history(frame, key="sku", date="date", quantity="qty", missing="fill")
    with pytest.raises(ValueError, match=re.escape(
        "The demand-history table has no column 'day' in its header; its columns are ['date', 'sku', 'qty']. "
        "Pass date=<one of these> to name the date column."
    )):
        read_demand_history(frame, key="sku", date="day", quantity="qty")


def test_sku_without_key_is_refused(tmp_path):
    p = write(tmp_path, LONG)
    with pytest.raises(ValueError, match=re.escape(
        "The 'key' parameter of TraceDemand.from_csv must be the column that holds the series keys when 'sku' is "
        "given (sku='A'). Got None instead."
    )):
        TraceDemand.from_csv(p, "demand", sku="A")
    assert read_demand_series(p, "demand", key="sku_id", sku="A").tolist() == [1, 3, 2, 4]  # file order, no date


def test_period_given_when_the_dates_cannot_show_it(tmp_path):
    # Both SKUs miss the week of 8 January: only period="week" can tell.
    p = write(tmp_path, "date,sku,demand\n2024-01-15,A,4\n2024-01-01,A,2\n2024-01-01,B,9\n2024-01-15,B,1\n")
    assert {k: v.tolist() for k, v in read_demand_history(p, key="sku", date="date", quantity="demand").items()} == {
        "A": [2, 4], "B": [9, 1]}
    with pytest.raises(ValueError, match=re.escape(
        f"File {str(p)!r}: series 'A' has 1 missing period(s) between 2024-01-01 and 2024-01-15: 2024-01-08. "
    )):
        read_demand_history(p, key="sku", date="date", quantity="demand", period="week")
    got = read_demand_history(p, key="sku", date="date", quantity="demand", period="week", missing="zero")
    assert got["B"].tolist() == [9, 0, 1]
    q = write(tmp_path, "date,demand\n2024-01-01,1\n2024-01-04,2\n", "days.csv")
    with pytest.raises(ValueError, match=re.escape(
        f"File {str(q)!r}: the dates in column 'date' are not on a regular grid of periods: a period is 7 day(s) "
        "(period='week'), but 2024-01-01 to 2024-01-04 is 3 day(s)."
    )):
        read_demand_history(q, key=None, date="date", quantity="demand", period="week")
    with pytest.raises(ValueError, match=re.escape(
        "The 'period' parameter of read_demand_history must be None (inferred from the dates) or one of 'day', "
        "'week', 'month', 'quarter', 'year'. Got 'weekly' instead."
    )):
        read_demand_history(q, key=None, date="date", quantity="demand", period="weekly")
    m = write(tmp_path, "date,demand\n2024-01-31,1\n2024-04-30,2\n", "months.csv")
    assert TraceDemand.from_csv(m, "demand", date="date", period="month", missing="zero").series.tolist() == [
        1, 0, 0, 2]
    assert TraceDemand.from_csv(m, "demand", date="date", period="quarter").series.tolist() == [1, 2]


def test_a_row_longer_than_the_header_is_refused(tmp_path):
    p = write(tmp_path, "week,sales\n1,4\n2,1,000\n3,5,\n")
    with pytest.raises(ValueError, match=re.escape(
        f"File {str(p)!r}, data row 2 (line 3) has 3 fields but the header names 2. Quote a field that holds the "
        "delimiter ',', or name every column in the header."
    )):
        TraceDemand.from_csv(p, "sales")
    q = write(tmp_path, "week,sales\n1,4\n3,5,\n", "trailing.csv")  # empty trailing fields are harmless
    assert TraceDemand.from_csv(q, "sales").series.tolist() == [4, 5]
