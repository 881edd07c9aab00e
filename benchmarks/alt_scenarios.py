"""Detection quality on scenarios from an *independent* generator (southern Baltic around Bornholm,
or the Black Sea).

    python benchmarks/alt_scenarios.py [--seeds 1 2 3] [--clean-seed 4] [--work /tmp/alt]
                                       [--vessels 130] [--hours 2.5] [--scatter-m 0] [--held-sog-zero]
                                       [--dr-silent] [--thin-s K [--long-range]] [--radius-km LO HI]
                                       [--offset-km LO HI] [--waters bornholm|black_sea]

The detector's thresholds were developed against ``gnss_watch.simulate``; a
detector can fit the quirks of one generator (its lanes, report timing, noise,
radio model, how it degrades a fix) without anyone noticing. This module
therefore imports nothing from ``gnss_watch.simulate`` and builds its scenarios
differently on purpose: other waters (lanes between sea points around Bornholm,
checked against the shipped land; with ``--waters black_sea`` coastal lanes round
the Black Sea, outside the package's land, with shore stations reaching 65-80 NM),
analytic great-circle motion (slerp of unit vectors) at constant speed, one numpy
random stream, millisecond tag-block times, a distance-ramp reception model in
which the base stations are the receivers, its own interference recipes
(position unavailable / silent / frozen fix / dead reckoning inside jamming
discs; with ``--scatter-m`` fixes scattering around the true position instead
of frozen ones, with ``--held-sog-zero`` frozen ones reporting SOG 0;
constant-offset, slow-drift, convergence and circle spoofing) and its own field
encoding via pyais. Only the output contract is shared: ``truth.json`` and
``labels.csv`` as ``gnss_watch.evaluate`` reads them.

For each seed: generate into WORK/alt-SEED, replay (``gnss_watch.replay``), score
(``gnss_watch.evaluate``) and print one row as ``eval_scenarios.py`` does, plus
the truth events that were missed; then the clean seed's share of vessels with a
spoofing event. Scenarios found in WORK are reused.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyais import encode_dict

import eval_scenarios as table  # the same scoring and table, beside this file
from gnss_watch.geo import EARTH_RADIUS_M, KNOT_MS, bearing_deg, destination, haversine_m
from gnss_watch.ingest.nmea import checksum
from gnss_watch.land import on_land, world_land
from gnss_watch.schema import iso_utc, iso_utc_series

FILES = {"nmea": "scenario.nmea.gz", "truth": "truth.json", "labels": "labels.csv"}


@lru_cache(maxsize=1)
def _black_sea_land() -> shapely.Geometry:
    land = world_land()
    land = shapely.union_all(land[shapely.intersects(land, shapely.box(26.0, 40.0, 43.0, 48.0))])
    shapely.prepare(land)
    return land


def _on_black_sea_land(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Natural Earth 50m land (shipped for maps: coasts to ~1 km), enough to keep lanes 6 km or more off
    the coast; the package's own on-land check is silent outside the Baltic."""
    return shapely.contains_xy(_black_sea_land(), np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))


@dataclass(frozen=True)
class Waters:
    """Where a scenario sails. ``lanes``: straight (great-circle) lanes between open-water points,
    (lon, lat) -> (lon, lat), none crossing land; ``anchorages``: (lon, lat); ``stations``: base
    stations that are also the receivers: name, MMSI (00 + MID + 4), lat, lon, reception range (m);
    ``converge_points``: (lon, lat) that convergence spoofing reports ships at; ``mids``: flags of
    the fleet; ``on_land``: the land lanes and anchorages are checked against."""

    name: str
    start: pd.Timestamp
    lanes: np.ndarray
    anchorages: np.ndarray
    stations: list[tuple[str, int, float, float, float]]
    converge_points: list[tuple[float, float]]
    mids: list[int]
    destination: str
    on_land: Callable[[np.ndarray, np.ndarray], np.ndarray]


