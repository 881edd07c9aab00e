"""Track reconstruction on real recordings (ingest + tracks together)."""

from pathlib import Path

import pandas as pd

from gnss_watch import read
from gnss_watch.tracks import build_tracks

REAL = Path(__file__).parents[1] / "sample_data" / "real"


def test_real_shared_mmsi_gives_a_main_track_and_no_impossible_step_inside_it() -> None:
    """538004030: a second transmitter on the same MMSI 1.4 km away around 18:09-18:19 UTC."""
    t = build_tracks(read(str(REAL / "dma_shared_mmsi_538004030.ais")).positions)
    sizes = t.groupby("segment").size().sort_values(ascending=False)
    assert sizes.iloc[0] > 0.95 * len(t)  # one main track holds nearly every report
    assert len(sizes) >= 2  # the intruder is split off, not joined into the main track
    second = t[t["segment"] != sizes.index[0]]
    assert (second["time"] >= pd.Timestamp("2014-09-28T16:40Z")).all()
    assert (t["implied_sog_kn"].dropna() < 60).all()


def test_real_normal_traffic_has_one_segment_per_vessel() -> None:
    t = build_tracks(read(str(REAL / "dma_ais_sample.txt.gz")).positions)
    assert t["segment"].nunique() == t["mmsi"].nunique()
    assert set(t["segment_start"].unique()) <= {"first", ""}
