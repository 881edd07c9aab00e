"""Episodes into zones: clustered as crossings, split and merged by what ships saw.

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
    A zone's window starts with its own switch-on and ends with its own
    switch-off, not with a ship in two discs that lost or regained its fix with
    a neighbour's (:func:`_own_windows`). Conversely, zones that switched on and
    off together, or on (or off) at one instant, within a radio horizon's
    diameter, are merged unless ships kept their fix between them: one wide
    jammer seen by ships too far apart to cluster (:func:`_merge_cotimed`).

"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import poisson
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import DBSCAN

from ..events import overlapping_pairs
from ..config import ZonesConfig
from ..geo import KNOT_MS, haversine_m, local_xy, point_segment_m
from .shape import enclosing_circle


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
    dist = np.minimum.reduce([point_segment_m(*a, *c, *d), point_segment_m(*b, *c, *d),
                              point_segment_m(*c, *a, *b), point_segment_m(*d, *a, *b)])
    return np.where(crossing, 0.0, dist)


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
    # overlapping in time (or too nearly for a ship to show its fix back in between), or
    # ships in the overlap of their discs would have had their fix back. Unless as many
    # ships witness it as x and y together: the overlap's lens holds more than
    # both crescents only where the discs nearly coincide (one jammer, whose own
    # signature chance coincidences in busy traffic cut short).
    fewer = win[:, None, None, 2] < win[None, :, None, 2] + win[None, None, :, 2]
    win = win[~(_spanning(win[:, :2], w, cfg.recovery_min_s) & fewer).any(axis=(1, 2))][:, :2]
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
    losses) of the zones that switched on within ``switch_on_spread_s`` of its
    start, within ``cluster_distance_m``; else of the zones already on when it
    starts and still seen: one of its
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
                cx, cy, r = enclosing_circle(x[active], y[active])
                inside = np.mean(np.hypot(x[k] - cx, y[k] - cy) <= r + cfg.boundary_sigma_m) > 0.5
                if inside and not _beyond_chance(len(np.unique(mm[k])), s[seen], cfg):
                    continue
            seeds.append(k)
    seeds.sort(key=lambda k: s[k].min())
    switched = np.ones(len(seeds), dtype=bool)
    if seeds and (s < s[seeds[0]].min() - w).any():
        seeds.insert(0, np.flatnonzero(s < s[seeds[0]].min() - w))
        switched = np.r_[False, switched]  # losses before the first switching
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
    # cluster_distance_m), else the nearest one on. A loss within one report interval of a
    # switch-on is that switching's first, whatever zones were on near it: ships slower to
    # show the loss than one instant explains (a jammer's power rising, a receiver holding
    # its fix) are no entries.
    at_on = switched[None, :] & (np.abs(s[:, None] - on[None, :]) <= cfg.switch_on_spread_s)
    for i in np.argsort(s, kind="stable").tolist():  # in time order: each join extends its zone
        if zone[i] < 0:
            own = np.where(at_on[i], dist[i], np.inf)
            live = own if own.min() <= cfg.cluster_distance_m else np.where(
                s[i] <= last + cfg.cluster_time_s, dist[i], np.inf)
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


def _spanning(win: np.ndarray, w: float, bridge: float) -> np.ndarray:
    """``[i, j, k]``: window i (rows of ``win``, start and end in s) starts with j and ends
    with k (within ``w`` s; j ending and k starting more than ``w`` s from i's ends), and
    j and k overlap in time, or k starts less than ``bridge`` s after j ends: a ship
    jammed by both has its fix back too briefly in between to end its episode
    (``recovery_min_s``)."""
    ds = np.abs(win[:, None, 0] - win[None, :, 0])
    de = np.abs(win[:, None, 1] - win[None, :, 1])
    first, then = (ds <= w) & (de > w), (de <= w) & (ds > w)
    return (first[:, :, None] & then[:, None, :] & (win[None, None, :, 0] < win[None, :, None, 1] + bridge)
            & (win[None, :, None, 0] < win[None, None, :, 1] + bridge))


def _fold_spanning(
    zone: np.ndarray, windows: list[tuple[float, float]], cfg: ZonesConfig
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Zones without a zone whose window runs from one zone's switch-on to another's
    switch-off (each within ``onset_window_s``) while the two overlap in time (or leave
    less than ``recovery_min_s`` between them, too short to end an episode): its ships
    sat in the overlap of their discs, jammed by one and then the other (or by one all
    along and by the other too), and join the one whose switch-on they share
    (:func:`_split_switchings` drops such windows alike)."""
    spans = _spanning(np.array(windows, dtype=float).reshape(-1, 2), cfg.onset_window_s, cfg.recovery_min_s)
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
    within ``switch_on_spread_s`` (one report interval) of each other, or that
    switched on (or off) at one instant (:func:`_one_instant`: ships at a wide
    zone's edges leave it at different times), with
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
    same |= _one_instant(e, zone, win, a, b, cfg)
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


def _one_instant(e: pd.DataFrame, zone: np.ndarray, win: np.ndarray, a: np.ndarray, b: np.ndarray,
                 cfg: ZonesConfig) -> np.ndarray:
    """Pairs of windows (``a``, ``b``; rows of ``win``) that switched on (or off) at one
    instant: a loss by a vessel of each, within ``switch_on_spread_s`` of its window's start,
    each next to a good fix, which one instant explains (between each one's last good fix and
    its first lost report, less ``switch_lag_s``: see :func:`_stabbed`); recoveries at the
    windows' ends alike. Ships far apart rarely lose a fix within the same seconds by chance;
    one jammer switching does it to every ship in reach. Not where both windows own a
    switching at their other ends (``switch_min_vessels`` vessels each, next to good fixes,
    within ``switch_on_spread_s`` of the edge) minutes apart: two jammers switched on apart,
    whose ships in the overlap of their discs regained the fix with the last to switch off."""
    s, f = e["start_s"].to_numpy(), e["end_s"].to_numpy()
    mm = e["mmsi"].to_numpy()
    out = np.zeros(len(a), dtype=bool)
    ends = ((e["on_from"].to_numpy(), s, e["entry_lat"].notna().to_numpy(), s, win[:, 0]),
            (f, e["off_to"].to_numpy(), e["exit_lat"].notna().to_numpy(), f, win[:, 1]))
    near = [[np.flatnonzero((zone == w) & seen & (np.abs(at - edge[w]) <= cfg.switch_on_spread_s))
             for w in range(len(win))] for _, _, seen, at, edge in ends]
    owned = [np.array([len(np.unique(mm[k])) >= cfg.switch_min_vessels for k in by_win]) for by_win in near]
    for side, (lo, hi, _, _, edge) in enumerate(ends):
        other = win[:, 1 - side]
        apart = owned[1 - side][a] & owned[1 - side][b] & (np.abs(other[a] - other[b]) > 2 * cfg.switch_on_spread_s)
        close = (np.abs(edge[a] - edge[b]) <= 2 * cfg.switch_on_spread_s) & ~apart
        for p in np.flatnonzero(close).tolist():  # windows switching within minutes: a few pairs
            i, j = near[side][a[p]][:, None], near[side][b[p]][None, :]
            out[p] |= bool(((mm[i] != mm[j]) & (np.maximum(lo[i], lo[j]) < np.minimum(hi[i], hi[j]))).any())
    return out


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
    crossings' middles). Each needs only the vessels a zone needs (``min_zone_vessels``), not
    a switching's (``switch_min_vessels``): the ships keeping their fix are the evidence, and a
    jammer seen by two ships 60 km from another's is no part of it, unless they lost the fix
    within ``switch_on_spread_s`` of the other group's first loss (one switch-on)."""
    group = np.zeros(len(e), dtype=int)
    if len(e) < 2 * cfg.min_zone_vessels:
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
    n = min(len(np.unique(mm[a])), len(np.unique(mm[b])))
    # A group too small to show a switching of its own stands apart only if it did not lose
    # the fix with the other's first losses: a switch-on takes every receiver in reach at once,
    # and ships keeping their fix beside a few may be receivers at its edge it did not reach.
    s = e["start_s"].to_numpy()
    with_other = abs(s[a].min() - s[b].min()) <= cfg.switch_on_spread_s
    if n < cfg.min_zone_vessels or (n < cfg.switch_min_vessels and with_other) or not _kept_apart(e, a, b, good, cfg):
        group[:] = 0
    return group


def _own_windows(
    e: pd.DataFrame, zone: np.ndarray, windows: list[tuple[float, float]], cfg: ZonesConfig
) -> list[tuple[float, float]]:
    """Windows that start with their own switch-on and end with their own switch-off.

    ``e``: one cluster's episodes (crossings chained within ``cluster_distance_m``:
    jammers near enough to share ships), ``zone``: each one's window. A ship in
    the overlap of two jammers' discs loses its fix with the first to switch on
    and regains it with the last to switch off, and its episode joins one zone.
    A zone owns a switch-on when at least ``switch_min_vessels`` vessels began
    an episode of it within ``switch_on_spread_s`` of its start. Where a zone
    that does not own its start has episodes that began within
    ``switch_on_spread_s`` of another zone's owned switch-on, while its other
    episodes all began more than ``onset_window_s`` later, that switch-on
    explains them and they do not start this zone. Nor do episodes before a
    zone's own switch-on (``switch_min_vessels`` vessels beginning within
    ``switch_on_spread_s``, not so explained) when another zone's window (within
    ``onset_window_s``) holds every one of them: those are its crossings, and the
    zone starts at its switch-on. Ends likewise, backwards. Returns the windows.
    """
    if len(windows) < 2:
        return windows
    win = np.array(windows, dtype=float).reshape(-1, 2)
    burst, w = cfg.switch_on_spread_s, cfg.onset_window_s
    mmsi = e["mmsi"].to_numpy()
    s, f = e["start_s"].to_numpy(), e["end_s"].to_numpy()
    out = win.copy()
    for end, (t, t_other) in ((0, (s, f)), (1, (-f, -s))):  # ends: the same, time running backwards
        sign = 1.0 if end == 0 else -1.0
        first = sign * win[:, end]  # each zone's earliest start (latest end, negated)
        last = sign * win[:, 1 - end]
        owned = np.array([len(np.unique(mmsi[(zone == z) & (np.abs(t - first[z]) <= burst)])) >= cfg.switch_min_vessels
                          for z in range(len(win))])
        for z in np.flatnonzero(~owned).tolist():  # a handful of zones
            mine, mine_other, ships = t[zone == z], t_other[zone == z], mmsi[zone == z]
            explained = np.zeros(len(mine), dtype=bool)
            for y in np.flatnonzero(owned & (np.arange(len(win)) != z)).tolist():
                shared = np.abs(mine - first[y]) <= burst
                rest = mine[~shared]
                if shared.any() and len(rest) and rest.min() > first[y] + w:
                    out[z, end] = sign * max(sign * out[z, end], rest.min())
                    explained |= shared
            # Losses before the zone's own switch-on that other zones' windows hold are theirs.
            own_on = [x for x in np.sort(mine[~explained]) if len(np.unique(
                ships[~explained & (mine >= x) & (mine <= x + burst)])) >= cfg.switch_min_vessels]
            early = (mine < own_on[0]) & ~explained if own_on else np.zeros(len(mine), dtype=bool)
            held = ((mine[early, None] >= first[None, :] - w) & (mine_other[early, None] <= last[None, :] + w)
                    & (np.arange(len(win)) != z)[None, :]).any(axis=1)
            if early.any() and held.all():
                out[z, end] = sign * max(sign * out[z, end], own_on[0])
    out[out[:, 0] > out[:, 1]] = win[out[:, 0] > out[:, 1]]
    return [(float(a), float(b)) for a, b in out]
