"""Jamming episodes, zones, grid and zones.geojson (gnss_watch.zones), scored with gnss_watch.evaluate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import shape
from test_events import T0, finish, flag, seconds, track

from gnss_watch.config import ZonesConfig
from gnss_watch.evaluate import _laea, evaluate
from gnss_watch.geo import KNOT_MS, destination, haversine_m
from gnss_watch.outputs import write_csv
from gnss_watch.zones import (
    GRID_COLUMNS, JAM_EVENT_COLUMNS, ZONE_COLUMNS, build_jamming, disc_polygon, fit_disc, grid, share_disc,
    share_discs, write_zones_geojson,
)

CENTRE = (60.0, 26.0)  # lat, lon
RADIUS = 30_000.0


def crossing(mmsi: int, bearing: float, offset_m: float, start_s: float, speed_kn: float = 14.0,
             interval_s: float = 30.0, centre: tuple[float, float] = CENTRE, radius: float = RADIUS) -> pd.DataFrame:
    """A ship on a straight lane passing ``offset_m`` right of the centre, 1.5 radii either side of it."""
    lat, lon = destination(*centre, (bearing + 180) % 360, 1.5 * radius)
    lat, lon = destination(lat, lon, (bearing + 90) % 360, offset_m)
    duration_s = 3 * radius / (speed_kn * KNOT_MS)
    return track(mmsi, float(lat), float(lon), bearing, speed_kn, start_s, duration_s, interval_s)


def jam(df: pd.DataFrame, on_s: float, off_s: float, centre: tuple[float, float] = CENTRE,
        radius: float = RADIUS) -> pd.DataFrame:
    """Reports inside the disc while the jammer is on say 'position not available'."""
    df = df.copy()
    inside = (haversine_m(df["lat"], df["lon"], *centre) <= radius) & seconds(df).between(on_s, off_s)
    df.loc[inside, ["lat", "lon"]] = np.nan
    df.loc[inside, ["kind", "reasons", "score"]] = ["jamming", "pos_unavailable", 0.9]
    return df


def lanes(bearings_offsets: list[tuple[float, float]], per_lane: int, every_s: float, mmsi0: int = 230_000_000,
          first_s: float = -3000.0, **kw: float) -> pd.DataFrame:
    """Ships in both directions along each lane, about ``every_s`` seconds apart, at 10-16 kn."""
    rng = np.random.default_rng(mmsi0)
    ships = []
    for li, (bearing, offset) in enumerate(bearings_offsets):
        for k in range(per_lane):
            b, off = (bearing, offset) if k % 2 == 0 else ((bearing + 180) % 360, -offset)
            start = every_s * (k + rng.uniform(-0.5, 0.5)) + first_s
            ships.append(crossing(mmsi0 + 100 * li + k, b, off, start, **{"speed_kn": rng.uniform(10, 16), **kw}))
    return pd.concat(ships, ignore_index=True)


def iou(a: shapely.Geometry, b: shapely.Geometry) -> float:
    project = _laea(*b.centroid.coords[0])
    a, b = shapely.transform(a, project), shapely.transform(b, project)
    return a.intersection(b).area / a.union(b).area


@pytest.fixture(scope="module")
def three_lanes() -> pd.DataFrame:
    df = lanes([(90, 0), (30, -8000), (150, 12000)], per_lane=6, every_s=900)
    return finish(jam(df, 1800, 9000))


def test_three_lanes_give_one_zone_matching_the_disc(three_lanes: pd.DataFrame) -> None:
    events, zones, zone_ids = build_jamming(three_lanes)
    assert list(zones.columns) == ZONE_COLUMNS and list(events.columns) == JAM_EVENT_COLUMNS
    assert len(zones) == 1
    z = zones.iloc[0]
    truth = disc_polygon(*CENTRE, RADIUS)
    assert z["zone_id"] == "J001" and z["method"] == "circle_fit"
    assert iou(z["geometry"], truth) > 0.8
    assert haversine_m(z["centre_lat"], z["centre_lon"], *CENTRE) < 5_000
    assert abs(z["radius_km"] - RADIUS / 1000) < 3
    # The jammer is on from 1800 s to 9000 s; ships inside notice within one report (30 s).
    assert abs((z["start"] - T0).total_seconds() - 1800) <= 30
    assert abs((z["end"] - T0).total_seconds() - 9000) <= 30
    jammed = three_lanes["kind"] == "jamming"
    assert z["n_reports"] == jammed.sum()
    assert z["n_vessels"] == three_lanes.loc[jammed, "mmsi"].nunique() == len(events)
    assert 0.7 < z["confidence"] <= 1.0
    assert (zone_ids.to_numpy() == np.where(jammed, "J001", "")).all()
    assert (events["zone_id"] == "J001").all() and (events["kind"] == "jamming").all()


def test_a_stale_fix_at_a_spoofed_place_does_not_stretch_the_zone(three_lanes: pd.DataFrame) -> None:
    # At anchor inside the zone; a spoofer carries its fix 80 km away, then the receiver loses
    # the fix and dead-reckons from the spoofed one: stale, but still the spoofer's place.
    ship = track(230_009_005, *destination(*CENTRE, 300.0, 10_000.0), 0.0, 0.0, 0.0, 10_800, 180)
    s = seconds(ship)
    away = s.between(2400, 6000)
    ship.loc[away, "lat"], ship.loc[away, "lon"] = destination(ship.loc[away, "lat"], ship.loc[away, "lon"],
                                                                 90.0, 80_000.0)
    flag(ship, away & (s < 3600), "impossible_jump;convergence")
    stale = away & (s >= 3600)
    ship.loc[stale, ["kind", "reasons", "score"]] = ["jamming", "dead_reckoning;impossible_jump;convergence", 0.9]
    events, zones, _ = build_jamming(finish(pd.concat([three_lanes, ship], ignore_index=True)))
    assert len(zones) == 1
    z = zones.iloc[0]
    assert haversine_m(z["centre_lat"], z["centre_lon"], *CENTRE) < 5_000
    assert abs(z["radius_km"] - RADIUS / 1000) < 3
    # Its episode is placed where it really was, not at the spoofed place.
    e = events[events["mmsi"] == 230_009_005]
    assert len(e) == 1 and haversine_m(e["lat"].iloc[0], e["lon"].iloc[0], *CENTRE) < RADIUS


def test_evaluator_finds_the_zone_on_time(three_lanes: pd.DataFrame, tmp_path: Path) -> None:
    events, zones, _ = build_jamming(three_lanes)
    out = tmp_path / "out"
    write_csv(out / "events.csv", events)
    write_zones_geojson(zones, out / "zones.geojson")
    write_csv(out / "anomalies.csv", pd.DataFrame(columns=["time", "mmsi", "lat", "lon", "kind", "score", "reasons"]))
    affected = sorted(three_lanes.loc[three_lanes["kind"] == "jamming", "mmsi"].unique().tolist())
    everyone = sorted(three_lanes["mmsi"].unique().tolist())
    ring = np.array(disc_polygon(*CENTRE, RADIUS).exterior.coords).tolist()
    truth = {
        "version": 1, "start": "2024-06-01T00:00:00Z", "end": "2024-06-01T04:00:00Z",
        "vessels": [{"mmsi": m} for m in everyone],
        "clean_mmsi": [m for m in everyone if m not in affected],
        "spoofing_events": [],
        "jamming_zones": [{"zone_id": "T1", "start": "2024-06-01T00:30:00Z", "end": "2024-06-01T02:30:00Z",
                           "geometry": {"type": "Polygon", "coordinates": [ring]},
                           "centre": [CENTRE[1], CENTRE[0]], "radius_km": RADIUS / 1000,
                           "affected_mmsi": affected, "base_stations": []}],
    }
    result = evaluate(truth, out)
    zone = result["zones"]["zones"][0]
    assert zone["found"] and zone["timing_ok"] and zone["best_iou"] > 0.8
    assert result["zones"]["precision"] == 1.0
    assert result["jammed_vessels"]["recall"] == 1.0 and result["jammed_vessels"]["precision"] == 1.0


def test_one_lane_gives_a_disc_not_a_strip() -> None:
    df = finish(jam(lanes([(70, 4000)], per_lane=6, every_s=600), -1e9, 1e9))
    _, zones, _ = build_jamming(df)
    assert len(zones) == 1
    z = zones.iloc[0]
    truth = disc_polygon(*CENTRE, RADIUS)
    assert z["method"].startswith("enclosing_circle")  # parallel bisectors may refine it along the lane
    project = _laea(CENTRE[1], CENTRE[0])
    poly = shapely.transform(z["geometry"], project)
    assert poly.area > 0.8 * shapely.transform(truth, project).area
    box = shapely.minimum_rotated_rectangle(poly)
    sides = np.hypot(*np.diff(np.array(box.exterior.coords)[:3], axis=0).T)
    assert sides.min() / sides.max() > 0.95  # round, where the ships' hull would be a 2 km wide strip
    # One lane bounds the zone only along it: the disc holds the jammed chord and reaches
    # open_radius_m off the lane, where the jammer may be (a coast, an empty sea).
    good = df[df["kind"].eq("")]
    edge = good[haversine_m(good["lat"], good["lon"], *CENTRE) < RADIUS + 500]  # the entry and exit fixes
    assert len(edge) >= 12
    from_zone = haversine_m(edge["lat"], edge["lon"], z["centre_lat"], z["centre_lon"])
    assert (from_zone <= z["radius_km"] * 1000 + 1_000).all()
    assert RADIUS - 3_000 < z["radius_km"] * 1000 <= ZonesConfig().open_radius_m + 1
    assert iou(z["geometry"], truth) > 0.3
    assert z["confidence"] < 0.5  # one lane leaves the shape uncertain


def test_separate_zones_in_space_and_time_stay_separate() -> None:
    far = (59.5, 28.5)  # ~155 km from CENTRE
    a = jam(lanes([(90, 0), (20, 5000)], per_lane=4, every_s=600), 0, 5400)
    b = jam(lanes([(90, 0), (160, 0)], per_lane=4, every_s=600, mmsi0=231_000_000, centre=far), 0, 5400, centre=far)
    # The first site again, 5 h later, with other ships.
    c = lanes([(90, 0), (20, 5000)], per_lane=4, every_s=600, mmsi0=232_000_000)
    c["time"] += pd.Timedelta(hours=5)
    c = jam(c, 5 * 3600, 5 * 3600 + 5400)
    events, zones, _ = build_jamming(finish(pd.concat([a, b, c], ignore_index=True)))

    assert len(zones) == 3
    assert zones["zone_id"].tolist() == ["J001", "J002", "J003"]
    by_zone = events.groupby("zone_id")["mmsi"].agg(lambda m: set(m // 1_000_000))
    assert sorted(by_zone.tolist(), key=min) == [{230}, {231}, {232}]
    for zid, centre in zip(by_zone.index, [CENTRE if by_zone[zid] != {231} else far for zid in by_zone.index]):
        z = zones.set_index("zone_id").loc[zid]
        assert haversine_m(z["centre_lat"], z["centre_lon"], *centre) < 10_000
    # Zones are numbered by start: the two simultaneous ones first (west to east), then the later one.
    later = zones.set_index("zone_id").loc["J003"]
    assert (later["start"] - T0).total_seconds() >= 5 * 3600


def test_overlapping_discs_switched_at_different_times_are_two_zones() -> None:
    east = destination(*CENTRE, 90, 30_000)  # the second jammer, 30 km east: the discs overlap
    traffic = lanes([(90, 0), (80, 10_000), (100, -10_000), (45, 5000)], per_lane=10, every_s=900,
                    first_s=-8000, radius=45_000.0)
    df = jam(traffic, 1800, 6000)  # the first jammer, at CENTRE
    df = finish(jam(df, 4200, 9000, centre=(float(east[0]), float(east[1]))))
    events, zones, _ = build_jamming(df)
    assert len(zones) == 2
    for z, (on, off), centre in zip(zones.itertuples(), [(1800, 6000), (4200, 9000)], [CENTRE, east]):
        assert abs((z.start - T0).total_seconds() - on) <= 180 and abs((z.end - T0).total_seconds() - off) <= 180
        # Ships jammed without a break across both discs cannot tell which jammer denied
        # them the fix, so the later zone's centre is only known to ~20 km.
        assert haversine_m(z.centre_lat, z.centre_lon, *centre) < 20_000
        assert iou(z.geometry, disc_polygon(*centre, RADIUS)) > 0.3
    assert set(events["zone_id"]) == {"J001", "J002"}


def test_vessels_silent_inside_a_zone_are_jammed_too(three_lanes: pd.DataFrame) -> None:
    # One more crossing whose transponder sends nothing without a fix.
    silent = crossing(230_009_001, 60, 3000, 2400)
    inside = (haversine_m(silent["lat"], silent["lon"], *CENTRE) <= RADIUS) & seconds(silent).between(1800, 9000)
    # And one ship with a reception gap of 20 min far from the zone.
    gap = track(230_009_002, 59.0, 20.0, 90, 12, 3000, 5400, 10)
    gap = gap[~seconds(gap).between(4000, 5200)]
    df = finish(pd.concat([three_lanes, silent[~inside], gap], ignore_index=True))
    events, zones, _ = build_jamming(df)
    assert len(zones) == 1
    quiet = events[events["reasons"] == "silent"]
    assert quiet["mmsi"].tolist() == [230_009_001] and quiet["zone_id"].tolist() == ["J001"]
    assert quiet["n_reports"].tolist() == [0]
    times = silent.loc[~inside, "time"]
    gone = silent.loc[inside, "time"]
    assert quiet["start"].iloc[0] == times[times < gone.min()].max()
    assert quiet["end"].iloc[0] == times[times > gone.max()].min()
    assert 230_009_002 not in set(events["mmsi"])
    # The zone itself is made from reported evidence only.
    _, alone, _ = build_jamming(finish(pd.concat([silent[~inside], gap], ignore_index=True)))
    assert alone.empty


@pytest.mark.parametrize("station_down", [False, True])
def test_a_silence_while_its_station_heard_nobody_is_lost_reception(three_lanes: pd.DataFrame,
                                                                      station_down: bool) -> None:
    # The silent crossing of the test above, heard by a station that also hears four ships
    # far from the zone. When that station hears nobody for the 40 min the ship is silent
    # (its receiver or feed was down), the silence says nothing of the ship's fix.
    silent = crossing(230_009_001, 60, 3000, 2400)
    inside = (haversine_m(silent["lat"], silent["lon"], *CENTRE) <= RADIUS) & seconds(silent).between(1800, 9000)
    gone = seconds(silent[inside])
    others = pd.concat([track(230_009_100 + k, 59.0 + 0.1 * k, 20.0, 90, 12, 0, 10_800, 10) for k in range(4)],
                       ignore_index=True)
    if station_down:
        others = others[~seconds(others).between(gone.min() - 30, gone.max() + 30)]
    east = pd.concat([silent[~inside], others], ignore_index=True).assign(station="EAST")
    df = finish(pd.concat([three_lanes.assign(station="WEST"), east], ignore_index=True))
    events, zones, _ = build_jamming(df)
    assert len(zones) == 1
    quiet = events[events["reasons"] == "silent"]
    assert quiet["mmsi"].tolist() == ([] if station_down else [230_009_001])
    # Without station names the rows are one feed, which the ships on the lanes keep alive.
    events, _, _ = build_jamming(df.drop(columns="station"))
    assert events.loc[events["reasons"] == "silent", "mmsi"].tolist() == [230_009_001]


@pytest.mark.parametrize("gap_s, jammed", [(600, True), (1200, False)])
def test_a_silence_no_longer_than_the_ship_goes_unheard_elsewhere_is_its_reception(
        three_lanes: pd.DataFrame, gap_s: float, jammed: bool) -> None:
    # A fast boat crossing the zone's edge, silent for the 14.5 min it is inside. Unheard
    # for 20 min before the zone switched on, it tells nothing by falling silent (a Class B
    # boat at its stations' range: a scenario of benchmarks/gulf_scenarios.py, seed 2);
    # unheard for 10 min, it does.
    boat = crossing(230_009_001, 60, 29_000, -500, speed_kn=30)
    inside = (haversine_m(boat["lat"], boat["lon"], *CENTRE) <= RADIUS) & seconds(boat).between(1800, 9000)
    assert 800 < np.ptp(seconds(boat[inside])) < 900
    unheard = seconds(boat).between(-400, -400 + gap_s, inclusive="neither")
    events, zones, _ = build_jamming(finish(pd.concat([three_lanes, boat[~inside & ~unheard]], ignore_index=True)))
    assert len(zones) == 1
    assert (events.loc[events["reasons"] == "silent", "mmsi"].tolist() == [230_009_001]) is jammed


def test_a_single_lost_report_inside_a_zone_is_jammed_and_elsewhere_a_hiccup(three_lanes: pd.DataFrame) -> None:
    """One more crossing loses its fix for a single report (an episode needs two) in the
    middle of the zone while it is on; a ship 100 km away loses it for one report too."""
    once = crossing(230_009_011, 60, 3000, 2400)
    middle = (seconds(once) - 2400 - seconds(once).sub(2400).max() / 2).abs().idxmin()
    far = track(230_009_012, 59.0, 21.5, 90, 12, 3000, 5400, 30)
    for ship, row in ((once, middle), (far, far.index[len(far) // 2])):
        ship.loc[row, ["lat", "lon", "sog", "cog"]] = np.nan
        ship.loc[row, ["kind", "reasons", "score"]] = ["jamming", "pos_unavailable", 0.6]
    events, zones, _ = build_jamming(finish(pd.concat([three_lanes, once, far], ignore_index=True)))
    lone = events[events["mmsi"] == 230_009_011]
    assert len(zones) == 1 and lone["zone_id"].tolist() == ["J001"] and lone["n_reports"].tolist() == [1]
    assert lone["reasons"].tolist() == ["pos_unavailable"]
    assert 230_009_012 not in set(events["mmsi"])
    # Without the zone (found from other ships' losses) it is a hiccup.
    alone, _, _ = build_jamming(finish(once))
    assert alone.empty


def anchored_silent_and_spoofed(mmsi: int, lat: float, lon: float) -> pd.DataFrame:
    """At anchor reporting every 3 min: silent 20 min, carried 60 km east by a spoofer for 20 min, silent 20 min."""
    ship = track(mmsi, lat, lon, 0.0, 0.0, 0.0, 10_800, 180)
    s = seconds(ship)
    ship = ship[~(s.between(3000, 4200) | s.between(5400, 6600))].copy()
    spoofed = seconds(ship).between(4200, 5400)
    ship.loc[spoofed, "lat"], ship.loc[spoofed, "lon"] = destination(
        ship.loc[spoofed, "lat"], ship.loc[spoofed, "lon"], 90.0, 60_000.0)
    flag(ship, spoofed, "impossible_jump;convergence")
    return ship


def test_a_ship_silent_around_a_spoof_inside_a_zone_is_jammed(three_lanes: pd.DataFrame) -> None:
    _, zones, _ = build_jamming(three_lanes)
    z = zones.iloc[0]
    r = z["radius_km"] * 1000.0
    inside = anchored_silent_and_spoofed(230_009_003, *destination(z["centre_lat"], z["centre_lon"], 200.0, 0.7 * r))
    # The same just outside the disc: a ship that stays put has no path into it...
    outside = anchored_silent_and_spoofed(230_009_004, *destination(z["centre_lat"], z["centre_lon"], 200.0, 1.1 * r))
    # ... and counts only when silent from the jammer's switching on (1800 s) to its switching off (9000 s).
    switched = track(230_009_006, *destination(z["centre_lat"], z["centre_lon"], 20.0, 1.1 * r), 0.0, 0.0, 0.0,
                     10_800, 180)
    switched = switched[~seconds(switched).between(1800, 9000)]
    events, _, _ = build_jamming(finish(pd.concat([three_lanes, inside, outside, switched], ignore_index=True)))
    quiet = events[events["reasons"] == "silent"].sort_values("mmsi")
    assert quiet["mmsi"].tolist() == [230_009_003, 230_009_006]
    assert (quiet["zone_id"] == z["zone_id"]).all()
    # One episode from its last good fix before the first silence to its first good fix after the spoof.
    assert (quiet["start"].iloc[0] - T0).total_seconds() == 2880
    assert (quiet["end"].iloc[0] - T0).total_seconds() == 6660


def test_a_silence_counts_only_while_the_zone_was_on(three_lanes: pd.DataFrame) -> None:
    # The zone is on from 1800 to 9000 s. A ship crossing it falls silent 30 min before the
    # jammer switches on: its transponder or the coverage, not the jammer. One under way at
    # 3 kn outside the disc, silent from the switch-on to the switch-off (plus a receiver's
    # cold start), has no path into the disc but saw the jammer switch on and off.
    _, zones, _ = build_jamming(three_lanes)
    z = zones.iloc[0]
    r = z["radius_km"] * 1000.0
    early = crossing(230_009_020, 120, 5000, -3000)
    early = early[~seconds(early).between(1, 5000)]
    slow = track(230_009_021, *destination(z["centre_lat"], z["centre_lon"], 20.0, 1.1 * r), 110.0, 3.0, 0.0,
                 10_800, 60)
    slow = slow[~seconds(slow).between(1800, 9400)]
    # A ship (with a receiver that kept its fix) crossing the disc falls silent 5 min after
    # the switch-off, back within a cold start of it: the zone was off.
    late = crossing(230_009_022, 200, 4000, 3400)
    late = late[~seconds(late).between(9300, 10_000)]
    events, _, _ = build_jamming(finish(pd.concat([three_lanes, early, slow, late], ignore_index=True)))
    quiet = events[events["reasons"] == "silent"]
    assert quiet["mmsi"].tolist() == [230_009_021] and quiet["zone_id"].tolist() == [z["zone_id"]]


def test_a_ship_heard_again_inside_the_zone_as_it_switched_off_was_jammed(three_lanes: pd.DataFrame) -> None:
    # Ships at 2 kn closing the zone (on 1800-9000 s) from outside fall silent mid-window,
    # minutes from any loss of the zone's own ships (so none of their switchings matches),
    # their path no reach into the disc. One is heard again 60 s after the switch-off, 300 m
    # outside the disc: its transponder spoke again as the fix came back. Not one heard 10
    # min after it, nor one heard as it switched off 3 km outside.
    events, zones, _ = build_jamming(three_lanes)
    z = zones.iloc[0]
    r = z["radius_km"] * 1000.0
    run = 2.0 * KNOT_MS
    losses = np.sort((events["start"] - T0).dt.total_seconds().to_numpy())
    k = int(np.argmax(np.diff(losses) * (losses[1:] < 8000)))
    quiet_from = (losses[k] + losses[k + 1]) / 2  # the longest wait between losses
    assert losses[k + 1] - losses[k] > 2 * ZonesConfig().onset_window_s

    def closing(mmsi: int, bearing: float, heard_s: float, outside_m: float) -> pd.DataFrame:
        """At 2 kn towards the centre from ``bearing``, silent from ``quiet_from`` until
        ``heard_s``, ``outside_m`` outside the disc then."""
        lat, lon = destination(z["centre_lat"], z["centre_lon"], bearing, r + outside_m + run * heard_s)
        ship = track(mmsi, float(lat), float(lon), (bearing + 180) % 360, 2.0, 0.0, 10_800, 30)
        return ship[~seconds(ship).between(quiet_from, heard_s - 1)]

    ships = [closing(230_009_030, 60.0, 9060, 300), closing(230_009_031, 120.0, 9600, 300),
             closing(230_009_032, 240.0, 9060, 3000)]
    events, _, _ = build_jamming(finish(pd.concat([three_lanes, *ships], ignore_index=True)))
    quiet = events[events["reasons"] == "silent"]
    assert quiet["mmsi"].tolist() == [230_009_030] and quiet["zone_id"].tolist() == [z["zone_id"]]
    assert (quiet["end"].iloc[0] - T0).total_seconds() == 9060


def test_a_ship_silent_with_a_zone_ship_losing_and_regaining_its_fix_is_jammed(three_lanes: pd.DataFrame) -> None:
    # A second jammer on from 4000 to 6000 s inside the zone's window (1800-9000 s): a ship at
    # anchor inside the zone reports 'not available' with it, and one at anchor outside the
    # disc (within reach) falls silent with it: both saw it switch on and off.
    _, zones, _ = build_jamming(three_lanes)
    z = zones.iloc[0]
    r = z["radius_km"] * 1000.0

    def at_anchor(mmsi: int, bearing: float, distance: float) -> pd.DataFrame:
        return track(mmsi, *destination(z["centre_lat"], z["centre_lon"], bearing, distance), 0.0, 0.0, 0.0,
                     10_800, 180)

    reporting = at_anchor(230_009_010, 100.0, 0.3 * r)
    reporting = jam(reporting, 4000, 6000)
    silent = at_anchor(230_009_011, 300.0, 1.4 * r)
    silent = silent[~seconds(silent).between(4000, 6000)]
    unmatched = at_anchor(230_009_012, 240.0, 1.4 * r)  # silent while no ship lost or regained its fix
    unmatched = unmatched[~seconds(unmatched).between(4500, 7500)]
    events, after, _ = build_jamming(finish(pd.concat([three_lanes, reporting, silent, unmatched], ignore_index=True)))
    assert after["radius_km"].iloc[0] < 1.3 * z["radius_km"]  # the silent ships lie outside the disc
    assert 230_009_010 in set(events["mmsi"])
    quiet = events[events["reasons"] == "silent"]
    assert quiet["mmsi"].tolist() == [230_009_011] and quiet["zone_id"].tolist() == [z["zone_id"]]


def test_short_or_lone_losses_make_no_zone() -> None:
    df = track(230_000_001, 59.0, 20.0, 90, 12, 0, 3600, 10)
    one = seconds(df) == 600
    two = seconds(df).isin([1800, 1810])
    df.loc[one | two, ["lat", "lon"]] = np.nan
    df.loc[one | two, ["kind", "reasons", "score"]] = ["jamming", "pos_unavailable", 0.5]
    events, zones, zone_ids = build_jamming(finish(df))
    # One 'not available' report is a receiver hiccup; two are an episode, too short for a zone.
    assert len(events) == 1 and events.loc[0, "n_reports"] == 2 and events.loc[0, "zone_id"] == ""
    assert events.loc[0, "start"] == T0 + pd.Timedelta(seconds=1800)
    assert zones.empty and (zone_ids == "").all()
    # The episode sits between its last fix before and first fix after the loss.
    middle = destination(59.0, 20.0, 90, 12 * KNOT_MS * 1805)
    assert haversine_m(events.loc[0, "lat"], events.loc[0, "lon"], *middle) < 200


@pytest.mark.parametrize("heard_between, n_events", [(False, 1), (True, 0)])
def test_two_lost_fixes_with_nothing_heard_between_are_one_episode(heard_between: bool, n_events: int) -> None:
    """A ship heard only twice in 18 min, without a fix both times, lost it throughout
    as far as anyone can tell: one episode. Good fixes heard in between split it into
    two lone losses, which are receiver hiccups."""
    df = track(230_000_006, 59.0, 20.0, 90, 12, 0, 3600, 60)
    t = seconds(df)
    lost = t.isin([1200, 2280])
    df.loc[lost, ["lat", "lon"]] = np.nan
    df.loc[lost, ["kind", "reasons", "score"]] = ["jamming", "pos_unavailable", 0.5]
    df = df[~t.between(1201, 2279) | (heard_between & (t == 1800))]
    events, _, _ = build_jamming(finish(df))
    assert len(events) == n_events
    if n_events:
        assert events.loc[0, "n_reports"] == 2 and events.loc[0, "end"] == T0 + pd.Timedelta(seconds=2280)


@pytest.mark.parametrize("good_from, good_to, n_events", [(1500, 1740, 2), (1500, 1620, 1), (1500, 1500, 1)])
def test_good_fixes_for_minutes_between_lost_ones_end_an_episode(good_from: int, good_to: int,
                                                                  n_events: int) -> None:
    """A ship reporting every 30 s loses its fix at 1200-1470 s and 1770-2100 s, with good
    fixes between. Four minutes of them (1500-1740 s) are its fix back: two episodes,
    though the losses are 5 min apart (the gap that joins episodes is 10 min). Two minutes,
    or one odd fix, are a receiver still struggling: one episode."""
    df = track(230_000_007, 59.0, 20.0, 90, 12, 0, 3600, 30)
    t = seconds(df)
    lost = t.between(1200, 2100) & ~t.between(good_from, good_to)
    df.loc[lost, ["lat", "lon"]] = np.nan
    df.loc[lost, ["kind", "reasons", "score"]] = ["jamming", "pos_unavailable", 0.5]
    df = df[~t.between(1200, 2100) | lost | t.between(good_from, good_to)]
    events, _, _ = build_jamming(finish(df))
    assert len(events) == n_events
    assert events["n_reports"].sum() == lost.sum()


def test_what_is_not_a_jamming_episode() -> None:
    # A transponder with no GNSS connected never reports a position.
    none = track(230_000_002, 59.0, 20.0, 90, 12, 0, 600, 10)
    none[["lat", "lon"]] = np.nan
    none[["kind", "reasons", "score"]] = ["jamming", "pos_unavailable", 0.5]
    # Accuracy and RAIM flags toggling alone: DGNSS corrections coming and going.
    flags = track(230_000_003, 59.0, 21.0, 90, 12, 0, 600, 10)
    flags[["kind", "reasons", "score"]] = ["jamming", "degraded_fix", 0.5]
    # Far from both, a vessel losing its fix for a while (an episode, placed, but alone: no zone).
    lost = track(230_000_004, 59.0, 22.0, 90, 12, 0, 3600, 60)
    gone = seconds(lost).between(1200, 2400)
    lost.loc[gone, ["lat", "lon"]] = np.nan
    lost.loc[gone, ["kind", "reasons", "score"]] = ["jamming", "pos_unavailable", 0.5]
    events, zones, _ = build_jamming(finish(pd.concat([none, flags, lost], ignore_index=True)))
    assert events["mmsi"].tolist() == [230_000_004] and events.loc[0, "zone_id"] == "" and zones.empty
    assert np.isfinite(events.loc[0, ["lat", "lon"]].to_numpy(dtype=float)).all()
    # No jamming at all.
    events, zones, zone_ids = build_jamming(finish(track(230_000_005, 59.0, 20.0, 90, 12, 0, 600, 10)))
    assert events.empty and zones.empty and (zone_ids == "").all()


def test_base_stations_that_lost_gnss_time_support_a_zone(three_lanes: pd.DataFrame) -> None:
    _, plain, _ = build_jamming(three_lanes)
    times = T0 + pd.to_timedelta([2000, 2010, 20000], unit="s")  # the last one is hours after the zone
    bs = pd.DataFrame({"time": times, "lat": [60.1, 60.1, 60.1], "lon": [26.3, 26.3, 26.3],
                       "bs_time_invalid": [True, True, True]})
    _, supported, _ = build_jamming(three_lanes, bs_flags=bs)
    assert supported.loc[0, "n_base_station_reports"] == 2
    assert supported.loc[0, "confidence"] > plain.loc[0, "confidence"]
    far = bs.assign(lat=65.0)
    assert build_jamming(three_lanes, bs_flags=far)[1].loc[0, "n_base_station_reports"] == 0


def test_a_base_station_in_reach_times_the_zone_while_no_ship_is_inside(three_lanes: pd.DataFrame) -> None:
    """Ships saw the jammer from 1800 to 9000 s; a base station at its centre lost GNSS time
    from 600 to 10200 s (reporting every 10 s): the zone runs that long. An outage of the same
    station after the zone, or of one 100 km off, changes nothing."""
    def station(mmsi: int, lat: float, lon: float, outages: list[tuple[float, float]]) -> pd.DataFrame:
        s = np.arange(0.0, 12_000.0, 10.0)
        bad = np.zeros(len(s), dtype=bool)
        for a, b in outages:
            bad |= (s >= a) & (s <= b)
        return pd.DataFrame({"time": T0 + pd.to_timedelta(s, unit="s"), "mmsi": mmsi, "lat": lat, "lon": lon,
                             "bs_time_invalid": bad})
    far = destination(*CENTRE, 0.0, 100_000.0)
    bs = pd.concat([station(2300001, *CENTRE, [(600, 10_200), (10_800, 11_500)]),
                    station(2300002, float(far[0]), float(far[1]), [(0, 12_000)])], ignore_index=True)
    z = build_jamming(three_lanes, bs_flags=bs)[1].iloc[0]
    assert (z["start"] - T0).total_seconds() == 600 and (z["end"] - T0).total_seconds() == 10_200
    alone = build_jamming(three_lanes, bs_flags=bs[bs["mmsi"] == 2300002])[1].iloc[0]
    assert abs((alone["start"] - T0).total_seconds() - 1800) <= 30
    assert abs((alone["end"] - T0).total_seconds() - 9000) <= 30

def test_a_base_station_in_reach_of_two_zones_times_neither() -> None:
    """Its outage is the union of both jammers' time on (or either's): only a station in
    reach of one zone alone says when that one was on."""
    from gnss_watch.zones.witnesses import _station_outage_window

    t0 = T0.timestamp()
    east = destination(*CENTRE, 90.0, 80_000.0)
    zones = pd.DataFrame({"start_s": [t0 + 1800, t0 + 3000], "end_s": [t0 + 9000, t0 + 7000],
                          "centre_lat": [CENTRE[0], float(east[0])], "centre_lon": [CENTRE[1], float(east[1])],
                          "radius_km": [30.0, 30.0]})
    between = destination(*CENTRE, 90.0, 40_000.0)
    s = np.arange(0.0, 12_000.0, 10.0)
    bs = pd.DataFrame({"time": T0 + pd.to_timedelta(s, unit="s"), "mmsi": 2300003, "lat": float(between[0]),
                       "lon": float(between[1]), "bs_time_invalid": (s >= 600) & (s <= 10_200)})
    start, end = _station_outage_window(zones, bs, ZonesConfig())
    assert (start - t0).tolist() == [1800, 3000] and (end - t0).tolist() == [9000, 7000]
    west = destination(*CENTRE, 270.0, 10_000.0)  # in reach of the first zone only
    start, end = _station_outage_window(zones, bs.assign(lat=float(west[0]), lon=float(west[1])), ZonesConfig())
    assert (start - t0).tolist() == [600, 3000] and (end - t0).tolist() == [10_200, 7000]


def test_fit_disc_fits_an_arc_and_falls_back_on_a_line() -> None:
    rng = np.random.default_rng(0)
    bearings = rng.uniform(0, 200, 30)  # an arc of 200 degrees
    lat, lon = destination(*CENTRE, bearings, RADIUS + rng.normal(0, 500, 30))
    disc = fit_disc(lat, lon, np.array([CENTRE[0]]), np.array([CENTRE[1]]))
    assert disc["method"] == "circle_fit"
    assert abs(disc["radius_m"] - RADIUS) < 0.05 * RADIUS
    assert haversine_m(disc["centre_lat"], disc["centre_lon"], *CENTRE) < 2_000
    # Two clumps at the ends of one crossing: the circle is undetermined, the crossing is the diameter.
    ends = np.r_[np.full(10, 90.0), np.full(10, 270.0)] + rng.normal(0, 1, 20)
    lat, lon = destination(*CENTRE, ends, RADIUS)
    disc = fit_disc(lat, lon, lat, lon)
    assert disc["method"] == "enclosing_circle"
    assert abs(disc["radius_m"] - RADIUS) < 0.05 * RADIUS
    # Edge fixes (km from the zone's centre) along one gently bending lane, as in seed 1043
    # of the simulator, where receivers of different robustness lose the fix up to 10 km
    # apart: a circle through them is the lane's bend, on an arc of 59 degrees, 40 km off.
    x = np.array([15.7, -24.1, 26.3, -25.6, -63.6, -23.8, -27.3]) * 1000
    y = np.array([-7.0, -0.7, -9.0, -1.0, -11.7, 1.7, 1.3]) * 1000
    lat, lon = destination(*CENTRE, np.degrees(np.arctan2(x, y)), np.hypot(x, y))
    inside = destination(*CENTRE, np.degrees(np.arctan2([9.6, -8.2, -13.4], [1.0, 1.8, 2.3])),
                         np.hypot([9.6, -8.2, -13.4], [1.0, 1.8, 2.3]) * 1000)
    disc = fit_disc(lat, lon, *inside)
    assert disc["method"] == "enclosing_circle"
    assert haversine_m(disc["centre_lat"], disc["centre_lon"], *CENTRE) < 25_000
    # The radius is bounded below: one point still gives a disc of min_radius_m.
    disc = fit_disc(np.array([]), np.array([]), np.array([60.0]), np.array([26.0]))
    assert disc["radius_m"] == ZonesConfig().min_radius_m


def test_bisectors_of_crossings_of_two_jammers_do_not_fling_the_centre_away() -> None:
    """Crossings (km, local plane) of one jammer at the origin move the centre onto it; near-parallel
    crossings of two jammers 50 km apart have bisectors that meet ~0.5 Mm off: the prior stands."""
    from gnss_watch.zones.shape import _bisector_centre

    cfg = ZonesConfig()
    one = np.array([[-30, -5, 30, -5], [-28, 8, 28, 8], [-20, -20, 20, 20]], dtype=float) * 1000
    centre = _bisector_centre(one, 8_000.0, 6_000.0, 30_000.0, cfg)
    assert centre is not None and np.hypot(*centre) < 2_000
    two = np.array([[-30, 0, 30, 3], [-30, 4, 30, 6], [20, 5, 80, 2], [20, 9, 80, 7]], dtype=float) * 1000
    wide = ZonesConfig(bisector_max_shift_sd=np.inf)
    flung = _bisector_centre(two, 25_000.0, 4_000.0, 40_000.0, wide)
    assert flung is not None and np.hypot(flung[0] - 25_000, flung[1] - 4_000) > 3 * 40_000
    assert _bisector_centre(two, 25_000.0, 4_000.0, 40_000.0, cfg) is None


def test_grid_bad_frac_and_levels() -> None:
    # Cell-hours with (vessels, bad): gpsjam's (bad - 1) / (bad + good).
    cells = {(59.1, 20.1): (10, 2), (59.1, 21.1): (10, 3), (59.6, 20.1): (1, 1), (59.6, 21.1): (51, 2),
             (60.1, 20.1): (51, 3)}
    rows = []
    mmsi = 230_000_000
    for (lat, lon), (n, bad) in cells.items():
        for k in range(n):
            mmsi += 1
            rows.append({"time": T0 + pd.Timedelta(minutes=10), "mmsi": mmsi, "lat": lat, "lon": lon + 0.001 * k,
                         "kind": "jamming" if k < bad else ""})
    # A report without a position, between two fixes in the first cell, is placed there.
    mmsi += 1
    rows += [{"time": T0 + pd.Timedelta(minutes=m), "mmsi": mmsi, "lat": lat, "lon": 20.1, "kind": kind}
             for m, lat, kind in ((20, 59.1, ""), (21, np.nan, "jamming"), (22, 59.1, ""))]
    # The same vessel an hour later counts in that hour only.
    rows.append({"time": T0 + pd.Timedelta(minutes=70), "mmsi": mmsi, "lat": 59.1, "lon": 20.1, "kind": ""})
    df = pd.DataFrame(rows)
    df["pos_valid"] = df["lat"].notna()
    g = grid(df)
    assert list(g.columns) == GRID_COLUMNS
    first = g[g["hour"] == T0].set_index("cell")
    assert first.loc["59.00N_020.00E", ["n_vessels", "n_bad", "n_good"]].tolist() == [11, 3, 8]
    assert first.loc["59.00N_020.00E", "bad_frac"] == pytest.approx(2 / 11)
    assert first.loc["59.00N_020.00E", ["lat", "lon"]].tolist() == [59.125, 20.25]
    expected = {"59.00N_021.00E": (0.2, "high"), "59.50N_020.00E": (0.0, "low"),
                "59.50N_021.00E": (1 / 51, "low"), "60.00N_020.00E": (2 / 51, "medium")}
    for cell, (frac, level) in expected.items():
        assert first.loc[cell, "bad_frac"] == pytest.approx(frac) and first.loc[cell, "level"] == level
    nxt = g[g["hour"] == T0 + pd.Timedelta(hours=1)]
    assert nxt[["cell", "n_vessels", "n_bad"]].values.tolist() == [["59.00N_020.00E", 1, 0]]
    # 10 % exactly is still 'medium' (gpsjam: high is above 10 %).
    ten = df[df["lat"].round(1).eq(59.1) & df["lon"].lt(20.5)].iloc[:10].copy()
    ten["kind"] = ["jamming"] * 2 + [""] * 8
    assert grid(ten).loc[0, "level"] == "medium"
    assert grid(df.iloc[:0]).empty and list(grid(df.iloc[:0]).columns) == GRID_COLUMNS


def test_zones_geojson_round_trips(three_lanes: pd.DataFrame, tmp_path: Path) -> None:
    _, zones, _ = build_jamming(three_lanes)
    path = write_zones_geojson(zones, tmp_path / "zones.geojson")
    data = json.loads(path.read_text())
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 1
    feat = data["features"][0]
    geom = shape(feat["geometry"])
    assert geom.geom_type == "Polygon" and geom.is_valid
    assert shapely.equals_exact(geom, zones.loc[0, "geometry"], tolerance=1e-9)
    props = feat["properties"]
    assert props["zone_id"] == "J001"
    assert props["start"] == zones.loc[0, "start"].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    assert pd.Timestamp(props["end"]) == zones.loc[0, "end"].floor("ms")
    assert props["n_vessels"] == zones.loc[0, "n_vessels"] and isinstance(props["n_reports"], int)
    assert props["centre"] == pytest.approx([zones.loc[0, "centre_lon"], zones.loc[0, "centre_lat"]])
    assert 0 <= props["confidence"] <= 1
    # Coordinates are lon, lat.
    lon, lat = np.array(feat["geometry"]["coordinates"][0]).mean(axis=0)
    assert abs(lat - CENTRE[0]) < 0.2 and abs(lon - CENTRE[1]) < 0.4
    empty = json.loads(write_zones_geojson(zones.iloc[:0], tmp_path / "none.geojson").read_text())
    assert empty == {"type": "FeatureCollection", "features": []}


def test_share_disc_grows_to_the_jammed_ships_and_stops_where_many_keep_their_fix() -> None:
    rng = np.random.default_rng(3)
    # 20 jammed ships spread over a 30 km disc, 40 ships keeping their fix in a ring 35-60 km out.
    ang, rad = rng.uniform(0, 360, 20), RADIUS * np.sqrt(rng.uniform(0.2, 1.0, 20))
    jlat, jlon = destination(*CENTRE, ang, rad)
    gang, grad = rng.uniform(0, 360, 40), rng.uniform(35_000, 60_000, 40)
    glat, glon = destination(*CENTRE, gang, grad)
    # Seeded 10 km off with half the radius, as an enclosing circle of few points would be.
    slat, slon = destination(*CENTRE, 45.0, 10_000.0)
    lat, lon, r = share_disc(jlat, jlon, glat, glon, float(slat), float(slon), 15_000.0)
    # The disc between the jammed ships and the ring: near the true one, whatever the seed.
    assert haversine_m(lat, lon, *CENTRE) < 7_000 and 25_000 < r < 36_000
    assert iou(disc_polygon(lat, lon, r), disc_polygon(*CENTRE, RADIUS)) > 0.65
    # One immune ship reporting all the time at the centre does not carve the zone up.
    ilat, ilon = np.full(50, CENTRE[0]), np.full(50, CENTRE[1])
    lat2, lon2, r2 = share_disc(jlat, jlon, np.r_[glat, ilat], np.r_[glon, ilon], float(slat), float(slon), 15_000.0,
                                good_weight=np.r_[np.ones(40), np.full(50, 1 / 50)])
    assert haversine_m(lat2, lon2, lat, lon) < 1_000 and abs(r2 - r) < 3_000


def test_share_disc_seen_from_one_lane_is_centred_on_it() -> None:
    # One lane crosses the zone: ships lost the fix along 40 km of it and kept it beyond,
    # and nothing else was seen. Discs centred anywhere on the crossing's bisector fit
    # alike; nothing tells on which side the jammer was, so the zone is the middle one
    # (the crossing as diameter), not the largest, drawn wholly to one side. The largest
    # is kept as the reach of the ships the zone explains without evidence of their own.
    along = np.arange(-20_000.0, 20_001.0, 1_000.0)
    jlat, jlon = destination(*CENTRE, np.where(along < 0, 270.0, 90.0), np.abs(along))
    beyond = np.r_[np.arange(-60_000.0, -24_000.0, 2_000.0), np.arange(26_000.0, 60_001.0, 2_000.0)]
    glat, glon = destination(*CENTRE, np.where(beyond < 0, 270.0, 90.0), np.abs(beyond))
    # Seeded as fit_disc seeds it: the enclosing circle of the crossing.
    discs = share_discs(jlat, jlon, glat, glon, *CENTRE, 20_000.0)
    lat, lon, r = discs["middle"]
    assert (lat, lon, r) == share_disc(jlat, jlon, glat, glon, *CENTRE, 20_000.0)
    assert haversine_m(lat, lon, *CENTRE) <= 2_500 and 20_000 <= r <= 26_000  # one grid step (2 km)
    wlat, wlon, wr = discs["largest"]
    assert wr > r + 3_000 and haversine_m(wlat, wlon, *CENTRE) > 10_000
    # Both discs hold the whole crossing and none of the fixes kept beyond it.
    for clat, clon, radius in (discs["middle"], discs["largest"]):
        assert (haversine_m(jlat, jlon, clat, clon) <= radius).all()
        assert (haversine_m(glat, glon, clat, clon) > radius).all()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), block=st.integers(1, 5_000))
def test_share_disc_in_blocks_of_centres_is_the_same_disc(seed: int, block: int) -> None:
    """The grid search runs its centres in blocks to bound memory; any block size gives the
    disc one block gives, ties (equal gains, equal reaches) included."""
    import gnss_watch.zones.shape as shape_mod

    rng = np.random.default_rng(seed)
    n_jam, n_good = int(rng.integers(1, 40)), int(rng.integers(0, 60))
    # Coarse positions (1 km steps) make equal distances, gains and reaches common.
    jlat, jlon = destination(*CENTRE, rng.integers(0, 8, n_jam) * 45.0, rng.integers(1, 40, n_jam) * 1_000.0)
    glat, glon = destination(*CENTRE, rng.integers(0, 8, n_good) * 45.0, rng.integers(1, 80, n_good) * 1_000.0)
    args = (jlat, jlon, glat, glon, *CENTRE, float(rng.uniform(5_000, 60_000)))
    saved = shape_mod._SHARE_BLOCK
    try:
        shape_mod._SHARE_BLOCK = 10**12
        whole = share_discs(*args)
        shape_mod._SHARE_BLOCK = block
        assert share_discs(*args) == whole
        # A NaN weight makes no disc better than another, in any block: the seed stays.
        nan_weight = np.r_[np.ones(n_jam - 1), np.nan]
        assert share_discs(*args, jam_weight=nan_weight) == {"middle": args[4:], "largest": args[4:]}
    finally:
        shape_mod._SHARE_BLOCK = saved


def episodes(rows: list[tuple[int, float, float, float, float]], report_s: float = 180.0) -> pd.DataFrame:
    """(mmsi, start_s, end_s, bearing from CENTRE deg, distance m) -> episodes located there,
    each vessel's last good fix ``report_s`` before its loss and first one ``report_s`` after
    its recovery."""
    m, s, f, b, d = map(np.array, zip(*rows))
    lat, lon = destination(*CENTRE, b, d)
    return pd.DataFrame({"mmsi": m, "start_s": s, "end_s": f, "p_lat": lat, "p_lon": lon, "q_lat": lat, "q_lon": lon,
                         "entry_lat": lat, "exit_lat": lat, "both_ends": True, "entry_sog": np.nan,
                         "exit_sog": np.nan, "on_from": s - min(report_s + ZonesConfig().switch_lag_s, 180.0),
                         "off_to": f + min(report_s + ZonesConfig().switch_lag_s, 180.0)})


# Jammer A switches on at 0 around three ships; B, 60 km east, at 2700 s around three others,
# whose losses come within one report interval of each other; the ends are staggered (crossings).
SWITCH_A = [(1, 0, 3000, 0, 10_000), (2, 30, 4000, 120, 15_000), (3, 60, 5000, 240, 20_000),
            (4, 1500, 5000, 300, 25_000)]
SWITCH_B = [(5, 2700, 6000, 80, 55_000), (6, 2760, 7000, 95, 65_000), (7, 2800, 8000, 90, 50_000)]


def test_a_second_jammer_switching_on_elsewhere_splits_the_cluster() -> None:
    from gnss_watch.zones.cluster import _split_onsets

    a, b = SWITCH_A, SWITCH_B
    zone, windows = _split_onsets(episodes(a + b), ZonesConfig())
    assert zone.tolist() == [0, 0, 0, 0, 1, 1, 1] and windows == [(0.0, 5000.0), (2700.0, 8000.0)]
    # Three ships losing the fix together inside where A's ships lost it: A's zone, not a new one.
    c = [(8, 2700, 6000, 60, 12_000), (9, 2730, 7000, 180, 14_000), (10, 2760, 8000, 200, 8_000)]
    zone, windows = _split_onsets(episodes(a + c), ZonesConfig())
    assert (zone == 0).all() and windows == [(0.0, 8000.0)]


@pytest.mark.parametrize("report_s, n_zones", [(10.0, 1), (180.0, 2)])
def test_losses_minutes_apart_are_a_switch_on_only_if_one_instant_explains_them(report_s: float,
                                                                               n_zones: int) -> None:
    """Three ships 60 km east of A lose the fix at 2700, 2740 and 2780 s, within one of
    ITU-R M.1371's longest report intervals. Reporting every 10 s, each lost it within 10 s
    of its last good fix: no one instant explains all three, so they are ships entering
    A's zone one after another (dense traffic), not B switching on. Reporting every 3 min
    (at anchor), one instant explains them: B switched on."""
    from gnss_watch.zones.cluster import _split_onsets

    b = [(5, 2700, 6000, 80, 55_000), (6, 2740, 7000, 95, 65_000), (7, 2780, 8000, 90, 50_000)]
    e = episodes(SWITCH_A, 180.0)
    e = pd.concat([e, episodes(b, report_s)], ignore_index=True)
    zone, windows = _split_onsets(e, ZonesConfig())
    assert len(windows) == n_zones


@pytest.mark.parametrize("report_s, n_zones", [(10.0, 1), (180.0, 2)])
def test_recoveries_minutes_apart_are_a_switch_off_only_if_one_instant_explains_them(report_s: float,
                                                                                    n_zones: int) -> None:
    """The test above backwards in time: three ships regain the fix at 5220, 5260 and 5300 s,
    A's ships at 8000 s. Each first good fix 10 s after the last lost report: ships leaving
    one after another; 3 min after: one switch-off explains them."""
    from gnss_watch.zones.cluster import _split_switch_offs

    mirror = [(m, 8000 - f, 8000 - s, b, d) for m, s, f, b, d in SWITCH_A]
    b = [(5, 2000, 5300, 80, 55_000), (6, 1000, 5260, 95, 65_000), (7, 0, 5220, 90, 50_000)]
    e = pd.concat([episodes(mirror, 180.0), episodes(b, report_s)], ignore_index=True)
    zone, windows = _split_switch_offs(e, ZonesConfig())
    assert len(windows) == n_zones


@pytest.mark.parametrize("both_ends, moving, sog, n_zones", [
    (True, False, np.nan, 2),  # located at loss and recovery, in the same place: at anchor
    (True, True, np.nan, 1),  # 20 km further on at the recovery: under way
    (False, False, 12.0, 1),  # seen at the loss only (a point), making 12 kn before it
    (False, False, 0.1, 2),  # seen at the loss only, at 0.1 kn before it: at anchor
])
def test_a_switch_on_seen_by_ships_at_one_anchorage_splits_the_cluster(both_ends: bool, moving: bool, sog: float,
                                                                       n_zones: int) -> None:
    """B, 60 km east of A, switches on at 2700 s around three ships within 2 km of each
    other. Ships at anchor cannot sail into a zone, so losing the fix together is a
    switch-on; ships under way so close may be in company entering an edge."""
    from gnss_watch.zones.cluster import _split_onsets

    b = [(5, 2700, 6000, 90, 60_000), (6, 2730, 6100, 91, 61_000), (7, 2760, 6050, 89, 60_500)]
    e = episodes(SWITCH_A + b)
    e.loc[4:, "both_ends"], e.loc[4:, "entry_sog"] = both_ends, sog
    if moving:
        e.loc[4:, "q_lat"], e.loc[4:, "q_lon"] = destination(e.loc[4:, "p_lat"], e.loc[4:, "p_lon"], 90.0, 20_000.0)
    zone, windows = _split_onsets(e, ZonesConfig())
    assert len(windows) == n_zones
    if n_zones == 2:
        assert zone.tolist() == [0, 0, 0, 0, 1, 1, 1] and windows[1][0] == 2700.0


@pytest.mark.parametrize("second, counted", [((3000, 8000), 1), ((3000, 8100), 1), ((3000, 6000), 2),
                                              ((3000, 9000), 2)])
def test_a_window_inside_another_sharing_its_switching_does_not_stand_on_its_own(second, counted) -> None:
    """Two zones of three ships each: one on from 0 to 8000 s; the other, inside it, sharing its
    switch-off (ships that entered together and regained the fix at the switch-off: alternative
    seeds 101, 181, 184 had such a duplicate), or ending at a switch-off of its own."""
    from gnss_watch.zones.cluster import _standing

    rows = [(1, 0, 8000, 0, 10_000), (2, 30, 8000, 120, 15_000), (3, 60, 8000, 240, 20_000),
            (4, second[0], second[1], 90, 20_000), (5, second[0], second[1], 95, 20_000),
            (6, second[0], second[1], 85, 20_000)]
    e = episodes(rows).assign(n_reports=5)
    zone = np.array([0, 0, 0, 1, 1, 1])
    assert _standing(e, zone, [(0.0, 8000.0), (float(second[0]), float(second[1]))], ZonesConfig()) == counted
    # Two zones with the same switchings: one of them stands, not neither.
    assert _standing(e, zone, [(0.0, 8000.0), (60.0, 8100.0)], ZonesConfig()) == 1
    # A zone without the ships to stand never counts, nested or not.
    assert _standing(e, np.array([0, 0, 0, 0, 0, 1]), [(0.0, 8000.0), (3000.0, 6000.0)], ZonesConfig()) == 1


@pytest.mark.parametrize("silent_between", [False, True])
def test_an_episode_joins_a_zone_still_seen_not_one_nobody_saw_for_long(silent_between: bool) -> None:
    """A switches on at 0 s around three ships, who sail out by 1400 s; B, 55 km east,
    switches on at 4500 s. Ship 8, 25 km east of A's ships (30 km from B's), is jammed at
    300-1000 s and again at 6000-7000 s. Had it its fix back at 1000 s, nobody saw A for
    over half an hour before 6000 s, and B was seen all along: that loss is B's. Silent from
    1000 s to 6000 s, it was jammed all along, A with it: it stays A's, and so does A's window."""
    from gnss_watch.zones.cluster import _split_onsets

    ship8 = [(8, 300, 1000, 90, 25_000), (8, 6000, 7000, 90, 25_000)]
    a = [(1, 0, 1200, 0, 10_000), (2, 30, 1300, 120, 12_000), (3, 60, 1400, 240, 9_000)]
    b = [(5, 4500, 8000, 80, 55_000), (6, 4530, 8500, 95, 65_000), (7, 4560, 9000, 90, 50_000)]
    e = episodes(a + ship8 + b)
    if silent_between:
        e.loc[3, "exit_lat"] = e.loc[4, "entry_lat"] = np.nan
    zone, windows = _split_onsets(e, ZonesConfig())
    assert zone[:4].tolist() == [0, 0, 0, 0] and zone[5:].tolist() == [1, 1, 1]
    assert zone[4] == (0 if silent_between else 1)
    assert windows == [(0.0, 7000.0 if silent_between else 1400.0), (4500.0, 9000.0)]


@pytest.mark.parametrize("n_b, splits", [(7, True), (3, False)])
def test_more_ships_losing_the_fix_at_once_than_chance_explains_is_a_switch_on(n_b: int, splits: bool) -> None:
    """A switches on at 0 s around three ships 20 km from its centre; six more enter
    it every 10 min, one at 3800 s. B switches on at 4000 s inside where A's ships lost
    the fix, around ``n_b`` ships within 90 s. Seven at once is far more than ships
    arriving at random (about one per 3 min here) explain: B's zone, though chained to
    the loss at 3800 s and inside A's extent; three could be chance."""
    from gnss_watch.zones.cluster import _split_onsets

    a = [(1, 0, 6000, 0, 20_000), (2, 30, 6500, 120, 20_000), (3, 60, 7000, 240, 20_000)]
    entering = [(10 + n, 600 * (n + 1), 600 * (n + 1) + 2400, 60 * n, 20_000) for n in range(6)]
    chained = [(30, 3800, 6000, 300, 20_000)]
    b = [(40 + n, 4000 + 15 * n, 9000 + 60 * n, 60 + 10 * n, 6_000 + 1_500 * n) for n in range(n_b)]
    zone, windows = _split_onsets(episodes(a + entering + chained + b), ZonesConfig())
    if splits:
        assert zone.tolist() == [0] * 10 + [1] * n_b and windows == [(0.0, 7000.0), (4000.0, 9360.0)]
    else:
        assert (zone == 0).all() and len(windows) == 1


