"""Spoofing events: a vessel's flagged reports merged into episodes.

:func:`build_spoofing_events` takes the per-report combined table (tracks
columns + check columns + ``score``, ``kind``, ``reasons``; see
:mod:`gnss_watch.detect`) and returns one row per spoofing episode plus each
report's event id.

Rules, in order:

1. **Stale and scattered fixes are not spoofs.** On a report whose position
   is no live fix (:data:`UNRELIABLE_FIX_CHECKS`: frozen, dead-reckoned or
   erratic) spoofing checks are artefacts, and so is a run of jumps starting
   right after one on the track of the last live fix (the fix coming back,
   judged from the stale anchor): they are not evidence. A jump far off that
   track, or after a 'not available' outage, stays evidence: spoofers often
   jam first.
2. **Jump stretches.** A spoofer that moves a ship's reported position far
   away and later lets it go back leaves two impossible jumps; everything in
   between is spoofed even where it looks smooth inside (a fake track). The
   first report of each run flagged ``impossible_jump`` is a jump away; its
   return is the first later report that both lies within reach of the
   pre-jump track extrapolated in time (anchor SOG/COG) and is itself a jump
   from the report before it (or starts a flagged run: a check that anchored
   on the fake track judges the real one from there, and those flags are
   cleared). The stretch from the jump away up to (not including) the
   return is filled. With no return seen, the stretch ends where the fix is
   lost (reports without a position: spoofing handing over to jamming).
   Else, when it is the vessel's only jump, made straight from a live fix
   nothing flagged (not the fix coming back after an outage, nor the snap
   back from a circle, nor out of a held fix -- ``held_min_reports`` identical
   fixes after a live fix moved into them -- within reach of the hold's start:
   the fix coming back after the ship moved on), and the vessel was heard
   with at least as many fixes before it as after, none of them flagged
   (the track heard first and longest is taken as the real one when nothing
   says otherwise: a spoof still on when the recording ends), it runs to the
   last fix of the vessel's heard stretch. With fewer fixes before it in the heard
   stretch than after, made between reports heard in turn (``merge_gap_s``),
   and nothing else flagged on either side (a stretch showing a lost fix
   before it is the fix coming back), it is the return of a spoof already on
   when the recording (or the heard stretch) began: the stretch from its
   first fix up to the jump is filled, and the jump's evidence and score move
   to the last spoofed fix. Otherwise nothing is filled, as which side of the
   jump is real is unknown.
   A flagged run that continues the track before it and ends in an
   impossible step is the real track flagged from the wrong side (a check
   that anchored on a long displaced stretch after it): the step out of the
   run is the jump away. A flagged run at the start (end) of a vessel's
   recording that flows into the rest of its track by a plausible step is
   no displacement either. The fix right after a ``track_divergence`` run
   (a stretch pulled off the track gradually) is the return: the snap back.
3. **Merging.** Reports of kind 'spoofing' and filled reports of one MMSI are
   one episode while consecutive ones are at most ``merge_gap_s`` apart, or
   ``max_silence_s`` when the vessel was not heard with a clean fix in
   between; reports between them (unflagged, or jamming) belong to it too.
   A longer silence ends the episode unless the flagged fix after it lies
   within reach of the flagged fix before it, extrapolated at its SOG/COG,
   with no clean fix heard between: the displaced track carried on while
   the ship was out of coverage (the jump check judges both from the real
   track, so a ship back on it is not flagged).
   The return report is not part of it unless a check other than the jump
   artefacts (impossible_jump, speed/course mismatch) fired there.
4. **Evidence.** An episode is an event when its highest ``score`` reaches
   ``min_score`` and it has a strong check (:data:`STRONG_CHECKS`; an episode
   resting on one kind of strong check needs ``min_reports_one_check`` reports)
   or at least ``weak_min_checks`` different weak checks on at least
   ``weak_min_reports`` reports, in an episode holding or bordering (the
   vessel's report just before or after it, within ``merge_gap_s``) no report
   that is no live fix (:data:`UNRELIABLE_FIX_CHECKS`): SOG and COG judged
   against a held or scattered track disagree with it. A lone speed or
   course mismatch is not one, nor are ships merely reported close together
   (convergence alone). A single report with a strong check is enough when
   convergence also fired on it: a glitch does not carry three ships to one
   point at once; or when it is an impossible jump, the vessel was heard
   neither ``lone_silence_s`` before it nor after it (a rarely heard ship's
   spoof leaves one report; a glitch sits among regular reports), and it is on
   no track: neither the vessel's next fix within ``max_silence_s`` carries on
   from it at its SOG/COG (``return_tolerance_m`` etc.) nor its previous one
   led to it (then it is a jump between two tracks, which side is real unknown).
5. **Groups.** Events of different vessels whose claimed positions are
   within ``group_distance_m`` and whose times overlap share a ``group_id``
   (multi-vessel displacement to one point, e.g. an airport).

Events are numbered S0001... by (start, mmsi).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .config import EventsConfig
from .geo import KNOT_MS, destination, haversine_m
from .schema import unix_seconds as epoch_s
from .schema import utc_from_unix

#: Checks that on their own show a position is not where the ship is: physics
#: (a jump no ship can make, a position on land, a position the receiving
#: station cannot hear, a stretch off the ship's own track before and after it)
#: or a pattern no navigator sails (a perfect circle).
STRONG_CHECKS = ("impossible_jump", "on_land", "circle", "receiver_range", "track_divergence")
#: Checks that also fire on ordinary ships, so they count only in combination:
#: sensor faults (a wrong SOG source, COG noise at low speed) and ships truly
#: close together (moored alongside, towing, lightering) for convergence.
WEAK_CHECKS = ("speed_mismatch", "course_mismatch", "convergence")
#: Checks a genuine report can show right after a spoofed stretch, because its
#: predecessor was the fake position: they do not make the return spoofed.
JUMP_ARTEFACTS = ("impossible_jump", "speed_mismatch", "course_mismatch")
#: Checks that say the report's position is no live fix of where the ship is
#: (jamming: the last fix repeated or dead-reckoned from it, or fixes scattering
#: off the track): spoofing checks firing on it, or jumps right after it (the
#: live fix coming back), are that position's artefacts, not a spoof.
UNRELIABLE_FIX_CHECKS = ("dead_reckoning", "frozen_position", "erratic_fix")

#: events.csv's schema: spoofing and jamming events alike (jamming events leave the
#: true_*/claimed_* positions and group_id missing).
EVENT_DTYPES: dict[str, str] = {
    "event_id": "object", "kind": "object", "mmsi": "int64", "start": "datetime64[ns, UTC]",
    "end": "datetime64[ns, UTC]", "n_reports": "int64", "lat": "float64", "lon": "float64", "score": "float64",
    "reasons": "object", "zone_id": "object", "true_lat": "float64", "true_lon": "float64", "claimed_lat": "float64",
    "claimed_lon": "float64", "group_id": "object",
}
EVENT_COLUMNS = list(EVENT_DTYPES)


def to_time(seconds: np.ndarray) -> pd.Series:
    """Epoch seconds back to a tz-aware UTC time Series (RangeIndex), to the microsecond."""
    return pd.Series(utc_from_unix(seconds))


def sorted_order(reports: pd.DataFrame) -> np.ndarray:
    """Positions of ``reports`` in (mmsi, time) order (the identity for tracks output)."""
    return np.lexsort((epoch_s(reports["time"]), reports["mmsi"].to_numpy()))


def sorted_columns(reports: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """:func:`sorted_order` and ``reports``' ``columns`` (those present) in that order, on a RangeIndex.

    A builder copies only the columns it reads, not the whole combined table
    (60 columns, ~320 bytes a report); already sorted (tracks output), nothing is copied.
    """
    order = sorted_order(reports)
    sub = reports[[c for c in columns if c in reports.columns]]
    if not (order[1:] > order[:-1]).all():
        sub = sub.iloc[order]
    return order, sub.reset_index(drop=True)


def overlapping_pairs(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) of intervals [start, end] that overlap, without forming all n^2 pairs."""
    by_start = np.argsort(start, kind="stable")
    s, e = start[by_start], end[by_start]
    # Intervals sorted by start: i overlaps the later j while s[j] <= e[i].
    reach = np.searchsorted(s, e, side="right")
    count = np.maximum(reach - np.arange(len(s)) - 1, 0)
    i = np.repeat(np.arange(len(s)), count)
    j = i + 1 + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    a, b = by_start[i], by_start[j]
    return np.minimum(a, b), np.maximum(a, b)