WATERS = {
    "bornholm": Waters(
        "southern Baltic", pd.Timestamp("2024-09-14T05:00:00Z"),
        np.array([[(13.05, 55.15), (16.8, 55.55)], [(13.2, 55.0), (17.2, 54.9)], [(14.25, 54.1), (16.8, 55.55)],
                  [(13.85, 55.3), (15.5, 54.3)], [(13.6, 54.8), (17.5, 55.25)], [(15.3, 55.85), (15.6, 54.4)],
                  [(14.4, 54.2), (17.2, 54.75)]]),
        np.array([(14.62, 55.08), (14.3, 54.02), (15.5, 54.22), (13.85, 55.37)]),
        [("YSTAD", 2655601, 55.425, 13.83, 80e3), ("RONNE", 2190012, 55.10, 14.70, 85e3),
         ("KOLOBRZEG", 2612030, 54.18, 15.56, 80e3), ("USTKA", 2612040, 54.59, 16.86, 80e3)],
        [(14.7597, 55.0633), (15.95, 54.95)],  # Bornholm airport; a point at sea
        [219, 265, 266, 261, 211, 230, 276, 636, 538, 273, 244], "GDANSK", on_land),
    # Coastal lanes round the western, northern and southern Black Sea (the middle is out of reach of
    # shore stations), stations on the coast with 65-80 NM of reach: far outside the Baltic land the
    # package ships, and the learned stations see the sea side only.
    "black_sea": Waters(
        "Black Sea", pd.Timestamp("2024-11-02T03:00:00Z"),
        np.array([[(29.25, 41.35), (28.45, 42.6)], [(28.45, 42.6), (29.35, 44.05)], [(29.35, 44.05), (30.75, 46.2)],
                  [(31.0, 46.1), (33.2, 44.45)], [(33.3, 44.2), (36.5, 44.7)], [(36.6, 44.8), (37.65, 44.55)],
                  [(29.4, 41.35), (33.4, 42.2)], [(33.4, 42.2), (35.6, 42.25)], [(35.6, 42.2), (37.5, 41.35)]]),
        np.array([(29.2, 41.33), (28.85, 44.1), (37.9, 44.6), (30.9, 46.32)]),
        [("ISTANBUL", 2711001, 41.2, 29.1, 140e3), ("BURGAS", 2070002, 42.49, 27.48, 120e3),
         ("VARNA", 2070001, 43.2, 27.95, 130e3), ("CONSTANTA", 2640001, 44.17, 28.66, 150e3),
         ("ODESA", 2720001, 46.48, 30.75, 120e3), ("SEVASTOPOL", 2720002, 44.61, 33.52, 150e3),
         ("FEODOSIA", 2720003, 45.03, 35.39, 130e3), ("NOVOROSSIYSK", 2734001, 44.72, 37.78, 140e3),
         ("ZONGULDAK", 2711002, 41.45, 31.8, 130e3), ("INEBOLU", 2711003, 41.98, 33.76, 150e3),
         ("SINOP", 2711004, 42.02, 35.15, 150e3), ("SAMSUN", 2711005, 41.29, 36.33, 140e3)],
        [(38.01, 44.58), (33.0, 43.3)],  # Gelendzhik airport (where ships were shown in 2017); a point at sea
        [271, 272, 273, 207, 264, 213, 636, 538, 248, 256, 355], "NOVOROSSIYSK", _on_black_sea_land),
}
WORDS = ["NORD", "BALTIC", "AMBER", "HANSA", "WIND", "STAR", "POLARIS", "VISTULA", "ODRA", "SKAGEN", "FALKEN"]
JAM_BEHAVIOURS = ("unavailable", "silent", "frozen", "dead_reckoning")
RADIUS_KM = (15.0, 40.0)  # jamming discs' radius range, km
OFFSET_KM = (20.0, 80.0)  # spoofed displacements' distance range, km


def _unit(lon, lat):
    lo, la = np.radians(lon), np.radians(lat)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def _slerp(p, q, f):
    """(lat, lon) at fraction ``f`` of the great circle from unit vectors p to q (rows)."""
    om = np.arccos(np.clip((p * q).sum(-1), -1, 1))[:, None]
    v = (np.sin((1 - f)[:, None] * om) * p + np.sin(f[:, None] * om) * q) / np.sin(om)
    return np.degrees(np.arcsin(v[:, 2])), np.degrees(np.arctan2(v[:, 1], v[:, 0]))


def _fleet(rng: np.random.Generator, n: int, T: float, w: Waters) -> pd.DataFrame:
    """One row per vessel: device, motion parameters (its lane's ends p, q), radio habits and static data."""
    kind = rng.choice(["A", "B", "anchored"], size=n, p=[0.75, 0.15, 0.10])
    mmsi = rng.choice(w.mids, n) * 1_000_000 + rng.choice(np.arange(100_000, 999_999), n, replace=False)
    lane = rng.integers(len(w.lanes), size=n)
    p, q = w.lanes[lane, 0], w.lanes[lane, 1]
    length = haversine_m(p[:, 1], p[:, 0], q[:, 1], q[:, 0])
    speed = np.where(kind == "A", rng.uniform(8, 20, n), np.where(kind == "B", rng.uniform(5, 10, n), 0.0))
    travel = speed * KNOT_MS * T
    s0 = 1000 + rng.uniform(0, 1, n) * np.maximum(length - travel - 2000, 0)
    forward = rng.random(n) < 0.5
    anch = w.anchorages[rng.integers(len(w.anchorages), size=n)]
    a_lat, a_lon = destination(anch[:, 1], anch[:, 0], rng.uniform(0, 360, n), rng.uniform(0, 1500, n))
    return pd.DataFrame({
        "mmsi": mmsi, "kind": kind, "p_lon": p[:, 0], "p_lat": p[:, 1], "q_lon": q[:, 0], "q_lat": q[:, 1],
        "length": length, "speed": speed, "forward": forward,
        "s0": np.where(forward, s0, length - s0), "a_lat": a_lat, "a_lon": a_lon,
        "swing_r": rng.uniform(30, 60, n), "swing_T": rng.uniform(1800, 3600, n),
        "interval": np.select([kind == "anchored", kind == "B", speed >= 14], [180.0, 30.0, 12.0], 20.0),
        "phase": rng.uniform(0, 20, n), "msg_type": np.where(kind == "B", 18, rng.choice([1, 3], n)),
        "accuracy": rng.random(n) < 0.6, "raim": rng.random(n) < 0.3, "drift_angle": rng.normal(0, 2, n),
        "ship_type": rng.choice([70, 70, 80, 60, 52, 30], n), "length_m": rng.integers(20, 230, n),
        "name": [f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}" for i in range(n)],
        "jam": rng.choice(JAM_BEHAVIOURS, n, p=[0.3, 0.2, 0.25, 0.25]),
    })