def test_a_switch_on_minutes_after_another_far_from_its_ships_is_a_zone_of_its_own() -> None:
    """A switches on at 0 s around three ships at anchor (losses spread over 2 min); B,
    55 km east, switches on at 330 s around three others: within minutes of A's last loss,
    so one chain of losses, but far outside where A's ships lost the fix."""
    from gnss_watch.zones.cluster import _split_onsets

    a = [(1, 0, 3000, 0, 8_000), (2, 60, 3100, 120, 9_000), (3, 120, 3200, 240, 7_000)]
    b = [(5, 330, 5000, 80, 55_000), (6, 360, 5100, 95, 60_000), (7, 400, 5200, 90, 50_000)]
    zone, windows = _split_onsets(episodes(a + b), ZonesConfig())
    assert zone.tolist() == [0, 0, 0, 1, 1, 1] and windows == [(0.0, 3200.0), (330.0, 5200.0)]
    # B's three inside where A's ships lost the fix (and so few that chance explains them).
    near = [(m, s, f, b_, 5_000) for m, s, f, b_, _ in b]
    zone, windows = _split_onsets(episodes(a + near), ZonesConfig())
    assert len(windows) == 1


@pytest.mark.parametrize("windows, folded", [
    # ships in the overlap: jammed from A's switch-on to B's switch-off
    ([(0.0, 5000.0), (2000.0, 8000.0), (0.0, 8000.0)], [0, 1, 0]),
    # from B's switch-on to the switch-off of A, on all along
    ([(0.0, 8000.0), (2000.0, 6000.0), (2000.0, 8000.0)], [0, 1, 1]),
    # B on 2 min after A's switch-off: too short for ships in the overlap to show their fix back
    ([(0.0, 5000.0), (5120.0, 8000.0), (0.0, 8000.0)], [0, 1, 0]),
    # A and B never on together: a third zone from A's start to B's end is its own
    ([(0.0, 3000.0), (5000.0, 8000.0), (0.0, 8000.0)], [0, 1, 2]),
])
def test_the_zone_of_ships_in_the_overlap_of_two_joins_one_of_them(windows, folded) -> None:
    from gnss_watch.zones.cluster import _fold_spanning

    zone, kept = _fold_spanning(np.array([0, 0, 1, 2, 2]), windows, ZonesConfig())
    assert zone.tolist() == [folded[z] for z in [0, 0, 1, 2, 2]]
    assert kept == [windows[k] for k in sorted(set(folded))]


