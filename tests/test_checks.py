"""Tests of gnss_watch.checks: for each check a hand-made track where it must fire and
one where it must not, plus the real DMA recordings (normal traffic must stay quiet)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gnss_watch
from gnss_watch import tracks as tracks_mod
from gnss_watch.checks import (
    BASE_STATION_COLUMNS, CHECK_FAMILY, CHECKS, WATERWAYS, ChecksConfig, check_base_stations, in_waterway,
    jump_analysis, placeholder_mmsi, run_checks,
)
from gnss_watch.checks.context import Context, first_reaching
from gnss_watch.config import _field_docs
from gnss_watch.geo import KNOT_MS, METRES_PER_NM, destination, haversine_m
from gnss_watch.schema import BASE_STATION_DTYPES, POSITION_DTYPES, VESSEL_DTYPES, conform

REAL = Path(__file__).resolve().parents[1] / "sample_data" / "real"
T0 = pd.Timestamp("2024-06-01T00:00:00Z")


def rng() -> np.random.Generator:
    """A fresh seeded generator, so no test depends on which ran before it."""
    return np.random.default_rng(0)


def leg(mmsi: int, lat: float, lon: float, speed: float, course: float, n: int, every_s: float, t0_s: float = 0.0,
        **cols) -> pd.DataFrame:
    """``n`` reports of a vessel moving straight from (lat, lon) at ``speed`` knots on ``course``
    degrees; it reports that as SOG/COG unless ``cols`` (column values) say otherwise."""
    t = t0_s + every_s * np.arange(n)
    la, lo = destination(lat, lon, course, speed * KNOT_MS * (t - t0_s))
    df = pd.DataFrame({"time": T0 + pd.to_timedelta(t, unit="s"), "mmsi": mmsi, "lat": la, "lon": lo,
                       "sog": float(speed), "cog": float(course), "second": (t % 60).astype(int), "accuracy": 1,
                       "raim": 0, "nav_status": 0, "msg_type": 1, "device": "A", "station": ""})
    for k, v in cols.items():
        df[k] = v
    return df


def build(*parts: pd.DataFrame) -> pd.DataFrame:
    return tracks_mod.build_tracks(conform(pd.concat(parts, ignore_index=True), POSITION_DTYPES))


def vessels(types: dict[int, int]) -> pd.DataFrame:
    return conform(pd.DataFrame({"mmsi": list(types), "ship_type": list(types.values()), "n_static": 1}), VESSEL_DTYPES)


def check(tr: pd.DataFrame, name: str, vs: pd.DataFrame | None = None, bs: pd.DataFrame | None = None,
          cfg: ChecksConfig | None = None) -> pd.DataFrame:
    """Checks of ``tr`` with the track columns alongside, for readable assertions."""
    res = run_checks(tr, vs, bs, cfg)
    return pd.concat([tr[["time", "mmsi", "lat", "lon", "sog", "segment"]], res[[name, f"{name}_mag", "jump_from_m"]]],
                     axis=1)


# --- contract ------------------------------------------------------------------------------

def test_output_follows_the_contract():
    tr = build(leg(230000001, 59.9, 24.0, 12, 90, 30, 10))
    res = run_checks(tr, None, None, ChecksConfig())
    assert res.index.equals(tr.index)
    assert list(CHECKS) == ["pos_unavailable", "dead_reckoning", "degraded_fix", "impossible_jump", "speed_mismatch",
                            "course_mismatch", "on_land", "frozen_position", "convergence", "circle", "receiver_range",
                            "track_divergence", "erratic_fix"]
    assert set(CHECK_FAMILY) == set(CHECKS) and set(CHECK_FAMILY.values()) == {"jamming", "spoofing"}
    for name in CHECKS:
        assert res[name].dtype == bool and res[f"{name}_mag"].dtype == np.float64
    assert (res["reasons"] == "").all()


def test_empty_and_position_less_input():
    res = run_checks(build(leg(230000001, 59.9, 24.0, 12, 90, 0, 10)))
    assert len(res) == 0 and list(res.columns[:2]) == ["pos_unavailable", "pos_unavailable_mag"]
    df = leg(230000001, 59.9, 24.0, 12, 90, 3, 10)
    df[["lat", "lon"]] = np.nan
    assert run_checks(build(df))["reasons"].tolist() == ["pos_unavailable"] * 3


def test_every_threshold_is_documented_and_toml_friendly():
    docs = _field_docs(ChecksConfig)
    for f in dataclasses.fields(ChecksConfig):
        assert docs.get(f.name), f"{f.name} has no #: comment"
        assert isinstance(getattr(ChecksConfig(), f.name), (int, float))


def test_reasons_lists_the_fired_checks():
    tr = build(leg(230000001, 59.9, 24.0, 12, 90, 10, 10, second=62))
    res = run_checks(tr)
    assert (res["reasons"] == "dead_reckoning").all()
    assert (res["dead_reckoning_mag"] == 10).all()


# --- position fix --------------------------------------------------------------------------

def test_pos_unavailable_fires_on_91_181_and_inoperative():
    df = leg(230000001, 59.9, 24.0, 12, 90, 12, 10)
    df.loc[4:6, ["lat", "lon"]] = np.nan  # 91 / 181 decode to NaN
    df.loc[9, "second"] = 63
    res = check(build(df), "pos_unavailable")
    assert res["pos_unavailable"].tolist() == [False] * 4 + [True] * 3 + [False] * 2 + [True] + [False] * 2
    assert res["pos_unavailable_mag"].iloc[4:7].tolist() == [3.0, 3.0, 3.0]


def test_null_island_is_no_fix_and_no_spoof():
    # Three ships whose receivers send 0 / 0 without a fix: not a jump to the Gulf of
    # Guinea, nor three ships converging there.
    parts = [leg(230000001 + k, 59.9 + 0.05 * k, 24.0, 12, 90, 30, 10) for k in range(3)]
    for df in parts:
        df.loc[10:19, ["lat", "lon"]] = 0.0
    tr = build(*parts)
    res = run_checks(tr)
    assert (res["pos_unavailable"].to_numpy() == ((tr["lat"] == 0) & (tr["lon"] == 0)).to_numpy()).all()
    assert not res[[c for c in CHECKS if CHECK_FAMILY[c] == "spoofing"]].any().any()


def test_pos_unavailable_quiet_on_valid_fixes_and_second_60():
    df = leg(230000001, 59.9, 24.0, 12, 90, 12, 10, second=60)  # 60 = time stamp n/a only
    assert not check(build(df), "pos_unavailable")["pos_unavailable"].any()
    # An aid to navigation at its surveyed, manually entered position (seen in a real gpsd log).
    aton = leg(993692021, 47.45, -122.40, 0, 0, 3, 4, second=61, msg_type=21, device="AtoN")
    assert not check(build(aton), "pos_unavailable")["pos_unavailable"].any()


def test_dead_reckoning_fires_on_second_62_only():
    df = leg(230000001, 59.9, 24.0, 12, 90, 8, 10)
    df.loc[3:4, "second"] = 62
    res = check(build(df), "dead_reckoning")
    assert res["dead_reckoning"].tolist() == [False] * 3 + [True, True] + [False] * 3


@pytest.mark.parametrize("second", [-1, 30])
def test_dead_reckoning_from_a_held_fix_without_second_62(second):
    """A receiver holds its last fix (rows 19-29), then dead reckons from it at the held SOG and
    COG (rows 30-45), as a CSV export without the UTC second shows it; the live fix comes back
    at row 46, and the same steady motion from there on (SOG and COG to the bit) is no dead
    reckoning: its run does not start at a held fix."""
    df = leg(230000001, 59.9, 24.0, 12, 90, 70, 10, second=second)
    held = df.loc[19, ["lat", "lon"]].to_numpy(dtype=float)
    df.loc[19:29, ["lat", "lon"]] = held
    lat, lon = destination(held[0], held[1], 90.0, 12 * KNOT_MS * 10 * np.arange(1, 17))
    df.loc[30:45, "lat"], df.loc[30:45, "lon"] = lat, lon
    res = check(build(df), "dead_reckoning")
    assert np.flatnonzero(res["dead_reckoning"]).tolist() == list(range(30, 46))
    # Steady motion at constant SOG and COG with no held fix before it: nothing.
    assert not check(build(leg(230000002, 59.9, 24.0, 12, 90, 70, 10, second=second)),
                     "dead_reckoning")["dead_reckoning"].any()


def noisy_leg(mmsi: int, lat: float, n: int, seed: int) -> pd.DataFrame:
    """A live fix under way: positions with 3 m of GNSS noise, SOG and COG wandering by tenths."""
    g = np.random.default_rng(seed)
    df = leg(mmsi, lat, 24.0, 12, 90, n, 10)
    df["lat"] += g.normal(0, 3.0, n) / 111_195.0
    df["lon"] += g.normal(0, 3.0, n) / (111_195.0 * np.cos(np.radians(lat)))
    df["sog"] = np.round(12 + g.normal(0, 0.1, n), 1)
    df["cog"] = np.round(90 + g.normal(0, 0.6, n), 1)
    return df


@pytest.mark.parametrize("n_reckoned,noise_m,fires", [(20, 0.0, True), (9, 0.0, False), (20, 2.0, False)])
def test_dead_reckoning_without_second_62_or_a_held_fix(n_reckoned, noise_m, fires):
    """A receiver that loses its fix dead-reckons from the last one (SOG and COG held to the bit,
    each position exactly SOG x time along COG) without saying so in the UTC second. Among ships
    whose live fixes carry noise, 10 such reports over 3 min are dead reckoning; fewer, or positions
    with metres of noise, are not."""
    ships = [noisy_leg(230000010 + k, 59.5 + 0.05 * k, 60, seed=k) for k in range(4)]
    df = noisy_leg(230000001, 59.9, 60, seed=9)
    last = df.loc[29]
    ahead = destination(last["lat"], last["lon"], last["cog"], last["sog"] * KNOT_MS * 10 * np.arange(1, n_reckoned + 1))
    rows = slice(30, 29 + n_reckoned)
    g = np.random.default_rng(1)
    df.loc[rows, "lat"] = ahead[0] + g.normal(0, noise_m, n_reckoned) / 111_195.0
    df.loc[rows, "lon"] = ahead[1] + g.normal(0, noise_m, n_reckoned) / (111_195.0 * np.cos(np.radians(59.9)))
    df.loc[rows, ["sog", "cog"]] = last[["sog", "cog"]].to_numpy(dtype=float)
    res = check(build(df, *ships), "dead_reckoning")
    fired = res.loc[res["mmsi"] == 230000001, "dead_reckoning"].to_numpy()
    assert np.flatnonzero(fired).tolist() == (list(range(30, 30 + n_reckoned)) if fires else [])
    assert not res.loc[res["mmsi"] != 230000001, "dead_reckoning"].any()
    # Where no ship's fix carries noise (a simulation, a smoothed export), exact motion tells nothing.
    quiet = [leg(230000010 + k, 59.5 + 0.05 * k, 24.0, 12, 90, 60, 10) for k in range(4)]
    assert not check(build(df, *quiet), "dead_reckoning")["dead_reckoning"].any()


def test_a_track_drawn_exactly_across_changes_of_speed_and_course_is_not_dead_reckoning():
    """A spoofer's fake track moving exactly as its own SOG and COG say, which it changes a
    tenth at a time every 200 s: each stretch between changes looks reckoned, but a receiver
    reckons on from a live fix, and these start from a drawn one (the fourth generator's 71:
    a 83 min pull-off read as dead reckoning, so no spoof). The stretch after the live fixes
    stays ambiguous."""
    ships = [noisy_leg(230000010 + k, 59.5 + 0.05 * k, 60, seed=k) for k in range(4)]
    live = noisy_leg(230000001, 59.9, 20, seed=9)
    lat, lon, t0 = float(live["lat"].iloc[-1]), float(live["lon"].iloc[-1]), 200
    drawn = []
    for k in range(4):
        part = leg(230000001, lat, lon, 12 + 0.1 * k, 90 + 0.1 * k, 21, 10, t0_s=t0).iloc[1:]
        lat, lon, t0 = float(part["lat"].iloc[-1]), float(part["lon"].iloc[-1]), t0 + 200
        drawn.append(part)
    res = check(build(pd.concat([live, *drawn], ignore_index=True), *ships), "dead_reckoning")
    fired = np.flatnonzero(res.loc[res["mmsi"] == 230000001, "dead_reckoning"].to_numpy())
    assert not (fired >= 40).any()


def test_degraded_fix_on_accuracy_drop_and_raim_toggle():
    df = leg(230000001, 59.9, 24.0, 12, 90, 10, 10)
    df.loc[3:, "accuracy"] = 0  # 1 -> 0 at row 3
    df.loc[6:, "raim"] = 1  # RAIM switched on at row 6
    res = check(build(df), "degraded_fix")
    assert np.flatnonzero(res["degraded_fix"]).tolist() == [3, 6]
    assert res["degraded_fix_mag"].iloc[6] == 2  # two changes within the window


def test_degraded_fix_quiet_on_accuracy_improving_and_steady_flags():
    df = leg(230000001, 59.9, 24.0, 12, 90, 10, 10, accuracy=0)
    df.loc[5:, "accuracy"] = 1  # DGNSS coming back is no degradation
    assert not check(build(df), "degraded_fix")["degraded_fix"].any()


def test_frozen_position_while_moving_fires():
    df = leg(230000001, 59.9, 24.0, 12, 90, 20, 10)
    df.loc[8:14, ["lat", "lon"]] = df.loc[8, ["lat", "lon"]].to_numpy(dtype=float)  # held for 60 s at 12 kn
    res = check(build(df), "frozen_position")
    assert np.flatnonzero(res["frozen_position"]).tolist() == list(range(8, 15))
    assert res["frozen_position_mag"].iloc[8] == pytest.approx(60.0)


def test_frozen_position_quiet_when_moored_or_briefly_equal():
    moored = leg(230000001, 60.16, 24.95, 0.0, 0, 20, 180)  # identical fixes, SOG 0
    brief = leg(230000002, 59.9, 24.0, 12, 90, 20, 10)
    brief.loc[5:6, ["lat", "lon"]] = brief.loc[5, ["lat", "lon"]].to_numpy(dtype=float)  # two equal fixes
    assert not check(build(moored, brief), "frozen_position")["frozen_position"].any()


def test_a_fix_repeated_for_seconds_at_speed_is_no_held_fix():
    # Seen on real DMA traffic: a 36-kn craft reporting every 2 s repeats its fix three
    # times (~75 m it did not move), then carries on: a dropped GNSS sentence, not jamming.
    df = leg(230000005, 56.0, 11.0, 36.6, 107, 12, 2)
    df.loc[5:7, ["lat", "lon"]] = df.loc[5, ["lat", "lon"]].to_numpy(dtype=float)
    assert not check(build(df), "frozen_position")["frozen_position"].any()


def test_two_identical_fixes_far_apart_at_speed_are_a_held_fix():
    df = leg(230000003, 59.9, 24.0, 14, 90, 6, 540)  # a report every 9 min at 14 kn
    df.loc[2:3, ["lat", "lon"]] = df.loc[2, ["lat", "lon"]].to_numpy(dtype=float)  # ~3.9 km of motion
    res = check(build(df), "frozen_position")
    assert np.flatnonzero(res["frozen_position"]).tolist() == [2, 3]
    slow = leg(230000004, 59.9, 24.0, 2.5, 90, 6, 60)  # 2.5 kn for 60 s: ~77 m, can be chance
    slow.loc[2:3, ["lat", "lon"]] = slow.loc[2, ["lat", "lon"]].to_numpy(dtype=float)
    assert not check(build(slow), "frozen_position")["frozen_position"].any()


@pytest.mark.parametrize("sog", [0.0, np.nan])
def test_a_held_fix_left_by_a_jump_is_frozen_whatever_sog_says(sog):
    # A transponder that lost its fix holds the last one for 10 min and zeroes SOG
    # (or sends 'not available'); the live fix comes back 3.7 km on.
    df = leg(230000005, 59.9, 24.0, 12, 90, 120, 10)
    df.loc[31:90, ["lat", "lon"]] = df.loc[30, ["lat", "lon"]].to_numpy(dtype=float)
    df.loc[31:90, "sog"] = sog
    res = check(build(df), "frozen_position")
    assert np.flatnonzero(res["frozen_position"]).tolist() == list(range(30, 91))
    assert res["frozen_position_mag"].iloc[30] == pytest.approx(600.0)


@pytest.mark.parametrize("sog, after_m, fires", [
    (13.9, 6000.0, True),   # held for minutes before the recording began, then the live fix 6 km on
    (0.0, 6000.0, False),   # a spoofer's fixed point reports no motion: a jump, impossible_jump's
    (13.9, 40.0, False),    # two repeated fixes then on by a plausible step: a dropped GNSS sentence
])
def test_a_held_fix_opening_the_recording_is_frozen(sog, after_m, fires):
    # Southern Baltic 375 cut to begin inside jamming: three identical fixes at 13.9 kn over
    # 24 s, then the live fix 6 km on. Its hold began before the recording.
    df = leg(230000009, 54.55, 15.10, 13.9, 317, 30, 12)
    df.loc[0:2, ["lat", "lon"]] = destination(df.loc[3, "lat"], df.loc[3, "lon"], 137.0, after_m)
    df.loc[0:2, "sog"] = sog
    res = check(build(df), "frozen_position")
    assert np.flatnonzero(res["frozen_position"]).tolist() == ([0, 1, 2] if fires else [])


def test_no_held_fix_where_the_ship_stood_still_or_a_spoof_jumped_in():
    # Moored with a repeated fix, then sailing off from it; or spoofed 30 km away after 2 h.
    moored = leg(230000006, 59.9, 24.0, 0, 90, 60, 10)
    sail = leg(230000006, 59.9, 24.0, 8, 90, 60, 10, t0_s=600)
    still = leg(230000008, 59.9, 24.0, 0, 0, 40, 180, sog=0.0)
    away = leg(230000008, *destination(59.9, 24.0, 45, 30000), 0, 0, 20, 180, t0_s=40 * 180, sog=0.0)
    # A fixed false point 5 km off, entered and left by jumps.
    spoof = leg(230000007, 59.5, 21.0, 12, 90, 120, 10)
    spoof.loc[30:90, ["lat", "lon"]] = destination(59.5, 21.1, 0.0, 5000.0)
    spoof.loc[30:90, "sog"] = 0.0
    res = check(build(moored, sail, spoof, still, away), "frozen_position")
    assert not res["frozen_position"].any()



def coarse(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` sent as type 27: positions in 1/10 minute, no heading."""
    df = df.assign(device="A-LR", msg_type=27, heading=np.nan)
    df["lat"], df["lon"] = np.round(df["lat"] * 600) / 600, np.round(df["lon"] * 600) / 600
    return df


