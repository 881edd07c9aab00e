"""The whole pipeline on random small fleets (hypothesis): whatever mix of good, lost, held,
dead-reckoned, jumped and converging fixes the ships report, ``replay`` finishes, accounts for
every line, and writes outputs that keep their contract. Corner cases the stage-level property
tests found (all of a zone's points at one position) have their own tests in test_zones.py."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nmea_helpers import position, sentences, tag

from gnss_watch.geo import KNOT_MS, destination
from gnss_watch.pipeline import replay

T0 = 1_717_200_000  # 2024-06-01T00:00:00Z
STATES = ["good", "lost", "held", "reckoned", "jumped", "converged"]


@st.composite
def fleet_lines(draw: st.DrawFn) -> list[str]:
    """Tag-blocked position reports (Class A type 1 or Class B type 18) of 1-6 ships near one place,
    heard by one of two stations, in runs of each state; a static report each; base stations
    whose UTC may be 'not available' or whose position moves; in time order."""
    point = (59.5 + draw(st.floats(-0.2, 0.2)), 25.0 + draw(st.floats(-0.3, 0.3)))  # where converging ships go
    timed = []
    for b in range(draw(st.integers(0, 2))):  # base stations every 10 s for ten minutes
        bad_time, drift = draw(st.booleans()), draw(st.sampled_from([0.0, 0.01, 0.5]))
        for k in range(60):
            t = 10.0 * k
            when = (dict(year=0, month=0, day=0, hour=24, minute=60, second=60) if bad_time and k % 2 else
                    dict(zip(("year", "month", "day", "hour", "minute", "second"),
                             pd.Timestamp(T0 + t, unit="s").timetuple()[:6])))
            (line,) = sentences(4, mmsi=2_300_100 + b, lat=59.4 + drift * (k % 3), lon=24.9, epfd=7, **when)
            timed.append((t, tag(line, s=f"RX{1 + b % 2}", c=int(T0 + t))))
    for v in range(draw(st.integers(1, 6))):
        mmsi, msg_type, rx = 230_200_000 + v, draw(st.sampled_from([1, 18])), f"RX{draw(st.integers(1, 2))}"
        name = draw(st.text(alphabet="ABC <>&\",.0123@", max_size=20))
        for line in sentences(5, mmsi=mmsi, shipname=name, destination=name[::-1], ship_type=70):
            timed.append((0.0, tag(line, s=rx, c=T0)))
        n = draw(st.integers(2, 30))
        every = draw(st.sampled_from([2.0, 10.0, 180.0]))
        ts = draw(st.floats(0, 1800)) + every * np.arange(n)
        speed, course = draw(st.sampled_from([0.0, 0.1, 8.0, 14.0, 40.0])), draw(st.floats(0, 359))
        lat, lon = destination(59.5 + draw(st.floats(-0.3, 0.3)), 25.0 + draw(st.floats(-0.5, 0.5)), course,
                               speed * KNOT_MS * (ts - ts[0]))
        runs = draw(st.lists(st.tuples(st.sampled_from(STATES), st.integers(1, 10)), min_size=1, max_size=5))
        states = np.resize(np.repeat([s for s, _ in runs], [k for _, k in runs]), n)
        held = (float(lat[0]), float(lon[0]))
        for k, state in enumerate(states.tolist()):
            fix, second, accuracy = (float(lat[k]), float(lon[k])), int(ts[k]) % 60, 1
            if state == "good":
                held = fix
            elif state == "lost":
                fix, second, accuracy = (91.0, 181.0), 63, 0
            elif state == "held":
                fix, second = held, 63
            elif state == "reckoned":
                second, accuracy = 62, 0
            elif state == "jumped":
                fix = (fix[0] + 0.5, fix[1])
            else:
                fix = point
            line = position(mmsi, *fix, msg_type=msg_type, speed=speed, course=round(course, 1), second=second,
                            accuracy=accuracy)
            timed.append((float(ts[k]), tag(line, s=rx, c=int(T0 + ts[k]))))
    timed.sort(key=lambda x: x[0])
    return [line for _, line in timed]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet_lines())
def test_replay_of_any_small_fleet_finishes_and_keeps_its_contract(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d) / "fleet.nmea", Path(d) / "out"
        src.write_text("\n".join(lines) + "\n")
        res = replay(str(src), out_dir=out)
        acct = res.summary["lines"]
        assert acct["read"] == len(lines) and acct["read"] == acct["used"] + sum(acct["skipped"].values())
        events = pd.read_csv(out / "events.csv")
        assert set(events["kind"]) <= {"spoofing", "jamming"}
        assert (pd.to_datetime(events["start"]) <= pd.to_datetime(events["end"])).all()
        zones = res.zones
        assert set(events["zone_id"].dropna()) <= set(zones["zone_id"])
        assert (zones["start"] <= zones["end"]).all() and (zones["n_vessels"] >= 2).all()
        anomalies = pd.read_csv(out / "anomalies.csv")
        assert set(anomalies["mmsi"]) <= {230_200_000 + v for v in range(6)}