def _true_state(fl: pd.DataFrame, ship: np.ndarray, t: np.ndarray):
    """True lat, lon (deg), sog (kn), cog (deg) of vessels ``ship`` at seconds ``t``."""
    f = fl.iloc[ship]
    step = np.where(f["forward"], 1, -1) * f["speed"].to_numpy() * KNOT_MS * t
    frac = (f["s0"].to_numpy() + step) / f["length"].to_numpy()
    p, q = f[["p_lon", "p_lat"]].to_numpy(), f[["q_lon", "q_lat"]].to_numpy()
    lat, lon = _slerp(_unit(p[:, 0], p[:, 1]), _unit(q[:, 0], q[:, 1]), frac)
    end = np.where(f["forward"].to_numpy()[:, None], q, p)
    cog = bearing_deg(lat, lon, end[:, 1], end[:, 0])
    anchored = (f["kind"] == "anchored").to_numpy()
    ang = 2 * np.pi * t / f["swing_T"].to_numpy()  # swinging round the anchor, slowly
    s_lat, s_lon = destination(f["a_lat"].to_numpy(), f["a_lon"].to_numpy(), np.degrees(ang) % 360,
                               f["swing_r"].to_numpy())
    sog = np.where(anchored, 0.0, f["speed"].to_numpy())
    return (np.where(anchored, s_lat, lat), np.where(anchored, s_lon, lon), sog,
            np.where(anchored, (np.degrees(ang) + 90) % 360, cog))


def _reports(rng: np.random.Generator, fl: pd.DataFrame, T: float, w: Waters) -> pd.DataFrame:
    """Every scheduled position report, clean: true state plus ~5 m of GNSS noise."""
    counts = np.ceil((T - fl["phase"]) / fl["interval"]).astype(int).to_numpy()
    ship = np.repeat(np.arange(len(fl)), counts)
    k = np.arange(len(ship)) - np.repeat(np.cumsum(counts) - counts, counts)
    t = np.clip(fl["phase"].to_numpy()[ship] + k * fl["interval"].to_numpy()[ship] + rng.normal(0, 0.2, len(ship)),
                0, T - 0.5)
    lat, lon, sog, cog = _true_state(fl, ship, t)
    assert not w.on_land(lon, lat).any(), "a lane or anchorage runs over land"
    n = len(ship)
    n_lat, n_lon = rng.normal(0, 4.0, (2, n))
    f = fl.iloc[ship]
    return pd.DataFrame({
        "ship": ship, "t": t, "lat_true": lat, "lon_true": lon, "cog_true": cog,
        "lat": lat + np.degrees(n_lat / EARTH_RADIUS_M),
        "lon": lon + np.degrees(n_lon / EARTH_RADIUS_M / np.cos(np.radians(lat))),
        "sog": np.clip(np.round(sog + np.where(sog > 0, rng.normal(0, 0.1, n), 0.05 * rng.random(n)), 1), 0, 102.2),
        "cog": np.round((cog + rng.normal(0, 0.6, len(ship))) % 360, 1),
        "heading": np.where(f["kind"] == "B", 511, np.round(cog + f["drift_angle"].to_numpy()) % 360).astype(int),
        "second": np.floor(w.start.timestamp() + t).astype(int) % 60, "status": np.where(f["kind"] == "anchored", 1, 0),
        "accuracy": f["accuracy"].to_numpy(), "msg_type": f["msg_type"].to_numpy(), "transmitted": True,
        "label": "clean", "zone_id": "", "event": -1, "radio": rng.integers(0, 1 << 19, len(ship)),
    }).sort_values(["ship", "t"], ignore_index=True)


def _zones(rng: np.random.Generator, T: float, n: int, w: Waters, radius_km: tuple[float, float] = RADIUS_KM
           ) -> list[dict]:
    """Jamming discs centred near a lane, radius ``radius_km``, active 40-90 min inside the window
    (fewer than ``n`` when 200 draws find no room for another: large discs)."""
    zones: list[dict] = []
    for _ in range(200):  # discs do not overlap: merged overlapping jammers are a documented limit, not news
        if len(zones) == n:
            break
        lane = w.lanes[rng.integers(len(w.lanes))]
        lat, lon = _slerp(_unit(*lane[0])[None], _unit(*lane[1])[None], np.array([rng.uniform(0.25, 0.75)]))
        lat, lon = destination(lat[0], lon[0], rng.uniform(0, 360), rng.uniform(0, 10e3))
        r = rng.uniform(radius_km[0] * 1e3, radius_km[1] * 1e3)
        if any(haversine_m(lat, lon, z["lat"], z["lon"]) < r + z["r"] + 5e3 for z in zones):
            continue
        dur = min(rng.uniform(40, 90) * 60, 0.8 * T)
        start = rng.uniform(0.1 * T, T - dur - 0.05 * T)
        zones.append({"zone_id": f"Z{len(zones) + 1}", "lat": float(lat), "lon": float(lon), "r": r,
                      "start": start, "end": start + dur})
    return zones