def test_type_27_fixes_repeat_by_their_resolution_not_as_held_fixes():
    """In 1/10 minute (185 m) a ship at anchor repeats its fix, and so does a spoofer's point:
    a spoof there, entered after a silence and left by a jump, is no held fix. A ship at
    2 kn heard every minute repeats its coarse fix too; at 12 kn a repeat is held."""
    anchor = coarse(leg(230000009, 59.955, 30.04, 0, 0, 8, 180, sog=0.0))
    fake = coarse(leg(230000009, 59.8, 30.26, 0, 0, 9, 180, t0_s=7 * 180 + 1260, sog=0.0))
    back = coarse(leg(230000009, 59.955, 30.04, 0, 0, 4, 180, t0_s=7 * 180 + 1260 + 9 * 180, sog=0.0))
    slow = coarse(leg(230000010, 59.9 + 0.4 / 600, 24.0, 2, 0, 10, 60))
    assert (slow["lat"].diff() == 0).sum() >= 4  # repeats, at least two runs of three
    fast = coarse(leg(230000011, 59.9, 24.0, 12, 0, 10, 180))
    fast.loc[4:6, ["lat", "lon"]] = fast.loc[4, ["lat", "lon"]].to_numpy(dtype=float)
    res = check(build(anchor, fake, back, slow, fast), "frozen_position")
    assert res.loc[res["frozen_position"], "mmsi"].unique().tolist() == [230000011]


# --- impossible jump -----------------------------------------------------------------------

def teleport_track(mmsi: int = 230000001) -> pd.DataFrame:
    """12 kn eastwards, 10 s reports; reports 20-24 displaced 300 km north, then back."""
    df = leg(mmsi, 59.5, 21.0, 12, 90, 50, 10)
    la, lo = destination(df.loc[20:24, "lat"], df.loc[20:24, "lon"], 0.0, 300_000.0)
    df.loc[20:24, "lat"], df.loc[20:24, "lon"] = la, lo
    return df


def test_impossible_jump_flags_the_displaced_stretch_and_knows_both_ends():
    res = check(build(teleport_track()), "impossible_jump")
    assert np.flatnonzero(res["impossible_jump"]).tolist() == [20, 21, 22, 23, 24]
    assert res["jump_from_m"].iloc[20] == pytest.approx(300_000, rel=0.01)
    assert res["impossible_jump_mag"].iloc[20] > 10_000  # knots beyond the limit
    assert not res["impossible_jump"].iloc[25]  # the return is the true track


