"""gnss_watch.plot draws onto the given Axes, from a Results or an output directory."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from report_helpers import replay_dir  # noqa: E402

from gnss_watch import plot  # noqa: E402
from gnss_watch.results import load_results  # noqa: E402


@pytest.fixture(scope="module")
def res(tmp_path_factory):
    return load_results(replay_dir(tmp_path_factory.getbasetemp()))


def _ax():
    return Figure().add_subplot()


def test_load_results_restores_tables(res):
    assert len(res.reports) and res.reports["time"].dt.tz is not None
    assert res.events["start"].dt.tz is not None and (res.events["end"] >= res.events["start"]).all()
    # zones come back as shapely polygons whose centre lies inside
    for z in res.zones.itertuples():
        assert z.geometry.geom_type == "Polygon" and z.geometry.contains(shapely.Point(z.centre_lon, z.centre_lat))
    assert set(res.detection.grid["level"]) <= {"low", "medium", "high"}


def test_load_results_rejects_non_output_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing positions.parquet"):
        load_results(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such directory"):
        load_results(tmp_path / "nope")


def test_plot_map_zones_aspect_and_tracks(res):
    ax = _ax()
    assert plot.plot_map(res, ax=ax) is ax
    zones = [p for p in ax.patches if (p.get_gid() or "").startswith("zone:")]
    assert len(res.zones) >= 1
    assert sorted(p.get_gid() for p in zones) == sorted(f"zone:{z}" for z in res.zones["zone_id"])
    lat0, lat1 = ax.get_ylim()
    assert ax.get_aspect() == pytest.approx(1 / np.cos(np.radians((lat0 + lat1) / 2)))
    tracks = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_label() == "vessel tracks"]
    assert len(tracks) == 1 and len(tracks[0].get_segments()) >= res.reports["mmsi"].nunique() // 2
    # the view holds the traffic and every zone
    x0, x1 = ax.get_xlim()
    assert (res.zones["centre_lon"].between(x0, x1) & res.zones["centre_lat"].between(lat0, lat1)).all()
    labels = [t.get_text() for t in ax.texts]
    assert all(any(t.startswith(z) for t in labels) for z in res.zones["zone_id"])


def test_plot_map_accepts_output_dir(tmp_path_factory, res):
    ax = plot.plot_map(replay_dir(tmp_path_factory.getbasetemp()), ax=_ax())
    assert sum((p.get_gid() or "").startswith("zone:") for p in ax.patches) == len(res.zones)


def test_tracks_break_at_jumps():
    t = pd.date_range("2024-06-01", periods=6, freq="10s", tz="UTC")
    df = pd.DataFrame({"time": t, "mmsi": [1, 1, 1, 1, 2, 2], "pos_valid": True,
                       "lon": [20.0, 20.001, 21.0, 21.001, 22.0, 22.001], "lat": 60.0})
    pieces = plot._pieces(df)
    # a 55 km jump splits vessel 1; vessel 2 is its own piece
    assert [len(p) for p in pieces] == [2, 2, 2]


def test_plot_grid_cells_and_levels(res):
    ax = _ax()
    hour = plot.worst_hours(res, 1)[0]
    assert plot.plot_grid(res, hour=hour, ax=ax) is ax
    cells = [c for c in ax.collections if isinstance(c, PolyCollection) and c.get_gid() == "grid"]
    g = res.detection.grid
    assert len(cells) == 1 and len(cells[0].get_paths()) == int((g["hour"] == hour).sum())
    worst = g.groupby("hour")["n_bad"].sum()
    assert worst[hour] == worst.max()


def test_plot_timeline_counts_vessels_per_zone(res):
    ax = _ax()
    assert plot.plot_timeline(res, ax=ax) is ax
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert set(res.zones["zone_id"]) <= set(lines)
    for z in res.zones["zone_id"]:
        peak = max(lines[z].get_ydata())
        in_zone = res.reports[res.reports["zone_id"] == z]
        assert 1 <= peak <= in_zone["mmsi"].nunique()


def test_plot_events_timeline_one_bar_per_event(res):
    ax = _ax()
    assert plot.plot_events_timeline(res, ax=ax) is ax
    assert len(ax.patches) == int((res.events["kind"] == "spoofing").sum())


def test_plot_track_speed_checks_for_an_event(res):
    e = res.events[res.events["kind"] == "spoofing"].iloc[0]
    ax = _ax()
    assert plot.plot_track(res, int(e["mmsi"]), ax=ax, event_id=e["event_id"]) is ax
    assert "claimed (spoofed) positions" in ax.get_legend_handles_labels()[1]
    sp = plot.plot_speed(res, int(e["mmsi"]), ax=_ax(), event_id=e["event_id"])
    assert {"SOG (reported)", "from positions"} <= set(sp.get_legend_handles_labels()[1])
    ck = plot.plot_checks(res, int(e["mmsi"]), ax=_ax(), event_id=e["event_id"])
    fired = {t.get_text().replace(" ", "_") for t in ck.get_yticklabels()}
    assert set(e["reasons"].split(";")) <= fired
    with pytest.raises(ValueError, match="no event"):
        plot.plot_track(res, int(e["mmsi"]), ax=_ax(), event_id="S9999")


def test_safe_text_blocks_mathtext():
    assert plot.safe_text(r"$\frac{$") == r"\$\frac{\$"
    assert plot.safe_text("A" * 50, 10) == "A" * 9 + "…"
    assert plot.safe_text(float("nan")) == ""


def test_fit_bbox_keeps_content_and_fills_the_box():
    bbox = (21.0, 59.0, 30.0, 60.5)  # a long, thin Gulf of Finland
    x0, y0, x1, y1 = plot.fit_bbox(bbox, 1.5)
    assert x0 <= 21.0 and x1 >= 30.0 and y0 <= 59.0 and y1 >= 60.5
    ground = (x1 - x0) * np.cos(np.radians((y0 + y1) / 2)) / (y1 - y0)
    assert ground == pytest.approx(1.5, rel=0.02)
    assert (x0, x1) == pytest.approx((21.0, 30.0))  # widened north-south only


def test_degree_labels():
    ax = plot.setup_map(_ax(), (-1.0, -1.0, 1.0, 1.0), scale_bar=False)
    fmt = ax.xaxis.get_major_formatter()
    assert fmt(-0.5, 0) == "0.5°W" and fmt(2, 0) == "2°E"
    assert ax.yaxis.get_major_formatter()(-3, 0) == "3°S"


def test_maps_outside_the_baltic_draw_the_world_land():
    """Traffic in other waters (the Bosphorus) gets a coastline from the 50m world land; the
    Baltic box keeps the finer 10m land minus lakes (Ladoga is water there, land at 50m),
    also on a map that reaches beyond the box."""
    bosporus = plot._land_path((28.5, 40.8, 29.5, 41.4))
    assert bosporus is not None
    assert bosporus.contains_point((28.7, 41.2)) and bosporus.contains_point((29.1, 41.0))  # Europe, Asia
    assert not bosporus.contains_point((28.9, 40.85))  # the Sea of Marmara
    ladoga = plot._land_path((29.0, 59.9, 31.0, 61.5))
    assert not ladoga.contains_point((30.9, 60.9))  # inside the Baltic box: lakes are water
    wide = plot._land_path((29.0, 59.9, 33.0, 61.5))  # reaches past the box at 31 E
    assert not wide.contains_point((30.9, 60.9))  # Ladoga in the box: still water
    assert wide.contains_point((32.5, 60.0)) and wide.contains_point((30.5, 60.5))  # land either side


def _reports(times_s, zones, kinds=None, mmsis=None):
    """A minimal results stand-in: the reports table the timeline reads."""
    from types import SimpleNamespace

    n = len(times_s)
    return SimpleNamespace(reports=pd.DataFrame({
        "time": pd.to_datetime(np.asarray(times_s, dtype=float), unit="s", utc=True),
        "zone_id": list(zones), "kind": list(kinds or ["jamming" if z else "" for z in zones]),
        "mmsi": list(mmsis or range(230000001, 230000001 + n))}))


def test_timeline_over_a_century_has_bounded_bins():
    """Reports dated 1990 and 2098 (both accepted by ingest): the bins widen instead of numbering millions."""
    t = [631152100, 631152110, 4070908000, 4070908060]
    res = _reports(t, ["J001", "J001", "J002", ""], kinds=["jamming"] * 4)
    counts, w = plot.timeline_counts(res)
    assert len(counts) <= plot.MAX_TIMELINE_BINS and w == 28 * 86400
    assert counts["J001"].sum() == 2 and counts["J002"].sum() == 1 and counts["outside zones"].sum() == 1
    # from the first report's bin to one past the last's (the step line shows its width)
    assert counts.index[0] <= t[0] < counts.index[0] + w and counts.index[-2] <= t[-1] < counts.index[-1]
    ax = _ax()
    plot.plot_timeline(res, ax=ax)
    assert all(len(ln.get_xdata()) <= plot.MAX_TIMELINE_BINS for ln in ax.get_lines())
    assert ax.get_ylabel() == "vessels affected / 28 days"
    ax.figure.canvas.draw()  # tick labels carry the year on a long axis
    assert any(lb.get_text().startswith("20") for lb in ax.get_xticklabels())


def test_timeline_of_a_few_hours_keeps_ten_minute_bins():
    t0 = 1717200001.0  # the sample's first report, 2024-06-01 00:00:01
    t = [t0, t0 + 1800, t0 + 3 * 3600]
    counts, w = plot.timeline_counts(_reports(t, ["J001", "J001", "J002"]))
    assert w == 600.0
    assert list(counts.index) == list(np.arange(np.floor(t0 / 600) * 600, t[-1] + 600, 600))
    ax = _ax()
    plot.plot_timeline(_reports(t, ["J001", "J001", "J002"]), ax=ax)
    assert ax.get_ylabel() == "vessels affected / 10 min"


@given(st.floats(0, 4.1e9), st.floats(0, 4e9), st.floats(60, 86400))
def test_timeline_bins_never_exceed_the_cap(t0, span, bin_s):
    counts, w = plot.timeline_counts(_reports([t0, t0 + span / 3, t0 + span], ["J1", "", "J2"]), bin_s)
    assert len(counts) <= plot.MAX_TIMELINE_BINS and w >= bin_s
    assert counts.to_numpy().sum() == 2  # every affected report falls in a bin
