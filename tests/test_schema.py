"""The schema's time helpers: every output writes times through them."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from gnss_watch.schema import iso_utc, iso_utc_series, unix_seconds, utc_from_unix

# Receive times AIS recordings carry: 2000-2100, to the millisecond.
MILLIS = st.integers(946_684_800_000, 4_102_444_800_000)


def test_iso_utc_writes_milliseconds_and_z_for_timestamps_and_unix_seconds() -> None:
    t = pd.Timestamp("2024-06-01T12:34:56.789123Z")
    assert iso_utc(t) == "2024-06-01T12:34:56.789Z"  # truncated to the millisecond, as every output has it
    assert iso_utc(t.timestamp()) == "2024-06-01T12:34:56.789Z"
    assert iso_utc(pd.Timestamp("2024-06-01T00:00:00Z")) == "2024-06-01T00:00:00.000Z"
    assert iso_utc(None) is None and iso_utc(pd.NaT) is None and iso_utc(float("nan")) is None


def test_iso_utc_series_matches_iso_utc_and_keeps_missing_times_missing() -> None:
    s = pd.Series(pd.to_datetime(["2024-06-01T00:00:01.5Z", None, "2023-12-31T23:59:59.999Z"], utc=True))
    out = iso_utc_series(s)
    assert out.iloc[0] == iso_utc(s.iloc[0]) == "2024-06-01T00:00:01.500Z"
    assert pd.isna(out.iloc[1])
    assert out.iloc[2] == "2023-12-31T23:59:59.999Z"


@given(st.lists(MILLIS, min_size=1, max_size=20))
def test_unix_seconds_round_trip_to_the_millisecond(millis: list[int]) -> None:
    times = pd.Series(pd.to_datetime(np.array(millis), unit="ms", utc=True))
    back = utc_from_unix(unix_seconds(times))
    assert (back == pd.DatetimeIndex(times)).all()
    assert [iso_utc(float(x)) for x in unix_seconds(times)] == iso_utc_series(times).tolist()