@pytest.mark.parametrize("second, jumps", [(62, False), (None, True)])
def test_the_fix_returning_after_dead_reckoning_is_no_jump(second, jumps):
    """A ship at 14 kn east turns north as its receiver loses the fix and dead reckons on
    east for 30 minutes (UTC second 62), then the live fix returns 18 km from the reckoned
    position: 13 km from the last live one, 30 minutes' sailing, so nothing is a jump (a
    false spoof of the whole track before it otherwise). The same positions with ordinary
    UTC seconds are a smooth fake track that snaps back, and are."""
    before = leg(230000001, 59.5, 21.0, 14, 90, 60, 10)
    lat0, lon0 = destination(before["lat"].iloc[-1], before["lon"].iloc[-1], 90.0, 14 * KNOT_MS * 10)
    extra = {} if second is None else {"second": second, "accuracy": 0}
    reckoned = leg(230000001, float(lat0), float(lon0), 14, 90, 180, 10, t0_s=600, **extra)
    true = leg(230000001, float(lat0), float(lon0), 14, 0, 240, 10, t0_s=600)
    res = check(build(before, reckoned, true.iloc[180:]), "impossible_jump")
    assert haversine_m(reckoned["lat"].iloc[-1], reckoned["lon"].iloc[-1], true["lat"].iloc[180], true["lon"].iloc[180]) > 18_000
    assert res["impossible_jump"].any() == jumps
    if second is not None:
        assert check(build(before, reckoned, true.iloc[180:]), "dead_reckoning")["dead_reckoning"].sum() == 180


def pulled_off(n: int = 240, start: int = 60, end: int = 180, drift_kn: float = 4.0, bearing: float = 0.0,
               walked_back: bool = False) -> pd.DataFrame:
    """14 kn eastwards, 10 s reports; from report ``start`` the position drifts off at
    ``drift_kn`` on ``bearing`` (SOG/COG following the fake track), and at ``end`` it snaps back
    (``walked_back``: it jumps away at ``start`` and drifts back to the track by ``end``)."""
    df = leg(230000007, 55.0, 15.0, 14, 90, n, 10)
    k = np.arange(start, end)
    steps = (end - k) if walked_back else (k - start + 1)
    la, lo = destination(df.loc[k, "lat"], df.loc[k, "lon"], bearing, drift_kn * KNOT_MS * 10 * steps)
    df.loc[k, "lat"], df.loc[k, "lon"] = la, lo
    df.loc[k, "sog"], df.loc[k, "cog"] = np.hypot(14, drift_kn), 90 - np.degrees(np.arctan2(drift_kn, 14))
    return df


def test_track_divergence_flags_a_pull_off_that_snaps_back():
    # 20 min at 4 kn off: 2.5 km, every step plausible but the snap back.
    res = check(build(pulled_off()), "track_divergence")
    hit = np.flatnonzero(res["track_divergence"])
    assert hit.max() == 179  # up to the last pulled-off report
    assert 60 <= hit.min() <= 62  # from where the pull-off began, though it was within tolerance there
    assert res["track_divergence_mag"].iloc[179] == pytest.approx(4.0 * KNOT_MS * 1200, rel=0.1)
    # Walked back after a jump away: the mirror image.
    hit = np.flatnonzero(check(build(pulled_off(walked_back=True)), "track_divergence")["track_divergence"])
    assert hit.min() == 60 and 177 <= hit.max() <= 179
    # A stretch entered and left by jumps is the jump-and-return logic's (impossible_jump).
    assert not check(build(teleport_track()), "track_divergence")["track_divergence"].any()


def test_track_divergence_flags_a_pull_off_of_over_an_hour():
    """75 min at 3 kn off a 14 kn passage, 7 km off when it snaps back: the track before it,
    80 min back, is the same line (the fourth generator's 63 and 44: pull-offs of 63-70 min
    missed while the line had to be rejoined within an hour)."""
    hit = np.flatnonzero(check(build(pulled_off(n=700, start=100, end=550, drift_kn=3.0)),
                               "track_divergence")["track_divergence"])
    assert len(hit) and hit.min() == 100 and hit.max() == 549


def test_a_pull_off_begun_just_after_a_turn_is_still_one():
    """A ship turns from 30 to 90 deg 7 min before a pull-off begins. The run reaches back over
    the pull-off's first minutes (within the tolerance, but SOG/COG off the line) to where it
    began, and the track beyond that, through the turn, is no straight line: the run without
    the reach-back, whose track beyond is straight, still fires (the fourth generator's 23 lost
    its pull-off otherwise)."""
    lat0, lon0 = destination(55.0, 15.0, 210.0, 14 * KNOT_MS * 600)
    turn = leg(230000007, float(lat0), float(lon0), 14, 30, 60, 10, t0_s=-600)
    df = pd.concat([turn, pulled_off(n=180, start=40, end=120)], ignore_index=True)
    hit = np.flatnonzero(check(build(df), "track_divergence")["track_divergence"])
    assert len(hit) and 120 < hit.min() < 140 and hit.max() == 179


def test_the_true_track_beside_a_constant_offset_is_no_pull_off():
    """Reports 416-582 displaced 1.9 km (a constant offset) over 33 min: the true track before
    them runs parallel to the spoofed stretch's line and meets its widening tolerance 52 min
    back. It never came back to the line, so it is no pull-off (the old check flagged 260)."""
    df = leg(272000001, 42.2, 33.4, 15, 88, 750, 12)
    df.loc[416:582, "lat"], df.loc[416:582, "lon"] = destination(df.loc[416:582, "lat"], df.loc[416:582, "lon"],
                                                                 145.0, 1900.0)
    assert not check(build(df), "track_divergence")["track_divergence"].any()

def test_a_line_through_dead_reckoned_fixes_is_no_track_to_measure_a_pull_off_by():
    """A ship at 10 kn on 79 deg; its receiver degrades (a live fix 250 m south, then one
    570 m north, accuracy 0) and dead reckons on 77.5 deg from there for 40 min (UTC second
    62) before the live fix returns to the true track. The reckoned line, extended back across
    the step, lies beside the live track before it and meets its widening tolerance 8 min
    back: the live fixes read as a pull-off that rejoined the line (a false spoof on the
    fourth generator's 54)."""
    live = leg(230000014, 25.81, 55.36, 10, 79, 180, 10)
    true = leg(230000014, 25.81, 55.36, 10, 79, 450, 10)
    live.loc[179, ["lat", "lon"]] = destination(live["lat"].iloc[179], live["lon"].iloc[179], 180.0, 250.0)
    live.loc[179, "accuracy"] = 0  # the receiver degrading: 250 m south, then 570 m north
    lat0, lon0 = destination(true["lat"].iloc[180], true["lon"].iloc[180], 0.0, 570.0)
    reckoned = leg(230000014, float(lat0), float(lon0), 10, 77.5, 240, 10, t0_s=1800, second=62, accuracy=0)
    reckoned.loc[0, ["second", "accuracy"]] = [0, 0]  # the degraded fix: live, off the track
    back = true.iloc[420:]
    res = run_checks(build(live, reckoned, back))
    assert res["impossible_jump"].iloc[180] and res["dead_reckoning"].iloc[181:420].all()
    assert not res["track_divergence"].iloc[:180].any()


def test_track_divergence_quiet_on_turns_course_changes_glitches_and_stale_fixes():
    # A ship that turns 40 deg and keeps its new course: no line rejoined.
    a = leg(230000008, 55.0, 15.0, 14, 90, 60, 10)
    b = leg(230000008, float(a["lat"].iloc[-1]), float(a["lon"].iloc[-1]), 14, 130, 120, 10, t0_s=600)
    turned = pd.concat([a, b], ignore_index=True)
    turned.loc[150, "lat"] += 0.05  # and one glitch 5.5 km off, gone at the next report
    # A ship changing lanes gradually (2 km sideways over 20 min), no impossible step at all.
    lane = pulled_off(drift_kn=3.0)
    lane = lane[lane.index < 180].assign(mmsi=230000009)
    # A ship whose fix steps 3 km at the moment it turns (a GNSS source switched):
    # before the step it is off the line of its new course, and it never rejoins it.
    switched = pd.concat([a, b], ignore_index=True).assign(mmsi=230000010)
    la, lo = destination(switched.loc[60:, "lat"], switched.loc[60:, "lon"], 0.0, 3000.0)
    switched.loc[60:, "lat"], switched.loc[60:, "lon"] = la, lo
    # A ship whose fix steps 3.5 km as it settles 15 deg onto a new course: its new line,
    # extended back, crosses the old track 30 min earlier at a shallow angle, so fixes
    # there lie on it, but the track before the step never sailed that line.
    v = 14.6 * KNOT_MS
    old_leg = leg(230000011, *destination(55.5, 15.0, 212.5, v * 1200), 14.6, 32.5, 300, 10, t0_s=-1200)
    new_leg = leg(230000011, *destination(55.5, 15.0, 17.5, v * 1800), 14.6, 17.5, 60, 10, t0_s=1800)
    # A ship holding its fix for 40 min on a straight passage, then the live fix comes back.
    held = leg(230000012, 55.0, 16.0, 14, 45, 400, 6)
    held.loc[100:380, ["lat", "lon"]] = held.loc[100, ["lat", "lon"]].to_numpy(dtype=float)
    # Dead reckoning drifting off the track (the transponder lost its fix): dead_reckoning's.
    reckoned = pulled_off().assign(mmsi=230000013)
    reckoned.loc[60:179, "second"] = 62
    tr = build(turned, lane, switched, old_leg, new_leg, held, reckoned)
    res = run_checks(tr)
    # Each has a step no ship can make, but the fix returning after dead reckoning (the
    # last is judged from the last live fix).
    assert {230000008, 230000010, 230000011} <= set(tr.loc[res["impossible_jump"], "mmsi"])
    assert 230000013 not in set(tr.loc[res["impossible_jump"], "mmsi"])
    assert not res["track_divergence"].any()


def test_impossible_jump_when_recording_starts_inside_the_displacement():
    df = leg(230000001, 59.5, 21.0, 12, 90, 40, 10)
    df.loc[0:2, "lat"] += 2.0  # the first three reports are 220 km off
    res = check(build(df), "impossible_jump")
    assert np.flatnonzero(res["impossible_jump"]).tolist() == [0, 1, 2]


@pytest.mark.parametrize("at_end", [True, False])
def test_a_lone_displaced_report_across_a_silence_is_the_jump_not_the_track_after_it(at_end: bool):
    # A cargo ship (30 kn) at 10 kn, every 5 min, silent for 1 h 45 min; the report ending (or
    # starting) the silence is 70 km off, within reach of the far side of the silence but not
    # of its near neighbour 5 min away; five true reports follow it to the recording's end (or
    # precede it from the start). Baltic 1383 flagged the true report after it instead.
    df = leg(230000001, 59.0, 19.0, 10, 27, 36, 300)
    silent = np.arange(5, 26) if at_end else np.arange(6, 27)
    odd = 26 if at_end else 5
    df.loc[odd, "lat"], df.loc[odd, "lon"] = destination(df.loc[odd, "lat"], df.loc[odd, "lon"], 207.0, 70_000.0)
    df = df.drop(index=silent).reset_index(drop=True)
    res = check(build(df), "impossible_jump", vessels({230000001: 70}))
    assert res.loc[res["impossible_jump"], "time"].tolist() == [T0 + pd.Timedelta(seconds=300 * odd)]