def fired_checks(reasons: pd.Series) -> pd.DataFrame:
    """One bool column per check name present in ``reasons`` (';'-joined names)."""
    fired = reasons.fillna("").astype(str).str.get_dummies(sep=";").astype(bool)
    return fired.drop(columns=[""], errors="ignore")  # pandas 3 makes a column of empty strings


def join_names(fired: pd.DataFrame, order: tuple[str, ...]) -> np.ndarray:
    """';'-joined names of the True columns of each row, ``order`` first then alphabetical."""
    cols = [c for c in order if c in fired.columns] + sorted(c for c in fired.columns if c not in order)
    names = np.array(cols, dtype=object)
    vals = fired[cols].to_numpy(dtype=bool)
    return np.array([";".join(names[r]) for r in vals], dtype=object)  # one join per event


@dataclass
class _Fixes:
    """The valid positions of a (mmsi, time)-sorted table, with each fix's motion."""

    rows: np.ndarray  # table rows of the valid fixes
    mmsi: np.ndarray
    t: np.ndarray  # epoch seconds
    lat: np.ndarray
    lon: np.ndarray
    sog: np.ndarray  # knots, 0 where unknown, capped at the fastest vessel
    cog: np.ndarray  # degrees, 0 where unknown (SOG 0 then matters little)
    heard: np.ndarray  # number of the stretch of the vessel's reports (any) without a long silence
    motion: np.ndarray  # (SOG, COG) as sent, NaN where not

    @classmethod
    def of(cls, df: pd.DataFrame, t: np.ndarray, cfg: EventsConfig) -> "_Fixes":
        rows = np.flatnonzero(df["pos_valid"].to_numpy(dtype=bool))
        sog = df["sog"].to_numpy(dtype=float)[rows]
        cog = df["cog"].to_numpy(dtype=float)[rows]
        motion = np.c_[sog, cog]
        # Where SOG/COG are not sent, the track's own speed and bearing stand in.
        sog = np.where(np.isfinite(sog), sog, df["implied_sog_kn"].to_numpy(dtype=float)[rows])
        cog = np.where(np.isfinite(cog), cog, df["bearing_deg"].to_numpy(dtype=float)[rows])
        mmsi = df["mmsi"].to_numpy()
        heard = np.cumsum(np.r_[True, (mmsi[1:] != mmsi[:-1]) | (np.diff(t) > cfg.max_silence_s)])
        return cls(rows, mmsi[rows], t[rows], df["lat"].to_numpy(dtype=float)[rows],
                   df["lon"].to_numpy(dtype=float)[rows], np.clip(np.nan_to_num(sog), 0.0, cfg.jump_speed_kn),
                   np.nan_to_num(cog), heard[rows], motion)

    def near_track(self, a: np.ndarray, k: np.ndarray, cfg: EventsConfig) -> np.ndarray:
        """Fix ``k`` lies within reach of fix ``a``'s track extrapolated at its SOG/COG (indices into fixes)."""
        dt = np.abs(self.t[k] - self.t[a])
        elat, elon = destination(self.lat[a], self.lon[a], self.cog[a], self.sog[a] * KNOT_MS * dt)
        tol = cfg.return_tolerance_m + (cfg.return_speed_margin_kn + self.sog[a]) * KNOT_MS * dt
        return haversine_m(self.lat[k], self.lon[k], elat, elon) <= tol

    def held_then_left(self, begun: int, j: int, cfg: EventsConfig, at_rest: bool = False) -> bool:
        """The fixes before fix ``j`` (from ``begun``, indices into fixes) end in a held fix:
        at least ``held_min_reports`` identical ones, SOG and COG sent and identical too,
        after a live fix that moved into it within reach, and fix ``j`` lies within reach of
        the hold's start at the fastest plausible speed. The receiver stopped updating its
        fix while the ship moved on (a ship at anchor weighing anchor: its SOG, held too,
        says nothing), so a jump at ``j`` is the fix coming back, not a spoof's jump. A live
        fix at rest repeating its position (a receiver's static filter) still sends the
        noise of its COG. ``at_rest``: the live fix before the hold made no more than
        ``held_at_rest_kn`` too."""
        fix = np.c_[self.lat[begun:j], self.lon[begun:j], self.motion[begun:j]]
        same = (fix[1:] == fix[:-1]).all(axis=1)  # NaN (not sent) never equals
        moved = np.flatnonzero(~same)
        h = begun + (int(moved[-1]) + 1 if len(moved) else 0)  # the hold's first fix
        if h == begun or j - h < cfg.held_min_reports:
            return False  # no live fix before the hold: the whole stretch may be a spoofer's point
        into = haversine_m(self.lat[h - 1], self.lon[h - 1], self.lat[h], self.lon[h])
        out = haversine_m(self.lat[h], self.lon[h], self.lat[j], self.lon[j])
        reach = lambda dt: cfg.jump_speed_kn * KNOT_MS * dt + cfg.jump_tolerance_m  # noqa: E731
        rest = not at_rest or self.motion[h - 1, 0] <= cfg.held_at_rest_kn  # NaN (not sent): not at rest
        return bool(rest and into <= reach(self.t[h] - self.t[h - 1]) and out <= reach(self.t[j] - self.t[h]))

    def step_impossible(self, cfg: EventsConfig) -> np.ndarray:
        """Each fix is out of reach of the previous fix of its MMSI (False on an MMSI's first fix)."""
        same = np.r_[False, self.mmsi[1:] == self.mmsi[:-1]]
        step = np.r_[0.0, haversine_m(self.lat[:-1], self.lon[:-1], self.lat[1:], self.lon[1:])]
        dt = np.r_[0.0, np.diff(self.t)]
        return same & (step > cfg.jump_speed_kn * KNOT_MS * dt + cfg.jump_tolerance_m)