def test_beyond_chance_is_a_poisson_tail_over_the_clusters_windows() -> None:
    from gnss_watch.zones.cluster import _beyond_chance

    starts = np.linspace(0.0, 6300.0, 28)  # 0.8 losses per 3-min window
    assert not _beyond_chance(4, starts, ZonesConfig())  # P(>= 4) x 35 windows = 0.3
    assert _beyond_chance(6, starts, ZonesConfig())  # 0.0065
    assert not _beyond_chance(6, starts, ZonesConfig(switch_chance_p=0.005))


def test_ships_in_company_are_no_switch_on_whatever_loss_follows_them() -> None:
    """Three ships under way together (within a kilometre, 12 kn) lose the fix at 2700-2760 s,
    60 km east of jammer A's ships; a fourth loses it 20 km from them at 2950 s, minutes later,
    chained to them but outside their report interval. The three are a crossing in company,
    not a switch-on: the fourth, far off, does not make them one."""
    from gnss_watch.zones.cluster import _split_onsets

    company = [(5, 2700, 6000, 90, 60_000), (6, 2730, 6050, 90, 60_500), (7, 2760, 6100, 90, 61_000),
               (8, 2950, 6500, 60, 62_000)]
    e = episodes(SWITCH_A + company)
    e.loc[4:, "entry_sog"] = 12.0
    e.loc[4:, "q_lat"], e.loc[4:, "q_lon"] = destination(e.loc[4:, "p_lat"], e.loc[4:, "p_lon"], 90.0, 20_000.0)
    zone, windows = _split_onsets(e, ZonesConfig())
    assert len(windows) == 1