@pytest.mark.parametrize("heard_by, jumps", [
    ("FARO", False),      # heard only where it claims to be, 330 km from the vessel: another radio
    ("BORNHOLM", True),   # heard by the vessel's own station: the vessel's radio, a spoofed position
    ("OLAND", True),      # heard by a station in reach of the vessel too (a handover): a spoofed position
])
def test_a_jump_heard_only_where_it_claims_to_be_is_another_transmitter(heard_by: str, jumps: bool):
    # Baltic 1405: two ships share an MMSI; the second is heard twice, at the recording's end,
    # by a station 330 km from the first. A spoofer moves the position, not the radio.
    ship = leg(230000001, 55.2, 16.3, 14, 60, 60, 10, station="BORNHOLM")
    other = leg(230000001, 58.4, 20.4, 11, 212, 2, 350, t0_s=720, station=heard_by)
    if heard_by == "OLAND":  # 2 min away, 160 km from the ship but within 120 NM of Oland too
        other = leg(230000001, 56.6, 17.4, 11, 212, 2, 350, t0_s=720, station=heard_by)
    # Traffic from which the stations' positions are learned (20 receptions or more each).
    traffic = [leg(230000002, 55.25, 16.2, 10, 90, 30, 20, station="BORNHOLM"),
               leg(230000003, 58.3, 20.3, 10, 90, 30, 20, station="FARO"),
               leg(230000004, 56.0, 16.8, 10, 90, 30, 20, station="OLAND")]
    res = check(build(ship, other, *traffic), "impossible_jump", vessels({230000001: 70}))
    assert res.loc[res["mmsi"] == 230000001, "impossible_jump"].sum() == (2 if jumps else 0)


@pytest.mark.parametrize("bearing", [90.0, 180.0, 240.0])
def test_a_spoof_at_the_recordings_end_is_flagged_whichever_way_it_is_displaced(bearing: float):
    # 3 h at 10 kn, a report a minute; the last three displaced 20-60 km. Displaced behind the
    # ship, the backward pass anchored on them reaches the true track again hours back and
    # seems to 'return' there: it then flags far more than the forward pass, and loses.
    df = leg(230000001, 59.0, 19.0, 10, 27, 183, 60)
    last = df.index[-3:]
    df.loc[last, "lat"], df.loc[last, "lon"] = destination(df.loc[last, "lat"], df.loc[last, "lon"], bearing,
                                                           np.array([20_000.0, 40_000.0, 60_000.0]))
    res = check(build(df), "impossible_jump", vessels({230000001: 70}))
    assert np.flatnonzero(res["impossible_jump"]).tolist() == [180, 181, 182]


def test_a_fake_track_left_across_a_long_silence_is_flagged_not_the_track_before_it():
    # Gulf 1141 thinned to a report per 3 min: 10 true reports, a fake track 50 km off for 27,
    # 2 h unheard, then the true track again. The backward pass reaches the fake track across
    # the silence and flags the 10 true reports before it instead (to the recording's start).
    df = leg(230000001, 60.24, 28.73, 10, 18, 47, 180)
    df.loc[10:36, "lat"], df.loc[10:36, "lon"] = destination(df.loc[10:36, "lat"], df.loc[10:36, "lon"], 225.0, 50_000.0)
    df.loc[37:, "time"] += pd.Timedelta(hours=2)
    res = check(build(df), "impossible_jump", vessels({230000001: 70}))
    assert np.flatnonzero(res["impossible_jump"]).tolist() == list(range(10, 37))


def test_a_station_that_heard_the_vessel_itself_makes_its_jump_no_other_radio():
    # A port spoofed to one spot: the station learns its position from the spoofed ships
    # around it; it also hears the vessel's true track, which then jumps to the spot and back.
    ship = leg(230000001, 55.2, 16.3, 12, 60, 60, 10, station="PORT")
    ship.loc[30:34, "lat"], ship.loc[30:34, "lon"] = 58.4, 20.4
    # Over 98 % of its receptions there (ChecksConfig.receiver_span_quantile): one station, learned there.
    spoofed = [leg(230000002 + k, 58.4, 20.4, 0, 0, 600, 5, station="PORT") for k in range(6)]
    res = check(build(ship, *spoofed), "impossible_jump", vessels({230000001: 70}))
    assert np.flatnonzero(res["impossible_jump"] & (res["mmsi"] == 230000001)).tolist() == [30, 31, 32, 33, 34]


def test_impossible_jump_uses_class_and_ship_type_limits():
    # 40 kn over 10 min steps: beyond a cargo ship (30 kn), within high-speed craft (60 kn).
    df = leg(230000001, 59.5, 21.0, 40, 90, 6, 600, sog=12.0)
    tr = build(df)
    assert check(tr, "impossible_jump", vessels({230000001: 70}))["impossible_jump"].sum() == 5
    assert not check(tr, "impossible_jump", vessels({230000001: 40}))["impossible_jump"].any()


def test_fast_ferry_reporting_its_speed_is_not_a_jump():
    # 38 kn passenger ship (type 60): default Class A limit and SOG hint allow it.
    df = leg(230000001, 59.5, 24.0, 38, 180, 60, 2)
    assert not check(build(df), "impossible_jump", vessels({230000001: 60}))["impossible_jump"].any()


def test_gps_jitter_at_2_s_does_not_jump():
    n = 300
    df = leg(230000001, 60.0, 25.0, 0.0, 0, n, 2, sog=0.1, device="B")
    noise = rng().normal(0, 40, (n, 2))  # 40 m RMS, Class B without DGNSS
    df["lat"] += noise[:, 0] / 111_000
    df["lon"] += noise[:, 1] / 55_000
    res = run_checks(build(df))
    assert not res[[c for c in CHECKS if CHECK_FAMILY[c] == "spoofing"]].any().any()


def test_shared_mmsi_interleaving_does_not_jump():
    # Two ships on one MMSI 1.4 km apart at 2.7 kn, taking turns (the real 538004030 case).
    a = leg(538004030, 57.77, 11.36, 2.7, 140, 60, 10)
    b = leg(538004030, 57.78, 11.35, 2.7, 140, 12, 50, t0_s=5)
    tr = build(a, b)
    assert tr["segment"].nunique() == 2
    assert not check(tr, "impossible_jump")["impossible_jump"].any()
    loose = ChecksConfig(identity_min_alternations=1000)  # without the identity rule: jumps
    assert check(tr, "impossible_jump", cfg=loose)["impossible_jump"].sum() >= 6


def test_placeholder_mmsi_is_not_one_vessel():
    assert placeholder_mmsi(np.array([111111111, 123456789, 12345, 2190067, 230000001])).tolist() == [
        True, True, True, True, False]
    a = leg(111111111, 54.16, 13.64, 0.0, 0, 10, 10)  # Rügen
    b = leg(111111111, 62.32, 5.84, 0.0, 0, 10, 10, t0_s=7)  # Ålesund
    assert not check(build(a, b), "impossible_jump")["impossible_jump"].any()


def test_long_displacement_of_anchored_tankers_flags_exactly_the_stretch():
    # Three tankers at anchor off Kronstadt reported at Pulkovo (50 km) for 2 h of a 4 h
    # recording: hours make the anchorage-airport step 'reachable' at 30 kn, but the
    # stretch continues the stretch and the return ends it.
    parts, spans = [], {}
    for k in range(3):
        df = leg(273000001 + k, 60.04 + 0.01 * k, 29.45 + 0.01 * k, 0.0, 0, 1440, 10, t0_s=k, sog=0.1)
        span = slice(360 + 20 * k, 1080 + 20 * k)
        noise = np.random.default_rng(k).normal(0, 20, (721, 2))
        df.loc[span, "lat"] = 59.80 + noise[:, 0] / 111_000
        df.loc[span, "lon"] = 30.26 + noise[:, 1] / 55_000
        parts.append(df)
        spans[273000001 + k] = list(range(span.start, span.stop + 1))
    tr = build(*parts)
    res = pd.concat([tr[["mmsi"]], run_checks(tr, vessels(dict.fromkeys(spans, 80)))], axis=1)
    for mmsi, x in res.groupby("mmsi"):
        assert np.flatnonzero(x["impossible_jump"]).tolist() == spans[mmsi]
        assert (x["impossible_jump"] == x["convergence"]).all() and (x["impossible_jump"] == x["on_land"]).all()
        assert x["jump_from_m"].dropna().between(45_000, 55_000).all()


def test_single_small_glitch_within_reach_is_not_a_jump():
    df = leg(230000001, 59.5, 21.0, 12, 90, 50, 10)
    df.loc[20, "lat"], df.loc[20, "lon"] = destination(df.loc[20, "lat"], df.loc[20, "lon"], 0.0, 700.0)
    assert not check(build(df), "impossible_jump")["impossible_jump"].any()


def test_late_satellite_copy_is_not_a_jump():
    # Report 10 again, received 5 min 20 s late: its UTC second is its original's.
    df = leg(230000001, 57.0, 11.0, 20, 0, 60, 10)
    late = df.iloc[[10]].assign(time=df["time"].iloc[40] + pd.Timedelta(seconds=20), station="AISSAT")
    tr = build(df, late)
    assert not check(tr, "impossible_jump")["impossible_jump"].any()
    assert check(tr, "impossible_jump", cfg=ChecksConfig(stale_window_s=0))["impossible_jump"].sum() == 1
    # With a UTC second that agrees with its receive time it is a current fix back at an old
    # place: a jump.
    current = late.assign(second=int(late["time"].iloc[0].second))
    assert check(build(df, current), "impossible_jump")["impossible_jump"].sum() == 1


def test_a_ship_at_anchor_pulled_off_and_back_is_a_jump_not_a_late_copy():
    """Strait of Hormuz generator (benchmarks/gulf_scenarios.py), seeds 25 and 33: a spoofer pulls
    an anchored tanker's position off at 3.4 kn, then lets it go back 5.6 km in 3 min. The fixes
    back at the anchorage repeat the place it held within the hour, but their UTC seconds say
    they are current: the pull-off is the displaced stretch. Before, the fixes back were taken
    for late copies, and nothing was flagged."""
    t = 180.0 * np.arange(60)
    df = leg(230000001, 25.22, 56.52, 0, 0, 60, 180, nav_status=1)
    g = np.random.default_rng(5)
    df["lat"] += g.normal(0, 2e-5, 60)
    off = (t >= 1800) & (t < 4860)  # 51 min pulled off at 3.4 kn, then let go
    la, lo = destination(df.loc[off, "lat"], df.loc[off, "lon"], 160, 3.4 * KNOT_MS * (t[off] - 1800 + 180))
    df.loc[off, "lat"], df.loc[off, "lon"], df.loc[off, "sog"], df.loc[off, "cog"] = la, lo, 3.4, 160.0
    res = check(build(df), "impossible_jump", vessels({230000001: 80}))
    flagged = res["impossible_jump"].to_numpy()
    assert flagged[off].sum() >= 5 and not flagged[t < 1800].any()


# --- erratic fix ---------------------------------------------------------------------------

