"""Spoofing events from hand-made per-report tables (gnss_watch.events)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gnss_watch.checks import CHECKS
from gnss_watch.events import EVENT_COLUMNS, EventsConfig, build_spoofing_events, overlapping_pairs
from gnss_watch.geo import KNOT_MS, destination, haversine_m
from gnss_watch.tracks import kinematics, position_valid

T0 = pd.Timestamp("2024-06-01T00:00:00Z")
CHECK_NAMES = tuple(CHECKS)


def track(mmsi: int, lat: float, lon: float, bearing: float, speed_kn: float, start_s: float, duration_s: float,
          interval_s: float = 30.0) -> pd.DataFrame:
    """A straight track at constant speed: one report every ``interval_s`` seconds."""
    ts = np.arange(0.0, duration_s + 1e-9, interval_s)
    la, lo = destination(lat, lon, bearing, speed_kn * KNOT_MS * ts)
    return pd.DataFrame({"time": T0 + pd.to_timedelta(start_s + ts, unit="s"), "mmsi": mmsi, "lat": la, "lon": lo,
                         "sog": float(speed_kn), "cog": float(bearing)})


def finish(df: pd.DataFrame) -> pd.DataFrame:
    """The combined-table columns events/zones read, sorted by (mmsi, time) like tracks output."""
    df = df.sort_values(["mmsi", "time"], ignore_index=True)
    for col, default in (("kind", ""), ("reasons", ""), ("score", 0.0)) + tuple((c, False) for c in CHECK_NAMES):
        df[col] = df[col].fillna(default) if col in df else default
    for name in CHECK_NAMES:  # the check columns agree with the reasons
        df[name] = df["reasons"].str.split(";").apply(lambda names, name=name: name in names)
    df["pos_valid"] = position_valid(df)
    k = kinematics(df, by="mmsi")
    df["implied_sog_kn"], df["bearing_deg"] = k["implied_sog_kn"], k["bearing_deg"]
    return df


def seconds(df: pd.DataFrame) -> pd.Series:
    return (df["time"] - T0).dt.total_seconds()


def flag(df: pd.DataFrame, rows: pd.Series, reasons: str, score: float = 0.8) -> None:
    """Mark ``rows`` as the combiner would: kind 'spoofing' with these reasons."""
    df.loc[rows, "kind"] = "spoofing"
    df.loc[rows, "reasons"] = reasons
    df.loc[rows, "score"] = score


def jump_spoof(df: pd.DataFrame, t1: float, t2: float, bearing: float, distance_m: float) -> pd.Series:
    """Displace reports in [t1, t2) by ``distance_m``; flag only the jump away and the jump back."""
    inside = (seconds(df) >= t1) & (seconds(df) < t2)
    lat, lon = destination(df.loc[inside, "lat"], df.loc[inside, "lon"], bearing, distance_m)
    df.loc[inside, "lat"], df.loc[inside, "lon"] = lat, lon
    away = inside & ~inside.shift(fill_value=False)
    back = ~inside & inside.shift(fill_value=False)
    flag(df, away | back, "impossible_jump")
    return inside


def events_of(df: pd.DataFrame, config: EventsConfig | None = None) -> tuple[pd.DataFrame, pd.Series]:
    events, ids = build_spoofing_events(df, config)
    assert list(events.columns) == EVENT_COLUMNS
    return events, ids


def test_jump_away_and_back_is_one_event_per_ship_covering_the_stretch() -> None:
    a = track(230_000_001, 59.9, 25.0, 80, 14, 0, 7200, 10)
    b = track(230_000_002, 59.7, 25.5, 260, 12, 0, 7200, 30)
    spoofed_a = jump_spoof(a, 1800, 3600, 30, 35_000)
    spoofed_b = jump_spoof(b, 600, 2400, 200, 50_000)
    df = finish(pd.concat([a, b]))
    spoofed = pd.concat([spoofed_a, spoofed_b]).to_numpy()[np.lexsort((np.r_[a["time"], b["time"]],
                                                                        np.r_[a["mmsi"], b["mmsi"]]))]
    events, ids = events_of(df)

    assert len(events) == 2
    # Numbered by start: ship b's spoof starts first.
    assert events["event_id"].tolist() == ["S0001", "S0002"]
    assert events["mmsi"].tolist() == [230_000_002, 230_000_001]
    for ev in events.itertuples():
        rows = df["mmsi"] == ev.mmsi
        truth = df[rows & spoofed]
        assert ev.start == truth["time"].min() and ev.end == truth["time"].max()
        assert ev.n_reports == len(truth)
        assert ev.zone_id == "" and ev.group_id == "" and ev.reasons == "impossible_jump"
        # The true position is the last fix before the jump; the claimed one is ~35-50 km off it.
        before = df[rows & (df["time"] < ev.start)].iloc[-1]
        assert (ev.true_lat, ev.true_lon) == (before["lat"], before["lon"])
        assert haversine_m(ev.claimed_lat, ev.claimed_lon, ev.true_lat, ev.true_lon) > 25_000
    # Exactly the spoofed reports carry an event id (the return report does not).
    assert ((ids != "").to_numpy() == spoofed).all()


def test_pulled_off_stretch_ends_before_the_snap_back() -> None:
    # The checks flag a stretch pulled off the track (track_divergence) and, as the
    # impossible step, the first fix back on the track: the event is the stretch only.
    a = track(230_000_005, 55.0, 15.0, 90, 14, 0, 5400, 10)
    t = seconds(a)
    off = (t >= 1500) & (t < 2700)
    lat, lon = destination(a.loc[off, "lat"], a.loc[off, "lon"], 0.0, 3.0 * KNOT_MS * (t[off] - 1490))
    a.loc[off, "lat"], a.loc[off, "lon"] = lat, lon
    flag(a, off & (t >= 1800), "track_divergence")
    flag(a, t == 2700, "impossible_jump;speed_mismatch")
    # A later jump away of the same ship, with no return seen, that ends where the fix is lost:
    # the snap back must not be taken for such a jump and fill the true track up to the loss.
    a.loc[t >= 5000, ["lat", "lon"]] = np.nan
    events, ids = events_of(finish(a))
    assert len(events) == 1
    assert events.loc[0, "start"] == T0 + pd.Timedelta(seconds=1800)
    assert events.loc[0, "end"] == T0 + pd.Timedelta(seconds=2690)
    assert events.loc[0, "reasons"] == "track_divergence"
    assert (ids[t >= 2700] == "").all()


@pytest.mark.parametrize("fake_start, fake_course, fake_speed", [
    ((60.2, 24.6), 45, 11),  # its own track 40 km north, heading north-east at 11 kn
    ((59.87, 24.67), 90, 15),  # alongside the real one, 8 km north: within reach of it after minutes
])
def test_smooth_fake_track_between_two_jumps_is_inside_the_event(
    fake_start: tuple[float, float], fake_course: float, fake_speed: float
) -> None:
    real = track(230_000_003, 59.8, 24.5, 90, 15, 0, 5400, 10)
    t = seconds(real)
    fake_rows = (t >= 1200) & (t < 3600)
    fake = track(0, *fake_start, fake_course, fake_speed, 1200, 2400 - 10, 10)
    real.loc[fake_rows, ["lat", "lon", "sog", "cog"]] = fake[["lat", "lon", "sog", "cog"]].to_numpy()
    # Only the two jumps are flagged: inside, speed and course agree with the fake track.
    flag(real, fake_rows & ~fake_rows.shift(fill_value=False), "impossible_jump")
    flag(real, ~fake_rows & fake_rows.shift(fill_value=False), "impossible_jump;speed_mismatch")
    df = finish(real)
    events, ids = events_of(df)

    assert len(events) == 1
    assert (ids.to_numpy() == np.where(fake_rows, "S0001", "")).all()
    assert events.loc[0, "start"] == T0 + pd.Timedelta(seconds=1200)
    assert events.loc[0, "end"] == T0 + pd.Timedelta(seconds=3590)
    assert events.loc[0, "n_reports"] == fake_rows.sum()


def test_a_jump_between_two_fake_places_does_not_end_the_event() -> None:
    df = track(230_000_007, 59.8, 24.5, 90, 15, 0, 5400, 10)
    t = seconds(df)
    first, second = (t >= 1200) & (t < 2400), (t >= 2400) & (t < 3600)
    df.loc[first, ["lat", "lon"]] = [60.3, 25.0]  # the spoofer parks the ship at one fake point...
    df.loc[second, ["lat", "lon"]] = [59.3, 26.0]  # ...then jumps it to another, 120 km away
    flag(df, t.isin([1200, 2400, 3600]), "impossible_jump")
    events, ids = events_of(finish(df))
    assert len(events) == 1
    assert (ids.to_numpy() == np.where(first | second, "S0001", "")).all()


def test_a_fake_track_that_hands_over_to_jamming_ends_where_the_fix_is_lost() -> None:
    df = track(230_000_014, 59.8, 24.5, 90, 12, 0, 5400, 10)
    t = seconds(df)
    fake = t.between(1200, 2990)
    df.loc[fake, "lat"] += 0.3  # a smooth fake track 33 km north
    flag(df, t == 1200, "impossible_jump")
    lost = t.between(3000, 4200)  # then the fix is lost; it comes back far from the fake track
    df.loc[lost, ["lat", "lon"]] = np.nan
    df.loc[lost, ["kind", "reasons", "score"]] = ["jamming", "pos_unavailable", 0.8]
    events, ids = events_of(finish(df))
    assert len(events) == 1 and (ids.to_numpy() == np.where(fake, "S0001", "")).all()


def test_a_jump_with_no_return_does_not_spread_over_the_rest_of_the_track() -> None:
    df = track(230_000_004, 59.8, 24.5, 90, 15, 0, 3600, 10)
    jumped = seconds(df) >= 1200  # the later side is the longer: which side is real is unknown
    df.loc[jumped, "lat"] += 0.5  # moved for good, never returns
    flag(df, jumped & ~jumped.shift(fill_value=False), "impossible_jump")
    flag(df, seconds(df) == 1210, "on_land")
    events, ids = events_of(finish(df))
    assert len(events) == 1
    assert (events.loc[0, "start"], events.loc[0, "end"]) == (T0 + pd.Timedelta(seconds=1200),
                                                              T0 + pd.Timedelta(seconds=1210))
    assert (ids != "").sum() == 2


@pytest.mark.parametrize("second_jump", [False, True])
def test_a_spoof_still_on_when_the_recording_ends_runs_to_its_end(second_jump: bool) -> None:
    """The vessel's only jump, heard longer before it than after: the track heard first is
    the real one. With another jump on record, which side is real stays unknown."""
    df = track(230_000_017, 59.8, 24.5, 90, 15, 0, 3600, 10)
    jumped = seconds(df) >= 2400
    df.loc[jumped, "lat"] += 0.2  # 22 km north until the recording ends
    flag(df, jumped & ~jumped.shift(fill_value=False), "impossible_jump")
    if second_jump:  # a one-report glitch earlier, far off
        glitch = seconds(df) == 600
        df.loc[glitch, "lat"] -= 0.5
        flag(df, glitch, "impossible_jump")
    events, ids = events_of(finish(df))
    if second_jump:
        assert events.empty
    else:
        assert len(events) == 1 and (ids.to_numpy() == np.where(jumped, "S0001", "")).all()


def test_a_dead_reckoned_stretch_opening_the_recording_is_no_spoof() -> None:
    """Alternative 383 (dead reckoning without second 62): a ship first heard inside a zone,
    reckoning its position for an hour, most of it flagged, then its fix back 700 m off: the
    jump is the live fix returning, and the stretch before it is no spoof."""
    df = track(230_000_029, 55.27, 16.28, 227, 18, 0, 3600, 12)
    t = seconds(df)
    df.loc[t < 1200, "lat"] += 0.0063  # the reckoning's drift
    df.loc[t.between(120, 1000), ["kind", "reasons", "score"]] = ["jamming", "dead_reckoning", 0.6]
    flag(df, t == 1200, "impossible_jump", score=0.9)
    events, ids = events_of(finish(df))
    assert (ids.to_numpy()[t.to_numpy() < 1200] == "").all()


def test_a_track_after_the_only_jump_is_not_the_spoof_when_the_side_before_carries_evidence() -> None:
    """Gulf 1491 cut to begin inside a spoof: the ship's fix held at the spoofed point, 460 km
    off and out of its stations' reach, for longer than the recording had it back. The side
    before the jump, heard longer, carries the evidence: the track after it is the real one."""
    df = track(230_000_028, 59.8, 24.5, 90, 15, 0, 3600, 10)
    t = seconds(df)
    df.loc[t < 2400, "lat"] += 0.2
    flag(df, t.between(600, 900), "receiver_range")
    flag(df, t == 2400, "impossible_jump")
    events, ids = events_of(finish(df))
    assert (ids.to_numpy()[t.to_numpy() > 2400] == "").all()


@pytest.mark.parametrize("second_jump", [False, True])
def test_a_spoof_already_on_when_the_recording_begins_runs_from_its_start(second_jump: bool) -> None:
    """The vessel's only jump, heard longer after it than before: the jump is the return of a
    spoof that began before the recording; the check flags the report the jump reaches (the
    real one). With another jump on record, which side is real stays unknown."""
    df = track(230_000_027, 59.8, 24.5, 90, 15, 0, 3600, 10)
    t = seconds(df)
    spoofed = t < 1200
    df.loc[spoofed, "lat"] += 0.2  # 22 km north from the recording's start
    flag(df, t == 1200, "impossible_jump", score=0.9)
    if second_jump:  # a one-report glitch later, far off
        glitch = t == 3000
        df.loc[glitch, "lat"] -= 0.5
        flag(df, glitch, "impossible_jump")
    events, ids = events_of(finish(df))
    if second_jump:
        assert (ids.to_numpy()[spoofed.to_numpy()] == "").all()
    else:
        assert len(events) == 1 and (ids.to_numpy() == np.where(spoofed, "S0001", "")).all()
        assert events.loc[0, "reasons"] == "impossible_jump" and events.loc[0, "score"] == 0.9
        # where the ship really was: its first fix after the spoof, none being heard before it
        back = df.loc[t == 1200].iloc[0]
        assert (events.loc[0, "true_lat"], events.loc[0, "true_lon"]) == (back["lat"], back["lon"])


def test_a_spoof_begun_as_a_held_fix_ended_runs_from_the_end_of_the_hold() -> None:
    """Gulf 1783 (twelfth set): a ship at 17 kn jammed for 30 min (its fix held at 14 kn, SOG and
    COG repeated), then spoofed for 15 min along a fake track 14 km from the hold, then an
    impossible jump back onto its real track, heard for an hour more. Jammed first, then
    spoofed: the stretch from the hold's end is read as one heard since the recording began,
    so the jump is the spoof's return (before, with the hold flagged, nothing was filled)."""
    df = track(230_000_043, 59.97, 26.5, 92, 17, 0, 7200, 10)
    t = seconds(df)
    held = t.between(1800, 3600)
    df.loc[held, ["lat", "lon"]] = df.loc[t == 1800, ["lat", "lon"]].to_numpy(dtype=float)[0]
    df.loc[held, ["kind", "reasons", "score"]] = ["jamming", "frozen_position", 0.6]
    spoofed = t.between(3610, 4500)
    df.loc[spoofed, "lat"] += 0.05  # 5.6 km north of the real track
    flag(df, t == 4510, "impossible_jump", score=0.9)
    events, ids = events_of(finish(df))
    assert len(events) == 1 and (ids.to_numpy() == np.where(spoofed, "S0001", "")).all()


