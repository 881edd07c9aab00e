"""Jamming: vessels' episodes of lost fixes, the zones they outline, an hourly grid.

:func:`build_jamming` takes the per-report combined table (:mod:`gnss_watch.detect`)
and returns per-vessel jamming events, the zones and each report's zone id.

Episodes
    A vessel's reports of kind 'jamming' (pos_unavailable, dead_reckoning,
    degraded_fix, frozen_position, erratic_fix) at most ``episode_gap_s`` apart (or
    ``episode_max_silence_s`` with nothing heard in between), at least
    ``min_episode_reports`` of them, with a lost fix among them
    (:data:`LOST_FIX_CHECKS`; degraded_fix alone is no jamming), of a vessel
    that reports a valid position at some time (one that never does has no
    GNSS connected). Good fixes in between (a receiver near a zone's edge flickers) do not split it. Some
    transponders simply stop sending positions without a fix; the combined
    table has no times of static messages to show the ship is still heard,
    so a silence counts only between two good fixes inside a zone found from
    reported evidence (see :func:`_silences`), never on its own; so does a
    ship at anchor that keeps repeating its last fix (:func:`_held_fixes`). Reports of
    kind 'spoofing', and stale fixes a strong check places away from the ship
    (held or dead-reckoned from a spoofed fix), are never taken for where a ship was.

Where the zone is
    A ship loses its fix as it enters the zone and regains it as it leaves,
    so its last good fix before the loss (entry) and first good fix after
    recovery (exit) lie on the zone's edge, if within ``boundary_max_gap_s``
    of it; positions reported while degraded (dead-reckoned, frozen,
    low-accuracy) lie inside or near it. Losses at a zone's very start and
    recoveries at its very end (``onset_window_s``) are the jammer switching
    on or off around ships inside: those fixes are interior, not edge, points.

Clustering
    Each episode is a crossing: a segment from its entry (else first fix
    inside, else a fix within ``locate_max_gap_s``) to its exit (likewise).
    Two episodes are neighbours when their segments are within
    ``cluster_distance_m`` (metres, in a local plane per pair) and their
    intervals within ``cluster_time_s``: DBSCAN (scikit-learn) on the sparse
    precomputed distance ``max(d / cluster_distance_m, gap /
    cluster_time_s)`` with eps 1. Segments rather than points: one ship
    crossing a 60 km zone enters and leaves 120 km apart. A cluster is split
    in two where ships kept their fix between two groups of crossings while
    both were jammed (a jammer's disc is convex, :func:`_split_space`), then
    into zones when jammers visibly switched at different times (overlapping
    discs active at different times, see :func:`_split_switchings`), or when
    ships lost the fix together, at one instant, away from where the
    cluster's earlier ships lost it (a second jammer switching on while the
    first is on, see :func:`_split_onsets`); a zone found by its switch-on
    ends where ships regained the fix together, away from where the episodes
    running on after then regained it (its jammer switching off while a
    neighbour stays on, :func:`_split_switch_offs`). The same is read
    backwards in time (switch-offs first), and the reading that leaves more
    zones with enough vessels and reports is kept (:func:`_split_cluster`).
    Conversely, zones that switched on and off together, within a radio
    horizon's diameter, are merged unless ships kept their fix between them:
    one wide jammer seen by ships too far apart to cluster
    (:func:`_merge_cotimed`).

Zone shape
    An algebraic (Kasa) circle fit to the edge fixes in a local metric plane,
    its radius raised to the ``edge_quantile`` of their distances (receivers
    differ in robustness), kept when its relative error (from the parameters'
    covariance, edge fixes ``boundary_sigma_m`` off the edge) is at most
    ``fit_max_rel_error`` (fixes around the zone, or on a long enough arc:
    ``fit_min_coverage_deg``) and the disc holds (``fit_min_contained``) the
    points seen inside.
    Otherwise, e.g. ships along one lane, the smallest circle enclosing every
    point of the zone: a disc with the crossing as diameter, never a strip
    along the lane. Ships crossing the zone whole (entry and exit both edge
    fixes) move the centre onto their chords' perpendicular bisectors (a
    receiver loses and regains its fix at the same range). That disc then
    seeds :func:`share_disc`: the disc where at least ``zone_jammed_share``
    of the ships seen (each vessel counted once, jammed ones along a straight
    run from loss to recovery, others by their good fixes during the zone)
    lost the fix, so ships keeping their fix bound the zone where many agree
    and the zone is not limited to the few points jammed ships reported;
    where no ship bounds it (a coast, an empty sea) it reaches ``open_radius_m``.
    The radius is held to ``min_radius_m``..``max_radius_m``;
    the centre estimates the emitter area. start/end are the first and last
    jammed report. A zone needs ``min_zone_vessels`` and ``min_zone_reports``.
    Confidence (0..1) = (1 - 0.5 ** n_vessels) x geometry term (fit: 1 -
    relative error; enclosing circle: 0.5 x coverage / 360), moved
    ``bs_support_weight`` of the way to 1 when base stations within reach
    reported invalid GNSS time during the zone (``bs_flags``). Zones are
    numbered J001... by start.

Grid
    :func:`grid`: hourly share of vessels affected per cell in the manner of
    gpsjam.org, ``bad_frac = max(0, (bad - 1) / (bad + good))``. The ``h3``
    package is not installed, so cells are ``grid_cell_lat_deg`` x
    ``grid_cell_lon_deg`` (0.25 x 0.5 deg: ~28 x 28 km at 60 N, ~770 km2,
    under half an H3 resolution-4 cell's ~1770 km2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from scipy.stats import poisson
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry import Polygon, mapping
from sklearn.cluster import DBSCAN

from .events import (
    EVENT_COLUMNS, STRONG_CHECKS, epoch_s, fired_checks, fixes_around, join_names, overlapping_pairs, sorted_order,
    to_time,
)
from .config import ZonesConfig
from .geo import EARTH_RADIUS_M, KNOT_MS, destination, haversine_m, local_xy
from .outputs import write_json
from .schema import LONG_RANGE_DEVICE, iso_utc

#: Jamming-family checks, in the order their names are listed in ``reasons``.
JAMMING_CHECKS = ("pos_unavailable", "dead_reckoning", "degraded_fix", "frozen_position", "erratic_fix")
#: The ones that say the fix is gone (not available, dead-reckoned, frozen) or
#: unusable (scattering off the track): an episode needs one. degraded_fix alone
#: (accuracy or RAIM flags toggling) is everyday life for receivers whose DGNSS
#: corrections come and go.
LOST_FIX_CHECKS = ("pos_unavailable", "dead_reckoning", "frozen_position", "erratic_fix")
ZONE_COLUMNS = ["zone_id", "start", "end", "n_vessels", "n_reports", "confidence", "centre_lon", "centre_lat",
                "radius_km", "method", "n_base_station_reports", "geometry"]
GRID_COLUMNS = ["hour", "cell", "lat", "lon", "n_vessels", "n_bad", "n_good", "bad_frac", "level"]
JAM_EVENT_COLUMNS = EVENT_COLUMNS[:11]  # the events.csv columns


def _from_local(x: float, y: float, lat0: float, lon0: float) -> tuple[float, float]:
    lat = lat0 + np.degrees(y / EARTH_RADIUS_M)
    return float(lat), float(lon0 + np.degrees(x / (EARTH_RADIUS_M * np.cos(np.radians(lat0)))))


def _point_segment(px, py, ax, ay, bx, by) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Distance from points P to segments AB (arrays, one per pair; metres)."""
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.clip(np.where(len2 > 0, ((px - ax) * dx + (py - ay) * dy) / len2, 0.0), 0.0, 1.0)
    return np.hypot(px - (ax + u * dx), py - (ay + u * dy))