def scattered(mmsi: int = 230000001, sigma_m: float = 1000.0, seed: int = 0, every_s: float = 20) -> pd.DataFrame:
    """12 kn eastwards, a report every ``every_s`` seconds; reports 30-89 scattered around
    the true position by half-normal ``sigma_m`` in random directions (a jammed receiver
    still computing fixes), SOG/COG as before."""
    return scatter(leg(mmsi, 59.5, 21.0, 12, 90, 120, every_s), 30, 89, sigma_m, np.random.default_rng(seed))


def scatter(df: pd.DataFrame, first: int, last: int, sigma_m: float, g: np.random.Generator) -> pd.DataFrame:
    """``df`` with reports ``first``..``last`` moved by half-normal ``sigma_m`` in random directions."""
    k, n = slice(first, last), last - first + 1
    la, lo = destination(df.loc[k, "lat"], df.loc[k, "lon"], g.uniform(0, 360, n), np.abs(g.normal(0, sigma_m, n)))
    df.loc[k, "lat"], df.loc[k, "lon"] = la, lo
    return df


@pytest.mark.parametrize("sigma_m", [500.0, 1000.0, 2000.0])
def test_erratic_fix_fires_on_fixes_scattering_around_the_track(sigma_m):
    res = check(build(scattered(sigma_m=sigma_m)), "erratic_fix")
    assert res["erratic_fix"].iloc[30:90].mean() > 0.8
    assert not res["erratic_fix"].iloc[:25].any() and not res["erratic_fix"].iloc[95:].any()
    assert res.loc[res["erratic_fix"], "erratic_fix_mag"].between(500, 2 * 3704).all()


def test_erratic_fix_sees_sustained_scatter_below_the_jump_tolerance():
    # 150 m of scatter at 10 s: no step is out of reach, but no ship sails such a track.
    res = check(build(scattered(sigma_m=150.0, every_s=10)), "erratic_fix")
    assert res["erratic_fix"].iloc[30:90].mean() > 0.6
    assert not res["erratic_fix"].iloc[:25].any() and not res["erratic_fix"].iloc[95:].any()


@pytest.mark.parametrize("block", [1, 7, 64])
def test_fix_scatter_in_blocks_is_the_same(block, monkeypatch):
    # Blocks bound its memory on large inputs; any size gives the same metres, two
    # segments (and two vessels) included.
    from gnss_watch.checks import fix

    tr = build(scattered(sigma_m=300.0), scattered(mmsi=230000002, seed=1, every_s=7))
    ctx = Context(tr, None, None, gnss_watch.config.ChecksConfig())
    rows = ctx.seg_rows[ctx.kinematic[ctx.seg_rows]]
    whole = fix.fix_scatter(ctx, rows)
    monkeypatch.setattr(fix, "_SCATTER_BLOCK", block)
    np.testing.assert_array_equal(fix.fix_scatter(ctx, rows), whole)
    assert np.isfinite(whole).sum() > 200


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_erratic_fix_holds_a_quiet_receiver_to_its_own_noise(seed):
    # 120 m of scatter at 10 s: its median scatter sits near 100 m, so only a limit set by the
    # receiver's own quiet fixes (0 m here; the floor, 50 m, applies) sees most of it. A
    # receiver with 40 m RMS noise keeps 100 m.
    res = check(build(scattered(sigma_m=120.0, every_s=10, seed=seed)), "erratic_fix")
    assert res["erratic_fix"].iloc[30:90].mean() > 0.6
    assert not res["erratic_fix"].iloc[:25].any() and not res["erratic_fix"].iloc[95:].any()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_erratic_fix_sees_scatter_across_long_steps(seed):
    # 150 m of scatter with fixes 250 m apart (12 kn, 40 s: Class B): the path through a
    # fix offset 150 m is only ~80 m longer, the fix lies 150 m across the line.
    res = check(build(scattered(sigma_m=150.0, every_s=40, seed=seed)), "erratic_fix")
    assert res["erratic_fix"].iloc[30:90].mean() > 0.6
    assert not res["erratic_fix"].iloc[:25].any() and not res["erratic_fix"].iloc[95:].any()