def test_a_jammer_switching_off_while_another_stays_on_ends_its_zone() -> None:
    """The previous test backwards in time: A's ships regain the fix together at 8000 s;
    B, 60 km east, switched off at 5300 s with three ships regaining it together."""
    from gnss_watch.zones.cluster import _split_switch_offs

    mirror = [(m, 8000 - f, 8000 - s, b, d) for m, s, f, b, d in SWITCH_A + SWITCH_B]
    zone, windows = _split_switch_offs(episodes(mirror), ZonesConfig())
    assert zone.tolist() == [0, 0, 0, 0, 1, 1, 1] and windows == [(3000.0, 8000.0), (0.0, 5300.0)]

def anchored(mmsi: int, lat: float, lon: float, held: tuple[float, float] | None, seed: int) -> pd.DataFrame:
    """A ship at anchor reporting every 3 min, its fix wandering by metres; ``held``: from
    and to (s) it repeats its last fix instead."""
    df = track(mmsi, lat, lon, 0, 0.0, 0, 10_800, 180)
    rng = np.random.default_rng(seed)
    df["lat"] += rng.normal(0, 3e-5, len(df))  # ~3 m of GNSS noise
    df["lon"] += rng.normal(0, 6e-5, len(df))
    if held is not None:
        s = seconds(df)
        rows = s.between(*held)
        last = df.loc[s < held[0], ["lat", "lon"]].iloc[-1].to_numpy()
        df.loc[rows, "lat"], df.loc[rows, "lon"] = last[0], last[1]
    return df