def _jam(rep: pd.DataFrame, fl: pd.DataFrame, zones: list[dict], scatter_m: float, rng: np.random.Generator,
         held_sog_zero: bool = False, dr_silent: bool = False) -> None:
    """Degrade, in place, the reports of ships inside an active zone, per ship's receiver habit.

    With ``scatter_m`` > 0 the ships whose habit is 'frozen' scatter instead: each fix
    lies a half-normal ``scatter_m`` metres from the true position in a random
    direction (a receiver still computing fixes from jammed signals), SOG/COG held.
    With ``held_sog_zero`` they hold the fix but report SOG 0. With ``dr_silent`` the
    'dead_reckoning' ones keep their normal UTC second instead of 62 (non-standard, but
    the only sign left is then the track itself).
    """
    for z in zones:
        d = haversine_m(rep["lat_true"], rep["lon_true"], z["lat"], z["lon"])
        inside = (rep["t"] >= z["start"]) & (rep["t"] <= z["end"]) & (d < z["r"]) & (rep["label"] == "clean")
        rep.loc[inside, ["label", "zone_id"]] = ["jammed", z["zone_id"]]
    jammed = (rep["label"] == "jammed").to_numpy()
    last = pd.Series(np.where(jammed, np.nan, np.arange(len(rep)))).groupby(rep["ship"]).ffill()
    last = np.where(np.isnan(last), np.arange(len(rep)), last).astype(int)[jammed]  # no fix yet: the current one
    rows = np.flatnonzero(jammed)
    how = fl["jam"].to_numpy()[rep["ship"].to_numpy()[rows]]
    src = rep.iloc[last]
    lat, lon = src["lat"].to_numpy(), src["lon"].to_numpy()
    dr_lat, dr_lon = destination(lat, lon, src["cog"].to_numpy(),
                                 src["sog"].to_numpy() * KNOT_MS * (rep["t"].to_numpy()[rows] - src["t"].to_numpy()))
    keep = how != "unavailable"
    held = [how == "frozen", how == "dead_reckoning"]
    rep.iloc[rows, rep.columns.get_loc("lat")] = np.select(held, [lat, dr_lat], 91.0)
    rep.iloc[rows, rep.columns.get_loc("lon")] = np.select(held, [lon, dr_lon], 181.0)
    rep.iloc[rows, rep.columns.get_loc("sog")] = np.where(keep, src["sog"].to_numpy(), 102.3)
    rep.iloc[rows, rep.columns.get_loc("cog")] = np.where(keep, src["cog"].to_numpy(), 360.0)
    sec = rep["second"].to_numpy()[rows]
    standard_dr = held[1] & (not dr_silent)
    rep.iloc[rows, rep.columns.get_loc("second")] = np.select([how == "unavailable", standard_dr], [63, 62], sec)
    rep.iloc[rows, rep.columns.get_loc("accuracy")] = False
    rep.iloc[rows, rep.columns.get_loc("transmitted")] = how != "silent"
    if scatter_m > 0:
        k = rows[how == "frozen"]
        lat, lon = destination(rep["lat_true"].to_numpy()[k], rep["lon_true"].to_numpy()[k],
                               rng.uniform(0, 360, len(k)), np.abs(rng.normal(0, scatter_m, len(k))))
        rep.iloc[k, rep.columns.get_loc("lat")] = lat
        rep.iloc[k, rep.columns.get_loc("lon")] = lon
        rep.iloc[k, rep.columns.get_loc("second")] = rep["t"].to_numpy()[k].astype(int) % 60
    elif held_sog_zero:
        rep.iloc[rows[how == "frozen"], rep.columns.get_loc("sog")] = 0.0


def _covered(lat, lon, w: Waters, share: float = 0.6) -> np.ndarray:
    st = np.array([(s[2], s[3], s[4]) for s in w.stations])
    d = haversine_m(np.asarray(lat)[:, None], np.asarray(lon)[:, None], st[:, 0], st[:, 1])
    return (d < share * st[:, 2]).any(1)