def at_anchor(mmsi: int = 230000001, scatter_m: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """3 h at anchor, a report every 3 min (ITU-R M.1371): the antenna swings 10 degrees a
    report on a 150 m circle round the anchor, with 3 m of GNSS noise; reports 20-39 scattered
    by half-normal ``scatter_m`` in random directions."""
    df = leg(mmsi, 59.5, 21.0, 0.0, 0, 60, 180, nav_status=1)
    g = np.random.default_rng(seed)
    swing = 10.0 * np.arange(60)
    df["lat"], df["lon"] = destination(df["lat"], df["lon"], swing, 150.0)
    df["lat"], df["lon"] = destination(df["lat"], df["lon"], g.uniform(0, 360, 60), np.abs(g.normal(0, 3, 60)))
    df["cog"] = (swing + 90) % 360
    return scatter(df, 20, 39, scatter_m, g)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_erratic_fix_sees_a_ship_at_anchor_scatter(seed):
    # Nine fixes at anchor span 24 min, beyond the 10-min window; the run then keeps to its
    # fixes beyond the limit, so the flags end within two fixes of the scatter.
    res = check(build(at_anchor(scatter_m=150.0, seed=seed)), "erratic_fix")
    assert res["erratic_fix"].iloc[20:40].mean() > 0.6
    assert not res["erratic_fix"].iloc[:18].any() and not res["erratic_fix"].iloc[42:].any()
    # Swinging round the anchor is no scatter.
    assert not check(build(at_anchor(seed=seed)), "erratic_fix")["erratic_fix"].any()


def degrading(accuracy_drops: bool = True, far_m: float = 0.0) -> pd.DataFrame:
    """A fast craft at 27 kn reporting every 2 s (ITU-R M.1371 above 23 kn) whose receiver
    drops to low accuracy at report 40 and scatters 80-650 m for seven reports (each step
    but two within the jump check's slack, no three of them out of reach of each other),
    then dead reckons (UTC second 62) from report 47 on. ``accuracy_drops`` False: its
    accuracy flag is low all along (no DGNSS). ``far_m``: report 44 lies that much
    farther north."""
    df = leg(230000001, 26.65, 56.17, 27, 50, 80, 2, accuracy=1 if accuracy_drops else 0)
    offsets = [(0, 80), (40, 170), (290, 380), (100, 420), (220, 300), (250, 600), (10, 650)]
    for k, (bearing, dist) in enumerate(offsets):
        i = 40 + k
        df.loc[i, "lat"], df.loc[i, "lon"] = destination(df.loc[i, "lat"], df.loc[i, "lon"], bearing, dist)
    df.loc[44, "lat"], df.loc[44, "lon"] = destination(df.loc[44, "lat"], df.loc[44, "lon"], 0, far_m)
    df.loc[40:, "accuracy"] = 0
    df.loc[47:, "second"] = 62
    df.loc[47:, "lat"], df.loc[47:, "lon"] = destination(df.loc[47:, "lat"], df.loc[47:, "lon"], 10, 650)
    return df


def test_erratic_fix_sees_a_receiver_scatter_between_its_low_accuracy_and_its_lost_fix():
    # Its own flags bracket the scatter: low accuracy, then dead reckoning. Before, two of
    # the steps were an impossible jump and the fast craft a spoofing event (a scenario of
    # the Strait of Hormuz generator, benchmarks/gulf_scenarios.py, seed 1).
    vs = vessels({230000001: 40})
    res = check(build(degrading()), "erratic_fix", vs)
    assert res["erratic_fix"].iloc[40:47].all() and not res["erratic_fix"].iloc[:40].any()
    assert res["erratic_fix_mag"].iloc[40:47].between(500, 2 * 3704).all()
    # Without the drop in accuracy, or with a step beyond the integrity limit (a spoof's
    # jump), the steps stay the jump check's.
    for df in (degrading(accuracy_drops=False), degrading(far_m=8000.0)):
        assert not check(build(df), "erratic_fix", vs)["erratic_fix"].any()
        assert check(build(df), "impossible_jump", vs)["impossible_jump"].iloc[40:47].any()


@pytest.mark.parametrize("jump_m, drops, erratic", [(950.0, True, True), (950.0, False, False),
                                                     (8000.0, True, False)])
def test_erratic_fix_sees_one_low_accuracy_fix_jump_before_the_receiver_dead_reckons(jump_m: float, drops: bool,
                                                                                     erratic: bool) -> None:
    """The receiver's first fix after its drop to low accuracy lies 950 m off the track, and it
    dead reckons from there on: that fix is the degraded receiver's, not a spoof (the fourth
    generator's 102: a fast craft's 95 minutes of dead reckoning read as a spoofing event).
    Not without the drop, nor with a jump beyond the integrity limit (2 x 2 NM): a spoof's."""
    vs = vessels({230000001: 40})
    df = leg(230000001, 26.65, 56.17, 27, 50, 80, 2, accuracy=1 if drops else 0)
    df.loc[40:, "lat"], df.loc[40:, "lon"] = destination(df.loc[40:, "lat"], df.loc[40:, "lon"], 210.0, jump_m)
    df.loc[40:, "accuracy"] = 0
    df.loc[41:, "second"] = 62
    res = run_checks(build(df), vs)
    assert bool(res["erratic_fix"].iloc[40]) == erratic and not res["erratic_fix"].iloc[:40].any()
    assert res["impossible_jump"].iloc[40]


def test_erratic_fix_sees_low_accuracy_fixes_just_before_positioning_fails():
    """A tanker's receiver drops to low accuracy and steps 309 then 493 m, 10 s apart (each
    within the jump check's 500 m slack), then reports 'not available' (no position) for
    8 minutes and scatters when the fix comes back: the fourth generator's 125
    (``tests/data/gulf125_636378615_degraded.csv``, see SOURCES.md). The run from the drop ends at
    the reports without a position, and the jump check, anchored on the scatter after them, puts
    the second fix out of reach: the receiver's scatter, not a spoof across the outage."""
    df = pd.read_csv(Path(__file__).parent / "data" / "gulf125_636378615_degraded.csv")
    df["time"] = pd.to_datetime(df["time"], utc=True)
    res = run_checks(build(df), vessels({636378615: 84}))
    t = df["time"].dt.strftime("%H:%M:%S")
    lost = t.between("05:29:20", "05:38:10")
    assert (df.loc[lost, "second"] == 63).all() and res.loc[t == "05:29:19", "impossible_jump"].all()
    assert res.loc[t.isin(["05:29:09", "05:29:19"]), "erratic_fix"].all()
    assert not res.loc[t < "05:29:00", "erratic_fix"].any()


@pytest.mark.parametrize("silence_s, erratic", [(1200.0, True), (150.0, False)])
def test_erratic_fix_sees_a_receiver_scatter_between_its_low_accuracy_and_its_silence(silence_s: float,
                                                                                     erratic: bool) -> None:
    """The same receiver, but its transponder then sends nothing (some send nothing without a
    fix) for 20 min and comes back on its track: the scatter before the silence is the
    receiver's (the fourth generator's 72: an offshore vessel's last fix, 1.2 km back, read as
    a spoof to the end of the recording). A gap within ITU-R M.1371's 3 min is a missed report
    or two, no loss: the steps stay the jump check's."""
    vs = vessels({230000001: 40})
    before = degrading().iloc[:47]
    t0 = 92.0 + silence_s
    lat, lon = destination(26.65, 56.17, 50.0, 27 * KNOT_MS * t0)
    df = pd.concat([before, leg(230000001, float(lat), float(lon), 27, 50, 30, 2, t0_s=t0)], ignore_index=True)
    res = check(build(df), "erratic_fix", vs)
    assert res["erratic_fix"].iloc[40:47].all() == erratic and not res["erratic_fix"].iloc[:40].any()
    if not erratic:
        assert check(build(df), "impossible_jump", vs)["impossible_jump"].iloc[40:47].any()


def test_erratic_fix_sees_a_receiver_scatter_between_its_low_accuracy_and_a_held_fix():
    """The same receiver, but then it holds one fix 300 m off the track (high accuracy again, the
    position repeated exactly at 27 kn): it stopped updating it, which is the loss too (the
    fourth generator's 64: a patrol boat's scatter before its held fix read as a spoof)."""
    vs = vessels({230000001: 40})
    df = degrading()
    df.loc[47:, "second"] = leg(230000001, 26.65, 56.17, 27, 50, 80, 2)["second"].iloc[47:]
    df.loc[47:, "accuracy"] = 1
    lat, lon = destination(df.loc[47, "lat"], df.loc[47, "lon"], 180.0, 300.0)
    df.loc[47:, "lat"], df.loc[47:, "lon"] = float(lat), float(lon)
    res = run_checks(build(df), vs)
    assert res["frozen_position"].iloc[48:70].all()
    assert res["erratic_fix"].iloc[40:47].all() and not res["erratic_fix"].iloc[:30].any()


def test_erratic_fix_stretch_keeps_to_its_vessel():
    # Scatter shown by its median alone (no excursion anywhere), alone and next to
    # another vessel's jumps: the stretch neither fails nor reaches the other vessel.
    for parts in ([scattered(sigma_m=130.0, every_s=10)],
                  [scattered(sigma_m=130.0, every_s=10), teleport_track(mmsi=230000009)]):
        res = check(build(*parts), "erratic_fix")
        hit = res[res["erratic_fix"]]
        assert len(hit) > 10 and (hit["mmsi"] == 230000001).all()
        # The scatter's own metres (at least the 50 m floor), not the teleport's kilometres.
        assert hit["erratic_fix_mag"].between(50, 500).all()


def test_erratic_fix_keeps_apart_vessels_transmitters_and_far_jumps():
    def put(df, i, base, bearing, dist):
        df.loc[i, "lat"], df.loc[i, "lon"] = destination(df.loc[base, "lat"], df.loc[base, "lon"], bearing, dist)

    # Scatter at the end of one vessel's rows and the start of the next: each its own magnitude.
    a, b = leg(230000001, 59.9, 24.0, 10, 90, 20, 60), leg(230000002, 59.5, 24.0, 10, 90, 20, 60)
    put(a, 18, 17, 0, 3000)
    put(a, 19, 17, 270, 4000)
    put(b, 1, 0, 0, 2200)
    put(b, 2, 0, 270, 3700)
    both = check(build(a, b), "erratic_fix").groupby("mmsi")["erratic_fix_mag"].max()
    alone = check(build(b), "erratic_fix")["erratic_fix_mag"].max()
    assert both[230000002] == pytest.approx(alone) and both[230000001] > alone
    # A jump of 30 km after scatter stays the jump check's: the stretch does not reach it.
    c = leg(230000003, 57.5, 20.0, 12, 90, 180, 10)
    put(c, 40, 40, 0, 1500)
    put(c, 46, 46, 180, 1500)
    c.loc[60:119, "lat"], c.loc[60:119, "lon"] = destination(c.loc[60:119, "lat"], c.loc[60:119, "lon"], 30, 30000)
    res = check(build(c), "erratic_fix")
    assert res["erratic_fix"].iloc[40:47].all() and not res["erratic_fix"].iloc[60:].any()
    # A second transmitter on the MMSI 40 km away, reporting between scattered fixes.
    other = leg(230000001, 59.9, 21.0, 12, 90, 20, 60, t0_s=5)
    tr = build(scattered(sigma_m=150.0, every_s=10), other)
    assert not check(tr, "erratic_fix").loc[(tr["lat"] > 59.8).to_numpy(), "erratic_fix"].any()


def test_erratic_fix_quiet_on_coherent_displacements_and_second_transmitters():
    def quiet(*parts: pd.DataFrame) -> bool:
        return not check(build(*parts), "erratic_fix")["erratic_fix"].any()

    assert quiet(teleport_track())
    # Every other report at one false point 2 km off (a spoofer capturing the fix on and off).
    flip = leg(230000002, 59.5, 21.0, 12, 90, 120, 10)
    flip.loc[30:90:2, "lat"], flip.loc[30:90:2, "lon"] = destination(59.5, 21.0, 45.0, 2000.0)
    assert quiet(flip)
    # ... or at a fixed offset from the ship, a displaced copy of its track.
    copy = leg(230000003, 59.5, 21.0, 12, 90, 120, 10)
    copy.loc[30:90:2, "lat"], copy.loc[30:90:2, "lon"] = destination(copy.loc[30:90:2, "lat"],
                                                                     copy.loc[30:90:2, "lon"], 0.0, 1500.0)
    assert quiet(copy)
    # Two ships on one MMSI taking turns, and a spoofed circle sampled every 3 min.
    assert quiet(leg(538004030, 57.77, 11.36, 2.7, 140, 60, 10), leg(538004030, 57.78, 11.35, 2.7, 140, 12, 50, t0_s=5))
    # (at 12 kn it steps 1.1 km a fix, turning 60 degrees: no scatter, though runs of nine
    # fixes 3 min apart are judged for ships at rest)
    assert quiet(circle_track(1000, 7, 2, every_s=180)) and quiet(circle_track(1000, 12, 2, every_s=180))
    # Scatter far beyond any receiver's integrity limit is a spoof's business, not this check's.
    assert quiet(scattered(sigma_m=50_000, seed=1))
    # GNSS noise of a working receiver (40 m RMS, Class B without DGNSS) at rest and under way.
    for speed in (0.0, 12.0):
        jitter = leg(230000004, 60.0, 25.0, speed, 45, 300, 2, device="B")
        noise = rng().normal(0, 40, (300, 2))
        jitter["lat"] += noise[:, 0] / 111_000
        jitter["lon"] += noise[:, 1] / 55_000
        assert quiet(jitter)
    # Two ships 400 km apart on one MMSI, taking turns irregularly (A A B B A ...).
    a = leg(256288000, 59.04, 21.80, 13, 46, 120, 10)
    b = leg(256288000, 60.06, 29.17, 11.5, 276, 120, 10, t0_s=4)
    b["time"] += pd.to_timedelta(np.where(np.arange(120) % 4 < 2, 0, 10), unit="s")
    assert quiet(a, b)


def test_erratic_fix_quiet_on_real_recordings(dma):
    assert not dma[1]["erratic_fix"].any()
    ds = gnss_watch.read(str(REAL / "dma_shared_mmsi_538004030.ais"))
    assert not run_checks(build_tracks := tracks_mod.build_tracks(ds.positions), ds.vessels)["erratic_fix"].any()
    assert len(build_tracks) > 900


# --- speed and course ----------------------------------------------------------------------

def test_speed_mismatch_fires_when_positions_stand_still_at_12_kn():
    df = leg(230000001, 59.8, 24.0, 0.0, 90, 30, 10, sog=12.0)  # position fixed, SOG 12 kn
    df["lat"] += np.arange(30) * 1e-6  # distinct fixes (not frozen), metres apart
    res = check(build(df), "speed_mismatch")
    assert res["speed_mismatch"].sum() >= 20
    assert res["speed_mismatch_mag"].max() == pytest.approx(12, abs=0.5)



def test_live_fix_returning_after_a_held_fix_is_not_a_jump():
    # 22 kn (ship type 70: limit 30 kn), fix held for 12 min: the live fix comes back
    # 8 km on, out of reach of the last held report 10 s before it, not of the fix.
    df = leg(230000001, 59.5, 21.0, 22, 90, 91, 10)
    df.loc[18:89, ["lat", "lon"]] = df.loc[18, ["lat", "lon"]].to_numpy(dtype=float)
    res = check(build(df), "impossible_jump", vessels({230000001: 70}))
    assert not res["impossible_jump"].any()

def test_speed_mismatch_leaves_a_held_fix_to_frozen_position():
    df = leg(230000001, 59.8, 24.0, 12, 90, 40, 10)
    df.loc[10:, ["lat", "lon"]] = df.loc[10, ["lat", "lon"]].to_numpy(dtype=float)  # jammed: last fix held
    res = run_checks(build(df))
    assert res["frozen_position"].sum() == 30
    assert not res["speed_mismatch"].any()


def test_speed_mismatch_fires_when_track_runs_faster_than_reported():
    df = leg(230000001, 59.8, 24.0, 30, 90, 30, 10, sog=10.0)
    assert check(build(df), "speed_mismatch")["speed_mismatch"].sum() >= 20


def test_speed_mismatch_quiet_when_a_class_b_at_rest_sets_off():
    # At rest a Class B reports every 3 min; the first report under way says 18 kn while
    # the interval back to the last rest report averages 2 kn.
    rest = leg(230000001, 59.62, 24.90, 0.0, 0, 10, 180, sog=0.05, device="B")
    away = leg(230000001, 59.62, 24.90, 18, 235, 20, 30, t0_s=9 * 180 + 150, device="B")
    assert not check(build(rest, away), "speed_mismatch")["speed_mismatch"].any()


def test_speed_mismatch_quiet_on_consistent_and_turning_tracks():
    straight = leg(230000001, 59.8, 24.0, 14, 90, 60, 10)
    # A tight 270-degree turn at 8 kn: the chord is much shorter than the path.
    ang = np.radians(np.arange(40) * 7.0)
    r = 8 * KNOT_MS * 10 / np.radians(7.0)
    turn = leg(230000002, 59.7, 24.0, 8, 0, 40, 10)
    turn["lat"] = 59.7 + r * np.sin(ang) / 111_000
    turn["lon"] = 24.0 + r * (1 - np.cos(ang)) / 55_500
    turn["cog"] = np.degrees(ang) % 360
    assert not check(build(straight, turn), "speed_mismatch")["speed_mismatch"].any()


def test_course_mismatch_fires_when_track_contradicts_cog():
    df = leg(230000001, 59.8, 24.0, 12, 0, 30, 10, cog=90.0)  # runs north, says east
    res = check(build(df), "course_mismatch")
    assert res["course_mismatch"].sum() >= 20
    assert res["course_mismatch_mag"].max() == pytest.approx(90, abs=2)


def test_course_mismatch_quiet_when_slow_or_consistent():
    slow = leg(230000001, 59.8, 24.0, 2, 0, 60, 10, cog=rng().uniform(0, 360, 60))  # 2 kn: COG is noise
    ok = leg(230000002, 59.7, 24.0, 12, 45, 60, 10)
    assert not check(build(slow, ok), "course_mismatch")["course_mismatch"].any()


# --- on land -------------------------------------------------------------------------------

def test_on_land_fires_at_pulkovo():
    df = leg(273000001, 59.80, 30.26, 0.0, 0, 5, 60)
    res = check(build(df), "on_land")
    assert res["on_land"].all()
    assert res["on_land_mag"].min() > 5000


@pytest.mark.parametrize("where", [(60.165, 24.955, 0.0), (54.25, 9.60, 8.0), (59.93, 30.35, 6.0)],
                         ids=["Helsinki South Harbour", "Kiel Canal", "Neva in St Petersburg"])
def test_on_land_quiet_in_harbours_and_waterways(where):
    lat, lon, sog = where
    df = leg(230000001, lat, lon, sog, 90, 5, 60)
    assert not check(build(df), "on_land")["on_land"].any()


def test_waterway_boxes_keep_clear_of_airports():
    airports = {"Pulkovo": (30.26, 59.80), "Riga": (23.97, 56.92), "Hamburg": (9.99, 53.63), "Lübeck": (10.70, 53.805),
                "Landvetter": (12.29, 57.66), "Lappeenranta": (28.14, 61.04), "Kaliningrad": (20.59, 54.89)}
    lon, lat = np.array(list(airports.values())).T
    assert not in_waterway(lon, lat).any()
    assert len(WATERWAYS) >= 10


@pytest.mark.parametrize("device,msg_type,mmsi", [("AtoN", 21, 992300001), ("SAR", 9, 111273100)])
def test_on_land_moot_for_aids_to_navigation_and_aircraft(device, msg_type, mmsi):
    df = leg(mmsi, 59.80, 30.26, 0.0, 0, 5, 60, device=device, msg_type=msg_type)
    assert not check(build(df), "on_land")["on_land"].any()


# --- convergence ---------------------------------------------------------------------------

def displaced(mmsi: int, lat: float, lon: float, point: tuple[float, float], t0_s: float) -> pd.DataFrame:
    """A ship on passage displaced onto ``point`` (with 20 m noise) for reports 15-34."""
    df = leg(mmsi, lat, lon, 12, 90, 50, 10, t0_s=t0_s)
    noise = np.random.default_rng(mmsi).normal(0, 20, (20, 2))
    df.loc[15:34, "lat"] = point[0] + noise[:, 0] / 111_000
    df.loc[15:34, "lon"] = point[1] + noise[:, 1] / 55_000
    return df


def test_convergence_fires_on_ships_displaced_to_one_point():
    point = (59.80, 30.26)  # Pulkovo
    ships = [displaced(273000001 + k, 59.95 - 0.1 * k, 28.5 + 0.3 * k, point, 3 * k) for k in range(3)]
    res = check(build(*ships), "convergence")
    fired = res[res["convergence"]]
    assert set(fired["mmsi"]) == {273000001, 273000002, 273000003}
    assert len(fired) == 60 and (fired["convergence_mag"] == 3).all()


def test_convergence_needs_three_vessels():
    point = (59.80, 30.26)
    ships = [displaced(273000001 + k, 59.95 - 0.1 * k, 28.5 + 0.3 * k, point, 3 * k) for k in range(2)]
    res = check(build(*ships), "convergence")
    assert not res["convergence"].any()


def test_ships_following_one_lane_do_not_converge_on_the_points_they_pass():
    """Three ships 3 km apart on one lane at 17 kn, each holding its fix with SOG 0 for 40 min
    (jammed) and then back on its track: every report of theirs is one side of a jump, and each
    passes the others' points 3.4 min later, a few seconds each. They were never there at once."""
    ships = []
    for k in range(3):
        lat, lon = destination(44.55, 37.64, 288.6, 3000.0 * k)
        df = leg(273000010 + k, float(lat), float(lon), 17, 288.6, 900, 10)
        df.loc[220:470, ["lat", "lon"]] = df.loc[220, ["lat", "lon"]].to_numpy(dtype=float)
        df.loc[221:470, "sog"] = 0.0
        ships.append(df)
    assert not check(build(*ships), "convergence")["convergence"].any()

def test_ships_moored_side_by_side_do_not_converge():
    # Four ships sailed in and lie 30 m apart at one berth, reporting for an hour.
    parts = []
    for k in range(4):
        arrive = leg(230000001 + k, 60.10 - 0.02, 24.95 + 0.0005 * k, 6, 0, 8, 30, t0_s=k * 60)
        berth = leg(230000001 + k, 60.10, 24.95 + 0.0005 * k, 0.0, 0, 20, 180, t0_s=k * 60 + 240 * (1 + k))
        parts += [arrive, berth]
    res = run_checks(build(*parts))
    assert not res["convergence"].any()


# --- circle --------------------------------------------------------------------------------

def circle_track(radius_m: float, sog: float, laps: float, every_s: float = 10, mmsi: int = 230000001) -> pd.DataFrame:
    dt = np.arange(0, laps * 2 * np.pi * radius_m / (sog * KNOT_MS), every_s)
    ang = sog * KNOT_MS * dt / radius_m
    df = leg(mmsi, 59.8, 23.0, sog, 0, len(dt), every_s)
    df["lat"] = 59.8 + radius_m * np.sin(ang) / 111_200
    df["lon"] = 23.0 + radius_m * (1 - np.cos(ang)) / (111_200 * np.cos(np.radians(59.8)))
    df["cog"] = np.degrees(ang) % 360
    return df


def test_circle_fires_on_a_perfect_2_km_circle_at_12_kn():
    df = leg(230000001, 59.8, 22.5, 12, 90, 60, 10)  # on passage ...
    circ = circle_track(2000, 12, 1.2)  # ... then a 2 km circle
    circ["time"] += df["time"].iloc[-1] - T0 + pd.Timedelta(seconds=10)
    res = check(build(df, circ), "circle")
    on_circle = res["time"] >= circ["time"].iloc[0]
    assert res.loc[on_circle, "circle"].mean() > 0.9
    assert res.loc[res["circle"], "circle_mag"].between(1900, 2100).all()
    assert not res.loc[~on_circle, "circle"].iloc[:-6].any()  # the passage before (bar its last minute)


@pytest.mark.parametrize("ship_type, fires", [(37, False), (30, False), (70, True), (None, True)])
def test_a_whole_circle_by_a_pleasure_craft_or_fishing_vessel_is_its_outing(ship_type, fires):
    """The own simulator's Baltic 1715: a Class B pleasure craft sailed a whole 5.7 km loop at
    11.5 kn and was a spoofing event. Pleasure craft and fishing vessels (ITU-R M.1371 ship
    types 37, 30) sail circles; a cargo ship, or a vessel of unknown type, is on passage."""
    df = circle_track(5700, 11.5, 1.1, every_s=30).assign(device="B", heading=np.nan)
    vs = vessels({230000001: ship_type}) if ship_type else None
    assert bool(check(build(df), "circle", vs)["circle"].any()) is fires


def test_a_partial_arc_the_heading_does_not_follow_counts_for_any_ship_type():
    df = circle_track(2000, 12, 0.4)
    df["heading"] = 0.0  # the hull never turned
    assert check(build(df), "circle", vessels({230000001: 37}))["circle"].any()


def test_circle_quiet_on_fishing_zig_zag_and_harbour_turns():
    # Trawler zig-zag: 60-degree legs alternating port and starboard at 9 kn.
    parts = [leg(230000001, 59.8, 22.0, 9, 30 if k % 2 else 90, 12, 10, t0_s=120 * k) for k in range(20)]
    zig = pd.concat(parts, ignore_index=True)
    zig["lat"] = 59.8 + np.cumsum(np.r_[0, np.diff(zig["lat"]).clip(min=0)])  # chain the legs
    zig["lon"] = 22.0 + np.cumsum(np.r_[0, np.diff(zig["lon"]).clip(min=0)])
    turn = circle_track(250, 6, 1.5, mmsi=230000002)  # a 360 in the harbour basin
    slow = circle_track(2000, 3, 1.2, every_s=30, mmsi=230000003)  # a drifting/slow circle
    res = run_checks(build(zig, turn, slow))
    assert not res["circle"].any()



def test_circle_leaves_out_a_ship_at_anchor_on_the_spoofed_circle():
    """A ship rides at anchor (3-minute reports, SOG 0) where the spoofed circle later
    passes: the circle fires, its anchored reports do not, although they lie on it."""
    circ = circle_track(2000, 12, 1.2)
    anchored = circ.iloc[[0] * 10].copy()
    anchored["time"] = T0 + pd.to_timedelta(np.arange(10) * 180.0, unit="s")
    anchored[["sog", "cog"]] = 0.0
    circ["time"] += anchored["time"].iloc[-1] - T0 + pd.Timedelta(seconds=180)
    res = check(build(anchored, circ), "circle")
    at_anchor = res["time"] < circ["time"].iloc[0]
    assert res.loc[~at_anchor, "circle"].mean() > 0.9
    assert not res.loc[at_anchor, "circle"].any()


def partial_arc(heading_follows: bool, arc_sog: float = 12) -> pd.DataFrame:
    """12 kn east on passage, then 130 degrees of a 2 km circle (COG along the arc) at
    ``arc_sog`` (12 min at 12 kn); the true heading stays 90 (the spoof) or turns with
    the COG (a real turn)."""
    df = leg(230000001, 59.8, 22.5, 12, 90, 60, 10, heading=90.0)
    arc = circle_track(2000, arc_sog, 130 / 360)
    arc["time"] += df["time"].iloc[-1] - T0 + pd.Timedelta(seconds=10)
    arc["heading"] = arc["cog"].round() % 360 if heading_follows else 90.0
    return pd.concat([df, arc], ignore_index=True)


def test_circle_fires_on_a_partial_arc_the_heading_does_not_follow():
    df = partial_arc(heading_follows=False)
    res = check(build(df), "circle")
    on_arc = np.arange(len(res)) >= 60
    assert res.loc[on_arc, "circle"].mean() > 0.8
    assert res.loc[res["circle"], "circle_mag"].between(1900, 2100).all()
    assert not res.loc[~on_arc, "circle"].iloc[:-6].any()


def test_circle_fires_on_an_arc_that_starts_with_a_sharp_turn_the_other_way():
    """The spoofed course swings 90 degrees left from the real one, then curves right
    through 130 degrees with the heading held (same segment, no jump): the right-hand
    arc counts although the track turned left just before it."""
    df = leg(230000001, 59.8, 22.5, 12, 90, 60, 10, heading=90.0)
    arc = circle_track(2000, 12, 130 / 360).iloc[1:]
    arc["lat"] += df["lat"].iloc[-1] - 59.8
    arc["lon"] += df["lon"].iloc[-1] - 23.0
    arc["time"] += df["time"].iloc[-1] - T0
    arc["heading"] = 90.0
    res = check(build(df, arc), "circle")
    assert res["segment"].nunique() == 1
    on_arc = np.arange(len(res)) >= 60
    assert res.loc[on_arc, "circle"].mean() > 0.8
    assert not res.loc[~on_arc, "circle"].iloc[:-6].any()


def test_circle_does_not_join_a_turn_before_a_stop_to_a_spoofed_arc_after_it():
    """A ship turns 60 degrees along a 5 km circle (heading following), lies still for
    30 min, then its claimed track carries on along the same circle with the heading
    held: only the arc after the stop is flagged, not the real turn before it."""
    track = circle_track(5000, 12, 190 / 360)
    ang = np.degrees(12 * KNOT_MS * (track["time"] - T0).dt.total_seconds() / 5000)
    before, after = track[ang <= 60].copy(), track[ang > 60].copy()
    before["heading"] = before["cog"].round() % 360
    stop = before.iloc[[-1] * 30].copy()
    stop["time"] = before["time"].iloc[-1] + pd.to_timedelta(60.0 * np.arange(1, 31), unit="s")
    stop[["sog", "cog"]] = [0.0, np.nan]
    after["time"] += pd.Timedelta(seconds=1860)
    after["heading"] = before["heading"].iloc[-1]
    res = check(build(before, stop, after), "circle")
    spoofed = res["time"] > stop["time"].iloc[-1]
    assert res.loc[spoofed, "circle"].mean() > 0.8
    assert not res.loc[~spoofed, "circle"].any()


def test_circle_takes_no_heading_lag_from_dead_reckoned_or_held_fixes():
    """While the fix is lost the transponder repeats (or dead-reckons on) the last COG
    as the hull turns: that lag is no evidence of a spoofed arc."""
    df = partial_arc(heading_follows=False, arc_sog=4)
    df.loc[60:, "second"] = 62
    assert not check(build(df), "circle")["circle"].any()


def test_circle_ends_where_the_spoof_hands_over_to_a_lost_fix():
    """A spoofed arc (heading held) hands over to 5 min of dead reckoning and 11 min
    without a fix; the real track then comes back 12 km away: the arc fires, the
    dead-reckoned positions and the track after the outage do not."""
    arc = partial_arc(heading_follows=False).iloc[60:]
    t_end = (arc["time"].iloc[-1] - T0).total_seconds()
    last = arc.iloc[-1]
    dr = leg(230000001, float(last["lat"]), float(last["lon"]), 12, float(last["cog"]), 30, 10, t0_s=t_end + 10,
             heading=90.0, second=62)
    lost = leg(230000001, 0.0, 0.0, 0, 0, 66, 10, t0_s=t_end + 310, heading=90.0, second=63)
    lost[["lat", "lon", "sog", "cog"]] = np.nan
    back_lat, back_lon = destination(float(last["lat"]), float(last["lon"]), 200, 12_000)
    back = leg(230000001, float(back_lat), float(back_lon), 12, 90, 60, 10, t0_s=t_end + 970, heading=90.0)
    res = check(build(arc, dr, lost, back), "circle")
    on_arc = res["time"] <= arc["time"].iloc[-1]
    assert res.loc[on_arc, "circle"].mean() > 0.8
    assert not res.loc[~on_arc, "circle"].any()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=60), st.integers(-3, 6))