def _segment_distance(p1: np.ndarray, q1: np.ndarray, p2: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """Great-circle-approximate distance (metres) between segments p1q1 and p2q2 ((n, 2) lat/lon arrays)."""
    lat0 = (p1[:, 0] + q1[:, 0] + p2[:, 0] + q2[:, 0]) / 4
    lon0 = p1[:, 1]
    a = local_xy(p1[:, 0], p1[:, 1], lat0, lon0)
    b = local_xy(q1[:, 0], q1[:, 1], lat0, lon0)
    c = local_xy(p2[:, 0], p2[:, 1], lat0, lon0)
    d = local_xy(q2[:, 0], q2[:, 1], lat0, lon0)

    def orient(o, p, q):  # type: ignore[no-untyped-def]
        return np.sign((p[0] - o[0]) * (q[1] - o[1]) - (p[1] - o[1]) * (q[0] - o[0]))

    crossing = (orient(a, b, c) * orient(a, b, d) < 0) & (orient(c, d, a) * orient(c, d, b) < 0)
    dist = np.minimum.reduce([_point_segment(*a, *c, *d), _point_segment(*b, *c, *d),
                              _point_segment(*c, *a, *b), _point_segment(*d, *a, *b)])
    return np.where(crossing, 0.0, dist)


def _episodes(
    df: pd.DataFrame, t: np.ndarray, good: np.ndarray, cfg: ZonesConfig
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Per-vessel jamming episodes of ``df`` (sorted by mmsi, time; ``good``: its rows'
    :func:`_good_fixes`, as for the other helpers of :func:`build_jamming` that take it).

    Returns the episodes (rows ``first``..``last``, times, counts, entry/exit
    fixes, segment ends ``p``/``q``), the interior points (ep, lat, lon) and
    each row's episode number (-1 outside episodes).
    """
    n = len(df)
    mmsi = df["mmsi"].to_numpy()
    jam = df["kind"].astype(str).to_numpy() == "jamming"
    valid = df["pos_valid"].to_numpy(dtype=bool)
    lat = df["lat"].to_numpy(dtype=float)
    lon = df["lon"].to_numpy(dtype=float)
    sog = df["sog"].to_numpy(dtype=float) if "sog" in df else np.full(n, np.nan)

    idx = np.flatnonzero(jam)
    new = np.ones(len(idx), dtype=bool)
    gap = t[idx[1:]] - t[idx[:-1]]
    heard_between = np.diff(idx) > 1  # rows are (mmsi, time) sorted: another report of the vessel
    # Good fixes between two jamming reports (the rows between them are the vessel's)
    # over recovery_min_s: the fix was back.
    good_t = t[good]
    good_at = np.cumsum(good)  # good fixes up to and including each row
    g1, g2 = good_at[idx[:-1]], good_at[idx[1:]] - 1  # first and last good fix between, numbered
    has = np.flatnonzero(g2 - g1 + 1 >= cfg.min_episode_reports)
    recovered = np.zeros(len(idx) - 1 if len(idx) else 0, dtype=bool)
    recovered[has] = good_t[g2[has]] - good_t[g1[has]] >= cfg.recovery_min_s
    new[1:] = (mmsi[idx[1:]] != mmsi[idx[:-1]]) | (gap > cfg.episode_max_silence_s) | (
        (gap > cfg.episode_gap_s) & heard_between) | recovered
    ep_of_jam = np.cumsum(new) - 1
    n_runs = int(new.sum())
    n_jam = np.bincount(ep_of_jam, minlength=n_runs)
    fired = fired_checks(df["reasons"].iloc[idx]).groupby(ep_of_jam).any()
    fired = fired.reindex(index=range(n_runs), columns=list(JAMMING_CHECKS), fill_value=False)
    score = pd.Series(df["score"].to_numpy(dtype=float)[idx]).fillna(0.0).groupby(ep_of_jam).max()
    kept = (n_jam >= cfg.min_episode_reports) & fired[list(LOST_FIX_CHECKS)].any(axis=1).to_numpy()
    # A transponder that never reports a position has no GNSS fix to lose.
    kept &= np.isin(mmsi[idx[new]], mmsi[valid])
    first, last = idx[new][kept], idx[np.roll(new, -1)][kept]  # a run ends where the next starts
    m = len(first)

    # Episode number of every row from an episode's first to last report.
    mark = np.zeros(n + 1, dtype=np.int64)
    np.add.at(mark, first, np.arange(1, m + 1))
    np.add.at(mark, last + 1, -np.arange(1, m + 1))
    row_ep = np.cumsum(mark[:n]) - 1

    # Fixes judged spoofed are not where the ship was: neither edge nor interior points.
    spoofed = df["kind"].astype(str).to_numpy() == "spoofing"
    prev_good, next_good = fixes_around(np.flatnonzero(good), mmsi, first, last)
    # Seconds from the vessel's last good fix to the loss, and from the recovery to its next one.
    before = np.where(prev_good >= 0, t[first] - t[np.maximum(prev_good, 0)], np.inf)
    after = np.where(next_good >= 0, t[next_good] - t[last], np.inf)

    inner = np.flatnonzero(valid & ~spoofed & (row_ep >= 0))
    # A stale fix held or dead-reckoned from a spoofed one is still the spoofer's place,
    # and a scattered fix is off the ship by up to kilometres.
    displaced = df["reasons"].iloc[inner].astype(str).str.contains("|".join(STRONG_CHECKS + ("erratic_fix",))).to_numpy()
    inner = inner[~displaced]
    interior = pd.DataFrame({"ep": row_ep[inner], "lat": lat[inner], "lon": lon[inner]})
    ends = interior.groupby("ep")[["lat", "lon"]].agg(["first", "last"]).reindex(range(m))

    def fix(rows: np.ndarray, ok: np.ndarray, col: np.ndarray) -> np.ndarray:
        return np.where(ok, col[np.clip(rows, 0, n - 1)], np.nan)

    episodes = pd.DataFrame({
        "mmsi": mmsi[first],
        "first": first,
        "last": last,
        "start_s": t[first],
        "end_s": t[last],
        "n_reports": n_jam[kept],
        "score": score.to_numpy()[kept],
        "reasons": join_names(fired[kept], JAMMING_CHECKS),
        "entry_lat": fix(prev_good, before <= cfg.boundary_max_gap_s, lat),
        "entry_lon": fix(prev_good, before <= cfg.boundary_max_gap_s, lon),
        "exit_lat": fix(next_good, after <= cfg.boundary_max_gap_s, lat),
        "exit_lon": fix(next_good, after <= cfg.boundary_max_gap_s, lon),
        # SOG (knots) at the edge fixes: a ship at anchor cannot sail into a zone.
        "entry_sog": fix(prev_good, before <= cfg.boundary_max_gap_s, sog),
        "exit_sog": fix(next_good, after <= cfg.boundary_max_gap_s, sog),
        # The earliest instant a jammer switching on could have caused the loss: the
        # vessel's last good fix (less switch_lag_s), at most one report interval back.
        "on_from": t[first] - np.minimum(before + cfg.switch_lag_s, cfg.switch_on_spread_s),
        # ... and the latest a jammer switching off could have ended it: the vessel's first
        # good fix after (plus switch_lag_s), at most one report interval on.
        "off_to": t[last] + np.minimum(after + cfg.switch_lag_s, cfg.switch_on_spread_s),
    })
    # Crossing ends: the edge fixes, else the first/last fix inside, else an older
    # or later fix (a slow or anchored ship has not gone far).
    for end, edge, inner_end, rows, gap in (("p", "entry", "first", prev_good, before),
                                            ("q", "exit", "last", next_good, after)):
        for col, values in (("lat", lat), ("lon", lon)):
            inside = pd.Series(ends[(col, inner_end)].to_numpy())
            episodes[f"{end}_{col}"] = episodes[f"{edge}_{col}"].fillna(inside).fillna(
                pd.Series(fix(rows, gap <= cfg.locate_max_gap_s, values)))
    # An episode seen at one end only is a point.
    episodes["both_ends"] = (episodes["p_lat"].notna() & episodes["q_lat"].notna()).to_numpy()
    episodes["p_lat"] = episodes["p_lat"].fillna(episodes["q_lat"])
    episodes["p_lon"] = episodes["p_lon"].fillna(episodes["q_lon"])
    episodes["q_lat"] = episodes["q_lat"].fillna(episodes["p_lat"])
    episodes["q_lon"] = episodes["q_lon"].fillna(episodes["p_lon"])
    return episodes, interior, row_ep


def _cluster(episodes: pd.DataFrame, cfg: ZonesConfig) -> np.ndarray:
    """DBSCAN label of each episode (-1: not locatable or noise)."""
    labels = np.full(len(episodes), -1)
    loc = np.flatnonzero(episodes["p_lat"].notna().to_numpy())
    if not len(loc):
        return labels
    e = episodes.iloc[loc]
    s, f = e["start_s"].to_numpy(), e["end_s"].to_numpy()
    i, j = overlapping_pairs(s, f + cfg.cluster_time_s)
    p = e[["p_lat", "p_lon"]].to_numpy()
    q = e[["q_lat", "q_lon"]].to_numpy()
    gap = np.maximum(np.maximum(s[i], s[j]) - np.minimum(f[i], f[j]), 0.0)
    dist = np.maximum(_segment_distance(p[i], q[i], p[j], q[j]) / cfg.cluster_distance_m, gap / cfg.cluster_time_s)
    near = dist <= 1.0
    i, j, d = i[near], j[near], np.maximum(dist[near], 1e-9)  # stored zeros would read as 'not a neighbour'
    graph = coo_matrix((np.r_[d, d], (np.r_[i, j], np.r_[j, i])), shape=(len(loc), len(loc))).tocsr()
    labels[loc] = DBSCAN(eps=1.0, min_samples=cfg.cluster_min_samples, metric="precomputed").fit(graph).labels_
    return labels


def _stabbed(k: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Of episodes ``k``, those whose interval (``lo``, ``hi``] holds the instant that the most
    of them hold (the earliest such instant): the ships one switching can explain, each
    losing its fix at its first report after it, however often each reports."""
    a, b = lo[k], hi[k]
    held = ((a[None, :] < b[:, None]) & (b[:, None] <= b[None, :])).sum(axis=1)  # instants: the right ends
    top = held == held.max()
    at = b[top].min()
    return k[(a < at) & (at <= b)]


def _burst(k: np.ndarray, times: np.ndarray, width: float) -> np.ndarray:
    """Of episodes ``k``, those whose ``times`` fall in the ``width``-second window holding most of them."""
    x = np.sort(times[k])
    held = np.searchsorted(x, x + width, side="right") - np.arange(len(x))
    t0 = x[int(np.argmax(held))]
    return k[(times[k] >= t0) & (times[k] <= t0 + width)]


def _not_in_company(e: pd.DataFrame, k: np.ndarray, cfg: ZonesConfig) -> bool:
    """Episodes ``k`` (positions in ``e``) that began together cannot be ships sailing in
    company across a zone's edge: they lost the fix ``min_radius_m`` or more apart, or
    every one of them was at anchor or moored (SOG at the fix before the loss, or the
    crossing located at both ends, no faster than ``anchored_speed_kn``), which cannot
    sail into a zone."""
    lat, lon = e["p_lat"].to_numpy()[k], e["p_lon"].to_numpy()[k]
    if np.nanmax(haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])) >= cfg.min_radius_m:
        return True
    moved = haversine_m(lat, lon, e["q_lat"].to_numpy()[k], e["q_lon"].to_numpy()[k])
    took = np.maximum(e["end_s"].to_numpy()[k] - e["start_s"].to_numpy()[k], 1.0)
    slow = e["entry_sog"].to_numpy(dtype=float)[k] <= cfg.anchored_speed_kn
    still = e["both_ends"].to_numpy()[k] & (moved <= cfg.anchored_speed_kn * KNOT_MS * took)
    return bool((slow | still).all())