def test_ships_at_anchor_holding_their_fix_inside_a_zone_are_jammed_too(three_lanes: pd.DataFrame) -> None:
    lat, lon = destination(*CENTRE, 45, 10_000)
    held = anchored(230_009_101, float(lat), float(lon), (1800, 9000), 1)
    # A moored ship whose receiver pins its fix all the time (static hold) is no victim.
    pinned = anchored(230_009_102, float(lat), float(lon), (180, 10_800), 2)
    live = anchored(230_009_103, float(lat), float(lon), None, 3)
    far_lat, far_lon = destination(*CENTRE, 45, 100_000)
    far = anchored(230_009_104, float(far_lat), float(far_lon), (1800, 9000), 4)
    events, zones, _ = build_jamming(finish(pd.concat([three_lanes, held, pinned, live, far], ignore_index=True)))
    assert len(zones) == 1
    kept = events[events["reasons"] == "held_fix"]
    assert kept["mmsi"].tolist() == [230_009_101] and kept["zone_id"].tolist() == ["J001"]
    # The repeats of the fix last reported live before 1800 s, up to the last one before 9000 s.
    repeats = seconds(held)[seconds(held).between(1800, 9000)]
    assert kept["n_reports"].iloc[0] == len(repeats)
    assert (kept["start"].iloc[0] - T0).total_seconds() == repeats.min()
    assert (kept["end"].iloc[0] - T0).total_seconds() == repeats.max()
    assert not {230_009_102, 230_009_103, 230_009_104} & set(events["mmsi"])
    # Held fixes alone never make a zone.
    alone, none, _ = build_jamming(finish(pd.concat([held, far], ignore_index=True)))
    assert alone.empty and none.empty