def _spoof(rng: np.random.Generator, rep: pd.DataFrame, fl: pd.DataFrame, zones: list[dict], T: float, w: Waters,
           offset_km: tuple[float, float] = OFFSET_KM) -> list[dict]:
    """Spoof chosen Class A ships' reports in place; returns one event (kind, ship, group) per victim.
    ``offset_km``: the range of a displacement's distance."""
    touched = set(rep.loc[rep["label"] != "clean", "ship"])
    for z in zones:  # also ships passing a zone's edge: only ships nowhere near any zone are spoofed
        d = haversine_m(rep["lat_true"], rep["lon_true"], z["lat"], z["lon"])
        near = (d < z["r"] + 15e3) & (rep["t"] > z["start"] - 900) & (rep["t"] < z["end"] + 900)
        touched |= set(rep.loc[near, "ship"])
    moving = [i for i in np.flatnonzero((fl["kind"] != "anchored").to_numpy()) if i not in touched]
    events: list[dict] = []

    def pick(dur: float) -> tuple[int, float] | None:
        for _ in range(200 if moving else 0):  # large zones may leave no ship to spoof
            v = int(rng.choice(moving))
            ts = rng.uniform(0.1 * T, T - dur - 0.05 * T)
            lat, lon, _, _ = _true_state(fl, np.array([v] * 3), np.array([ts, ts + dur / 2, ts + dur]))
            if fl.at[v, "kind"] == "A" and _covered(lat, lon, w).all():  # heard throughout
                moving.remove(v)
                return v, ts
        return None

    plan = ["displacement"] * int(rng.integers(1, 3)) + ["drift"] * int(rng.integers(1, 3)) + ["circle", "convergence"]
    for kind in plan:
        dur = {"displacement": rng.uniform(15, 40), "drift": rng.uniform(20, 30), "circle": rng.uniform(15, 30),
               "convergence": rng.uniform(10, 20)}[kind] * 60
        dur = min(dur, 0.8 * T)  # a short scenario holds a shorter spoof (as its zones)
        got = pick(dur)
        if got is None:
            continue
        v, ts = got
        victims = [(v, ts)]
        if kind == "convergence":  # the ships nearest the first one at onset share the fake point
            lat0, lon0, _, _ = _true_state(fl, np.array([v]), np.array([ts]))
            la, lo, _, _ = _true_state(fl, np.array(moving), np.full(len(moving), ts))
            d = haversine_m(la, lo, lat0[0], lon0[0])
            ok = (d < 60e3) & _covered(la, lo, w)
            near = [moving[i] for i in np.argsort(d)[: int(rng.integers(2, 5))] if ok[i]]
            for u in near:
                moving.remove(u)
            victims += [(u, ts + rng.uniform(0, 60)) for u in near]
            point = w.converge_points[rng.integers(len(w.converge_points))]
        bearing, dist = rng.uniform(0, 360), rng.uniform(offset_km[0] * 1e3, offset_km[1] * 1e3)
        drift_kn, radius, circ_kn = rng.uniform(3, 6), rng.uniform(1e3, 3e3), rng.uniform(10, 18)
        sense = rng.choice([-1, 1])
        if kind == "circle":  # at least one full turn
            dur = max(dur, 1.15 * 2 * np.pi * radius / (circ_kn * KNOT_MS))
        group = f"G{len(events) + 1}" if len(victims) > 1 else ""
        for u, t1 in victims:
            m = ((rep["ship"] == u) & (rep["t"] >= t1) & (rep["t"] <= t1 + dur)).to_numpy()
            r = rep.loc[m]
            tau = r["t"].to_numpy() - t1
            if kind == "displacement":
                lat, lon = destination(r["lat"], r["lon"], bearing, dist)
                sog, cog = r["sog"].to_numpy(), r["cog"].to_numpy()
            elif kind == "drift":
                lat, lon = destination(r["lat"], r["lon"], bearing, drift_kn * KNOT_MS * tau)
                ve = r["sog"] * np.sin(np.radians(r["cog"])) + drift_kn * np.sin(np.radians(bearing))
                vn = r["sog"] * np.cos(np.radians(r["cog"])) + drift_kn * np.cos(np.radians(bearing))
                sog, cog = np.hypot(ve, vn).to_numpy(), (np.degrees(np.arctan2(ve, vn)) % 360).to_numpy()
            elif kind == "circle":
                c_lat, c_lon = destination(r["lat"].iloc[0], r["lon"].iloc[0], r["cog"].iloc[0] + 90 * sense, radius)
                theta0 = bearing_deg(c_lat, c_lon, r["lat"].iloc[0], r["lon"].iloc[0])
                theta = theta0 - sense * np.degrees(circ_kn * KNOT_MS * tau / radius)
                lat, lon = destination(c_lat, c_lon, theta, radius + rng.normal(0, 4, len(r)))
                sog, cog = np.full(len(r), circ_kn), (theta - 90 * sense) % 360
            else:
                scatter = np.abs(rng.normal(0, 3, len(r)))  # the spoofer's fixed point, seen through receiver noise
                lat, lon = destination(point[1], point[0], rng.uniform(0, 360, len(r)), scatter)
                sog, cog = np.zeros(len(r)), np.zeros(len(r))
            rep.loc[m, ["lat", "lon", "sog", "cog"]] = np.column_stack([lat, lon, np.round(sog, 1), np.round(cog, 1)])
            rep.loc[m, ["label", "event"]] = ["spoofed", len(events)]
            events.append({"kind": kind, "ship": u, "group": group})
    return events