def anchored_then_held(heard_after_s: float, cog_noise: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    """A ship at anchor, reporting every 3 min (ITU-R M.1371), whose fix freezes after 30 min
    (position, SOG 0 and COG repeated exactly: the receiver holds its last output) while the
    ship weighs anchor and leaves at 12 kn; 40 min later the fix comes back 8 km off, heard
    for ``heard_after_s`` at 10 s. ``cog_noise``: the repeated position comes with the COG
    noise a live fix at rest sends (a receiver's static filter)."""
    g = np.random.default_rng(3)
    at = track(230_000_031, 25.287, 56.616, 0, 0, 0, 1800, 180)
    at["lat"] += g.normal(0, 3e-5, len(at))  # swinging and GNSS noise: metres
    at["sog"], at["cog"] = g.uniform(0, 0.3, len(at)), g.uniform(0, 360, len(at))
    held = track(230_000_031, 25.287, 56.616, 0, 0, 1980, 2400 - 180, 180)
    held[["lat", "lon", "sog", "cog"]] = at.iloc[-1][["lat", "lon", "sog", "cog"]].to_numpy(dtype=float)
    if cog_noise:
        held["cog"] = g.uniform(0, 360, len(held))
    lat, lon = destination(25.287, 56.616, 30, 8000.0)
    away = track(230_000_031, float(lat), float(lon), 30, 12, 4200, heard_after_s, 10)
    df = pd.concat([at, held, away], ignore_index=True)
    jump = seconds(df) == 4200
    flag(df, jump, "impossible_jump", score=0.9)
    return finish(df), jump


@pytest.mark.parametrize("heard_after_s", [200.0, 7200.0])
def test_a_jump_out_of_a_held_fix_is_the_fix_coming_back(heard_after_s: float) -> None:
    """Strait of Hormuz generator (benchmarks/gulf_scenarios.py), seeds 12 and 14: a ship at
    anchor whose fix froze, then left. With more fixes before the jump than after, the track
    after it was read as a spoof still on when the recording ended; with fewer, the
    anchorage as a spoof already on when it began. A jump out of a held fix, within
    reach of the hold's start, is the fix coming back: no event either way."""
    df, jump = anchored_then_held(heard_after_s)
    events, _ = events_of(df)
    assert events.empty
    # A position repeated with a live fix's COG noise is no held output: as before, the
    # side heard longest is the real one.
    df, jump = anchored_then_held(heard_after_s, cog_noise=True)
    events, ids = events_of(df)
    assert len(events) == 1
    t = seconds(df).to_numpy()
    spoofed = t >= 4200 if heard_after_s < 600 else t < 4200
    assert (ids.to_numpy()[spoofed] == "S0001").all() and (ids.to_numpy()[~spoofed] == "").all()


@pytest.mark.parametrize("moored", [True, False])
def test_a_fix_frozen_alongside_is_no_spoof_when_the_check_flags_it_from_the_track_after(moored: bool) -> None:
    """Strait of Hormuz generator, seeds 24 and 32: a ferry berths (SOG 0, every 3 min), its
    fix freezes (position, SOG and COG repeated exactly) while it sails off, and 100 min later
    the fix comes back 4.4 km out. The jump check anchors on the track after the step and
    flags the berthing and the hold; no step into them was one no ship can make. A hold begun
    at rest, left within reach, is the fix coming back: no event. Had the live fixes before the
    hold made 12 kn (a spoofer's pull-off that stopped at a point), it stays a spoof."""
    mmsi = 230_000_041
    approach = track(mmsi, 27.16, 56.32, 287, 12, 0, 600, 10)
    end = approach.iloc[-1]
    rest = track(mmsi, float(end["lat"]), float(end["lon"]), 0, 0, 780, 360, 180)
    rest["cog"] = [42.8, 308.7, 12.1]  # a live fix at rest sends COG noise
    last = rest.iloc[-1] if moored else approach.iloc[-1]
    held = track(mmsi, float(last["lat"]), float(last["lon"]), 0, 0, 1320, 6000, 30)
    held[["sog", "cog"]] = [last["sog"], last["cog"]]
    lat, lon = destination(float(last["lat"]), float(last["lon"]), 109, 4400.0)
    away = track(mmsi, float(lat), float(lon), 109, 23, 7350, 900, 10)
    df = pd.concat([approach, rest, held] if moored else [approach, held], ignore_index=True)
    df = pd.concat([df, away], ignore_index=True)
    t = seconds(df)
    flag(df, (t >= 590) & (t < 7350), "impossible_jump", score=0.9)
    events, _ = events_of(finish(df))
    assert events.empty if moored else len(events) == 1


@pytest.mark.parametrize("before", ["dead_reckoning", "circle"])
def test_a_jump_back_from_a_stale_or_spoofed_stretch_does_not_run_to_the_end(before: str) -> None:
    """The live fix coming back after dead reckoning and an outage, or the snap back from a
    circle that left the track smoothly, is the vessel's only jump: not a spoof to the end."""
    df = track(230_000_018, 59.8, 24.5, 90, 15, 0, 3600, 10)
    t = seconds(df)
    off = t.between(1200, 2390)
    df.loc[off, "lat"] += 0.1  # 11 km off the track
    if before == "dead_reckoning":
        df.loc[off, ["kind", "reasons", "score"]] = ["jamming", "dead_reckoning", 0.6]
        df.loc[t.between(2300, 2390), ["lat", "lon"]] = np.nan  # then no fix at all
        df.loc[t.between(2300, 2390), ["kind", "reasons", "score"]] = ["jamming", "pos_unavailable", 0.7]
    else:
        flag(df, off, "circle")
    flag(df, t == 2400, "impossible_jump")
    events, ids = events_of(finish(df))
    assert (ids.to_numpy()[t.to_numpy() > 2400] == "").all()


@pytest.mark.parametrize("heard_between, n_events", [(False, 1), (True, 2)])
def test_a_silence_inside_a_spoof_does_not_split_it_but_clean_fixes_do(heard_between: bool, n_events: int) -> None:
    df = track(230_000_011, 59.8, 24.5, 90, 12, 0, 5400, 60)
    t = seconds(df)
    flag(df, t.between(600, 1800) | t.between(3000, 4200), "on_land")
    if not heard_between:  # out of coverage for 20 min, e.g. far out at sea
        df = df[~t.between(1801, 2999)]
    events, _ = events_of(finish(df))
    assert len(events) == n_events
    assert events["start"].min() == T0 + pd.Timedelta(seconds=600)
    assert events["end"].max() == T0 + pd.Timedelta(seconds=4200)


@pytest.mark.parametrize("heard_between, n_events", [(False, 1), (True, 2)])
def test_a_fake_track_carrying_on_through_a_long_silence_is_one_event(heard_between: bool, n_events: int) -> None:
    """A fake track 40 km off the real one, with 50 min out of coverage inside it (longer
    than max_silence_s): the displaced track carries on, so one event -- unless a clean
    fix was heard in the silence, which ends the first episode."""
    df = track(230_000_021, 58.8, 18.5, 45, 12, 0, 9000, 60)
    t = seconds(df)
    fake = t.between(1800, 7199) & (t != 4500)  # at 4500 s, the real position
    df.loc[fake, "lat"], df.loc[fake, "lon"] = destination(df.loc[fake, "lat"], df.loc[fake, "lon"], 200, 40_000)
    flag(df, fake, "impossible_jump")
    df = df[~t.between(3001, 5999) | (heard_between & (t == 4500))]
    events, _ = events_of(finish(df))
    assert len(events) == n_events
    assert events["start"].min() == T0 + pd.Timedelta(seconds=1800)
    assert events["end"].max() == T0 + pd.Timedelta(seconds=7140)


def test_one_report_with_a_strong_check_and_convergence_is_an_event() -> None:
    """A ship at anchor reporting every 3 min is carried to the point where other ships
    are reported at once (convergence) for one report only: that is no glitch."""
    df = track(230_000_022, 59.95, 30.05, 0, 0, 0, 3600, 180)
    once = seconds(df) == 1800
    df.loc[once, ["lat", "lon"]] = [60.09, 30.21]
    flag(df, once, "on_land;convergence", score=0.95)
    events, _ = events_of(finish(df))
    assert len(events) == 1 and events.loc[0, "n_reports"] == 1
    assert events.loc[0, "reasons"] == "on_land;convergence"
    flag(df, once, "on_land", score=0.95)  # the same report, alone on one point
    assert events_of(finish(df))[0].empty


def test_isolated_weak_hits_and_single_report_glitches_make_no_event() -> None:
    df = track(230_000_005, 59.8, 24.5, 90, 15, 0, 3600, 10)
    flag(df, seconds(df) == 600, "speed_mismatch", score=0.95)
    flag(df, seconds(df) == 1200, "course_mismatch", score=0.95)  # 10 min later: another episode
    # One corrupted position: a jump away and straight back, a classic data error.
    glitch = seconds(df) == 2400
    df.loc[glitch, "lat"] += 1.0
    flag(df, glitch | (seconds(df) == 2410), "impossible_jump")
    # A lone report beyond the receiver's range (tropospheric ducting).
    flag(df, seconds(df) == 3500, "receiver_range", score=0.95)
    # Ships moored alongside each other: convergence alone, for 20 min.
    tug = track(230_000_015, 59.8, 24.5, 0, 0, 0, 1200, 10)
    flag(tug, tug.index == tug.index, "convergence")
    events, ids = events_of(finish(pd.concat([df, tug], ignore_index=True)))
    assert events.empty and (ids == "").all()


@pytest.mark.parametrize("heard_before_s, reasons, carried_on, event", [
    (1800, "impossible_jump", False, True),    # silent 30 min before and 20 min after: all a spoof could show
    (120, "impossible_jump", False, False),    # heard 2 min before it: a spoof would have shown there too
    (1800, "receiver_range", False, False),    # a lone report far from its station: ducting, jump or not
    (1800, "impossible_jump", True, False),    # the next fix, 20 min on, is where its SOG/COG lead: a track
])
def test_a_lone_jumped_report_between_silences_is_an_event(heard_before_s: float, reasons: str, carried_on: bool,
                                                           event: bool) -> None:
    """Baltic 1383, 1401, 1424: a rarely heard ship's one spoofed report, 35-70 km off. Baltic 1245: the
    true track heard again after a long fake one starts with such a jump, and carries on from it."""
    before = track(230_000_021, 59.1, 19.06, 27, 11, 0, 1200)
    lone_s = 1200 + heard_before_s
    lone = track(230_000_021, 58.59, 19.52, 340, 10, lone_s, 0)
    after = track(230_000_021, 59.2, 19.15, 207, 12, lone_s + 1200, 1200)
    if carried_on:
        after = track(230_000_021, 58.59, 19.52, 340, 10, lone_s, 2400).iloc[40:]
    df = pd.concat([before, lone, after], ignore_index=True)
    flag(df, seconds(df) == lone_s, reasons, score=0.95)
    events, ids = events_of(finish(df))
    assert len(events) == int(event)
    if event:
        assert events.loc[0, "n_reports"] == 1 and (ids != "").sum() == 1


def test_several_weak_checks_together_make_an_event_and_min_score_applies() -> None:
    df = track(230_000_006, 59.8, 24.5, 90, 15, 0, 3600, 10)
    rows = (seconds(df) >= 900) & (seconds(df) < 960)
    flag(df, rows, "speed_mismatch;course_mismatch", score=0.6)
    events, _ = events_of(finish(df))
    assert len(events) == 1 and events.loc[0, "reasons"] == "speed_mismatch;course_mismatch"
    assert events.loc[0, "n_reports"] == rows.sum()
    assert events_of(finish(df), EventsConfig(min_score=0.7))[0].empty


def test_ships_displaced_to_one_point_share_a_group() -> None:
    airport = (59.80, 30.26)
    ships = [track(230_000_010 + k, 59.7 + 0.05 * k, 28.0 + 0.1 * k, 90, 12, 0, 3600, 10) for k in range(4)]
    for k, s in enumerate(ships):
        # Three ships reported at the airport from ~20 min, the fourth at the same point an hour later.
        on = (seconds(s) >= 1200 + 10 * k) & (seconds(s) < 2400) if k < 3 else (seconds(s) >= 3000)
        s.loc[on, ["lat", "lon"]] = np.array(airport) + np.random.default_rng(k).normal(0, 0.001, (on.sum(), 2))
        s.loc[on, ["sog", "cog"]] = [0.0, np.nan]
        flag(s, on, "on_land;convergence")
        flag(s, on & ~on.shift(fill_value=False), "impossible_jump;on_land;convergence")
    far = track(230_000_020, 59.5, 23.0, 90, 12, 0, 3600, 10)
    far_on = (seconds(far) >= 1200) & (seconds(far) < 2400)
    far.loc[far_on, ["lat", "lon"]] = [59.40, 24.80]  # another point at the same time
    flag(far, far_on, "on_land")
    events, _ = events_of(finish(pd.concat(ships + [far])))

    assert len(events) == 5
    group = events.set_index("mmsi")["group_id"]
    assert {group[230_000_010 + k] for k in range(3)} == {"G001"}
    assert group[230_000_013] == "" and group[230_000_020] == ""
    ev = events.set_index("mmsi").loc[230_000_010]
    assert haversine_m(ev["claimed_lat"], ev["claimed_lon"], *airport) < 500
    assert ev["reasons"] == "impossible_jump;on_land;convergence"


def test_a_frozen_fix_and_its_recovery_jump_are_not_spoofing() -> None:
    df = track(230_000_008, 59.8, 24.5, 90, 15, 0, 3600, 10)
    frozen = (seconds(df) >= 600) & (seconds(df) < 2400)
    df.loc[frozen, ["lat", "lon"]] = df.loc[frozen, ["lat", "lon"]].iloc[0].to_numpy()
    # What the checks see: a frozen position that SOG belies (also out of reach of the
    # later track), then the live fix coming back 14 km on.
    flag(df, frozen, "impossible_jump;speed_mismatch;frozen_position")
    flag(df, seconds(df) == 2400, "impossible_jump;speed_mismatch")
    events, ids = events_of(finish(df))
    assert events.empty and (ids == "").all()


@pytest.mark.parametrize("mismatched", [(1160, 1180, 1520), (1140, 1160, 1180)])
def test_mismatches_around_scattered_fixes_are_not_spoofing(mismatched: tuple[int, ...]) -> None:
    """A jammed receiver whose fixes scatter (erratic_fix) leaves SOG/COG mismatches at the
    edges of the stretch the check marks (around it, or just before it, where the scatter
    began): judged against the scatter, not evidence."""
    df = track(230_000_016, 59.8, 24.5, 90, 12, 0, 3600, 20)
    t = seconds(df)
    df.loc[t.between(1200, 1500), ["kind", "reasons", "score"]] = ["jamming", "erratic_fix", 0.7]
    flag(df, t.isin(mismatched), "speed_mismatch;course_mismatch", score=0.6)
    events, ids = events_of(finish(df))
    assert events.empty and (ids == "").all()
    # The same mismatches with live fixes between are a spoof.
    df.loc[t.between(1200, 1500), ["kind", "reasons", "score"]] = ["", "", 0.0]
    events, _ = events_of(finish(df))
    assert len(events) == 1 and events.loc[0, "reasons"] == "speed_mismatch;course_mismatch"


def test_a_spoof_right_after_jamming_is_spoofing() -> None:
    df = track(230_000_012, 59.8, 24.5, 90, 15, 0, 3600, 10)
    t = seconds(df)
    df.loc[t.between(600, 1190), ["kind", "reasons", "score"]] = ["jamming", "dead_reckoning", 0.7]
    spoofed = t.between(1200, 2390)
    df.loc[spoofed, "lat"] += 0.4  # 45 km north of where the ship is
    flag(df, spoofed, "impossible_jump")
    events, ids = events_of(finish(df))
    assert len(events) == 1 and (ids.to_numpy() == np.where(spoofed, "S0001", "")).all()


def test_real_track_flagged_from_the_wrong_side_moves_the_event_to_the_displaced_stretch() -> None:
    df = track(230_000_009, 59.8, 24.5, 90, 13, 0, 7200, 10)
    t = seconds(df)
    fake = (t >= 1800) & (t < 6000)
    fake_track = track(0, 60.15, 25.2, 300, 10, 1800, 6000 - 1800 - 10, 10)
    df.loc[fake, ["lat", "lon", "sog", "cog"]] = fake_track[["lat", "lon", "sog", "cog"]].to_numpy()
    # A check anchored on the long fake stretch flags the real reports before it.
    flag(df, (t >= 600) & (t < 1800), "impossible_jump")
    events, ids = events_of(finish(df))
    assert len(events) == 1
    assert (ids.to_numpy() == np.where(fake, "S0001", "")).all()


def test_a_spoof_offset_by_less_than_an_impossible_step_is_the_run_not_the_track_after_it() -> None:
    # A ship at 13 kn; for 20 min its claimed position circles slowly 700 m off its track
    # (the step away, 45 kn for 30 s, is within 60 kn + 500 m), then comes back to the track.
    df = track(230_000_014, 56.39, 20.05, 158, 13, 0, 3600, 30)
    t = seconds(df)
    fake = (t >= 1200) & (t < 2400)
    start = destination(df.loc[fake, "lat"].iloc[0], df.loc[fake, "lon"].iloc[0], 90.0, 700.0)
    ang = np.linspace(0.0, 340.0, int(fake.sum()))
    lat, lon = destination(*destination(float(start[0]), float(start[1]), 0.0, 600.0), ang + 180.0, 600.0)
    df.loc[fake, ["lat", "lon", "sog", "cog"]] = np.c_[lat, lon, np.full(len(ang), 4.4), (ang + 270.0) % 360]
    flag(df, fake, "impossible_jump")  # the check judged the whole run from the real track
    events, ids = events_of(finish(df))
    assert len(events) == 1
    assert (ids.to_numpy() == np.where(fake, "S0001", "")).all()


def test_jump_flags_on_a_smooth_track_are_no_displacement() -> None:
    # A check anchored astray flags the first 10 min of a recording, which flow
    # smoothly into the rest of the track: nothing was displaced.
    df = track(230_000_013, 59.8, 24.5, 270, 17, 0, 1800, 6)
    flag(df, seconds(df) < 600, "impossible_jump")
    events, ids = events_of(finish(df))
    assert events.empty and (ids == "").all()


def test_strong_and_weak_checks_are_the_spoofing_family() -> None:
    from gnss_watch.checks import CHECK_FAMILY
    from gnss_watch.events import STRONG_CHECKS, UNRELIABLE_FIX_CHECKS, WEAK_CHECKS

    assert set(STRONG_CHECKS) | set(WEAK_CHECKS) == {c for c, f in CHECK_FAMILY.items() if f == "spoofing"}
    assert set(UNRELIABLE_FIX_CHECKS) < {c for c, f in CHECK_FAMILY.items() if f == "jamming"}
    assert set(CHECK_NAMES) == set(CHECK_FAMILY)


def test_input_order_and_index_are_kept() -> None:
    a = track(230_000_001, 59.9, 25.0, 80, 14, 0, 3600, 10)
    jump_spoof(a, 1200, 1800, 30, 35_000)
    df = finish(a)
    expected_events, expected_ids = events_of(df)
    shuffled = df.sample(frac=1.0, random_state=1)
    shuffled.index = shuffled.index * 7 + 3
    events, ids = events_of(shuffled)
    pd.testing.assert_frame_equal(events, expected_events)
    assert ids.index.equals(shuffled.index)
    assert (ids.to_numpy() == expected_ids.to_numpy()[shuffled.index // 7]).all()


def test_empty_table_gives_no_events() -> None:
    df = finish(track(230_000_001, 59.9, 25.0, 80, 14, 0, 600, 10))
    events, ids = events_of(df.iloc[:0])
    assert events.empty and list(events.columns) == EVENT_COLUMNS and ids.empty


@pytest.mark.parametrize("seed", range(5))
def test_overlapping_pairs_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, 100, 40)
    end = start + rng.exponential(5, 40)
    i, j = overlapping_pairs(start, end)
    got = set(zip(i.tolist(), j.tolist()))
    a, b = np.triu_indices(40, k=1)
    overlap = (start[a] <= end[b]) & (start[b] <= end[a])
    assert got == set(zip(a[overlap].tolist(), b[overlap].tolist()))