def _jump_seeds(
    df: pd.DataFrame, fx: _Fixes, stale: np.ndarray, cfg: EventsConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``impossible_jump`` per fix, kept only where it can start a spoofed stretch.

    Dropped: jumps on no live fix (``stale``: frozen, dead-reckoned or erratic); runs of jumps
    right after one that lie on the track of the last live fix (the fix
    coming back, judged from the stale anchor); runs at the start (end) of a
    vessel's recording left (entered) by a plausible step (the check's anchor
    gone astray at the edge). Moved: a flagged run that continues its
    predecessor's track and ends in a step no ship can make is the real track
    flagged from the wrong side (the check anchored on the later, displaced
    stretch): the jump is the step out of it -- unless that step lands back
    on the predecessor's track, which makes the run a spoof offset by less
    than a step no ship can make. Returns the seeds and, for moved runs, their
    first and last fix and the fix the jump moved to (indices into ``fx``).
    """
    jump = df["impossible_jump"].fillna(False).to_numpy(dtype=bool)[fx.rows]
    jump &= ~stale[fx.rows]
    same_prev = np.r_[False, fx.mmsi[1:] == fx.mmsi[:-1]]
    first = np.flatnonzero(jump & ~(np.r_[False, jump[:-1]] & same_prev))
    last = np.flatnonzero(jump & ~(np.r_[jump[1:], False] & np.r_[same_prev[1:], False]))
    # The report (valid or not) before the run, of the same MMSI, was a stale fix,
    # and the run lies on the track of the last live fix before the stale ones:
    # the fix coming back. Far from that track it is a spoof that followed jamming.
    before = np.maximum(fx.rows[first] - 1, 0)
    after_stale = (fx.rows[first] > 0) & stale[before] & (df["mmsi"].to_numpy()[before] == fx.mmsi[first])
    live = np.r_[-1, np.maximum.accumulate(np.where(stale[fx.rows], -1, np.arange(len(jump))))[:-1]][first]
    a = np.flatnonzero(after_stale)
    has_live = (live[a] >= 0) & (fx.mmsi[np.maximum(live[a], 0)] == fx.mmsi[first[a]])
    after_stale[a] = ~has_live | fx.near_track(np.maximum(live[a], 0), first[a], cfg)
    pred, succ = first - 1, last + 1
    has_pred = (pred >= 0) & (fx.mmsi[np.maximum(pred, 0)] == fx.mmsi[first])
    has_succ = (succ < len(jump)) & (fx.mmsi[np.minimum(succ, len(jump) - 1)] == fx.mmsi[last])
    wrong = has_pred & has_succ & ~after_stale
    # The run continues its predecessor's track: a short plausible step on its course.
    step_impossible = fx.step_impossible(cfg)
    w = np.flatnonzero(wrong)
    wrong[w] = (fx.t[first[w]] - fx.t[pred[w]] <= cfg.merge_gap_s) & ~step_impossible[first[w]] & fx.near_track(
        pred[w], first[w], cfg) & step_impossible[succ[w]] & ~fx.near_track(pred[w], succ[w], cfg)
    # At the start (end) of a recording a displaced stretch is left (entered) by a
    # step no ship can make; a run flowing smoothly into the rest of the track
    # there is the check's anchor gone astray at the recording's edge.
    smooth = (has_pred != has_succ) & ~(has_pred & step_impossible[first]) & ~(
        has_succ & step_impossible[np.minimum(succ, len(jump) - 1)])
    off = after_stale | wrong | smooth
    marks = np.zeros(len(jump) + 1, dtype=np.int64)
    np.add.at(marks, first[off], 1)
    np.add.at(marks, last[off] + 1, -1)
    jump[np.cumsum(marks[:-1]) > 0] = False
    jump[succ[wrong]] = True
    return jump, np.c_[first[wrong], last[wrong]], succ[wrong]


def _jump_stretches(
    fx: _Fixes, jump: np.ndarray, live: np.ndarray, stale: np.ndarray, n: int, cfg: EventsConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Table rows inside a jump-away..jump-back stretch, the rows that are the returns, and
    the returns (indices into ``fx``) of stretches already on when the vessel's heard
    stretch began, whose evidence moved to the fix before them.

    ``jump`` (per fix, the check's flags after :func:`_jump_seeds`) is updated
    in place: a flagged run that starts at a return is the check anchoring on
    the displaced stretch and judging the real track from there, so its flags
    are cleared. Each flagged run's first fix is a jump away; only MMSIs with
    one are visited (a few). ``live`` (per fix): neither flagged nor stale; ``stale``: a fix
    that is no live one (:data:`UNRELIABLE_FIX_CHECKS`).
    """
    fill = np.zeros(n, dtype=bool)
    ret = np.zeros(n, dtype=bool)
    handed: list[int] = []
    same_prev = np.r_[False, fx.mmsi[1:] == fx.mmsi[:-1]]
    run_start = jump & ~(np.r_[False, jump[:-1]] & same_prev)
    stepped = fx.step_impossible(cfg)
    is_step = run_start | stepped
    lo_hi = np.searchsorted(fx.mmsi, np.unique(fx.mmsi[jump]), side="left")
    for lo, hi in zip(lo_hi.tolist(), np.searchsorted(fx.mmsi, fx.mmsi[lo_hi], side="right").tolist()):
        # Per MMSI with a jump: sequential by nature (each return ends a stretch).
        done = -1
        only_jump = int(run_start[lo:hi].sum()) == 1
        for j in (lo + np.flatnonzero(run_start[lo:hi])).tolist():
            if j <= done or j == lo or fx.t[j] - fx.t[j - 1] > cfg.max_silence_s:
                continue  # inside a stretch, or no recent fix to extrapolate from
            # Look for the return while the vessel is heard (with or without a fix).
            ks = np.arange(j + 1, lo + np.searchsorted(fx.heard[lo:hi], fx.heard[j], side="right"))
            hit = np.flatnonzero(fx.near_track(np.full(len(ks), j - 1), ks, cfg) & is_step[ks])
            if not len(hit):
                # No return seen, but the fix was lost (reports without a position)
                # before the next fix: a spoof that handed over to jamming ends there.
                lost = np.flatnonzero(np.diff(fx.rows[j: ks[-1] + 1] if len(ks) else fx.rows[j:j + 1]) > 1)
                if len(lost):
                    fill[fx.rows[j]: fx.rows[j + lost[0]] + 1] = True
                    done = j + lost[0]
                elif len(ks) and only_jump and fx.rows[j] - fx.rows[j - 1] == 1:
                    # The vessel's only jump, straight off a live fix nothing flagged. Out
                    # of a held fix, within reach of its start, it is the fix coming back.
                    # Else the side heard longest, with nothing flagged, is the real one. With at
                    # least as many fixes before it as after, the spoof was still on when
                    # the recording (or the heard stretch) ended. With fewer before it in
                    # the heard stretch than after, made between reports heard in turn, and
                    # nothing else flagged on either side, it was already on when that
                    # began: the jump is its return, and the evidence moves to the last
                    # spoofed fix.
                    begun = lo + int(np.searchsorted(fx.heard[lo:hi], fx.heard[j], side="left"))
                    if fx.held_then_left(begun, j, cfg):
                        continue
                    # A spoof begun as the receiver's hold or reckoning ended (jammed first, then
                    # spoofed: the usual order) is heard from there, as from the recording's start,
                    # when the jump is wider than a track's slack (a reckoning's drift is not).
                    held = np.flatnonzero(stale[begun:j])
                    wide = haversine_m(fx.lat[j - 1], fx.lon[j - 1], fx.lat[j], fx.lon[j]) > cfg.return_tolerance_m
                    if len(held) and wide and live[begun + held[-1] + 1: j].all():
                        begun = begun + int(held[-1]) + 1
                    if j - lo >= ks[-1] - j + 1 and live[lo:j].all():
                        fill[fx.rows[j]: fx.rows[ks[-1]] + 1] = True
                        done = int(ks[-1])
                    elif (j - begun < hi - j and fx.t[j] - fx.t[j - 1] <= cfg.merge_gap_s and live[begun:j].all()
                          and live[j + 1: hi].all()):
                        fill[fx.rows[begun]: fx.rows[j]] = True
                        ret[fx.rows[j]] = True
                        jump[j], jump[j - 1] = False, True
                        handed.append(j)
                        done = j
                continue
            k = int(ks[hit[0]])
            if not stepped[j] and fx.held_then_left(j - 1, k, cfg, at_rest=True):
                # Entered by no step a ship cannot make and ending in a fix held since the ship
                # lay still, left within reach: the fix coming back, not a spoof's return (a
                # receiver frozen alongside while the ship sailed on, the check anchored on the
                # track after it).
                jump[j:k] = False
                done = k
                continue
            fill[fx.rows[j]: fx.rows[k]] = True
            ret[fx.rows[k]] = True
            flagged_after = np.flatnonzero(~jump[k:hi])
            jump[k: k + (flagged_after[0] if len(flagged_after) else hi - k)] = False
            done = k
    return fill, ret, np.array(handed, dtype=np.int64)