def test_a_ship_at_anchor_sending_type_27_repeats_its_coarse_fix_unjammed(three_lanes: pd.DataFrame) -> None:
    """Type 27 positions are in 1/10 minute (185 m): a ship swinging at anchor repeats one
    while its fix is live (here one from 1800 to 9000 s, the next before and after, as its
    swing crosses a cell's edge). The same ship in full resolution holding its fix is jammed."""
    lat, lon = (round(float(x) * 600) / 600 for x in destination(*CENTRE, 45, 10_000))  # mid-cell
    coarse = anchored(230_009_107, lat, lon, None, 11).assign(device="A-LR")
    coarse.loc[~seconds(coarse).between(1800, 9000), "lat"] += 1 / 600
    coarse["lat"], coarse["lon"] = np.round(coarse["lat"] * 600) / 600, np.round(coarse["lon"] * 600) / 600
    assert len(coarse[["lat", "lon"]].drop_duplicates()) == 2
    held = anchored(230_009_108, lat, lon, (1800, 9000), 12).assign(device="A")
    events, zones, _ = build_jamming(finish(pd.concat([three_lanes.assign(device="A"), coarse, held],
                                                      ignore_index=True)))
    assert len(zones) == 1
    assert events.loc[events["reasons"] == "held_fix", "mmsi"].tolist() == [230_009_108]

def spoofed_then_held(mmsi: int, lat: float, lon: float, hold: bool, seed: int) -> pd.DataFrame:
    """At anchor: carried 60 km east by a spoofer from 1260 to 2700 s (the fake fix wandering
    with receiver noise), then (``hold``) repeating the last spoofed fix until 9000 s."""
    ship = anchored(mmsi, lat, lon, None, seed)
    s = seconds(ship)
    spoofed = s.between(1260, 9000 if hold else 2700)
    ship.loc[spoofed, "lat"], ship.loc[spoofed, "lon"] = destination(
        ship.loc[spoofed, "lat"], ship.loc[spoofed, "lon"], 90.0, 60_000.0)
    if hold:
        last = ship.loc[s < 2700, ["lat", "lon"]].iloc[-1].to_numpy()
        ship.loc[s.between(2700, 9000), "lat"], ship.loc[s.between(2700, 9000), "lon"] = last[0], last[1]
    flag(ship, spoofed, "impossible_jump;on_land")
    return ship


def test_a_ship_spoofed_then_jammed_holding_the_spoofed_fix_is_jammed_where_it_was(three_lanes: pd.DataFrame) -> None:
    """The repeats of a spoofed fix are placed at the ship's last good fix, inside the zone;
    the same ship 100 km off, or a spoof that keeps wandering, is not jammed."""
    lat, lon = map(float, destination(*CENTRE, 45, 10_000))
    held = spoofed_then_held(230_009_201, lat, lon, True, 7)
    wandering = spoofed_then_held(230_009_202, lat, lon, False, 8)
    far = spoofed_then_held(230_009_203, *map(float, destination(*CENTRE, 45, 100_000)), True, 9)
    events, zones, _ = build_jamming(finish(pd.concat([three_lanes, held, wandering, far], ignore_index=True)))
    assert len(zones) == 1
    kept = events[events["reasons"] == "held_fix"]
    assert kept["mmsi"].tolist() == [230_009_201]
    assert haversine_m(kept["lat"].iloc[0], kept["lon"].iloc[0], lat, lon) < 50  # the anchorage, not the fake fix
    repeats = seconds(held)[seconds(held).between(2700, 9000)]
    assert kept["n_reports"].iloc[0] == len(repeats)
    assert not {230_009_202, 230_009_203} & set(events["mmsi"])


def test_a_zone_with_no_good_fix_anywhere_and_a_spoofed_ship_does_not_crash() -> None:
    """Three ships whose every fix is frozen make a zone; a fourth, spoofed throughout and then
    holding the fake fix, has no good fix of its own to place it at: it is left out."""
    ships = []
    for k in range(3):
        ship = track(230_009_301 + k, 60.0 + 0.05 * k, 26.0, 90.0, 12.0, 0.0, 3600, 60)
        ship[["lat", "lon"]] = ship[["lat", "lon"]].iloc[0].to_numpy()
        ship.loc[:, ["kind", "reasons", "score"]] = ["jamming", "frozen_position", 0.9]
        ships.append(ship)
    spoofed = anchored(230_009_304, 60.1, 26.1, (1800, 3600), 10).iloc[:21]
    flag(spoofed, seconds(spoofed) >= 0, "impossible_jump;on_land")
    events, zones, _ = build_jamming(finish(pd.concat(ships + [spoofed], ignore_index=True)))
    assert len(zones) == 1
    assert sorted(events["mmsi"]) == [230_009_301, 230_009_302, 230_009_303]


def test_a_held_fix_just_outside_the_estimated_disc_counts_as_a_silence_would(three_lanes: pd.DataFrame) -> None:
    # The disc is a rough estimate of where receivers lose the fix: a ship at anchor holding
    # its fix 1.2 radii from the centre is jammed; one 1.6 radii off (beyond silence_reach_factor) is not.
    _, zones, _ = build_jamming(three_lanes)
    z = zones.iloc[0]
    near = anchored(230_009_105, *map(float, destination(z["centre_lat"], z["centre_lon"], 200,
                                                         1.2 * z["radius_km"] * 1000)), (1800, 9000), 5)
    beyond = anchored(230_009_106, *map(float, destination(z["centre_lat"], z["centre_lon"], 200,
                                                           1.6 * z["radius_km"] * 1000)), (1800, 9000), 6)
    events, again, _ = build_jamming(finish(pd.concat([three_lanes, near, beyond], ignore_index=True)))
    assert again[["centre_lat", "centre_lon", "radius_km"]].equals(zones[["centre_lat", "centre_lon", "radius_km"]])
    assert events.loc[events["reasons"] == "held_fix", "mmsi"].tolist() == [230_009_105]


def test_sample_times_skips_empty_intervals() -> None:
    from gnss_watch.zones.shape import _sample_times

    rep, t = _sample_times(np.array([0.0, 100.0, 50.0]), np.array([20.0, 90.0, 50.0]), 10.0)
    assert list(rep) == [0, 0, 0, 2]  # the second interval ends before it starts: no samples
    assert list(t) == [0.0, 10.0, 20.0, 50.0]


def test_jamming_on_reports_with_no_good_fix_at_all_does_not_crash() -> None:
    """A file whose only vessel never has a usable fix (real: gfw bad-tagblock-group.nmea)."""
    t = pd.date_range("2024-06-01", periods=4, freq="10s", tz="UTC")
    reports = pd.DataFrame({"time": t, "mmsi": 230000001, "lat": np.nan, "lon": np.nan, "pos_valid": False,
                            "sog": np.nan, "second": 63, "score": 0.7, "kind": "jamming",
                            "reasons": "pos_unavailable", "pos_unavailable": True, "dead_reckoning": False,
                            "frozen_position": False, "degraded_fix": False})
    events, zones, zone_ids = build_jamming(reports)
    assert len(zones) == 0 and len(zone_ids) == len(reports)


def test_a_zone_seen_switching_on_by_one_ship_and_off_by_two_stands() -> None:
    """Jammer A is on from 0 to 9000 s around a ship at anchor; B, 35 km east, switches on
    at 600 s and off at 7200 s around four ships. A fifth ship enters A's reach at 2000 s,
    nearer B's ships, and regains its fix with A's ship when A switches off. Read forwards,
    A's switch-on has one witness and is no zone; backwards, its switch-off has two."""
    from gnss_watch.zones.cluster import _split_cluster

    a = [(1, 0, 9000, 0, 5_000)]
    b = [(2, 600, 7200, 80, 30_000), (3, 630, 7230, 100, 40_000), (4, 660, 7190, 90, 45_000),
         (5, 700, 7210, 95, 25_000)]
    entering = [(6, 2000, 9010, 90, 20_000)]
    e = episodes(a + b + entering).assign(n_reports=100)
    zone, windows = _split_cluster(e, ZonesConfig())
    assert zone.tolist() == [0, 1, 1, 1, 1, 0] or zone.tolist() == [1, 0, 0, 0, 0, 1]
    assert sorted(windows) == [(0.0, 9010.0), (600.0, 7230.0)]


def test_short_crossings_at_a_switch_on_are_no_switching_signature() -> None:
    """Jammer A switches on at 0 s with three ships near its edge that sail out within
    10 min (their episodes end together because they began together) and one that stays
    jammed till 5100 s; B, 60 km east, is on from 2000 to 6000 s around three ships that
    lose and regain the fix together. The long A episode is A's, not B's."""
    from gnss_watch.zones.cluster import _split_cluster

    a = [(1, 0, 500, 0, 12_000), (2, 10, 400, 120, 14_000), (3, 30, 600, 240, 13_000), (4, 20, 5100, 300, 5_000)]
    b = [(5, 2000, 6000, 80, 55_000), (6, 2010, 6010, 95, 65_000), (7, 2030, 5990, 90, 50_000)]
    zone, windows = _split_cluster(episodes(a + b).assign(n_reports=50), ZonesConfig())
    assert len(set(zone[:4])) == 1 and len(set(zone[4:])) == 1 and zone[0] != zone[4]
    assert sorted(windows) == [(0.0, 5100.0), (2000.0, 6010.0)]