def _split_switchings(e: pd.DataFrame, cfg: ZonesConfig) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Zones within one cluster of episodes, told apart by when their jammers switched.

    Ships inside a zone when its jammer switches on lose their fix together,
    wherever they are, and regain it together when it switches off. At least
    ``switch_min_vessels`` vessels whose episodes start within the
    ``switch_on_spread_s`` window (one report interval) holding most of their
    group's losses, at one instant between each one's last good fix and first
    lost report (:func:`_stabbed`), and end within the window holding most of its recoveries,
    not ships sailing in company (see :func:`_not_in_company`), over more than twice
    ``onset_window_s`` (shorter episodes end together because they began
    together), form a switching signature (ships entering or leaving one after
    another, minutes apart, only chain up);
    its window is a zone's. A signature spanning two others (from one's start
    to the other's end) is the ships in the overlap of their discs, unless it
    has at least as many vessels as the two together; one nested in a longer
    one is crossings that happened to enter and leave together (so a jammer
    switched on and off while a neighbour stayed on is not told apart). With
    two or more zones left, every episode joins the zone whose window holds it
    (else the one it overlaps most), the nearest when several do. Returns
    each episode's zone (0..k-1, in ``e``'s order) and the zones' (start,
    end) in epoch seconds; one zone spanning ``e`` when there is nothing to
    split.
    """
    s, f = e["start_s"].to_numpy(), e["end_s"].to_numpy()
    whole = (np.zeros(len(e), dtype=int), [(float(s.min()), float(f.max()))])
    w, burst = cfg.onset_window_s, cfg.switch_on_spread_s
    on_from = e["on_from"].to_numpy()
    i, j = overlapping_pairs(s, s + burst)  # starts within one report interval of each other
    mm = e["mmsi"].to_numpy()
    # A loss or recovery counts only next to a good fix: an episode that begins as a
    # ship comes into range, or ends as it falls silent, says nothing of a switching.
    seen = (e["entry_lat"].notna() & e["exit_lat"].notna()).to_numpy()
    together = (np.abs(f[i] - f[j]) <= burst) & (mm[i] != mm[j]) & seen[i] & seen[j]
    graph = coo_matrix((np.ones(together.sum()), (i[together], j[together])), shape=(len(e), len(e)))
    _, comp = connected_components(graph, directed=False)
    win = []
    for c in np.unique(comp[np.bincount(comp)[comp] >= cfg.switch_min_vessels]).tolist():  # a few signatures
        k = np.flatnonzero(comp == c)
        # A switch-on reaches every ship in reach at one instant, which each reports at
        # its next report; ships entering one after another only chain up. A switch-off
        # is seen within a report interval plus the time receivers take to fix again.
        k = _stabbed(_burst(k, s, burst), on_from, s)
        k = _burst(k, f, burst)
        if len(np.unique(mm[k])) < cfg.switch_min_vessels:
            continue
        # Episodes shorter than the two windows that match their ends end together
        # because they began together (ships near the edge at a switch-on, sailing out).
        if _not_in_company(e, k, cfg) and f[k].max() - s[k].min() >= 2 * w:
            win.append((s[k].min(), f[k].max(), len(np.unique(mm[k]))))
    win = np.array(win).reshape(-1, 3)
    # Window i spans x and y (:func:`_spanning`): it starts with x and ends with y, the two
    # overlapping in time, or ships in the overlap of their discs would have had their
    # fix back in between. Unless as many
    # ships witness it as x and y together: the overlap's lens holds more than
    # both crescents only where the discs nearly coincide (one jammer, whose own
    # signature chance coincidences in busy traffic cut short).
    fewer = win[:, None, None, 2] < win[None, :, None, 2] + win[None, None, :, 2]
    win = win[~(_spanning(win[:, :2], w) & fewer).any(axis=(1, 2))][:, :2]
    # Two crossings that happen to enter and leave together sit inside a zone's window.
    nested = (win[:, None, 0] >= win[None, :, 0] - w) & (win[:, None, 1] <= win[None, :, 1] + w)
    longer = (win[None, :, 1] - win[None, :, 0]) > (win[:, None, 1] - win[:, None, 0])
    win = win[~(nested & longer).any(axis=1)]
    if len(win) < 2:
        return whole
    inside = (s[:, None] >= win[None, :, 0] - w) & (f[:, None] <= win[None, :, 1] + w)
    overlap = np.minimum(f[:, None], win[None, :, 1]) - np.maximum(s[:, None], win[None, :, 0])
    ok = np.where(inside.any(axis=1)[:, None], inside, overlap == overlap.max(axis=1, keepdims=True))
    mid_lat = ((e["p_lat"] + e["q_lat"]) / 2).to_numpy()
    mid_lon = ((e["p_lon"] + e["q_lon"]) / 2).to_numpy()
    # A zone's centre: the middle of the crossings that only its window holds.
    core = inside & (inside.sum(axis=1) == 1)[:, None]
    c_lat = np.array([mid_lat[core[:, k]].mean() if core[:, k].any() else np.nan for k in range(len(win))])
    c_lon = np.array([mid_lon[core[:, k]].mean() if core[:, k].any() else np.nan for k in range(len(win))])
    dist = haversine_m(mid_lat[:, None], mid_lon[:, None], c_lat[None, :], c_lon[None, :])
    dist = np.where(ok & np.isfinite(dist), dist, np.inf)
    zone = np.where(np.isfinite(dist).any(axis=1), np.argmin(dist, axis=1), np.argmax(ok, axis=1))
    return zone, [(float(a), float(b)) for a, b in win]


def _beyond_chance(k: int, starts: np.ndarray, cfg: ZonesConfig) -> bool:
    """``k`` losses in one ``switch_on_spread_s`` window are more than ships arriving at
    random explain: Poisson at the cluster's rate of losses (``starts``, epoch s), over
    each of its windows, below ``switch_chance_p``."""
    w = cfg.switch_on_spread_s
    span = max(float(np.ptp(starts)), w)
    return bool(poisson.sf(k - 1, len(starts) * w / span) * span / w < cfg.switch_chance_p)


def _split_onsets(e: pd.DataFrame, cfg: ZonesConfig) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Zones within one cluster of episodes, told apart by where their jammers switched on.

    A jammer switching on denies the fix to every ship in reach at once, so at
    least ``switch_min_vessels`` vessels losing it within
    ``switch_on_spread_s`` (one report interval) at an instant that lies between
    each one's last good fix and its first lost report (:func:`_stabbed`), not in
    company (:func:`_not_in_company`), is a switch-on. A chain of losses minutes
    apart is read one such window at a time. A switch-on opens a new zone unless
    most of its losses lie within the disc (smallest enclosing circle plus
    ``boundary_sigma_m``) of where the episodes active within ``cluster_time_s``
    before lost their fix (from ``onset_window_s`` before it; for a later window of
    a chain, up to it) and chance arrivals explain them
    (:func:`_beyond_chance`): ships entering a zone that is already on do so
    inside its extent, and rarely many at once. An
    episode before the first new zone's switch-on seeds a zone of its own.
    Every episode joins the nearest (crossing middle to a zone's switch-on
    losses) of the zones already on when it starts and still seen: one of its
    ships jammed (or silent without its fix back) within ``cluster_time_s``
    before, within ``cluster_distance_m``; else the nearest on (a zone nobody
    has seen for that long is no likelier than any other). Returns each episode's zone
    and the zones' (start, end) in epoch seconds, one zone when nothing splits.
    """
    s, f = e["start_s"].to_numpy(), e["end_s"].to_numpy()
    whole = (np.zeros(len(e), dtype=int), [(float(s.min()), float(f.max()))])
    w = cfg.onset_window_s
    mm = e["mmsi"].to_numpy()
    on_from = e["on_from"].to_numpy()
    plat, plon = e["p_lat"].to_numpy(), e["p_lon"].to_numpy()
    i, j = overlapping_pairs(s, s + w)
    seen = e["entry_lat"].notna().to_numpy()  # a loss right after a good fix (see _split_switchings)
    near = (mm[i] != mm[j]) & seen[i] & seen[j]
    graph = coo_matrix((np.ones(near.sum()), (i[near], j[near])), shape=(len(e), len(e)))
    _, comp = connected_components(graph, directed=False)
    lat0, lon0 = float(np.nanmean(plat)), float(np.nanmean(plon))
    x, y = local_xy(plat, plon, lat0, lon0)
    seeds: list[np.ndarray] = []
    for c in np.unique(comp).tolist():  # groups of losses within minutes, in start order below
        chain = np.flatnonzero(comp == c)
        if len(np.unique(mm[chain])) < cfg.switch_min_vessels:
            continue
        rest = chain
        while len(rest):  # a few report intervals per chain
            burst = rest[s[rest] <= s[rest].min() + cfg.switch_on_spread_s]
            rest = rest[s[rest] > s[burst].max()]
            k = _stabbed(burst, on_from, s)
            if len(np.unique(mm[k])) < cfg.switch_min_vessels or not _not_in_company(e, k, cfg):
                continue
            t_on = s[k].min()
            # A chain's first losses are a switch-on unless earlier zones explain them; its
            # later ones must stand apart from those before them too.
            before = s < (t_on if t_on > s[chain].min() + cfg.switch_on_spread_s else t_on - w)
            active = np.flatnonzero(before & (f >= t_on - cfg.cluster_time_s))
            if len(active):
                pts = shapely.multipoints(np.column_stack([x[active], y[active]]))
                centre = shapely.centroid(shapely.minimum_bounding_circle(pts))
                reach = float(shapely.minimum_bounding_radius(pts)) + cfg.boundary_sigma_m
                inside = np.mean(np.hypot(x[k] - centre.x, y[k] - centre.y) <= reach) > 0.5
                if inside and not _beyond_chance(len(np.unique(mm[k])), s[seen], cfg):
                    continue
            seeds.append(k)
    seeds.sort(key=lambda k: s[k].min())
    if seeds and (s < s[seeds[0]].min() - w).any():
        seeds.insert(0, np.flatnonzero(s < s[seeds[0]].min() - w))
    if len(seeds) < 2:
        return whole
    on = np.array([s[k].min() for k in seeds])
    cx = np.array([np.nanmean(x[k]) for k in seeds])
    cy = np.array([np.nanmean(y[k]) for k in seeds])
    qx, qy = local_xy(e["q_lat"].to_numpy(), e["q_lon"].to_numpy(), lat0, lon0)
    mx, my = (x + qx) / 2, (y + qy) / 2
    dist = np.hypot(mx[:, None] - cx[None, :], my[:, None] - cy[None, :])
    dist = np.where((on[None, :] <= s[:, None] + w) & np.isfinite(dist), dist, np.inf)
    # A zone is seen while ships in it are jammed; a ship that fell silent without its
    # fix back stayed jammed until it was heard again (its next episode).
    by_ship = np.lexsort((s, mm))
    heard = np.full(len(e), np.inf)
    heard[by_ship[:-1]] = np.where(mm[by_ship[1:]] == mm[by_ship[:-1]], s[by_ship[1:]], np.inf)
    seen_to = np.where(e["exit_lat"].notna().to_numpy() | np.isinf(heard), f, np.maximum(f, heard))
    zone = np.full(len(e), -1)
    last = np.full(len(seeds), -np.inf)
    for z, k in enumerate(seeds):  # a seed's own losses are its zone's
        zone[k] = z
        last[z] = seen_to[k].max()
    # An episode joins the nearest zone seen within cluster_time_s before it (and
    # cluster_distance_m), else the nearest one on.
    for i in np.argsort(s, kind="stable").tolist():  # in time order: each join extends its zone
        if zone[i] < 0:
            live = np.where(s[i] <= last + cfg.cluster_time_s, dist[i], np.inf)
            zone[i] = np.argmin(live) if live.min() <= cfg.cluster_distance_m else np.argmin(dist[i])
            last[zone[i]] = max(last[zone[i]], seen_to[i])
    used = np.unique(zone)
    zone = np.searchsorted(used, zone)
    return zone, [(float(s[zone == z].min()), float(f[zone == z].max())) for z in range(len(used))]



def _reversed(e: pd.DataFrame, cfg: ZonesConfig) -> pd.DataFrame:
    """Episodes with time running backwards: starts are ends, entries are exits."""
    return e.assign(start_s=-e["end_s"], end_s=-e["start_s"], p_lat=e["q_lat"], p_lon=e["q_lon"],
                    q_lat=e["p_lat"], q_lon=e["p_lon"], entry_lat=e["exit_lat"], exit_lat=e["entry_lat"],
                    entry_sog=e["exit_sog"], exit_sog=e["entry_sog"],
                    on_from=-e["off_to"])


def _backwards(split, e: pd.DataFrame, cfg: ZonesConfig) -> tuple[np.ndarray, list[tuple[float, float]]]:  # type: ignore[no-untyped-def]
    """A cluster split (episodes, config -> zones, windows) run with time reversed,
    its windows turned forwards again."""
    zone, windows = split(_reversed(e, cfg), cfg)
    return zone, [(-b, -a) for a, b in windows]


def _split_switch_offs(e: pd.DataFrame, cfg: ZonesConfig) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """:func:`_split_onsets` backwards in time: a jammer switching off gives the fix
    back to every ship in reach at once, so ships regaining it together, away from
    where the episodes still running after then regain it, end a zone there."""
    return _backwards(_split_onsets, e, cfg)


def _split_on_then_off(e: pd.DataFrame, cfg: ZonesConfig) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Zones of one cluster by where jammers switched on (:func:`_split_onsets`), each
    ended where its jammer switched off while a neighbour stayed on
    (:func:`_split_switch_offs`). Returns each episode's zone and the zones' windows."""
    zone = np.zeros(len(e), dtype=int)
    windows: list[tuple[float, float]] = []
    sub, sub_windows = _split_onsets(e, cfg)
    for k in range(len(sub_windows)):
        part = np.flatnonzero(sub == k)
        off, off_windows = _split_switch_offs(e.iloc[part], cfg)
        if len(off_windows) == 1:
            off_windows = [sub_windows[k]]
        zone[part] = off + len(windows)
        windows += off_windows
    return zone, windows


def _split_cluster(e: pd.DataFrame, cfg: ZonesConfig) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Zones within one cluster of episodes, by when their jammers switched.

    Signatures of both switchings first (:func:`_split_switchings`); else by
    switch-ons then switch-offs, or the same backwards in time (switch-offs
    first), whichever leaves more zones with the evidence to stand
    (``min_zone_vessels``, ``min_zone_reports``): time has no preferred direction
    here, and a jammer seen switching on by one ship may be seen switching off by
    two (ties: switch-ons first; see :func:`_standing`), each without the zones of ships
    in the overlap of two (:func:`_fold_spanning`). Returns each episode's zone and the windows.
    """
    sub, windows = _split_switchings(e, cfg)
    if len(windows) > 1:  # windows from both switchings: on and off
        return sub, windows
    fwd = _fold_spanning(*_split_on_then_off(e, cfg), cfg)
    bwd = _fold_spanning(*_backwards(_split_on_then_off, e, cfg), cfg)
    return bwd if _standing(e, *bwd, cfg) > _standing(e, *fwd, cfg) else fwd


def _spanning(win: np.ndarray, w: float) -> np.ndarray:
    """``[i, j, k]``: window i (rows of ``win``, start and end in s) starts with j and ends
    with k (within ``w`` s; j ending and k starting more than ``w`` s from i's ends), and
    j and k overlap in time."""
    ds = np.abs(win[:, None, 0] - win[None, :, 0])
    de = np.abs(win[:, None, 1] - win[None, :, 1])
    first, then = (ds <= w) & (de > w), (de <= w) & (ds > w)
    return (first[:, :, None] & then[:, None, :] & (win[None, None, :, 0] < win[None, :, None, 1])
            & (win[None, :, None, 0] < win[None, None, :, 1]))