def fixes_around(
    good: np.ndarray, mmsi: np.ndarray, first: np.ndarray, last: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of each vessel's last fix before row ``first`` and its first fix after row ``last``
    (-1 where it has none) in an (mmsi, time)-sorted table; ``good``: the rows of the fixes that
    count, sorted; ``mmsi``: every row's."""
    if not len(good):
        return np.full(len(first), -1), np.full(len(last), -1)
    i = np.searchsorted(good, first, side="left") - 1
    j = np.searchsorted(good, last, side="right")
    i = np.where(i >= 0, good[np.maximum(i, 0)], -1)
    j = np.where(j < len(good), good[np.minimum(j, len(good) - 1)], -1)
    i = np.where((i >= 0) & (mmsi[np.maximum(i, 0)] == mmsi[first]), i, -1)
    j = np.where((j >= 0) & (mmsi[np.maximum(j, 0)] == mmsi[last]), j, -1)
    return i, j


def build_spoofing_events(
    reports: pd.DataFrame, config: EventsConfig | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """Spoofing events from the per-report combined table.

    Needs ``time, mmsi, lat, lon, sog, cog, pos_valid, implied_sog_kn,
    bearing_deg, score, kind, reasons`` and the check columns
    ``impossible_jump, track_divergence`` and :data:`UNRELIABLE_FIX_CHECKS`.
    Returns the events (:data:`EVENT_COLUMNS`: ``start``/``end`` tz-aware UTC
    of the first and last report, ``lat``/``lon`` = ``claimed_lat``/
    ``claimed_lon`` = median position of the episode's flagged reports
    (degrees), ``true_lat``/``true_lon`` = the vessel's last valid position
    before the event (its first after, for a spoof on from the vessel's first
    report), ``score`` = highest report score, ``reasons`` = the
    spoofing checks that count as its evidence, ``zone_id`` = '',
    ``group_id`` = 'G001'... or '') and a Series on ``reports``' index with
    each report's event id ('' outside events).
    """
    cfg = config or EventsConfig()
    order, df = sorted_columns(reports, ["time", "mmsi", "lat", "lon", "sog", "cog", "pos_valid", "implied_sog_kn",
                                         "bearing_deg", "score", "kind", "reasons", "impossible_jump",
                                         "track_divergence", *UNRELIABLE_FIX_CHECKS])
    t = epoch_s(df["time"])
    mmsi = df["mmsi"].to_numpy()
    n = len(df)
    fx = _Fixes.of(df, t, cfg)
    unreliable = df[list(UNRELIABLE_FIX_CHECKS)].fillna(False).to_numpy(dtype=bool).any(axis=1)
    seeds, moved_runs, moved_to = _jump_seeds(df, fx, unreliable, cfg)
    # The fix right after a stretch that drifted off the track (track_divergence) is the
    # ship back on it: a jump there is the snap back, no jump away.
    div = df["track_divergence"].fillna(False).to_numpy(dtype=bool)[fx.rows]
    snap = np.r_[False, div[:-1] & (fx.mmsi[1:] == fx.mmsi[:-1])] & ~div
    seeds &= ~snap
    quiet = ~df["kind"].astype(str).isin(["spoofing", "jamming"]).to_numpy() & ~unreliable
    fill, ret, handed = _jump_stretches(fx, seeds, quiet[fx.rows], unreliable[fx.rows], n, cfg)
    ret[fx.rows[snap]] = True
    jump = np.zeros(n, dtype=bool)
    jump[fx.rows] = seeds
    # A moved jump takes the combined score of the run it was moved from.
    score_of = df["score"].fillna(0.0).to_numpy(dtype=float, copy=True)
    if len(moved_to):
        label = np.zeros(n + 1, dtype=np.int64)
        np.add.at(label, fx.rows[moved_runs[:, 0]], np.arange(1, len(moved_to) + 1))
        np.add.at(label, fx.rows[moved_runs[:, 1]] + 1, -np.arange(1, len(moved_to) + 1))
        run_max = pd.Series(score_of).groupby(np.cumsum(label[:n])).max().to_numpy()[1:]
        score_of[fx.rows[moved_to]] = np.maximum(score_of[fx.rows[moved_to]], run_max)
    # ... and the last fix of a stretch that was on from the start, that of its return.
    score_of[fx.rows[handed - 1]] = np.maximum(score_of[fx.rows[handed - 1]], score_of[fx.rows[handed]])

    # The spoofing checks each flagged report counts as evidence (see the module docstring).
    cand = np.flatnonzero((df["kind"].astype(str).to_numpy() == "spoofing") | jump)
    names = list(STRONG_CHECKS + WEAK_CHECKS)
    ev = fired_checks(df["reasons"].iloc[cand]).reindex(columns=names, fill_value=False).to_numpy(dtype=bool, copy=True)
    ev[:, names.index("impossible_jump")] = jump[cand]
    ev[np.ix_(ret[cand], [names.index(c) for c in JUMP_ARTEFACTS])] = False
    ev[unreliable[cand]] = False
    flagged = np.zeros(n, dtype=bool)
    flagged[cand] = ev.any(axis=1)
    evidence = np.zeros((n, len(names)), dtype=bool)
    evidence[cand] = ev
    mask = flagged | fill
    valid = df["pos_valid"].to_numpy(dtype=bool)

    idx = np.flatnonzero(mask)
    # Unflagged fixes between two flagged reports: a silence alone does not end a spoof.
    clean_fixes = np.cumsum(df["pos_valid"].to_numpy(dtype=bool) & ~mask)[idx]
    gap = t[idx[1:]] - t[idx[:-1]]
    heard_clean = np.diff(clean_fixes) > 0
    new = np.ones(len(idx), dtype=bool)
    new[1:] = (mmsi[idx[1:]] != mmsi[idx[:-1]]) | (gap > cfg.max_silence_s) | ((gap > cfg.merge_gap_s) & heard_clean)
    # Across a long silence the displaced track may carry on (see the module docstring).
    both = flagged[idx] & valid[idx]  # flagged fixes: the ends a displaced track is judged by
    k = 1 + np.flatnonzero(new[1:] & (mmsi[idx[1:]] == mmsi[idx[:-1]]) & ~heard_clean & both[1:] & both[:-1])
    fix_of = np.searchsorted(fx.rows, idx)  # exact for valid rows: fx.rows are the valid ones
    new[k[fx.near_track(fix_of[k - 1], fix_of[k], cfg)]] = False
    ep = np.cumsum(new) - 1
    first, last = idx[new], idx[np.roll(new, -1)]  # a run ends where the next starts (new[0] is True)
    n_range = last - first + 1

    by_ep = pd.DataFrame(evidence[idx], columns=names).groupby(ep).any().reindex(range(len(first)), fill_value=False)
    strong = by_ep[list(STRONG_CHECKS)].to_numpy()
    n_weak = by_ep[list(WEAK_CHECKS)].sum(axis=1).to_numpy()
    weak_rows = evidence[idx][:, len(STRONG_CHECKS):].any(axis=1).astype(float)
    weak_reports = np.bincount(ep, weights=weak_rows, minlength=len(first))
    score = pd.Series(score_of[idx]).groupby(ep).max().to_numpy()
    n_strong = strong.sum(axis=1)
    # Fixes that are no live fix (held, dead-reckoned, scattered) inside the episode or
    # right next to it (within merge_gap_s): SOG/COG mismatches are judged against them.
    def beside(side: np.ndarray, step: int, within_s: float) -> tuple[np.ndarray, np.ndarray]:
        """The vessel's report next to rows ``side`` (``step`` -1: before, 1: after), and
        whether there is one within ``within_s`` seconds."""
        k = np.clip(side + step, 0, n - 1)
        return k, (k != side) & (mmsi[k] == mmsi[side]) & (np.abs(t[k] - t[side]) <= within_s)

    cum_unreliable = np.r_[0, np.cumsum(unreliable)]
    n_unreliable = cum_unreliable[last + 1] - cum_unreliable[first]
    for side, step in ((first, -1), (last, 1)):
        k, near = beside(side, step, cfg.merge_gap_s)
        n_unreliable += unreliable[k] & near
    # A lone jumped report between silences (see EventsConfig.lone_silence_s).
    lone = ((n_range == 1) & by_ep["impossible_jump"].to_numpy() & ~beside(first, -1, cfg.lone_silence_s)[1]
            & ~beside(last, 1, cfg.lone_silence_s)[1])
    if lone.any():
        # ... and no track: the vessel's next fix within max_silence_s carries on from it at
        # its SOG/COG, or its previous one led to it (which side of the jump is real is unknown).
        k = np.flatnonzero(lone)
        m = len(fx.rows)
        f = np.minimum(np.searchsorted(fx.rows, first[k]), m - 1)
        nf, pf = np.minimum(f + 1, m - 1), np.maximum(f - 1, 0)
        carried = (nf != f) & (fx.mmsi[nf] == fx.mmsi[f]) & (fx.t[nf] - fx.t[f] <= cfg.max_silence_s)
        led = (pf != f) & (fx.mmsi[pf] == fx.mmsi[f]) & (fx.t[f] - fx.t[pf] <= cfg.max_silence_s)
        tracked = (carried & fx.near_track(f, nf, cfg)) | (led & fx.near_track(pf, f, cfg))
        lone[k[tracked | (fx.rows[f] != first[k])]] = False
    enough = ((n_strong > 1) | ((n_strong == 1) & ((n_range >= cfg.min_reports_one_check) | lone))) | (
        (n_weak >= cfg.weak_min_checks) & (weak_reports >= cfg.weak_min_reports) & (n_unreliable == 0)
    ) | ((n_strong >= 1) & by_ep["convergence"].to_numpy())
    keep = np.flatnonzero(enough & (score >= cfg.min_score))
    keep = keep[np.lexsort((mmsi[first[keep]], t[first[keep]]))]
    ids = np.array([f"S{i + 1:04d}" for i in range(len(keep))], dtype=object)

    lat = df["lat"].to_numpy(dtype=float)
    lon = df["lon"].to_numpy(dtype=float)
    pos = pd.DataFrame({"ep": ep, "lat": lat[idx], "lon": lon[idx]})[valid[idx]]
    claimed = pos.groupby("ep")[["lat", "lon"]].median().reindex(range(len(first)))
    # Where the ship really was: its last valid position before the spoof, or for a spoof on
    # since the vessel was first heard, its first after.
    before, after = fixes_around(np.flatnonzero(valid), mmsi, first[keep], last[keep])
    true_row = np.where(before >= 0, before, after)

    events = pd.DataFrame({
        "event_id": ids,
        "kind": "spoofing",
        "mmsi": mmsi[first[keep]].astype("int64"),
        "start": to_time(t[first[keep]]),
        "end": to_time(t[last[keep]]),
        "n_reports": n_range[keep].astype("int64"),
        "lat": claimed["lat"].to_numpy()[keep],
        "lon": claimed["lon"].to_numpy()[keep],
        "score": score[keep],
        "reasons": join_names(by_ep.iloc[keep], STRONG_CHECKS + WEAK_CHECKS),
        "zone_id": "",
        "true_lat": np.where(true_row >= 0, lat[np.maximum(true_row, 0)], np.nan),
        "true_lon": np.where(true_row >= 0, lon[np.maximum(true_row, 0)], np.nan),
    })
    events["claimed_lat"], events["claimed_lon"] = events["lat"], events["lon"]
    events["group_id"] = _groups(events, cfg)
    events = events[EVENT_COLUMNS]

    # Every row from an event's first to its last report carries its id.
    mark = np.zeros(n + 1, dtype=np.int64)
    np.add.at(mark, first[keep], np.arange(1, len(keep) + 1))
    np.add.at(mark, last[keep] + 1, -np.arange(1, len(keep) + 1))
    which = np.cumsum(mark[:n])
    sorted_ids = np.where(which > 0, np.append(np.array([""], dtype=object), ids)[which], "")
    per_report = np.empty(n, dtype=object)
    per_report[order] = sorted_ids
    return events, pd.Series(per_report, index=reports.index, name="event_id", dtype=object)


def _groups(events: pd.DataFrame, cfg: EventsConfig) -> np.ndarray:
    """'G001'... for connected events of different vessels at one claimed point and time, else ''."""
    m = len(events)
    out = np.full(m, "", dtype=object)
    if m < 2:
        return out
    lat, lon = events["claimed_lat"].to_numpy(), events["claimed_lon"].to_numpy()
    s = epoch_s(events["start"]) - cfg.group_time_slack_s
    e = epoch_s(events["end"]) + cfg.group_time_slack_s
    mm = events["mmsi"].to_numpy()
    i, j = overlapping_pairs(s, e)
    with np.errstate(invalid="ignore"):
        linked = (haversine_m(lat[i], lon[i], lat[j], lon[j]) <= cfg.group_distance_m) & (mm[i] != mm[j])
    graph = coo_matrix((np.ones(linked.sum()), (i[linked], j[linked])), shape=(m, m))
    _, comp = connected_components(graph, directed=False)
    size = np.bincount(comp)
    grouped = size[comp] > 1
    # Number groups in the order of their first event (events are sorted by start).
    first_of = pd.Series(np.arange(m))[grouped].groupby(comp[grouped]).min().sort_values()
    number = {c: k + 1 for k, c in enumerate(first_of.index)}
    out[grouped] = [f"G{number[c]:03d}" for c in comp[grouped]]
    return out