def test_ships_entering_or_leaving_one_after_another_are_no_switching() -> None:
    """Jammer A is on from 0 to 9000 s: three ships inside lose the fix at the switch-on
    and regain it at the switch-off; three more lose it then but sail out minutes apart
    (5200-5600 s); four enter minutes apart (5000-5500 s) and regain it at the switch-off.
    B, 70 km east, is on from 6000 to 10000 s around three ships. The staggered exits
    and entries chain, but no report interval holds them: A is one zone, 0-9000 s."""
    from gnss_watch.zones.cluster import _split_cluster

    a = [(1, 0, 9000, 0, 10_000), (2, 20, 9010, 120, 15_000), (3, 40, 9030, 240, 20_000)]
    leaving = [(4, 10, 5200, 60, 20_000), (5, 30, 5350, 180, 22_000), (6, 50, 5600, 300, 24_000)]
    entering = [(7, 5000, 9000, 90, 24_000), (8, 5150, 9020, 200, 24_000), (9, 5300, 9010, 270, 24_000),
                (10, 5500, 9030, 330, 24_000)]
    b = [(11, 6000, 10_000, 90, 70_000), (12, 6020, 10_010, 80, 80_000), (13, 6040, 10_020, 100, 75_000)]
    zone, windows = _split_cluster(episodes(a + leaving + entering + b).assign(n_reports=50), ZonesConfig())
    assert sorted(windows) == [(0.0, 9030.0), (6000.0, 10_020.0)]
    assert len(set(zone[:10])) == 1 and len(set(zone[10:])) == 1 and zone[0] != zone[10]


@pytest.mark.parametrize("second_on_off, n_zones", [((1860, 9030), 1), ((3000, 8000), 2)])
def test_ships_far_apart_that_switched_together_are_one_zone(second_on_off: tuple[float, float],
                                                             n_zones: int) -> None:
    """A 60-km jammer seen only by ships at anchor on opposite sides of it, 78 km apart:
    too far apart to cluster, but they lost and regained the fix together, so one zone
    (had the far ships switched at other times, two)."""
    south = [anchored(230_009_200 + k, *map(float, destination(*CENTRE, 200 + 5 * k, 39_000)), None, k)
             for k in range(3)]
    north = [anchored(230_009_300 + k, *map(float, destination(*CENTRE, 20 + 5 * k, 39_000)), None, 10 + k)
             for k in range(3)]
    df = pd.concat([jam(pd.concat(south), 1800, 9000, radius=60_000),
                    jam(pd.concat(north), *second_on_off, radius=60_000)], ignore_index=True)
    events, zones, _ = build_jamming(finish(df))
    assert len(zones) == n_zones and events["zone_id"].ne("").all()
    if n_zones == 1:
        z = zones.iloc[0]
        assert z.n_vessels == 6 and abs((z.start - T0).total_seconds() - 1800) <= 180
        # No ship keeping its fix bounds the zone anywhere: where it lies is only known to
        # hold both groups.
        assert iou(z.geometry, disc_polygon(*CENTRE, 60_000)) > 0.3


def test_a_jammer_seen_by_many_ships_is_not_the_overlap_of_two_chance_signatures() -> None:
    """Jammer A is on from 0 to 9000 s around seven ships at anchor. By chance three crossings
    lose the fix with them and leave together around 5000 s, and three more enter together
    at 4000 s and stay till the switch-off: two short 'signatures' that A's window spans. A
    window spanning two others is the ships in the overlap of two discs -- but not when more
    ships witness it than the two together: A is one zone, 0-9030 s."""
    from gnss_watch.zones.cluster import _split_cluster

    a = [(k, 10 * k, 9000 + 5 * k, 50 * k, 5_000 + 2_000 * k) for k in range(1, 8)]
    x = [(8, 15, 5000, 20, 25_000), (9, 25, 5040, 140, 26_000), (10, 35, 5090, 260, 24_000)]
    y = [(11, 4000, 9010, 80, 24_000), (12, 4050, 9020, 200, 25_000), (13, 4100, 9030, 320, 26_000)]
    zone, windows = _split_cluster(episodes(a + x + y).assign(n_reports=50), ZonesConfig())
    assert windows == [(10.0, 9035.0)] and (zone == 0).all()


@pytest.mark.parametrize("two_jammers", [True, False])
def test_ships_keeping_their_fix_between_two_jammers_split_them(two_jammers: bool) -> None:
    """Two 25-km jammers 70 km apart, switched on and off together, with lanes through each
    and one through both: the ships on that lane keep their fix between the discs, so the
    crossings make two zones although they cluster and switched together. One 60-km jammer
    over both (the ships between jammed too) stays one zone."""
    west, east = destination(*CENTRE, 270, 35_000), destination(*CENTRE, 90, 35_000)
    west, east = (float(west[0]), float(west[1])), (float(east[0]), float(east[1]))
    traffic = pd.concat([
        lanes([(0, 0), (0, 10_000), (20, -8000)], per_lane=6, every_s=1200, mmsi0=230_000_000, centre=west,
              radius=25_000.0),
        lanes([(0, 0), (0, -10_000), (160, 8000)], per_lane=6, every_s=900, mmsi0=230_100_000, centre=east,
              radius=25_000.0),
        lanes([(90, 0)], per_lane=8, every_s=900, mmsi0=230_200_000, radius=60_000.0),
    ], ignore_index=True)
    if two_jammers:
        df = finish(jam(jam(traffic, 1800, 9000, centre=west, radius=25_000), 1800, 9000, centre=east,
                        radius=25_000))
    else:
        df = finish(jam(traffic, 1800, 9000, radius=60_000))
    _, zones, _ = build_jamming(df)
    if two_jammers:
        assert len(zones) == 2
        for centre in (west, east):
            near = haversine_m(zones["centre_lat"], zones["centre_lon"], *centre).min()
            assert near < 15_000
    else:
        assert len(zones) == 1
        assert iou(zones["geometry"].iloc[0], disc_polygon(*CENTRE, 60_000)) > 0.3


@pytest.mark.parametrize("east_on_s, n_zones", [(2040.0, 2), (1830.0, 1)])
def test_two_ships_kept_apart_from_a_jammer_by_ships_keeping_their_fix_are_a_zone_of_their_own(
        east_on_s: float, n_zones: int) -> None:
    """A 25-km jammer seen by three lanes and, 4 min later, a 20-km one 60 km east of it seen by
    two ships only: their crossings chain into one cluster. Six ships on a lane between the
    discs keep their fix all along, and a jammer's disc is convex, so the two ships are a zone
    of their own, though too few to show a switching (Gulf 1745: drawn as one, the smaller
    jammer's other ships were missed). Had they lost the fix within a report interval of the
    first switch-on, the ships between might be receivers at its edge it did not reach: one
    zone (the live engine's windows over the bundled sample split one so)."""
    west, east = destination(*CENTRE, 270, 35_000), destination(*CENTRE, 90, 25_000)
    west, east = (float(west[0]), float(west[1])), (float(east[0]), float(east[1]))
    traffic = pd.concat([
        lanes([(0, 0), (0, 10_000), (20, -8000)], per_lane=6, every_s=1200, mmsi0=230_000_000, centre=west,
              radius=25_000.0),
        lanes([(0, 0)], per_lane=2, every_s=600, mmsi0=230_100_000, centre=east, radius=20_000.0),
        lanes([(0, 0)], per_lane=6, every_s=900, mmsi0=230_200_000, first_s=-10_000.0, radius=60_000.0),
    ], ignore_index=True)
    df = finish(jam(jam(traffic, 1800, 9000, centre=west, radius=25_000), east_on_s, 9000, centre=east,
                    radius=20_000))
    events, zones, _ = build_jamming(df)
    assert len(zones) == n_zones
    if n_zones == 1:
        return
    two = zones.iloc[int(np.argmin(haversine_m(zones["centre_lat"], zones["centre_lon"], *east)))]
    assert haversine_m(two["centre_lat"], two["centre_lon"], *east) < 15_000 and two["n_vessels"] == 2
    assert set(events.loc[events["zone_id"] == two["zone_id"], "mmsi"]) == {230_100_000, 230_100_001}


def test_a_ship_at_anchor_repeating_its_fix_does_not_set_crossings_apart() -> None:
    """One 40-km jammer over two anchorages 40 km apart, four ships at each. Between them two
    ships keep their fix (receivers it does not reach) and a third lies at anchor repeating one
    fix exactly: held, for all anyone can tell. Two live ships are too few to set the
    anchorages apart, so they stay one zone; counting the held fix split them (Baltic 1731)."""
    ships = [anchored(230_009_400 + 10 * side + k, *map(float, destination(*destination(*CENTRE, bearing, 20_000),
                                                                          0.0, 6000.0 * k - 9000.0)), None, k)
             for side, bearing in enumerate((270.0, 90.0)) for k in range(4)]
    kept = lanes([(0, 0)], per_lane=2, every_s=1800, mmsi0=230_200_000, first_s=-6000.0, radius=40_000.0)
    lat, lon = destination(*CENTRE, 90, 5000)
    at_anchor = track(230_300_000, float(lat), float(lon), 0.0, 0.0, -3000, 15_000, 180)
    df = pd.concat([jam(pd.concat(ships), 1800, 9000, radius=40_000), kept, at_anchor], ignore_index=True)
    _, zones, _ = build_jamming(finish(df))
    assert len(zones) == 1 and zones["n_vessels"].iloc[0] == 8


def test_slow_recoveries_chained_to_a_switching_do_not_hide_it() -> None:
    """A switches on at 0 s and off at 9000 s around three ships; B, 60 km east, from 3000
    to 12000 s. Two more of A's ships lose the fix within 3 min of its switch-on but regain
    it 150 and 300 s after its switch-off (slow receivers), chaining the signature's ends
    over more than one report interval: the interval holding most recoveries is A's (with
    the one 150 s late in it)."""
    from gnss_watch.zones.cluster import _split_switchings

    a = [(1, 0, 9000, 0, 10_000), (2, 20, 9010, 120, 15_000), (3, 40, 9020, 240, 20_000)]
    b = [(6, 3000, 12_000, 80, 60_000), (7, 3020, 12_010, 95, 65_000), (8, 3040, 12_020, 90, 62_000)]
    slow = [(4, 10, 9150, 300, 12_000), (5, 170, 9300, 200, 18_000)]
    _, windows = _split_switchings(episodes(a + b + slow), ZonesConfig())
    assert sorted(windows) == [(0.0, 9150.0), (3000.0, 12_020.0)]


STATES = ["good", "good", "good", "lost", "frozen", "reckoned", "spoofed", "silent"]


@st.composite
def fleets(draw: st.DrawFn) -> pd.DataFrame:
    """A few vessels near one place, each report good, lost, frozen, dead-reckoned,
    spoofed or unheard, in runs."""
    frames = []
    for v in range(draw(st.integers(1, 6))):
        n = draw(st.integers(2, 40))
        every = draw(st.sampled_from([2.0, 10.0, 30.0, 180.0]))
        df = track(230_100_000 + v, 59.0 + draw(st.floats(-0.3, 0.3)), 20.0 + draw(st.floats(-0.5, 0.5)),
                   draw(st.floats(0, 359)), draw(st.sampled_from([0.0, 0.1, 8.0, 14.0])),
                   draw(st.floats(0, 3600)), (n - 1) * every, every)
        runs = draw(st.lists(st.tuples(st.sampled_from(STATES), st.integers(1, 12)), min_size=1, max_size=6))
        state = np.resize(np.repeat([s for s, _ in runs], [k for _, k in runs]), len(df))
        held = df[["lat", "lon"]].shift().ffill().bfill()
        df.loc[state == "lost", ["lat", "lon"]] = np.nan
        df.loc[state == "frozen", ["lat", "lon"]] = held[state == "frozen"].to_numpy()
        df.loc[state == "spoofed", "lat"] += 0.5
        df["kind"] = np.select([np.isin(state, ["lost", "frozen", "reckoned"]), state == "spoofed"],
                               ["jamming", "spoofing"], "")
        df["reasons"] = np.select([state == "lost", state == "frozen", state == "reckoned", state == "spoofed"],
                                  ["pos_unavailable", "frozen_position", "dead_reckoning", "impossible_jump"], "")
        df["score"] = np.where(df["kind"] != "", 0.6, 0.0)
        frames.append(df[state != "silent"])
    return finish(pd.concat(frames, ignore_index=True))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_build_jamming_on_any_mix_of_reports_keeps_its_contract(reports: pd.DataFrame) -> None:
    cfg = ZonesConfig()
    reports = reports.sample(frac=1.0, random_state=0)  # any row order
    events, zones, zone_ids = build_jamming(reports, cfg)
    assert zone_ids.index.equals(reports.index)
    known = set(zones["zone_id"]) | {""}
    assert set(zone_ids) <= known and set(events["zone_id"]) <= known
    assert set(zone_ids[reports["kind"] != "jamming"]) <= {""}
    assert (events["start"] <= events["end"]).all() and (zones["start"] <= zones["end"]).all()
    assert set(events["mmsi"]) <= set(reports["mmsi"])
    lost = events[~events["reasons"].isin(["silent", "held_fix"])]
    # ... or a single lost report inside a zone (a lone loss, see build_jamming)
    lone = (lost["n_reports"] == 1) & (lost["start"] == lost["end"]) & (lost["zone_id"] != "")
    assert ((lost["n_reports"] >= cfg.min_episode_reports) | lone).all()
    jammed = reports.loc[reports["kind"] == "jamming", "mmsi"].nunique()
    assert (zones["n_vessels"] >= cfg.min_zone_vessels).all() and (zones["n_vessels"] <= jammed).all()
    assert zones["radius_km"].between(cfg.min_radius_m / 1000, cfg.max_radius_m / 1000).all()