def _fold_spanning(
    zone: np.ndarray, windows: list[tuple[float, float]], cfg: ZonesConfig
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Zones without a zone whose window runs from one zone's switch-on to another's
    switch-off (each within ``onset_window_s``) while the two overlap in time: its ships
    sat in the overlap of their discs, jammed by one and then the other (or by one all
    along and by the other too), and join the one whose switch-on they share
    (:func:`_split_switchings` drops such windows alike)."""
    spans = _spanning(np.array(windows, dtype=float).reshape(-1, 2), cfg.onset_window_s)
    into = np.arange(len(windows))
    for i in np.flatnonzero(spans.any(axis=(1, 2))).tolist():  # rare: a window or two
        into[i] = int(np.argwhere(spans[i])[0][0])
    into = into[into]
    kept = np.unique(into)
    return np.searchsorted(kept, into[zone]), [windows[k] for k in kept]


def _standing(e: pd.DataFrame, zone: np.ndarray, windows: list[tuple[float, float]], cfg: ZonesConfig) -> int:
    """How many of a split's zones have the evidence to stand (``min_zone_vessels``,
    ``min_zone_reports``), not counting one whose window lies inside another's and shares
    its switch-on or switch-off (within ``switch_on_spread_s``): ships that entered or
    left a zone together, read as a switching of their own (ships entering a zone from a
    side none had before, seen through reception gaps)."""
    g = e.groupby(zone)
    ok = (g["n_reports"].sum() >= cfg.min_zone_reports) & (g["mmsi"].nunique() >= cfg.min_zone_vessels)
    win = np.array(windows, dtype=float).reshape(-1, 2)[ok.index.to_numpy()][ok.to_numpy()]
    burst = cfg.switch_on_spread_s
    inside = (win[:, None, 0] >= win[None, :, 0] - burst) & (win[:, None, 1] <= win[None, :, 1] + burst)
    shared = (np.abs(win[:, None, 0] - win[None, :, 0]) <= burst) | (np.abs(win[:, None, 1] - win[None, :, 1]) <= burst)
    copy = inside & shared
    # Two windows each inside the other (the same switchings): one of them stands.
    copy &= ~(copy.T & (np.arange(len(win))[:, None] < np.arange(len(win))[None, :]))
    np.fill_diagonal(copy, False)
    return len(win) - int(copy.any(axis=1).sum())


def _merge_cotimed(
    e: pd.DataFrame, zone: np.ndarray, windows: list[tuple[float, float]], good: pd.DataFrame, cfg: ZonesConfig
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Zones that switched on and off together are one jammer's.

    A wide zone sampled on opposite sides (ships anchored 70 km apart) gives
    clusters too far apart to link, yet both lose the fix at the one switch-on
    and regain it at the one switch-off. Windows whose starts and ends both lie
    within ``switch_on_spread_s`` (one report interval) of each other, with
    every crossing end of either within a radio horizon's diameter
    (2 x ``open_radius_m``) of every one of the other, are merged -- unless
    ships kept their fix between them (:func:`_kept_apart`; ``good``: lat, lon,
    t, mmsi of fixes kept, sorted by t). A chain of co-timed windows merges
    whole. ``zone``: each episode's window (-1: none). Returns the new labels
    and windows.
    """
    if len(windows) < 2:
        return zone, windows
    win = np.array(windows, dtype=float).reshape(-1, 2)
    burst = cfg.switch_on_spread_s
    a, b = np.triu_indices(len(win), 1)
    same = (np.abs(win[a, 0] - win[b, 0]) <= burst) & (np.abs(win[a, 1] - win[b, 1]) <= burst)
    pts = np.r_[e[["p_lat", "p_lon"]].to_numpy(dtype=float), e[["q_lat", "q_lon"]].to_numpy(dtype=float)]
    of = np.r_[zone, zone]
    for k in np.flatnonzero(same).tolist():  # a pair or two of co-timed windows at most
        pa, pb = pts[of == a[k]], pts[of == b[k]]
        d = haversine_m(pa[:, None, 0], pa[:, None, 1], pb[None, :, 0], pb[None, :, 1])
        same[k] = bool(d.size and np.isfinite(d).all() and d.max() <= 2 * cfg.open_radius_m) and not _kept_apart(
            e, np.flatnonzero(zone == a[k]), np.flatnonzero(zone == b[k]), good, cfg)
    graph = coo_matrix((np.ones(same.sum()), (a[same], b[same])), shape=(len(win), len(win)))
    _, merged = connected_components(graph, directed=False)
    new = np.where(zone >= 0, merged[np.maximum(zone, 0)], -1)
    return new, [(float(win[merged == m, 0].min()), float(win[merged == m, 1].max())) for m in range(merged.max() + 1)]


def _kept_apart(e: pd.DataFrame, a: np.ndarray, b: np.ndarray, good: pd.DataFrame, cfg: ZonesConfig) -> bool:
    """Ships kept their fix between two groups of crossings (``a``, ``b``: positions in ``e``).

    A jammer's disc is convex: where at least ``switch_min_vessels`` ships kept
    their fix in the band between the two groups' crossings (along the line
    joining them, across their width), while both groups were jammed, and no
    crossing of either passes through it, the groups are two jammers however
    close in time they switched. ``good``: lat, lon, t, mmsi of ships keeping
    their fix, sorted by t.
    """
    ends = lambda k: (np.r_[e["p_lat"].to_numpy()[k], e["q_lat"].to_numpy()[k]],  # noqa: E731
                      np.r_[e["p_lon"].to_numpy()[k], e["q_lon"].to_numpy()[k]])
    (alat, alon), (blat, blon) = ends(a), ends(b)
    lat0, lon0 = float(np.nanmean(np.r_[alat, blat])), float(np.nanmean(np.r_[alon, blon]))
    ax, ay = local_xy(alat, alon, lat0, lon0)
    bx, by = local_xy(blat, blon, lat0, lon0)
    u = np.array([np.nanmean(bx) - np.nanmean(ax), np.nanmean(by) - np.nanmean(ay)])
    if not np.hypot(*u) > 0:
        return False
    u /= np.hypot(*u)
    along = lambda x, y: x * u[0] + y * u[1]  # noqa: E731
    across = lambda x, y: -x * u[1] + y * u[0]  # noqa: E731
    lo, hi = np.nanmax(along(ax, ay)), np.nanmin(along(bx, by))
    if not hi > lo:
        return False
    width = np.r_[across(ax, ay), across(bx, by)]
    s, f = e["start_s"].to_numpy(), e["end_s"].to_numpy()
    t0, t1 = max(s[a].min(), s[b].min()), min(f[a].max(), f[b].max())
    gt = good["t"].to_numpy()  # sorted by time
    g = good.iloc[np.searchsorted(gt, t0, side="left"): np.searchsorted(gt, t1, side="right")]
    gx, gy = local_xy(g["lat"].to_numpy(), g["lon"].to_numpy(), lat0, lon0)
    gu, gv = along(gx, gy), across(gx, gy)
    band = (gu > lo) & (gu < hi) & (gv >= np.nanmin(width)) & (gv <= np.nanmax(width))
    return len(np.unique(g["mmsi"].to_numpy()[band])) >= cfg.switch_min_vessels


def _split_space(e: pd.DataFrame, good: pd.DataFrame, cfg: ZonesConfig) -> np.ndarray:
    """Two groups (0, 1) of a cluster of crossings where ships kept their fix between them
    (:func:`_kept_apart`), else all 0. The groups are split at the widest gap between the
    crossings' extents along the cluster's longest axis (principal component of the
    crossings' middles)."""
    group = np.zeros(len(e), dtype=int)
    if len(e) < 2 * cfg.switch_min_vessels:
        return group
    plat, plon, qlat, qlon = (e[c].to_numpy(dtype=float) for c in ("p_lat", "p_lon", "q_lat", "q_lon"))
    lat0, lon0 = float(np.nanmean(plat)), float(np.nanmean(plon))
    px, py = local_xy(plat, plon, lat0, lon0)
    qx, qy = local_xy(qlat, qlon, lat0, lon0)
    mid = np.column_stack([(px + qx) / 2, (py + qy) / 2])
    axis = np.linalg.svd(mid - mid.mean(axis=0), full_matrices=False)[2][0]
    lo = np.minimum(px * axis[0] + py * axis[1], qx * axis[0] + qy * axis[1])
    hi = np.maximum(px * axis[0] + py * axis[1], qx * axis[0] + qy * axis[1])
    order = np.argsort(lo)
    reach = np.maximum.accumulate(hi[order])
    gaps = lo[order][1:] - reach[:-1]  # empty stretch before each crossing in order
    if not len(gaps) or gaps.max() <= 0:
        return group
    cut = int(np.argmax(gaps)) + 1
    group[order[cut:]] = 1
    a, b = np.flatnonzero(group == 0), np.flatnonzero(group == 1)
    mm = e["mmsi"].to_numpy()
    few = min(len(np.unique(mm[a])), len(np.unique(mm[b]))) < cfg.switch_min_vessels
    if few or not _kept_apart(e, a, b, good, cfg):
        group[:] = 0
    return group


def _coverage_deg(x: np.ndarray, y: np.ndarray, cx: float, cy: float) -> float:
    """Angle (degrees) the points cover around (cx, cy): 360 minus the widest empty sector."""
    if len(x) < 2:
        return 0.0
    ang = np.sort(np.degrees(np.arctan2(y - cy, x - cx)) % 360.0)
    return float(360.0 - np.diff(np.r_[ang, ang[0] + 360.0]).max())


def _kasa(x: np.ndarray, y: np.ndarray, sigma_m: float) -> tuple[float, float, float, float]:
    """Algebraic circle fit: centre x, y and radius (metres) and the fit's 1-sigma relative error.

    x^2 + y^2 = a x + b y + c is linear in (a, b, c). A point off the circle by
    d moves the left side by ~2 r d, so the parameters' covariance is
    (2 r s)^2 (A'A)^-1 with s the larger of the rms residual and ``sigma_m``;
    the relative error is (sd(radius) + sd(centre)) / radius, infinite when the
    points are (near) collinear. Coordinates are centred and scaled first so
    A'A is well conditioned.
    """
    mx, my = x.mean(), y.mean()
    scale = float(np.sqrt(np.mean((x - mx) ** 2 + (y - my) ** 2))) or 1.0
    u, v = (x - mx) / scale, (y - my) / scale
    a = np.column_stack([u, v, np.ones_like(u)])
    sol = np.linalg.lstsq(a, u * u + v * v, rcond=None)[0]
    cu, cv = sol[0] / 2, sol[1] / 2
    r2 = sol[2] + cu * cu + cv * cv
    ata = a.T @ a
    if r2 <= 0 or np.linalg.cond(ata) > 1e8:
        return mx, my, float("inf"), float("inf")
    r = float(np.sqrt(r2))
    rms = float(np.sqrt(np.mean((np.hypot(u - cu, v - cv) - r) ** 2)))
    noise = max(rms, sigma_m / scale)
    cov = (2 * r * noise) ** 2 * np.linalg.inv(ata)
    grad = np.array([cu, cv, 1.0]) / (2 * r)
    sd_r = float(np.sqrt(max(grad @ cov @ grad, 0.0)))
    sd_c = float(np.sqrt(max(cov[0, 0] + cov[1, 1], 0.0)) / 2)
    return mx + cu * scale, my + cv * scale, r * scale, (sd_r + sd_c) / r