def test_first_reaching_matches_a_plain_search(values, rise):
    a = np.array(values, dtype=float)
    target = a + rise
    want = [next((i for i in range(j + 1, len(a)) if a[i] >= target[j]), len(a)) for j in range(len(a))]
    assert first_reaching(a, target).tolist() == want


def test_circle_quiet_on_a_partial_arc_sailed_with_heading_or_without_one():
    turned = partial_arc(heading_follows=True)
    no_heading = partial_arc(heading_follows=False).assign(mmsi=230000002, heading=np.nan)
    assert not run_checks(build(turned, no_heading))["circle"].any()


def test_circle_fires_on_a_slow_partial_arc_the_heading_does_not_follow():
    """The spoofer slows the claimed track to 4 kn (below on-passage speed) while the
    ship holds its heading: the heading lag is the evidence. Sailed with the heading,
    or without one, the same slow arc stays quiet."""
    res = check(build(partial_arc(heading_follows=False, arc_sog=4)), "circle")
    assert res.loc[np.arange(len(res)) >= 60, "circle"].mean() > 0.8
    turned = partial_arc(heading_follows=True, arc_sog=4)
    no_heading = partial_arc(heading_follows=False, arc_sog=4).assign(mmsi=230000002, heading=np.nan)
    assert not run_checks(build(turned, no_heading))["circle"].any()