def _receive(rng: np.random.Generator, lat, lon, t, w: Waters, base: int | None = None):
    """(row, station, receive time) of every reception of transmissions at (lat, lon, t)."""
    st = np.array([(s[2], s[3], s[4]) for s in w.stations])
    d = haversine_m(np.asarray(lat)[:, None], np.asarray(lon)[:, None], st[:, 0], st[:, 1]) / st[:, 2]
    p = np.where(d < 0.7, 0.97, np.clip(0.97 - 0.8 * (d - 0.7) / 0.3, 0, 1))
    if base is not None:  # a base station's own reports are 'heard' by itself, and by its neighbours
        p = np.where(d < 1.5, 0.95, 0.0)
        p[:, base] = 1.0
    row, station = np.nonzero(rng.random(p.shape) < p)
    return row, station, np.asarray(t)[row] + 0.002 + rng.exponential(0.05, len(row))


def _static_and_base(rng: np.random.Generator, fl: pd.DataFrame, zones: list[dict], T: float, w: Waters):
    """Type 5 every 6 min per Class A vessel; type 4 every 60 s per base station (UTC lost inside a zone)."""
    lines = []
    a = np.flatnonzero((fl["kind"] != "B").to_numpy())
    for v in a:
        ts = np.arange(rng.uniform(0, 360), T, 360.0)
        lat, lon, _, _ = _true_state(fl, np.full(len(ts), v), ts)
        f = fl.iloc[v]
        msg = {"msg_type": 5, "mmsi": int(f["mmsi"]), "imo": int(9_000_000 + v), "callsign": f"C{v:04d}",
               "shipname": f["name"], "ship_type": int(f["ship_type"]), "to_bow": int(f["length_m"] * 0.8),
               "to_stern": int(f["length_m"] * 0.2), "to_port": 6, "to_starboard": 6, "epfd": 1,
               "month": 9, "day": 15, "hour": 12, "minute": 0, "draught": 6.5, "destination": w.destination}
        for row, s, rx in zip(*_receive(rng, lat, lon, ts, w)):
            lines.append((rx, s, encode_dict(msg, talker_id="AI", sentence_type="VDM", seq_id=int(row % 10))))
    for b, (_, mmsi, lat, lon, _) in enumerate(w.stations):
        ts = np.arange(rng.uniform(0, 60), T, 60.0)
        lost = np.zeros(len(ts), bool)
        for z in zones:
            if haversine_m(lat, lon, z["lat"], z["lon"]) < z["r"]:
                lost |= (ts >= z["start"]) & (ts <= z["end"])
        for row, s, rx in zip(*_receive(rng, np.full(len(ts), lat), np.full(len(ts), lon), ts, w, base=b)):
            when = w.start + pd.Timedelta(seconds=float(ts[row]))
            utc = dict(year=0, month=0, day=0, hour=24, minute=60, second=60) if lost[row] else dict(
                year=when.year, month=when.month, day=when.day, hour=when.hour, minute=when.minute, second=when.second)
            msg = {"msg_type": 4, "mmsi": mmsi, "lat": lat, "lon": lon, "epfd": 7, "accuracy": 1, **utc}
            lines.append((rx, s, encode_dict(msg, talker_id="AI", sentence_type="VDO" if s == b else "VDM")))
    return lines


def _tag(fields: str) -> str:
    return f"\\{fields}*{checksum(fields.encode()):02X}\\"