@pytest.mark.parametrize("owned", [True, False])
def test_a_ship_in_two_discs_does_not_start_or_end_the_later_zone(owned: bool) -> None:
    """Zone 1's ship 9 lost its fix with zone 0's switch-on (in both discs) and regained it with zone 0's
    switch-off; zone 1's own ships began an hour later and ended later still. Zone 0 owns its switch-on
    when three of its ships share it; otherwise nothing says whose the early loss was."""
    from gnss_watch.zones.cluster import _own_windows

    zero = [(1, 0, 5000, 0, 10_000), (2, 30, 5000, 120, 15_000), (3, 60 if owned else 900, 5020, 240, 20_000)]
    one = [(9, 20, 5010, 90, 40_000), (10, 3600, 9000, 80, 55_000), (11, 3650, 9050, 95, 65_000)]
    e = episodes(zero + one)
    zone = np.array([0, 0, 0, 1, 1, 1])
    windows = _own_windows(e, zone, [(0.0, 5020.0), (20.0, 9050.0)], ZonesConfig())
    assert windows[0] == (0.0, 5020.0)
    assert windows[1] == ((3600.0, 9050.0) if owned else (20.0, 9050.0))
    # Vessels own a switching, not episodes: one ship's fix flickering twice is not a second witness.
    flicker = [(1, 0, 100, 0, 10_000), (1, 120, 5000, 0, 10_000), (2, 30, 5000, 120, 15_000)]
    windows = _own_windows(episodes(flicker + one), zone, [(0.0, 5000.0), (20.0, 9050.0)], ZonesConfig())
    assert windows[1] == (20.0, 9050.0)
    # Ends alike, time running backwards: zone 0's ship 3 regained its fix with zone 1's switch-off.
    late = [(1, 0, 3000, 0, 10_000), (2, 30, 3010, 120, 15_000), (3, 60, 9030, 240, 20_000),
            (10, 5000, 9000, 80, 55_000), (11, 5050, 9050, 95, 65_000), (12, 5100, 9040, 90, 60_000)]
    windows = _own_windows(episodes(late), np.array([0, 0, 0, 1, 1, 1]), [(0.0, 9030.0), (5000.0, 9050.0)],
                           ZonesConfig())
    assert windows == [(0.0, 3010.0), (5000.0, 9050.0)]


@pytest.mark.parametrize("second_loss_s, merged", [(1005.0, True), (1060.0, False)])
def test_ships_too_far_apart_to_cluster_that_lost_the_fix_at_one_instant_share_a_zone(
        second_loss_s: float, merged: bool) -> None:
    """Two ships 80 km apart, each alone in its cluster (one jammer's disc seen at its two
    edges), reporting every 10 s, lose the fix 5 s apart: one instant lies between each one's
    last good fix and first lost report, so one switch-on explains both, though one left the
    disc long before the other regained its fix (Hormuz seed 25: a 64-km zone off Jask seen
    by two ships at its edges, found by neither alone). Losses 60 s apart at that rate share
    no instant: two ships' own losses."""
    from gnss_watch.zones.cluster import _merge_cotimed

    e = episodes([(1, 1000, 5000, 270, 40_000), (2, second_loss_s, 2500, 90, 40_000)], report_s=10.0)
    good = pd.DataFrame({"lat": [], "lon": [], "t": [], "mmsi": []})
    zone, windows = _merge_cotimed(e, np.array([0, 1]), [(1000.0, 5000.0), (second_loss_s, 2500.0)], good,
                                   ZonesConfig())
    assert (zone.tolist(), windows) == (([0, 0], [(1000.0, 5000.0)]) if merged else
                                        ([0, 1], [(1000.0, 5000.0), (second_loss_s, 2500.0)]))


@pytest.mark.parametrize("b_ships_at_on, merged", [(3, False), (2, True)])
def test_zones_that_switched_on_apart_are_not_merged_by_ships_in_their_overlap(b_ships_at_on: int,
                                                                                merged: bool) -> None:
    """A switches on at 0 s around three ships, B at 3000 s, 40 km east, around three others.
    A's ship in the overlap of the discs regains its fix at 9000 s with B's: one instant,
    but each zone switched on on its own, minutes apart, so two jammers (Gulf 1765: drawn as
    one). Seen switching on by two ships only, B may be A's far edge: merged as before."""
    from gnss_watch.zones.cluster import _merge_cotimed

    b_on = [3000.0, 3010.0, 3020.0][:b_ships_at_on] + [3900.0] * (3 - b_ships_at_on)
    e = episodes([(1, 0, 5000, 270, 15_000), (2, 5, 5200, 250, 20_000), (3, 10, 9000, 90, 20_000),
                  (4, b_on[0], 9005, 90, 45_000), (5, b_on[1], 9010, 80, 50_000), (6, b_on[2], 9020, 100, 55_000)],
                 report_s=10.0)
    good = pd.DataFrame({"lat": [], "lon": [], "t": [], "mmsi": []})
    zone, windows = _merge_cotimed(e, np.array([0, 0, 0, 1, 1, 1]), [(0.0, 9000.0), (3000.0, 9020.0)], good,
                                   ZonesConfig())
    assert len(windows) == (1 if merged else 2)


@pytest.mark.parametrize("early_end_s, start_s", [(3300.0, 5300.0), (5800.0, 3000.0)])
def test_a_loss_that_another_zones_window_holds_does_not_start_a_zone_before_its_switch_on(
        early_end_s: float, start_s: float) -> None:
    """Zone 0 is on from 0 to 5000 s (three ships). Zone 1 switches on at 5300 s around three
    ships; its ship 9 lost the fix with zone 0's switch-on (in both discs), and its ship 12 was
    jammed at 3000-3300 s, inside zone 0's window: zone 0's crossing, so zone 1 starts at its own
    switch-on (Hormuz seed 51 of the ninth set: a second jammer at one site, 5 min after the
    first stopped, drawn 94 min early). Jammed until 5800 s, after zone 0 stopped, ship 12 is
    zone 1's from 3000 s: nothing else explains it."""
    from gnss_watch.zones.cluster import _own_windows

    zero = [(1, 0, 5000, 0, 10_000), (2, 30, 5000, 120, 15_000), (3, 60, 4990, 240, 20_000)]
    one = [(9, 20, 8990, 90, 30_000), (12, 3000, early_end_s, 80, 35_000), (10, 5300, 9000, 80, 40_000),
           (11, 5350, 9050, 95, 45_000), (13, 5400, 9020, 85, 42_000)]
    zone = np.array([0, 0, 0, 1, 1, 1, 1, 1])
    windows = _own_windows(episodes(zero + one), zone, [(0.0, 5000.0), (20.0, 9050.0)], ZonesConfig())
    assert windows == [(0.0, 5000.0), (start_s, 9050.0)]


def test_a_loss_at_a_switch_on_joins_its_zone_though_another_is_nearer() -> None:
    """B switches on at 2700 s, 60 km east of A (on since 0 s). Ship 8, reporting every 10 s,
    loses its fix 100 s after B's ships: later than one instant explains (a jammer's power
    rising, a receiver holding its fix), but within one report interval of B's switch-on. It
    lies nearer A's ships (28 km) than B's (37 km), and A is still on: the switching says B."""
    from gnss_watch.zones.cluster import _split_onsets

    e = pd.concat([episodes(SWITCH_A + SWITCH_B), episodes([(8, 2800, 6500, 60, 25_000)], 10.0)],
                  ignore_index=True)
    zone, windows = _split_onsets(e, ZonesConfig())
    assert zone.tolist() == [0, 0, 0, 0, 1, 1, 1, 1] and windows == [(0.0, 5000.0), (2700.0, 8000.0)]
    # Losing it 20 min later, it is a ship entering: the nearer zone still seen.
    e = pd.concat([episodes(SWITCH_A + SWITCH_B), episodes([(8, 3900, 6500, 60, 25_000)], 10.0)],
                  ignore_index=True)
    zone, _ = _split_onsets(e, ZonesConfig())
    assert zone[-1] == 0


@pytest.mark.parametrize("second_on_s, chained", [(2_800.0, True), (3_100.0, True), (3_400.0, False)])
def test_a_silence_from_one_zones_switch_on_to_an_overlapping_ones_switch_off_is_theirs(
        second_on_s: float, chained: bool) -> None:
    """Two jammers 30 km apart: A on from 0 to 3000 s, B from ``second_on_s`` to 6000 s. A boat
    looping in the overlap of their discs is silent from A's switch-on to B's switch-off: jammed
    all along when B came on before A went off, or less than ``recovery_min_s`` (180 s) after,
    too soon to fix again. 400 s after, its fix was back in between, and the silence is
    something else. A boat in reach of A only, silent as long, is not explained either way,
    nor one silent in the joint window but at neither of its switchings."""
    from gnss_watch.zones.witnesses import _nearest_zone

    a, b = CENTRE, destination(*CENTRE, 90.0, 30_000.0)
    zones = pd.DataFrame({"zone_id": ["J001", "J002"], "start_s": [0.0, second_on_s], "end_s": [3_000.0, 6_000.0],
                          "centre_lat": [a[0], float(b[0])], "centre_lon": [a[1], float(b[1])],
                          "radius_km": [25.0, 25.0]})
    overlap = destination(*CENTRE, 90.0, 12_000.0)  # 12 km from A, 18 km from B
    only_a = destination(*CENTRE, 270.0, 20_000.0)  # 50 km from B: beyond 1.5 x 25 km
    lat, lon = np.array([overlap[0], only_a[0]], float), np.array([overlap[1], only_a[1]], float)
    t_i, t_j = np.array([10.0, 10.0]), np.array([5_990.0, 5_990.0])
    for cross in (True, False):
        got = _nearest_zone(t_i, t_j, (lat, lon), (lat, lon), zones, ZonesConfig(), cross=cross)
        assert got.tolist() == [0 if chained else -1, -1]
    # Silent from 1000 to 5000 s in the overlap: inside the joint window but at neither of
    # its switchings (a reception gap as likely as the jammers).
    mid = _nearest_zone(np.array([1_000.0]), np.array([5_000.0]), (lat[:1], lon[:1]), (lat[:1], lon[:1]), zones,
                        ZonesConfig())
    assert mid.tolist() == [-1]
    # Either zone alone explains a silence within its own window.
    got = _nearest_zone(np.array([10.0]), np.array([2_990.0]), (lat[:1], lon[:1]), (lat[:1], lon[:1]), zones,
                        ZonesConfig())
    assert got.tolist() == [0]
    assert _nearest_zone(t_i, t_j, (lat, lon), (lat, lon), zones.iloc[:0], ZonesConfig()).tolist() == [-1, -1]


def test_a_zone_whose_points_all_coincide_is_a_disc_about_them() -> None:
    """Ships held at one fix (frozen receivers at anchor together) can leave a zone's points at a
    single position, where GEOS draws no enclosing circle: the disc is about that point, at the
    smallest radius, not an error."""
    from gnss_watch.zones.shape import enclosing_circle

    assert enclosing_circle(np.full(4, 120.0), np.full(4, -30.0)) == (120.0, -30.0, 0.0)
    cx, cy, r = enclosing_circle(np.array([0.0, 2_000.0, 1_000.0]), np.array([0.0, 0.0, 0.0]))
    assert np.allclose([cx, cy, r], [1_000.0, 0.0, 1_000.0])
    disc = fit_disc(np.array([]), np.array([]), np.full(7, 59.0), np.full(7, 20.0))
    assert (disc["centre_lat"], disc["centre_lon"]) == pytest.approx((59.0, 20.0))
    assert disc["radius_m"] == ZonesConfig().min_radius_m and disc["method"] == "enclosing_circle"