# --- receiver range ------------------------------------------------------------------------

def test_receiver_range_against_a_base_station_and_learned_stations():
    bs = conform(pd.DataFrame({"time": [T0], "mmsi": [2190067], "lat": [55.0], "lon": [11.0]}), BASE_STATION_DTYPES)
    near = leg(219000001, 55.2, 11.3, 10, 90, 30, 10, station="2190067")
    far_lat, far_lon = destination(55.0, 11.0, 45.0, 200 * METRES_PER_NM)
    far = leg(219000002, float(far_lat), float(far_lon), 10, 90, 3, 10, station="2190067")
    # A learned station: 40 receptions around 57N 12E and one 300 NM off.
    local = [leg(265000000 + k, 57.0 + 0.01 * k, 12.0, 8, 0, 1, 10, station="R1") for k in range(40)]
    odd = leg(265100000, 62.0, 12.0, 8, 0, 1, 10, station="R1")
    # An aggregator: receptions across 1000 km never fire.
    agg = [leg(230000100 + k, 54.0 + 0.3 * k, 10.0 + 0.5 * k, 8, 0, 1, 10, station="AISD") for k in range(30)]
    res = check(build(near, far, *local, odd, *agg), "receiver_range", bs=bs)
    assert set(res.loc[res["receiver_range"], "mmsi"]) == {219000002, 265100000}
    assert res.loc[res["mmsi"] == 219000002, "receiver_range_mag"].iloc[0] == pytest.approx(200, rel=0.01)



def test_a_learned_coastal_station_is_placed_by_all_it_heard_not_by_their_middle():
    """A station on the coast hears the sea side alone, so the middle of what it heard lies
    offshore: a ship 110 NM along the coast is 130 NM from that middle yet within reach of a
    station that also hears everything else it heard. 200 NM off it is not."""
    brg, dist = np.meshgrid(np.linspace(-85, 85, 9), np.linspace(8, 90, 12))
    la, lo = destination(55.0, 15.0, brg.ravel() % 360, dist.ravel() * METRES_PER_NM)
    sea = [leg(261000000 + k, float(a), float(b), 8, 0, 1, 10, station="R2") for k, (a, b) in enumerate(zip(la, lo))]
    along_lat, along_lon = destination(55.0, 15.0, 150.0, 110 * METRES_PER_NM)
    along = leg(261100000, float(along_lat), float(along_lon), 8, 0, 1, 10, station="R2")
    off_lat, off_lon = destination(55.0, 15.0, 180.0, 200 * METRES_PER_NM)
    off = leg(261200000, float(off_lat), float(off_lon), 8, 0, 1, 10, station="R2")
    tr = build(*sea, along, off)
    middle = np.median(tr["lat"]), np.median(tr["lon"])
    assert haversine_m(along_lat, along_lon, *middle) / METRES_PER_NM > 125  # the middle alone would fire
    res = check(tr, "receiver_range")
    assert set(res.loc[res["receiver_range"], "mmsi"]) == {261200000}
    # the least reach that hears the far report and the sea side: from the north edge, 90 NM
    # beyond the station, to 200 NM south of it
    assert res.loc[res["mmsi"] == 261200000, "receiver_range_mag"].iloc[0] == pytest.approx(145, rel=0.02)


# --- base stations -------------------------------------------------------------------------

def test_check_base_stations_time_and_position():
    bs = pd.DataFrame({
        "time": [T0 + pd.Timedelta(seconds=10 * k) for k in range(6)], "mmsi": 2300001,
        "lat": [60.0, 60.0, 60.0, 60.0, 60.05, np.nan], "lon": 25.0,
        "utc_valid": [True, True, False, True, True, True], "utc_offset_s": [0.5, -1.0, np.nan, 45.0, 0.8, 0.2],
    })
    res = check_base_stations(conform(bs, BASE_STATION_DTYPES), ChecksConfig())
    assert list(res.columns) == BASE_STATION_COLUMNS
    assert res["bs_time_invalid"].tolist() == [False, False, True, True, False, False]
    assert res["bs_moved"].tolist() == [False, False, False, False, True, False]
    assert res["bs_moved_m"].iloc[4] == pytest.approx(5560, rel=0.01)


def test_check_base_stations_without_utc_fields():
    bs = conform(pd.DataFrame({"time": [T0], "mmsi": [2300001], "lat": [60.0], "lon": [25.0]}), BASE_STATION_DTYPES)
    assert not check_base_stations(bs)["bs_time_invalid"].any()


# --- real recordings -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def dma():
    ds = gnss_watch.read(str(REAL / "dma_ais_sample.txt.gz"))
    tr = tracks_mod.build_tracks(ds.positions)
    return tr, run_checks(tr, ds.vessels, ds.base_stations, ChecksConfig())


def test_real_dma_traffic_is_quiet(dma):
    tr, res = dma
    spoof = [c for c in CHECKS if CHECK_FAMILY[c] == "spoofing"]
    fired = tr.loc[res[spoof].any(axis=1), "mmsi"].unique()
    # 4 of 1451 at the time of writing: HANSBUCH (219342000) and a Class B reporting 3-5 km
    # inland, and two single receptions 128 and 176 NM from their station (ducting).
    assert len(fired) < 0.01 * tr["mmsi"].nunique()
    assert not res[["impossible_jump", "convergence", "circle", "speed_mismatch", "course_mismatch"]].any().any()


def test_real_kiel_canal_traffic_is_not_on_land(dma):
    tr, res = dma
    canal = in_waterway(tr["lon"].to_numpy(), tr["lat"].to_numpy())
    assert canal.sum() > 100 and not res.loc[canal, "on_land"].any()


def test_real_shared_mmsi_538004030_does_not_jump():
    ds = gnss_watch.read(str(REAL / "dma_shared_mmsi_538004030.ais"))
    tr = tracks_mod.build_tracks(ds.positions)
    res = run_checks(tr, ds.vessels, ds.base_stations)
    assert tr["segment"].nunique() >= 2  # the second transmitter is there ...
    assert not res[[c for c in CHECKS if CHECK_FAMILY[c] == "spoofing"]].any().any()  # ... and is no spoofing
    # Without the identity rule (and the late-copy rule: the second transmitter follows the
    # first one's track 17 min behind) the interleaved reports would be jumps.
    loose = run_checks(tr, ds.vessels, ds.base_stations, ChecksConfig(identity_min_alternations=1000, stale_window_s=0))
    assert loose["impossible_jump"].sum() >= 5


def test_jump_analysis_is_cached_per_context():
    tr = build(teleport_track())
    ctx = Context(tr, None, None, ChecksConfig())
    assert jump_analysis(ctx) is jump_analysis(ctx)