def generate(seed: int, out: Path, vessels: int = 130, hours: float = 2.5, clean: bool = False,
             scatter_m: float = 0.0, held_sog_zero: bool = False, dr_silent: bool = False,
             radius_km: tuple[float, float] = RADIUS_KM,
             offset_km: tuple[float, float] = OFFSET_KM, waters: str = "bornholm") -> dict[str, Path]:
    """Write scenario.nmea.gz, truth.json and labels.csv for ``seed`` into ``out``; return the paths.

    ``scatter_m`` > 0: jammed receivers with the 'frozen' habit scatter instead;
    ``held_sog_zero``: they report SOG 0 while holding the fix; ``dr_silent``: dead-reckoning
    receivers do not set UTC second 62 (see :func:`_jam`); ``radius_km``: the jamming discs' radius range;
    ``offset_km``: the spoofed displacements' distance range; ``waters``: a key of :data:`WATERS`.
    """
    w = WATERS[waters]
    rng = np.random.default_rng(seed)
    T = hours * 3600.0
    fl = _fleet(rng, vessels, T, w)
    rep = _reports(rng, fl, T, w)
    zones = [] if clean else _zones(rng, T, int(rng.integers(1, 3)), w, radius_km)
    _jam(rep, fl, zones, scatter_m, np.random.default_rng((seed, 1)), held_sog_zero,  # own stream: the rest as without
         dr_silent)
    events = [] if clean else _spoof(rng, rep, fl, zones, T, w, offset_km)

    row, st, rx = _receive(rng, rep["lat_true"], rep["lon_true"], rep["t"], w)
    heard_by_radio = np.zeros(len(rep), bool)
    heard_by_radio[row] = True
    sent = rep["transmitted"].to_numpy()[row]
    row, st, rx = row[sent], st[sent], rx[sent]
    pos = rep.iloc[np.unique(row)]
    sentences = {}
    for i, r in zip(pos.index, pos.itertuples()):
        msg = {"msg_type": r.msg_type, "mmsi": int(fl.at[r.ship, "mmsi"]), "lat": r.lat, "lon": r.lon, "speed": r.sog,
               "course": r.cog, "heading": r.heading, "second": r.second, "accuracy": bool(r.accuracy),
               "radio": int(r.radio), "raim": bool(fl.at[r.ship, "raim"])}
        if r.msg_type != 18:
            msg["status"] = int(r.status)
        else:
            msg["cs"] = 1
        sentences[i] = encode_dict(msg, talker_id="AI", sentence_type="VDM", radio_channel="AB"[i % 2])
    lines = [(t, s, sentences[i]) for i, s, t in zip(row, st, rx)] + _static_and_base(rng, fl, zones, T, w)
    lines.sort(key=lambda x: x[0])
    t0 = w.start.timestamp()
    text, group = [], 0
    for t, s, parts in lines:
        tb = f"s:{w.stations[s][0]},c:{round((t0 + t) * 1000)}"
        if len(parts) == 1:
            text.append(_tag(tb) + parts[0])
        else:
            group += 1
            text += [_tag(f"g:{k + 1}-{len(parts)}-{group},{tb}") + p for k, p in enumerate(parts)]
    out.mkdir(parents=True, exist_ok=True)
    files = {k: out / v for k, v in FILES.items()}
    with gzip.open(files["nmea"], "wt", encoding="ascii") as fh:
        fh.write("\n".join(text) + "\n")

    first_rx = pd.Series(rx).groupby(row).min()
    lab = rep.loc[first_rx.index].assign(time=pd.Series(w.start + pd.to_timedelta(first_rx.to_numpy(), unit="s"),
                                                         index=first_rx.index))
    lab["mmsi"] = fl["mmsi"].to_numpy()[lab["ship"]]
    na = lab["lat"] > 90
    spans = lab[lab["event"] >= 0].groupby("event")["time"].agg(["min", "max"])
    order = sorted(spans.index, key=lambda e: (spans.at[e, "min"], e))
    ids = {e: f"A{k + 1:03d}" for k, e in enumerate(order)}
    lab["event_id"] = [ids.get(e, "") for e in lab["event"]]
    pd.DataFrame({"time": iso_utc_series(lab["time"]), "mmsi": lab["mmsi"], "label": lab["label"], "event_id": lab["event_id"],
                  "zone_id": lab["zone_id"], "lat_true": lab["lat_true"].round(6), "lon_true": lab["lon_true"].round(6),
                  "lat_reported": lab["lat"].mask(na).round(6), "lon_reported": lab["lon"].mask(na).round(6)}
                 ).sort_values("time").to_csv(files["labels"], index=False, na_rep="NaN")

    spoof_truth = []
    for e in order:
        r = lab[lab["event"] == e]
        mid = r.iloc[len(r) // 2]
        spoof_truth.append({"event_id": ids[e], "mmsi": int(mid["mmsi"]), "kind": events[e]["kind"],
                            "start": iso_utc(spans.at[e, "min"]), "end": iso_utc(spans.at[e, "max"]),
                            "group": events[e]["group"],
                            "claimed_lat": round(mid["lat"], 6), "claimed_lon": round(mid["lon"], 6),
                            "true_lat": round(mid["lat_true"], 6), "true_lon": round(mid["lon_true"], 6)})
    jam_truth, affected = [], set()
    for z in zones:  # affected: a degraded report was heard, or a silent ship would have been heard
        zr = (rep["zone_id"] == z["zone_id"]).to_numpy() & heard_by_radio
        hit = sorted(int(m) for m in set(fl["mmsi"].to_numpy()[rep.loc[zr, "ship"]]))
        affected |= set(hit)
        ring = destination(z["lat"], z["lon"], np.linspace(0, 360, 65), z["r"])
        jam_truth.append({
            "zone_id": z["zone_id"], "start": iso_utc(w.start + pd.Timedelta(seconds=z["start"])),
            "end": iso_utc(w.start + pd.Timedelta(seconds=z["end"])),
            "geometry": {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for y, x in zip(*ring)]]},
            "centre": [round(z["lon"], 5), round(z["lat"], 5)], "radius_km": round(z["r"] / 1000, 3),
            "affected_mmsi": hit,
            "base_stations": [s[1] for s in w.stations if haversine_m(s[2], s[3], z["lat"], z["lon"]) < z["r"]]})
    spoofed = {e["mmsi"] for e in spoof_truth}
    truth = {"version": 1, "seed": seed, "profile": "alt_southern_baltic" if waters == "bornholm" else f"alt_{waters}",
             "generator": "benchmarks/alt_scenarios.py",
             "start": iso_utc(w.start), "end": iso_utc(w.start + pd.Timedelta(seconds=T)),
             "vessels": [{"mmsi": int(r.mmsi), "name": r.name, "ship_type": int(r.ship_type),
                          "device": "B" if r.kind == "B" else "A", "behaviour": r.kind if r.kind != "A" else "underway",
                          "jam_behaviour": "scatter" if scatter_m > 0 and r.jam == "frozen" else r.jam}
                         for r in fl.itertuples()],
             "clean_mmsi": sorted(int(m) for m in fl["mmsi"] if m not in spoofed and m not in affected),
             "spoofing_events": spoof_truth, "jamming_zones": jam_truth}
    files["truth"].write_text(json.dumps(truth, indent=1) + "\n")
    return files


