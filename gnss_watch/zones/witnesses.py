"""Ships a found zone explains without reported evidence of their own.

Silences between two good fixes, lone losses, fixes held at anchor, and base
stations losing GNSS time: each counts only near a zone found from reported
evidence (:mod:`.episodes`), never on its own. "Near" is judged against the
largest disc the zone's evidence allows (:func:`.shape.share_discs`), not the
zone drawn: any of the discs that fit alike may be the jammer's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..events import epoch_s, fired_checks, fixes_around
from ..config import ZonesConfig
from ..geo import haversine_m, local_xy, point_segment_m
from ..schema import LONG_RANGE_DEVICE
from .episodes import LOST_FIX_CHECKS


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

    Two zones whose windows overlap, or leave less than ``recovery_min_s`` between them
    (too short a time to regain a fix), are one window for fixes near both: a ship in
    reach of both is jammed from the first switch-on to the last switch-off
    (:func:`.cluster._spanning` reads ships' episodes alike). Over that longer window
    unrelated silences fit more often, so the fixes must also show one of its switchings:
    the first fix from ``boundary_max_gap_s`` before the first switch-on to
    ``onset_window_s`` after it, or the second from ``onset_window_s`` before the last
    switch-off to ``boundary_max_gap_s`` plus ``reacquire_max_s`` after it.
    """
    if not len(zones):
        return np.full(len(t_i), -1)
    start, end = zones["start_s"].to_numpy(dtype=float), zones["end_s"].to_numpy(dtype=float)
    near = np.zeros((len(zones), len(t_i)), dtype=bool)
    far = np.full((len(zones), len(t_i)), np.inf)
    for k, z in enumerate(zones.itertuples(index=False)):  # a handful of zones
        r = z.radius_km * 1000.0
        px, py = local_xy(p[0], p[1], z.centre_lat, z.centre_lon)
        qx, qy = local_xy(q[0], q[1], z.centre_lat, z.centre_lon)
        far[k] = np.maximum(np.hypot(px, py), np.hypot(qx, qy))
        near[k] = far[k] <= cfg.silence_reach_factor * r
        if cross:
            near[k] &= point_segment_m(0.0, 0.0, px, py, qx, qy) <= r

    def active(on: np.ndarray | float, off: np.ndarray | float) -> np.ndarray:
        return ((t_i <= off) & (t_j >= on) & (t_i >= on - cfg.boundary_max_gap_s)
                & (t_j <= off + cfg.boundary_max_gap_s + cfg.reacquire_max_s))

    ok = near & active(start[:, None], end[:, None])
    gap = cfg.recovery_min_s
    chained = (start[:, None] < end[None, :] + gap) & (start[None, :] < end[:, None] + gap)
    for a, b in np.argwhere(np.triu(chained, 1)).tolist():  # pairs among a handful of zones
        on, off = min(start[a], start[b]), max(end[a], end[b])
        began, ended = _switched(t_i, t_j, on, off, cfg)
        both = near[a] & near[b] & active(on, off) & (began | ended)
        ok[a] |= both
        ok[b] |= both
    far = np.where(ok, far, np.inf)
    return np.where(ok.any(axis=0), np.argmin(far, axis=0), -1)


def _switched(
    t_i: np.ndarray, t_j: np.ndarray, on: np.ndarray | float, off: np.ndarray | float, cfg: ZonesConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Whether fixes at ``t_i`` and ``t_j`` (epoch s) around a silence lie at a jammer's switch-on
    at ``on`` (from ``boundary_max_gap_s`` before it to ``onset_window_s`` after) and at its
    switch-off at ``off`` (from ``onset_window_s`` before it to ``boundary_max_gap_s`` plus
    ``reacquire_max_s`` after): (began, ended)."""
    began = (t_i >= on - cfg.boundary_max_gap_s) & (t_i <= on + cfg.onset_window_s)
    ended = (t_j >= off - cfg.onset_window_s) & (t_j <= off + cfg.boundary_max_gap_s + cfg.reacquire_max_s)
    return began, ended


def _uncounted(mmsi: np.ndarray, start_s: np.ndarray, end_s: np.ndarray, counted: pd.DataFrame) -> np.ndarray:
    """Which of these intervals overlap no episode of the same vessel in ``counted`` (mmsi, start_s, end_s)."""
    overlap = counted[["mmsi", "start_s", "end_s"]].merge(
        pd.DataFrame({"mmsi": mmsi, "gs": start_s, "ge": end_s, "g": np.arange(len(mmsi))}), on="mmsi")
    dup = overlap.loc[(overlap["start_s"] <= overlap["ge"]) & (overlap["end_s"] >= overlap["gs"]), "g"].to_numpy()
    return ~np.isin(np.arange(len(mmsi)), dup)


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
    - A silence begun while the zone was on counts, wherever it began, when the
      vessel is heard again within ``switch_on_spread_s`` (one report interval)
      of the switch-off, inside the zone's disc give or take ``boundary_sigma_m``:
      its transponder spoke again as the fix came back.
    - A silence the receiving stations' dead air explains (:func:`_dead_air`),
      or no longer than the vessel's own silences while no zone was on
      (:func:`_habitual_gap`), is lost reception, not a lost fix.

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
        began, ended = _switched(t[i[k]], t[j[k]], on, off, cfg)
        return began & ended

    switched = with_switching(np.arange(len(i)), on, off)
    # A transponder that sends nothing without a fix speaks again when the fix returns: a
    # silence begun while the zone was on, whose vessel is heard again inside it within one
    # report interval of its switch-off, saw the jammer switch off, wherever it began.
    c_lat, c_lon, r_km = (np.append(zones[c].to_numpy(dtype=float), np.nan)[held]
                          for c in ("centre_lat", "centre_lon", "radius_km"))
    back_in = haversine_m(lat[j], lon[j], c_lat, c_lon) <= r_km * 1000.0 + cfg.boundary_sigma_m
    switched |= (t[i] < off) & (np.abs(t[j] - off) <= cfg.switch_on_spread_s) & back_in
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
    # No longer than the vessel goes unheard while nothing jams: its reception, not its fix.
    keep &= t[quiet + 1] - t[quiet] > _habitual_gap(t, mmsi, zones, cfg).reindex(mmsi[quiet]).fillna(0.0).to_numpy()
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


def _habitual_gap(t: np.ndarray, mmsi: np.ndarray, zones: pd.DataFrame, cfg: ZonesConfig) -> pd.Series:
    """Per MMSI, its longest silence (seconds between two reports heard, epoch ``t`` in MMSI and
    time order) while no zone was on, up to ``episode_max_silence_s``: a ship heard only now and
    then (Class B at the edge of its stations' range, 2 W against Class A's 12.5 W) is as
    silent inside a zone without losing its fix. Longer gaps are left out: a ship out of range
    altogether says nothing of its reception in range."""
    same = np.flatnonzero(mmsi[1:] == mmsi[:-1])
    a, b = t[same], t[same + 1]
    order = np.argsort(zones["start_s"].to_numpy(dtype=float))
    on = np.r_[-np.inf, zones["start_s"].to_numpy(dtype=float)[order]]
    off = np.maximum.accumulate(np.r_[-np.inf, zones["end_s"].to_numpy(dtype=float)[order]])
    jammed = off[np.searchsorted(on, b) - 1] > a  # a zone on before the gap ended was still on at its start
    free = ~jammed & (b - a <= cfg.episode_max_silence_s)
    return pd.Series(b[free] - a[free]).groupby(mmsi[same][free]).max()


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