def _bisector_centre(
    chords: np.ndarray, cx: float, cy: float, prior_sd_m: float, cfg: ZonesConfig
) -> tuple[float, float] | None:
    """Zone centre (local metres) from crossings' perpendicular bisectors, shrunk towards (cx, cy).

    A receiver's robustness is its own: a ship crossing the zone loses and
    regains its fix at the same distance from the emitter, so the centre lies
    on the perpendicular bisector of its entry and exit fixes,
    ``n . c = (|b|^2 - |a|^2) / (2 |b - a|)`` with ``n`` the unit chord. This
    holds whatever the receivers' reach, unlike a circle through all edge
    fixes (which lie anywhere from the edge to well inside). Bisectors of
    ships on one lane are parallel and fix only the along-lane coordinate; the
    prior (``prior_sd_m`` metres, 1 sigma) supplies the rest. ``chords``:
    (k, 4) entry x, y, exit x, y; chords shorter than ``min_radius_m`` (slow or
    anchored ships) give no direction. Each bisector is ``chord_sigma_m`` off.
    A centre more than ``bisector_max_shift_sd`` prior sigmas from (cx, cy) is
    the bisectors disagreeing with the ships' positions: None (keep (cx, cy)).
    """
    a, b = chords[:, :2], chords[:, 2:]
    length = np.hypot(*(b - a).T)
    keep = length >= cfg.min_radius_m
    a, b, length = a[keep], b[keep], length[keep]
    n = (b - a) / length[:, None]
    rhs = ((b * b).sum(axis=1) - (a * a).sum(axis=1)) / (2 * length)
    w = 1.0 / cfg.chord_sigma_m**2
    lhs = w * n.T @ n + np.eye(2) / prior_sd_m**2
    c = np.linalg.solve(lhs, w * n.T @ rhs + np.array([cx, cy]) / prior_sd_m**2)
    if np.hypot(c[0] - cx, c[1] - cy) > cfg.bisector_max_shift_sd * prior_sd_m:
        return None
    return float(c[0]), float(c[1])


def fit_disc(
    boundary_lat: np.ndarray, boundary_lon: np.ndarray, all_lat: np.ndarray, all_lon: np.ndarray,
    config: ZonesConfig | None = None, chords: np.ndarray | None = None,
) -> dict[str, Any]:
    """The disc a jamming zone's points outline (degrees in, metres out).

    ``boundary_*``: fixes on the edge (entries and exits); ``all_*``: the
    cluster's other points (interior fixes, crossing ends); ``chords``
    (optional, (k, 4) entry lat, lon, exit lat, lon of ships crossing the
    whole zone) refine the centre (:func:`_bisector_centre`; ``method`` then
    ends in '+bisectors'). Returns
    ``centre_lat``, ``centre_lon``, ``radius_m``, ``method`` ('circle_fit' or
    'enclosing_circle'), ``rel_error`` (the fit's relative error, NaN for the
    enclosing circle) and ``coverage_deg`` (angle the points cover around the
    centre); rules in the module docstring.
    """
    cfg = config or ZonesConfig()
    alat = np.r_[np.asarray(boundary_lat, float), np.asarray(all_lat, float)]
    alon = np.r_[np.asarray(boundary_lon, float), np.asarray(all_lon, float)]
    lat0, lon0 = float(np.mean(alat)), float(np.mean(alon))
    bx, by = local_xy(np.asarray(boundary_lat, float), np.asarray(boundary_lon, float), lat0, lon0)
    ax, ay = local_xy(alat, alon, lat0, lon0)
    method, rel_error = "enclosing_circle", float("nan")
    if len(bx) >= 3:
        cx, cy, r, rel_error = _kasa(bx, by, cfg.boundary_sigma_m)
        # Every fix seen inside (crossing ends, degraded positions) must lie in the disc,
        # up to the fit's own error: a short noisy arc can fit a far too small circle.
        slack = r * (1.0 + cfg.fit_max_rel_error) + 3.0 * cfg.boundary_sigma_m
        contained = np.mean(np.hypot(ax - cx, ay - cy) <= slack) >= cfg.fit_min_contained
        arc = _coverage_deg(bx, by, cx, cy) >= cfg.fit_min_coverage_deg
        if rel_error <= cfg.fit_max_rel_error and r <= cfg.max_radius_m and contained and arc:
            method = "circle_fit"
    if method == "enclosing_circle":
        points = shapely.multipoints(np.column_stack([ax, ay]))
        centre = shapely.centroid(shapely.minimum_bounding_circle(points))
        cx, cy, r = centre.x, centre.y, float(shapely.minimum_bounding_radius(points))
    ch = np.empty((0, 4)) if chords is None else np.asarray(chords, float).reshape(-1, 4)
    ch = ch[np.isfinite(ch).all(axis=1)]
    if len(ch) >= 2 and len(bx):
        ex, ey = local_xy(ch[:, 0], ch[:, 1], lat0, lon0)
        qx, qy = local_xy(ch[:, 2], ch[:, 3], lat0, lon0)
        centre = _bisector_centre(np.column_stack([ex, ey, qx, qy]), cx, cy, max(r, cfg.min_radius_m), cfg)
        if centre is not None:
            (cx, cy), method = centre, method + "+bisectors"
    if method != "enclosing_circle":
        # Receivers differ in robustness: the zone reaches as far as the most
        # sensitive ones lose their fix (not the average one), and holds the
        # points seen inside it but the odd wild dead-reckoned one.
        edge = float(np.quantile(np.hypot(bx - cx, by - cy), cfg.edge_quantile))
        held = float(np.quantile(np.hypot(ax - cx, ay - cy), cfg.fit_min_contained))
        r = max(edge, held) if method != "circle_fit" else max(r, edge)
    clat, clon = _from_local(cx, cy, lat0, lon0)
    cov = _coverage_deg(bx, by, cx, cy) if method.startswith("circle_fit") else _coverage_deg(ax, ay, cx, cy)
    return {"centre_lat": clat, "centre_lon": clon, "radius_m": float(np.clip(r, cfg.min_radius_m, cfg.max_radius_m)),
            "method": method, "rel_error": rel_error if method.startswith("circle_fit") else float("nan"),
            "coverage_deg": cov}