def run(seed: int, vessels: int, hours: float, clean: bool, work: Path, scatter_m: float = 0.0,
        held_sog_zero: bool = False, thin_s: float = 0.0, dr_silent: bool = False,
        radius_km: tuple[float, float] = RADIUS_KM, offset_km: tuple[float, float] = OFFSET_KM,
        waters: str = "bornholm", long_range: bool = False) -> dict:
    variant = ((f"-{waters}" if waters != "bornholm" else "")
               + (f"-scatter{scatter_m:g}" if scatter_m > 0 else "") + ("-sog0" if held_sog_zero else "")
               + ("-drsilent" if dr_silent else "")
               + (f"-r{radius_km[0]:g}-{radius_km[1]:g}" if tuple(radius_km) != RADIUS_KM else "")
               + (f"-off{offset_km[0]:g}-{offset_km[1]:g}" if tuple(offset_km) != OFFSET_KM else ""))
    out = work / f"alt-{seed}{'-clean' if clean else ''}{variant}"
    files = {k: out / v for k, v in FILES.items()}
    if not all(f.exists() for f in files.values()):  # a scenario is a function of its seed: reuse it
        files = generate(seed, out, vessels, hours, clean, scatter_m, held_sog_zero, dr_silent, radius_km,
                         offset_km, waters)
    return table.score(seed, files, out, thin_s, long_range)


def main() -> None:
    ap = table.parser(__doc__, seeds=[1, 2, 3], vessels=130, hours=2.5, clean_seed=4)
    ap.add_argument("--work", type=Path, default=Path("/tmp/alt"),
                    help="keep scenarios and results here; scenarios found there are reused")
    ap.add_argument("--scatter-m", type=float, default=0.0,
                    help="jammed receivers with the 'frozen' habit scatter their fixes by this much instead, metres")
    ap.add_argument("--held-sog-zero", action="store_true",
                    help="jammed receivers with the 'frozen' habit report SOG 0 while holding the fix")
    ap.add_argument("--dr-silent", action="store_true",
                    help="dead-reckoning receivers keep their normal UTC second instead of 62")
    ap.add_argument("--radius-km", type=float, nargs=2, default=RADIUS_KM, metavar=("LO", "HI"),
                    help="jamming disc radius range, km (default 15 40)")
    ap.add_argument("--offset-km", type=float, nargs=2, default=OFFSET_KM, metavar=("LO", "HI"),
                    help="spoofed displacement distance range, km (default 20 80)")
    ap.add_argument("--waters", choices=sorted(WATERS), default="bornholm",
                    help="where: 'bornholm' (southern Baltic) or 'black_sea' (coastal lanes, outside the shipped land)")
    args = table.parse(ap)

    print(f"alternative generator ({WATERS[args.waters].name}), {args.vessels} vessels, {args.hours} h; "
          f"work dir {args.work}"
          + (f"; jammed fixes scatter {args.scatter_m:g} m" if args.scatter_m > 0 else "")
          + ("; held fixes report SOG 0" if args.held_sog_zero else "")
          + ("; dead reckoning without UTC second 62" if args.dr_silent else "")
          + (f"; thinned to one report per vessel per {args.thin_s:g} s" if args.thin_s > 0 else "")
          + ("; Class A as type 27" if args.long_range else "")
          + (f"; jamming discs {args.radius_km[0]:g}-{args.radius_km[1]:g} km" if tuple(args.radius_km) != RADIUS_KM
             else "")
          + (f"; displacements {args.offset_km[0]:g}-{args.offset_km[1]:g} km" if tuple(args.offset_km) != OFFSET_KM
             else ""))
    print(table.HEADER)
    results = []
    for seed in args.seeds:
        results.append(run(seed, args.vessels, args.hours, False, args.work, args.scatter_m, args.held_sog_zero,
                           args.thin_s, args.dr_silent, tuple(args.radius_km), tuple(args.offset_km), args.waters,
                           args.long_range))
        print(table.row(results[-1]), flush=True)
    print(table.company_line(results))
    print(table.bars_line(results))
    print(table.clean_row(run(args.clean_seed, args.vessels, args.hours, True, args.work, args.scatter_m,
                              args.held_sog_zero, args.thin_s, args.dr_silent, tuple(args.radius_km),
                              tuple(args.offset_km), args.waters, args.long_range)))

if __name__ == "__main__":
    main()
