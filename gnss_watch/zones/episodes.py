"""A vessel's episodes of lost fixes: the evidence zones are built from.

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
    reported evidence (see :func:`.witnesses._silences`), never on its own; so does a
    ship at anchor that keeps repeating its last fix (:func:`.witnesses._held_fixes`). Reports of
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
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..events import STRONG_CHECKS, fired_checks, fixes_around, join_names
from ..config import ZonesConfig


#: Jamming-family checks, in the order their names are listed in ``reasons``.
JAMMING_CHECKS = ("pos_unavailable", "dead_reckoning", "degraded_fix", "frozen_position", "erratic_fix")
#: The ones that say the fix is gone (not available, dead-reckoned, frozen) or
#: unusable (scattering off the track): an episode needs one. degraded_fix alone
#: (accuracy or RAIM flags toggling) is everyday life for receivers whose DGNSS
#: corrections come and go.
LOST_FIX_CHECKS = ("pos_unavailable", "dead_reckoning", "frozen_position", "erratic_fix")


def _good_fixes(df: pd.DataFrame) -> np.ndarray:
    """Valid positions not judged jammed or spoofed."""
    return df["pos_valid"].to_numpy(dtype=bool) & ~df["kind"].astype(str).isin(["jamming", "spoofing"]).to_numpy()


def _episodes(
    df: pd.DataFrame, t: np.ndarray, good: np.ndarray, cfg: ZonesConfig
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Per-vessel jamming episodes of ``df`` (sorted by mmsi, time; ``good``: its rows'
    :func:`_good_fixes`, as for the other helpers of :func:`.build.build_jamming` that take it).

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