def _sample_times(start: np.ndarray, end: np.ndarray, step_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Times every ``step_s`` seconds from each interval's start to its end: (interval number, time).

    An empty interval (end before start, e.g. an episode clipped to a zone window it
    does not reach) gives no times.
    """
    span = end - start
    k = np.where(span >= 0, np.floor(np.where(span >= 0, span, 0) / step_s) + 1, 0).astype(np.int64)
    rep = np.repeat(np.arange(len(start)), k)
    offset = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
    return rep, start[rep] + offset * step_s


def share_disc(
    jam_lat: np.ndarray, jam_lon: np.ndarray, good_lat: np.ndarray, good_lon: np.ndarray,
    centre_lat: float, centre_lon: float, radius_m: float, config: ZonesConfig | None = None,
    jam_weight: np.ndarray | None = None, good_weight: np.ndarray | None = None,
) -> tuple[float, float, float]:
    """The disc where jammed ships make at least ``zone_jammed_share`` of those seen (degrees in, metres out).

    ``jam_*``: where the zone's jammed ships were (one sample per vessel per
    ``share_step_s``), ``good_*``: good fixes of ships nearby during the zone,
    sampled alike; ``*_weight`` (default 1) make each vessel count once, so
    that many ships must agree, not one reporting often or staying long.
    A place is in the zone when at least that share of the ships seen there
    lost the fix (an immune ship or two inside do not carve it up; many
    ships keeping their fix bound it): the disc maximising
    ``sum_in jammed x (1 - share) - sum_in good x share`` over centres within
    half ``radius_m`` of (``centre_lat``, ``centre_lon``) (a grid of
    ``share_grid_m``) and radii ``min_radius_m``..``max_radius_m``. Of the
    discs that fit the evidence alike (the same ships in and out), the
    largest: each reaches halfway from its last ship in to the next one out,
    or ``open_radius_m`` where no ship bounds it -- the area where the
    interference is, not only where ships happened to be (the smallest such
    disc shrinks a coastal jammer's zone onto the shipping lane). Returns
    centre lat, lon and radius (metres).
    """
    cfg = config or ZonesConfig()
    if not len(jam_lat):
        return centre_lat, centre_lon, radius_m
    jx, jy = local_xy(np.asarray(jam_lat, float), np.asarray(jam_lon, float), centre_lat, centre_lon)
    gx, gy = local_xy(np.asarray(good_lat, float), np.asarray(good_lon, float), centre_lat, centre_lon)
    x, y = np.r_[jx, gx], np.r_[jy, gy]
    jw = np.ones(len(jx)) if jam_weight is None else np.asarray(jam_weight, float)
    gw = np.ones(len(gx)) if good_weight is None else np.asarray(good_weight, float)
    w = np.r_[jw * (1.0 - cfg.zone_jammed_share), -gw * cfg.zone_jammed_share]
    best = (0.0, 0.0, radius_m)
    span, step = max(radius_m / 2, cfg.min_radius_m), cfg.share_grid_m * 4
    for _ in range(2):  # coarse grid, then a fine one about the best coarse centre
        g = np.arange(-span, span + step / 2, step)
        gx_, gy_ = np.meshgrid(g, g)
        cx, cy = best[0] + gx_.ravel(), best[1] + gy_.ravel()
        d = np.hypot(x[None, :] - cx[:, None], y[None, :] - cy[:, None])
        order = np.argsort(d, axis=1)
        ds = np.take_along_axis(d, order, axis=1)
        gain = np.cumsum(w[order], axis=1)
        gain = np.where((ds >= cfg.min_radius_m) & (ds <= cfg.max_radius_m), gain, -np.inf)
        top = gain.max()
        if np.isfinite(top):
            # Of the discs holding the same ships, the largest: the boundary lies halfway
            # from the last ship in to the next one out, or open_radius_m off if none is near.
            same = gain >= top - 1e-9 * max(abs(top), 1.0)
            nxt = np.concatenate([ds[:, 1:], np.full((len(ds), 1), np.inf)], axis=1)
            reach = np.maximum(np.where(nxt <= cfg.open_radius_m, (ds + nxt) / 2, cfg.open_radius_m), ds)
            k, i = np.unravel_index(np.argmax(np.where(same, reach, -np.inf)), ds.shape)
            best = (float(cx[k]), float(cy[k]), float(reach[k, i]))
        span, step = step, cfg.share_grid_m
    lat, lon = _from_local(best[0], best[1], centre_lat, centre_lon)
    return lat, lon, best[2]


def disc_polygon(lat: float, lon: float, radius_m: float, vertices: int = 72) -> Polygon:
    """A geodesic circle as a lon/lat polygon."""
    rlat, rlon = destination(lat, lon, np.linspace(0.0, 360.0, vertices, endpoint=False), radius_m)
    return Polygon(np.column_stack([rlon, rlat]))


def build_jamming(
    reports: pd.DataFrame, config: ZonesConfig | None = None, bs_flags: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Jamming events per vessel episode, jamming zones, and each report's zone id.

    Needs ``time, mmsi, lat, lon, pos_valid, score, kind, reasons``, and reads
    ``device`` where present (type 27 fixes, 'A-LR', are too coarse to be held).
    ``bs_flags`` (optional: ``time, lat, lon, bs_time_invalid``, one row per
    base-station report) supports zones where stations lost GNSS time; it
    never makes a zone on its own. Returns

    - events: :data:`JAM_EVENT_COLUMNS`, kind 'jamming', ids JE0001... by
      (start, mmsi); ``lat``/``lon`` the middle of the crossing (NaN when no
      fix lies within ``locate_max_gap_s``), ``zone_id`` '' when in no zone;
      also vessels silent inside a zone (reasons 'silent', ``n_reports`` 0,
      start/end the fixes around the silence, score the zone's confidence),
      vessels repeating one fix inside a zone (reasons 'held_fix', see
      :func:`_held_fixes`), and vessels that lost it for a single report inside
      a zone (:func:`_lone_losses`);
    - zones: :data:`ZONE_COLUMNS` (``geometry`` a lon/lat shapely Polygon,
      ``radius_km``, ``method`` of the shape);
    - a Series on ``reports``' index: the zone id of jamming reports in a
      zone, else ''.
    """
    cfg = config or ZonesConfig()
    order = sorted_order(reports)
    df = reports.iloc[order].reset_index(drop=True)
    t = epoch_s(df["time"])
    good_fix = _good_fixes(df)
    episodes, interior, row_ep = _episodes(df, t, good_fix, cfg)
    labels = _cluster(episodes, cfg)

    mmsi = df["mmsi"].to_numpy()
    lat, lon = df["lat"].to_numpy(dtype=float), df["lon"].to_numpy(dtype=float)
    # Good fixes outside any episode of the vessel: ships keeping their fix.
    free = good_fix & (row_ep < 0)
    good = pd.DataFrame({"lat": lat[free], "lon": lon[free], "t": t[free], "mmsi": mmsi[free]}).sort_values(
        "t", kind="stable", ignore_index=True)

    # Split clusters where ships kept their fix between two groups, then where jammers
    # switched on and off at different times.
    windows: list[tuple[float, float]] = []
    zone_label = np.full(len(episodes), -1)
    for label in np.unique(labels[labels >= 0]).tolist():  # one pass per cluster
        cluster = np.flatnonzero(labels == label)
        side = _split_space(episodes.iloc[cluster], good, cfg)
        for g in np.unique(side).tolist():  # one or two
            members = cluster[side == g]
            sub, sub_windows = _split_cluster(episodes.iloc[members], cfg)
            zone_label[members] = sub + len(windows)
            windows += sub_windows
    zone_label, windows = _merge_cotimed(episodes, zone_label, windows, good, cfg)
    zones = []
    zone_of_label: dict[int, int] = {}
    for label, window in enumerate(windows):  # one pass per zone
        members = np.flatnonzero(zone_label == label)
        e = episodes.iloc[members]
        if e["n_reports"].sum() < cfg.min_zone_reports or e["mmsi"].nunique() < cfg.min_zone_vessels:
            continue
        start_s, end_s = window
        # Ships inside when the jammer switches on (off) lose (regain) the fix
        # where they are, not at the edge: their entry (exit) is an interior point.
        entry = e[(e["start_s"] > start_s + cfg.onset_window_s).to_numpy()]
        exit_ = e[(e["end_s"] < end_s - cfg.onset_window_s).to_numpy()]
        blat = np.r_[entry["entry_lat"].dropna(), exit_["exit_lat"].dropna()]
        blon = np.r_[entry["entry_lon"].dropna(), exit_["exit_lon"].dropna()]
        inner = interior[interior["ep"].isin(members)]
        alat = np.r_[inner["lat"], e["p_lat"], e["q_lat"]]
        alon = np.r_[inner["lon"], e["p_lon"], e["q_lon"]]
        both = entry.index.intersection(exit_.index)
        chords = episodes.loc[both, ["entry_lat", "entry_lon", "exit_lat", "exit_lon"]].to_numpy()
        disc = fit_disc(blat, blon, alat, alon, cfg, chords=chords)
        # Where the jammed ships were (a straight run from loss to recovery) and
        # the good fixes of other ships around during the zone.
        # (while this zone was on: an episode may run on from a neighbour's).
        ok = e[["p_lat", "q_lat"]].notna().all(axis=1).to_numpy()
        es, ef = e["start_s"].to_numpy()[ok], e["end_s"].to_numpy()[ok]
        rep, ts = _sample_times(np.maximum(es, start_s), np.minimum(ef, end_s), cfg.share_step_s)
        frac = (ts - es[rep]) / np.maximum(ef[rep] - es[rep], 1.0)
        ends = e[["p_lat", "p_lon", "q_lat", "q_lon"]].to_numpy()[ok][rep]
        jlat = ends[:, 0] + frac * (ends[:, 2] - ends[:, 0])
        jlon = ends[:, 1] + frac * (ends[:, 3] - ends[:, 1])
        during = free & (t >= start_s) & (t <= end_s)
        near = np.flatnonzero(during)[haversine_m(lat[during], lon[during], disc["centre_lat"], disc["centre_lon"])
                                      <= disc["radius_m"] + cfg.max_radius_m]
        thin = pd.DataFrame({"m": mmsi[near], "b": np.floor(t[near] / cfg.share_step_s)}).duplicated().to_numpy()
        near = near[~thin]
        jv = e["mmsi"].to_numpy()[ok][rep]
        jw = 1.0 / pd.Series(jv).map(pd.Series(jv).value_counts()).to_numpy()
        gw = 1.0 / pd.Series(mmsi[near]).map(pd.Series(mmsi[near]).value_counts()).to_numpy()
        clat, clon, radius = share_disc(jlat, jlon, lat[near], lon[near], disc["centre_lat"], disc["centre_lon"],
                                        disc["radius_m"], cfg, jam_weight=jw, good_weight=gw)
        disc.update(centre_lat=clat, centre_lon=clon, radius_m=radius)
        n_vessels = int(e["mmsi"].nunique())
        if disc["method"].startswith("circle_fit"):
            geometry_term = 1.0 - disc["rel_error"]
        else:
            geometry_term = 0.5 * disc["coverage_deg"] / 360.0
        zone_of_label[label] = len(zones)
        zones.append({
            "start_s": start_s, "end_s": end_s, "n_vessels": n_vessels,
            "n_reports": int(e["n_reports"].sum()), "confidence": (1.0 - 0.5**n_vessels) * geometry_term,
            "centre_lon": disc["centre_lon"], "centre_lat": disc["centre_lat"],
            "radius_km": disc["radius_m"] / 1000.0, "method": disc["method"],
            "geometry": disc_polygon(disc["centre_lat"], disc["centre_lon"], disc["radius_m"], cfg.polygon_vertices),
        })
    z = pd.DataFrame(zones, columns=["start_s", "end_s"] + ZONE_COLUMNS[3:])
    z["start_s"], z["end_s"] = _station_outage_window(z, bs_flags, cfg)
    z["n_base_station_reports"] = _base_station_support(z, bs_flags, cfg)
    z["confidence"] = np.where(z["n_base_station_reports"] > 0,
                               z["confidence"] + (1.0 - z["confidence"]) * cfg.bs_support_weight, z["confidence"])
    rank = np.lexsort((z["centre_lon"].to_numpy(), z["start_s"].to_numpy()))
    zone_ids = np.empty(len(z), dtype=object)
    zone_ids[rank] = [f"J{k + 1:03d}" for k in range(len(z))]
    z.insert(0, "zone_id", zone_ids)
    z.insert(1, "start", to_time(z["start_s"].to_numpy()))
    z.insert(2, "end", to_time(z["end_s"].to_numpy()))
    z = z.iloc[rank].reset_index(drop=True)[ZONE_COLUMNS]

    ep_zone = np.full(len(episodes), "", dtype=object)
    for label, k in zone_of_label.items():
        ep_zone[zone_label == label] = zone_ids[k]
    zs = z.assign(start_s=epoch_s(z["start"]), end_s=epoch_s(z["end"]))
    zoned = episodes.assign(zone_id=ep_zone)
    e = pd.concat([zoned, _silences(df, t, zs, zoned, good_fix, cfg)], ignore_index=True)
    e = pd.concat([e, _held_fixes(df, t, zs, e, good_fix, cfg)], ignore_index=True)
    e = pd.concat([e, _lone_losses(df, t, zs, e, row_ep, good_fix, cfg)], ignore_index=True)
    e = e.iloc[np.lexsort((e["mmsi"].to_numpy(), e["start_s"].to_numpy()))]
    events = pd.DataFrame({
        "event_id": [f"JE{k + 1:04d}" for k in range(len(e))],
        "kind": "jamming",
        "mmsi": e["mmsi"].to_numpy().astype("int64"),
        "start": to_time(e["start_s"].to_numpy()),
        "end": to_time(e["end_s"].to_numpy()),
        "n_reports": e["n_reports"].to_numpy().astype("int64"),
        "lat": ((e["p_lat"] + e["q_lat"]) / 2).to_numpy(),
        "lon": ((e["p_lon"] + e["q_lon"]) / 2).to_numpy(),
        "score": e["score"].to_numpy(),
        "reasons": e["reasons"].to_numpy(),
        "zone_id": e["zone_id"].to_numpy(),
    })[JAM_EVENT_COLUMNS]

    jam = df["kind"].astype(str).to_numpy() == "jamming"
    sorted_zone = np.where(jam & (row_ep >= 0), np.append(ep_zone, "")[row_ep], "")
    per_report = np.empty(len(df), dtype=object)
    per_report[order] = sorted_zone
    return events, z, pd.Series(per_report, index=reports.index, name="zone_id", dtype=object)


def _nearest_zone(
    t_i: np.ndarray, t_j: np.ndarray, p: tuple[np.ndarray, np.ndarray], q: tuple[np.ndarray, np.ndarray],
    zones: pd.DataFrame, cfg: ZonesConfig, cross: bool = True,
) -> np.ndarray:
    """Zone (row of ``zones``, -1 none) active from ``t_i`` to ``t_j`` (epoch s; from
    ``boundary_max_gap_s`` before it switched on to that plus ``reacquire_max_s`` after it
    switched off: a fix lost long before the jammer was on, or regained long after it was
    off, was lost to something else) whose centre both fixes ``p`` and ``q`` ((lat, lon)
    arrays) lie within ``silence_reach_factor`` x its radius of, with (``cross``) the
    straight path between them crossing its disc; the nearest of several.
    """
    best = np.full(len(t_i), -1)
    best_d = np.full(len(t_i), np.inf)
    for k, z in enumerate(zones.itertuples(index=False)):  # a handful of zones
        r = z.radius_km * 1000.0
        px, py = local_xy(p[0], p[1], z.centre_lat, z.centre_lon)
        qx, qy = local_xy(q[0], q[1], z.centre_lat, z.centre_lon)
        far = np.maximum(np.hypot(px, py), np.hypot(qx, qy))
        ok = ((t_i <= z.end_s) & (t_j >= z.start_s) & (t_i >= z.start_s - cfg.boundary_max_gap_s)
              & (t_j <= z.end_s + cfg.boundary_max_gap_s + cfg.reacquire_max_s)
              & (far <= cfg.silence_reach_factor * r))
        if cross:
            ok &= _point_segment(0.0, 0.0, px, py, qx, qy) <= r
        better = ok & (far < best_d)
        best[better], best_d[better] = k, far[better]
    return best


def _uncounted(mmsi: np.ndarray, start_s: np.ndarray, end_s: np.ndarray, counted: pd.DataFrame) -> np.ndarray:
    """Which of these intervals overlap no episode of the same vessel in ``counted`` (mmsi, start_s, end_s)."""
    overlap = counted[["mmsi", "start_s", "end_s"]].merge(
        pd.DataFrame({"mmsi": mmsi, "gs": start_s, "ge": end_s, "g": np.arange(len(mmsi))}), on="mmsi")
    dup = overlap.loc[(overlap["start_s"] <= overlap["ge"]) & (overlap["end_s"] >= overlap["gs"]), "g"].to_numpy()
    return ~np.isin(np.arange(len(mmsi)), dup)


def _good_fixes(df: pd.DataFrame) -> np.ndarray:
    """Valid positions not judged jammed or spoofed."""
    return df["pos_valid"].to_numpy(dtype=bool) & ~df["kind"].astype(str).isin(["jamming", "spoofing"]).to_numpy()


def _silences(
    df: pd.DataFrame, t: np.ndarray, zones: pd.DataFrame, episodes: pd.DataFrame, good: np.ndarray,
    cfg: ZonesConfig,
) -> pd.DataFrame:
    """Vessels whose position reports stopped inside a zone while it was active.

    Some transponders send nothing while they have no fix. A silence longer
    than ``silence_min_s`` and ``silence_interval_factor`` x the vessel's
    median report interval, within a zone's time (:func:`_nearest_zone`), is
    an episode of that zone (``n_reports`` 0, reasons 'silent', start and end
    the fixes below) when the vessel's last good fix before it and first good
    fix after it are both within ``silence_reach_factor`` x the zone's radius
    of its centre and the straight path between them crosses the disc, unless
    the vessel has a reported episode overlapping them.

    - Spoofed reports between those fixes are skipped: they say where the
      spoofer put the ship, not where it was, and a receiver spoofed after
      (or before) falling silent was still without its own fix.
    - A ship that did not cross the disc (at anchor, moored, or slow outside
      it) counts too, within reach, when its silence began as the zone switched on and ended
      as it switched off (fixes within ``boundary_max_gap_s`` before or
      ``onset_window_s`` after each, the recovery up to ``reacquire_max_s``
      later), or, silent for at least twice those windows, as one of the
      zone's ships lost and regained its fix next to good fixes (a window
      merged with a neighbour's hides the jammer's own switchings, its ships
      show them).
    - A silence the receiving stations' dead air explains (:func:`_dead_air`)
      is lost reception, not a lost fix.

    Needs zones found from reported evidence: silences alone never make a zone.
    """
    cols = list(episodes.columns)  # zone_id included
    mmsi = df["mmsi"].to_numpy()
    same = mmsi[1:] == mmsi[:-1]
    dt = np.diff(t)
    typical = pd.Series(dt[same]).groupby(mmsi[1:][same]).median()
    limit = np.maximum(cfg.silence_min_s, cfg.silence_interval_factor * typical.reindex(mmsi[1:]).to_numpy())
    quiet = np.flatnonzero(same & (dt > limit))  # nothing heard between quiet and quiet + 1
    # The vessel's last good fix up to the silence's start and its first one after it.
    i, j = fixes_around(np.flatnonzero(good), mmsi, first=quiet + 1, last=quiet)
    ok = (i >= 0) & (j >= 0)
    quiet, i, j, limit = quiet[ok], i[ok], j[ok], limit[quiet[ok]]
    lat, lon = df["lat"].to_numpy(dtype=float), df["lon"].to_numpy(dtype=float)
    p, q = (lat[i], lon[i]), (lat[j], lon[j])
    best = _nearest_zone(t[quiet], t[quiet + 1], p, q, zones, cfg)
    # A ship that did not cross the disc (at anchor, or slow just outside it) counts within
    # reach when its silence began as the jammer switched on and ended as it switched off.
    held = _nearest_zone(t[quiet], t[quiet + 1], p, q, zones, cfg, cross=False)
    on = np.append(zones["start_s"].to_numpy(dtype=float), np.nan)[held]
    off = np.append(zones["end_s"].to_numpy(dtype=float), np.nan)[held]
    w, gap = cfg.onset_window_s, cfg.boundary_max_gap_s

    def with_switching(k: np.ndarray | int, on: np.ndarray, off: np.ndarray) -> np.ndarray:
        """Silences ``k`` began as a jammer switched on at ``on`` and ended as it switched off at ``off``."""
        return ((t[i[k]] >= on - gap) & (t[i[k]] <= on + w) & (t[j[k]] >= off - w)
                & (t[j[k]] <= off + gap + cfg.reacquire_max_s))

    switched = with_switching(np.arange(len(i)), on, off)
    # Where the zone's window spans a neighbour's, its own switchings show in its ships:
    # one that lost and regained the fix next to good fixes, with the silence, saw the
    # same jammer switch on and off. A silence no longer than the windows that match its
    # ends (a report or two lost) would match any short episode around.
    seen = (episodes["zone_id"] != "") & episodes["entry_lat"].notna() & episodes["exit_lat"].notna()
    mates = episodes[seen.to_numpy()]
    mate_zone = pd.Series(np.arange(len(zones)), index=zones["zone_id"].to_numpy()).reindex(mates["zone_id"]).to_numpy()
    mate_on, mate_off = mates["start_s"].to_numpy(), mates["end_s"].to_numpy()
    long = t[j] - t[i] >= 2 * (w + gap)
    for k in np.flatnonzero(long & ~switched & (held >= 0)).tolist():  # a few long silences near a zone
        m = mate_zone == held[k]
        switched[k] = with_switching(k, mate_on[m], mate_off[m]).any()
    best = np.where((best < 0) & switched, held, best)
    keep = best >= 0
    i, j, best, quiet, limit = i[keep], j[keep], best[keep], quiet[keep], limit[keep]
    keep = ~_dead_air(df, t, quiet, quiet + 1, limit, cfg)
    i, j, best = i[keep], j[keep], best[keep]
    # Several silences between the same two good fixes are one episode.
    keep = ~pd.DataFrame({"i": i, "j": j}).duplicated().to_numpy()
    i, j, best = i[keep], j[keep], best[keep]
    # A vessel with a reported episode overlapping the silence is already counted.
    keep = _uncounted(mmsi[i], t[i], t[j], episodes)
    i, j, best = i[keep], j[keep], best[keep]
    return pd.DataFrame({
        "mmsi": mmsi[i], "start_s": t[i], "end_s": t[j], "n_reports": 0,
        "score": zones["confidence"].to_numpy()[best], "reasons": "silent",
        "p_lat": lat[i], "p_lon": lon[i], "q_lat": lat[j], "q_lon": lon[j],
        "zone_id": zones["zone_id"].to_numpy()[best],
    }).reindex(columns=cols)


def _dead_air(df: pd.DataFrame, t: np.ndarray, i: np.ndarray, j: np.ndarray, limit: np.ndarray,
              cfg: ZonesConfig) -> np.ndarray:
    """Whether the silences from row ``i`` to row ``j`` (nothing heard of the vessel between;
    epoch seconds ``t``) fell while the stations that heard those two rows heard nobody,
    all but stretches shorter than ``limit`` seconds.

    A station's gap between two receptions is dead air when at the station's mean rate
    (its reports over its span) ``dead_air_expected_reports`` would have come in it. Rows
    without a station (CSV exports, one receiver's log) make one feed.
    """
    station = (pd.Categorical(df["station"]).codes if "station" in df
               else np.zeros(len(df), dtype=np.int8))
    has = np.isfinite(t)
    dead: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for code in np.unique(np.r_[station[i], station[j]]).tolist():
        ts = np.sort(t[has & (station == code)])
        rate = (len(ts) - 1) / max(ts[-1] - ts[0], 1.0)
        k = np.flatnonzero(rate * np.diff(ts) >= cfg.dead_air_expected_reports)
        dead[code] = (ts[k], ts[k + 1])
    out = np.zeros(len(i), dtype=bool)
    for n, (a, b) in enumerate(zip(t[i].tolist(), t[j].tolist())):  # the few silences near a zone
        off = [dead[station[i[n]]], dead[station[j[n]]]]
        lo, hi = np.concatenate([o[0] for o in off]), np.concatenate([o[1] for o in off])
        m = (hi > a) & (lo < b)
        if not m.any():
            continue
        order = np.argsort(lo[m])
        lo, hi = np.clip(lo[m][order], a, b), np.maximum.accumulate(np.clip(hi[m][order], a, b))
        heard = np.r_[lo[0] - a, lo[1:] - hi[:-1], b - hi[-1]]  # the stretches between dead air
        out[n] = heard.max() < limit[n]
    return out


def _lone_losses(
    df: pd.DataFrame, t: np.ndarray, zones: pd.DataFrame, counted: pd.DataFrame, row_ep: np.ndarray,
    good: np.ndarray, cfg: ZonesConfig,
) -> pd.DataFrame:
    """Vessels that lost the fix for fewer than ``min_episode_reports`` reports inside a zone
    while it was on.

    Alone, one lost report is a receiver hiccup; inside a zone found from other ships'
    losses it is the jammer's, on the terms of a silence (:func:`_nearest_zone`: the
    vessel's good fixes around it within reach of the zone's centre, the path between them
    crossing its disc, during the zone's time). One per vessel and zone, unless the vessel
    is already counted (``counted``: mmsi, start_s, end_s); reasons those of its report.
    """
    cols = list(counted.columns)
    r = np.flatnonzero((df["kind"].astype(str).to_numpy() == "jamming") & (row_ep < 0))
    fired = fired_checks(df["reasons"].iloc[r]).reindex(columns=list(LOST_FIX_CHECKS), fill_value=False)
    r = r[fired.any(axis=1).to_numpy()]
    if not len(r) or not len(zones):
        return pd.DataFrame(columns=cols)
    mmsi = df["mmsi"].to_numpy()
    i, j = fixes_around(np.flatnonzero(good), mmsi, r, r)
    ok = (i >= 0) & (j >= 0)
    r, i, j = r[ok], i[ok], j[ok]
    lat, lon = df["lat"].to_numpy(dtype=float), df["lon"].to_numpy(dtype=float)
    best = _nearest_zone(t[i], t[j], (lat[i], lon[i]), (lat[j], lon[j]), zones, cfg)
    keep = best >= 0
    r, i, j, best = r[keep], i[keep], j[keep], best[keep]
    keep = ~pd.DataFrame({"m": mmsi[r], "z": best}).duplicated().to_numpy() & _uncounted(mmsi[r], t[i], t[j], counted)
    r, i, j, best = r[keep], i[keep], j[keep], best[keep]
    return pd.DataFrame({
        "mmsi": mmsi[r], "start_s": t[r], "end_s": t[r], "n_reports": 1,
        "score": zones["confidence"].to_numpy()[best], "reasons": df["reasons"].to_numpy()[r],
        "p_lat": lat[i], "p_lon": lon[i], "q_lat": lat[j], "q_lon": lon[j],
        "zone_id": zones["zone_id"].to_numpy()[best],
    }).reindex(columns=cols)


def _held_fixes(
    df: pd.DataFrame, t: np.ndarray, zones: pd.DataFrame, counted: pd.DataFrame, good: np.ndarray,
    cfg: ZonesConfig,
) -> pd.DataFrame:
    """Vessels that kept repeating one fix inside a zone while it was active.

    A receiver that loses its fix may keep sending the last one; underway the
    frozen_position check sees it, but a ship at anchor or moored barely moves
    and reports a near-zero SOG. A live fix still wanders by metres between
    reports (GNSS noise), far above AIS's ~0.2 m resolution, yet receivers
    with a static-hold filter pin it on purpose, so such a run counts only
    for a zone found from reported evidence, as silences do: at least
    ``held_min_reports`` repeats of a vessel's good fix (the run's first
    report is the last live fix) over at least ``silence_min_s``, the run
    within the zone's time (a pinned fix of a moored ship spans hours either
    side) and the fix within ``silence_reach_factor`` x a zone's radius of its
    centre, as a silence's fixes (:func:`_nearest_zone`; a ship at anchor has
    no path to cross the disc). A receiver spoofed and then jammed holds the
    spoofer's fix, away from the ship: a run of a spoofed fix that follows other
    spoofed fixes (which wander with receiver noise while the spoofer drives
    them; a fake fix static from the first report on is the spoofer's) is placed
    at the vessel's last good fix before it (else its first after). Reasons 'held_fix',
    ``n_reports`` the repeats, start/end the first and last repeat; unless
    the vessel is already counted (``counted``: mmsi, start_s, end_s). Type 27
    fixes are left out: in 1/10 minute (185 m) a ship at anchor repeats one anyway.
    """
    cols = list(counted.columns)
    spoofed = df["pos_valid"].to_numpy(dtype=bool) & (df["kind"].astype(str).to_numpy() == "spoofing")
    coarse = df["device"].astype(str).to_numpy() == LONG_RANGE_DEVICE if "device" in df else False
    rows = np.flatnonzero((good | spoofed) & ~coarse)
    if not len(rows) or not len(zones):
        return pd.DataFrame(columns=cols)
    mmsi = df["mmsi"].to_numpy()[rows]
    lat, lon, tg = df["lat"].to_numpy(dtype=float)[rows], df["lon"].to_numpy(dtype=float)[rows], t[rows]
    new = np.ones(len(rows), dtype=bool)
    new[1:] = (mmsi[1:] != mmsi[:-1]) | (lat[1:] != lat[:-1]) | (lon[1:] != lon[:-1])
    a = np.flatnonzero(new)
    b = np.r_[a[1:], len(rows)] - 1
    keep = (b - a >= cfg.held_min_reports) & (tg[b] - tg[a] >= cfg.silence_min_s)
    a, b = a[keep], b[keep]
    # Where the ship was: its fix, or for a spoofed one the vessel's good fix next to the run.
    g, nxt = fixes_around(np.flatnonzero(good), df["mmsi"].to_numpy(), rows[a], rows[b])
    g = np.where(g >= 0, g, nxt)
    own = ~spoofed[rows[a]]
    # A spoofed fix counts as held once it stopped moving after following the spoofer: a
    # static fake fix without receiver noise repeats from the start.
    followed = (a > 0) & (mmsi[np.maximum(a - 1, 0)] == mmsi[a]) & spoofed[rows[np.maximum(a - 1, 0)]]
    keep = own | ((g >= 0) & followed)
    a, b, g, own = a[keep], b[keep], g[keep], own[keep]
    at_lat = np.where(own, lat[a], df["lat"].to_numpy(dtype=float)[np.maximum(g, 0)])
    at_lon = np.where(own, lon[a], df["lon"].to_numpy(dtype=float)[np.maximum(g, 0)])
    best = _nearest_zone(tg[a], tg[b], (at_lat, at_lon), (at_lat, at_lon), zones, cfg, cross=False)
    ok = best >= 0
    a, b, best, at_lat, at_lon = a[ok], b[ok], best[ok], at_lat[ok], at_lon[ok]
    keep = _uncounted(mmsi[a], tg[a + 1], tg[b], counted)
    a, b, best, at_lat, at_lon = a[keep], b[keep], best[keep], at_lat[keep], at_lon[keep]
    return pd.DataFrame({
        "mmsi": mmsi[a], "start_s": tg[a + 1], "end_s": tg[b], "n_reports": b - a,
        "score": zones["confidence"].to_numpy()[best], "reasons": "held_fix",
        "p_lat": at_lat, "p_lon": at_lon, "q_lat": at_lat, "q_lon": at_lon,
        "zone_id": zones["zone_id"].to_numpy()[best],
    }).reindex(columns=cols)


def _station_outage_window(
    zones: pd.DataFrame, bs_flags: pd.DataFrame | None, cfg: ZonesConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Each zone's window (start_s, end_s) widened to the outages of the base stations
    that support it (within ``bs_support_distance_m`` of its disc) and overlap it.

    A base station in reach of a jammer loses GNSS time from switch-on to switch-off
    and says so every few seconds (type 4, ITU-R M.1371), while ships show a zone only
    while one is inside it. An outage is a station's run of at least
    ``min_episode_reports`` reports with invalid time, no valid one between and none
    further apart than ``episode_max_silence_s``; stations are told apart by MMSI
    (else by position). A station in reach of two zones active with its outage
    lost its time to either or both, so it times neither."""
    start, end = np.array(zones["start_s"], dtype=float), np.array(zones["end_s"], dtype=float)
    if bs_flags is None or not len(bs_flags) or not len(zones):
        return start, end
    key = bs_flags["mmsi"] if "mmsi" in bs_flags else bs_flags["lat"].astype(str) + "," + bs_flags["lon"].astype(str)
    f = pd.DataFrame({"k": pd.factorize(key)[0], "t": epoch_s(bs_flags["time"]),
                      "lat": bs_flags["lat"].to_numpy(dtype=float), "lon": bs_flags["lon"].to_numpy(dtype=float),
                      "bad": bs_flags["bs_time_invalid"].fillna(False).to_numpy(dtype=bool)})
    f = f.sort_values(["k", "t"], kind="stable", ignore_index=True)
    k, t, bad = f["k"].to_numpy(), f["t"].to_numpy(), f["bad"].to_numpy()
    new = np.ones(len(f), dtype=bool)
    new[1:] = (k[1:] != k[:-1]) | (bad[1:] != bad[:-1]) | (t[1:] - t[:-1] > cfg.episode_max_silence_s)
    run = np.cumsum(new) - 1
    out = f[bad].groupby(run[bad]).agg(lat=("lat", "median"), lon=("lon", "median"), s=("t", "min"),
                                        e=("t", "max"), n=("t", "size"))
    out = out[out["n"] >= cfg.min_episode_reports]
    os_, oe = out["s"].to_numpy(), out["e"].to_numpy()
    near = _in_support_reach(zones, out["lat"].to_numpy(), out["lon"].to_numpy(), cfg)
    meet = near & (os_[None, :] <= end[:, None]) & (oe[None, :] >= start[:, None])
    # A station in reach of two zones lost its time to either: its outage times neither.
    meet &= meet.sum(axis=0, keepdims=True) == 1
    s = np.where(meet, os_[None, :], np.inf).min(axis=1, initial=np.inf)
    e = np.where(meet, oe[None, :], -np.inf).max(axis=1, initial=-np.inf)
    return np.fmin(start, s), np.fmax(end, e)


def _in_support_reach(zones: pd.DataFrame, lat: np.ndarray, lon: np.ndarray, cfg: ZonesConfig) -> np.ndarray:
    """(zones x points): the point (a base station) lies within ``bs_support_distance_m`` of the
    zone's disc, where a station that lost GNSS time supports it."""
    reach = zones["radius_km"].to_numpy(dtype=float)[:, None] * 1000.0 + cfg.bs_support_distance_m
    return haversine_m(np.asarray(lat, dtype=float)[None, :], np.asarray(lon, dtype=float)[None, :],
                       zones["centre_lat"].to_numpy(dtype=float)[:, None],
                       zones["centre_lon"].to_numpy(dtype=float)[:, None]) <= reach


def _base_station_support(zones: pd.DataFrame, bs_flags: pd.DataFrame | None, cfg: ZonesConfig) -> np.ndarray:
    """Base-station reports with invalid GNSS time within reach of each zone during it."""
    if bs_flags is None or not len(bs_flags) or not len(zones):
        return np.zeros(len(zones), dtype=np.int64)
    bad = bs_flags[bs_flags["bs_time_invalid"].fillna(False).astype(bool)]
    bt = epoch_s(bad["time"])
    during = ((bt[None, :] >= zones["start_s"].to_numpy(dtype=float)[:, None] - cfg.cluster_time_s)
              & (bt[None, :] <= zones["end_s"].to_numpy(dtype=float)[:, None] + cfg.cluster_time_s))
    return (during & _in_support_reach(zones, bad["lat"], bad["lon"], cfg)).sum(axis=1).astype(np.int64)


def grid(reports: pd.DataFrame, config: ZonesConfig | None = None) -> pd.DataFrame:
    """Hourly share of affected vessels per grid cell (gpsjam.org style).

    A vessel is bad in a cell-hour when any of its reports there is of kind
    'jamming', else good. Reports without a position are placed by
    interpolating the vessel's valid fixes within ``grid_locate_max_gap_s``
    (or the nearer one alone); reports that cannot be placed are left out.
    Returns :data:`GRID_COLUMNS`: ``hour`` (tz-aware UTC, start of the hour),
    ``cell`` (e.g. '59.75N_027.50E', its south-west corner), ``lat``/``lon``
    (cell centre, degrees), ``n_vessels``, ``n_bad``, ``n_good``,
    ``bad_frac`` = max(0, (n_bad - 1) / n_vessels) and ``level`` ('low' below
    ``grid_medium_frac``, 'high' above ``grid_high_frac``, else 'medium').
    """
    cfg = config or ZonesConfig()
    order = sorted_order(reports)
    df = reports.iloc[order].reset_index(drop=True)
    n = len(df)
    t = epoch_s(df["time"])
    mmsi = df["mmsi"].to_numpy()
    valid = df["pos_valid"].to_numpy(dtype=bool)
    lat = df["lat"].to_numpy(dtype=float)
    lon = df["lon"].to_numpy(dtype=float)
    ar = np.arange(n)
    prev = np.maximum.accumulate(np.where(valid, ar, -1))  # a valid row is its own previous fix
    nxt = np.minimum.accumulate(np.where(valid, ar, n)[::-1])[::-1]
    pc, nc = np.clip(prev, 0, n - 1), np.clip(nxt, 0, n - 1)
    dtp, dtn = t - t[pc], t[nc] - t
    ok_p = (prev >= 0) & (mmsi[pc] == mmsi) & (dtp <= cfg.grid_locate_max_gap_s)
    ok_n = (nxt < n) & (mmsi[nc] == mmsi) & (dtn <= cfg.grid_locate_max_gap_s)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(ok_p & ok_n & (dtp + dtn > 0), dtp / (dtp + dtn), np.where(ok_p, 0.0, 1.0))
    plat = np.where(ok_p, lat[pc], lat[nc])
    plon = np.where(ok_p, lon[pc], lon[nc])
    qlat = np.where(ok_n, lat[nc], plat)
    qlon = np.where(ok_n, lon[nc], plon)
    located = ok_p | ok_n
    glat = plat + w * (qlat - plat)
    glon = plon + w * (qlon - plon)

    cells = pd.DataFrame({
        "hour": np.floor(t / 3600.0) * 3600.0,
        "row": np.floor(glat / cfg.grid_cell_lat_deg),
        "col": np.floor(glon / cfg.grid_cell_lon_deg),
        "mmsi": mmsi,
        "bad": df["kind"].astype(str).to_numpy() == "jamming",
    })[located]
    per_vessel = cells.groupby(["hour", "row", "col", "mmsi"], sort=False)["bad"].any()
    g = per_vessel.groupby(level=["hour", "row", "col"]).agg(n_vessels="size", n_bad="sum").reset_index()
    if not len(g):
        return pd.DataFrame({c: [] for c in GRID_COLUMNS})
    g = g.sort_values(["hour", "row", "col"], ignore_index=True)
    lat0 = g["row"].to_numpy() * cfg.grid_cell_lat_deg
    lon0 = g["col"].to_numpy() * cfg.grid_cell_lon_deg
    n_bad = g["n_bad"].to_numpy(dtype=np.int64)
    n_ves = g["n_vessels"].to_numpy(dtype=np.int64)
    frac = np.clip((n_bad - 1) / np.maximum(n_ves, 1), 0.0, None)
    ns = np.where(lat0 >= 0, "N", "S")
    ew = np.where(lon0 >= 0, "E", "W")
    cell = (pd.Series(np.abs(lat0)).map("{:05.2f}".format) + ns + "_"
            + pd.Series(np.abs(lon0)).map("{:06.2f}".format) + ew)
    return pd.DataFrame({
        "hour": to_time(g["hour"].to_numpy()),
        "cell": cell.to_numpy(dtype=object),
        "lat": lat0 + cfg.grid_cell_lat_deg / 2,
        "lon": lon0 + cfg.grid_cell_lon_deg / 2,
        "n_vessels": n_ves,
        "n_bad": n_bad,
        "n_good": n_ves - n_bad,
        "bad_frac": frac,
        "level": np.select([frac > cfg.grid_high_frac, frac >= cfg.grid_medium_frac], ["high", "medium"], "low"),
    })[GRID_COLUMNS]


def write_zones_geojson(zones: pd.DataFrame, path: str | Path) -> Path:
    """Write the zones as a GeoJSON FeatureCollection (lon/lat WGS84), atomically.

    Properties: zone_id, start, end (ISO 8601 UTC, 'Z'), n_vessels, n_reports,
    confidence, centre [lon, lat], radius_km, method.
    """
    features = [
        {
            "type": "Feature",
            "geometry": mapping(z.geometry),
            "properties": {
                "zone_id": str(z.zone_id), "start": iso_utc(z.start), "end": iso_utc(z.end),
                "n_vessels": int(z.n_vessels), "n_reports": int(z.n_reports),
                "confidence": round(float(z.confidence), 3),
                "centre": [round(float(z.centre_lon), 6), round(float(z.centre_lat), 6)],
                "radius_km": round(float(z.radius_km), 3), "method": str(z.method),
            },
        }
        for z in zones.itertuples(index=False)  # a handful of zones
    ]
    return write_json(path, {"type": "FeatureCollection", "features": features})
