"""An independent Strait of Hormuz scenario generator with ground truth, and its score table.

    python benchmarks/gulf_scenarios.py --seeds 1 2 --clean-seed 3 --work /tmp/gulf [--vessels 150] [--hours 3]

A fourth generator, written without reading the detector or the other generators, after the interference around
Hormuz in June 2025 (ships shown at Iranian airports, 'crop circles', wide jamming). Each seed gives ``WORK/gulf-SEED/``
(``-clean``: its traffic without interference; a complete directory is reused) with ``scenario.nmea.gz``,
``truth.json`` and ``labels.csv`` as ``gnss_watch.evaluate`` reads them, replayed and scored into the table of
``eval_scenarios.py``. One ``numpy.random.default_rng(seed)`` drives everything: same seed, same bytes.

* Waters 24-27.5 N, 51.5-58.5 E from 2025-06-17 04:00 UTC; a hand-drawn land mask (Iran, Qeshm, Hormuz, Larak,
  Hengam, Kish, Tunbs, Abu Musa, Sirri, Qatar, UAE, Musandam, Oman): every route leg keeps >= 1 km off it.
* Traffic: 38 % tankers/cargo through the TSS at 11-15 kn (lanes 2 NM wide, axes 4 NM apart, own track <= 0.8 NM off
  the axis) between the Gulf (west exit, Jebel Ali, Shahid Rajaee) and the Gulf of Oman (two exits, Fujairah); 8 %
  Gulf feeders 10-14 kn; 16 % at the Fujairah / Khor Fakkan anchorage (65 % throughout, 20 % heaving up for the
  Gulf, 15 % arriving) swinging 80-250 m downwind of the anchor, heading +-20-60 deg over 1-3 h; 5 % ferries Bandar
  Abbas-Qeshm / -Hormuz at 16-26 kn, 8-20 min moored alongside; 6 % supply vessels 9-12 kn from Jebel Ali, Hamriyah
  or Dubai round three oil fields, 15-60 min on station; 3 % fast craft 25-35 kn between patrol points, 3-15 min
  stopped; 24 % dhows and small craft on Class B: 55 % traders at 5-9 kn (Dubai, Ras al Khaimah, Khasab to Lengeh,
  Qeshm, Bandar Abbas, Hormuz), the rest fishing within 12 km of home at 2-7 kn, stopping up to 15 min, weaving
  +-2.5-10 deg; a third of all dhows weave more (+-5-20 deg, speed +-15 %). 30 % get under way (or come in) during
  the run. Ships steer on a turning circle (60 m dhows to 800 m tankers), slow into stops, swing at anchor on
  arrival, and go quiet once out of the box or in port. GNSS error: Gauss-Markov per axis, Class A 1.5-4 m, Class B
  3-8 m, 60-300 s; 0.2 % of Class B fixes off by 15-50 m (multipath); SOG noise 0.1 kn; COG 1 deg (random below
  0.5 kn); gyro heading = course - a 0-3 deg drift angle (Class B 511); 40 % of Class A give a rate of turn.
* Reporting (ITU-R M.1371 Table 1): Class A 10 s to 14 kn (3 1/3 s turning > 0.3 deg/s), 6 s to 23 kn (2 s turning),
  2 s above, 3 min at anchor or moored <= 3 kn; per ship 80 % type 1 (3 % of reports type 3), 12 % type 3, 8 % type 2
  (10 % type 1); sync state 1 without a fix; type 5 (two sentences) every 6 min. Class B CS type 18 every 30 +- 2 s
  (3 min <= 2 kn), fixed CS communication state (frozen or 'not available' reports repeat byte for byte, as real ones
  do); 20 % send type 19 in place of a type 18 every 6 min, the rest type 24 A+B. Type 4 every 10 s from Khasab,
  Fujairah, Bandar Abbas, Ras al Khaimah and Dubai.
* Reception: receivers at those sites, Jask and Kish hear each transmission independently with probability
  0.97 / (1 + exp((d - R) / 0.12 R)), R = 40 NM Class A, 22 NM Class B, 60 NM base stations, x 0.85-1.15 per site,
  d from the true position, 0.02-0.8 s later; heard twice, written twice. File format per seed (rng): USCG NAIS
  (``!AIVDM...*hh,rSTATION,EPOCH``) or a leading ISO 8601 stamp (``2025-06-17T04:00:00.123Z !AIVDM...``). 0.1 % of
  sentences get a payload character changed (bad checksum): lost, and a report left with no intact copy unheard.
* Jamming: 1-3 zones 0-8 km off distinct sites (Bandar Abbas, Qeshm, Larak, Kish, Jask; at sea in the TSS, the Gulf
  of Oman, off the Tunbs), radius 25-90 km, on 30-100 min (drawn independently: they may overlap), power rising over
  0-120 s. Level 1 within 0.85 R, a linear soft edge to 0 at R, times the rise; a ship loses its fix while the level
  exceeds its threshold (uniform 0.05-0.95 per ship, +-0.08 Gauss-Markov over 2 min) and regains it 5-60 s after
  (leaving or switch-off); 12 % robust. Class A: 'not available' 45 % (181/91, SOG 102.3, COG 360, second 63,
  accuracy 0), frozen 25 % (last fix, SOG, COG; second 63, 60 or the live clock), dead reckoning 25 % (second 62,
  accuracy 0), silent 5 %; Class B: silent 35 %, 'not available' 35 %, frozen 20 %, dead reckoning 10 %. 35 % first
  degrade (accuracy 0, error from 20 m up to 150-500 m) at 0.6-1 of their threshold. Base stations at level > 0.5
  send UTC 'not available' or a clock drifting 1-10 s a minute (per station), sync state 3. ``affected_mmsi``: ships
  with a heard report lost or degraded there, or silent ones heard in the 5 min before. 'jammed' labels: reports
  while the fix is lost (frozen and dead reckoning too, up to its return); degraded reports are 'clean'.
* Spoofing: 6-10 episodes on ships in coverage throughout (0.8 R) and >= 10 km clear of active zones. 1-2 mass
  'displacement' groups: 3-8 ships within 40 km shown at one of the two nearest Iranian airports (Bandar Abbas,
  Qeshm, Lengeh, Kish, Jask) or, half the groups, a cluster of 2-4 points on land within 3 km of it, SOG < 0.1 kn,
  captured 0-150 s and released 0-120 s apart. The rest: 40 % 'circle' (1-3 ships within 30 km going round 1-6 km
  circles about that airport or, half the time, a point at sea 5-40 km off, at their own speed), 30 % 'pull_off'
  (drifting off at 2.5-4 kn more, ramped over 2 min, until 5-11 km off, then snapping back: 40-90 min at that rate),
  30 % 'displacement' to a fixed point at sea 20-100 km away. 10-45 min each (pull-offs as said). Spoofed reports
  keep the ship's healthy flags (its accuracy flag, a valid UTC second). Events span the first to last spoofed
  report heard; one label per position report heard (transmit time; 'NaN' when not available).
"""

from __future__ import annotations

import gzip
import math
from collections import namedtuple
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from pyais import encode_dict
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon

from gnss_watch.geo import KNOT_MS, destination, haversine_m

from eval_scenarios import generator_main, write_truth_files  # this folder's shared table and files

START = 1750132800  # 2025-06-17T04:00:00Z
NM, M_DEG = 1852.0, 111195.0  # metres per nautical mile, per degree of latitude
BOX = (51.5, 24.0, 58.5, 27.5)
IRAN = [(51.0, 28.5), (51.0, 27.95), (51.5, 27.85), (52.0, 27.82), (52.35, 27.62), (52.6, 27.45), (53.0, 27.12),
        (53.5, 26.95), (53.9, 26.82), (54.3, 26.72), (54.6, 26.53), (54.8, 26.5), (54.88, 26.54), (55.1, 26.64),
        (55.3, 26.8), (55.5, 26.92), (55.6, 26.99), (55.9, 27.02), (56.1, 27.12), (56.3, 27.19), (56.5, 27.18),
        (56.75, 27.12), (56.92, 27.05), (57.0, 26.9), (57.05, 26.7), (57.1, 26.5), (57.3, 26.2), (57.5, 25.95),
        (57.72, 25.7), (57.8, 25.63), (58.0, 25.66), (58.3, 25.62), (58.6, 25.58), (59.0, 25.55), (59.0, 28.5)]
QESHM = [(55.27, 26.64), (55.42, 26.57), (55.7, 26.62), (55.95, 26.69), (56.15, 26.8), (56.28, 26.92), (56.25, 26.97),
         (56.05, 26.97), (55.85, 26.95), (55.65, 26.9), (55.45, 26.78), (55.3, 26.7)]
ARABIA = [(51.4, 23.0), (51.4, 24.2), (51.8, 24.1), (52.6, 24.17), (53.44, 24.1), (53.9, 24.15), (54.37, 24.49),
          (54.65, 24.8), (55.0, 25.0), (55.15, 25.13), (55.28, 25.27), (55.38, 25.36), (55.52, 25.52), (55.7, 25.65),
          (55.95, 25.8), (56.05, 25.95), (56.08, 26.05), (56.15, 26.12), (56.25, 26.19), (56.35, 26.3),
          (56.42, 26.36), (56.52, 26.38), (56.5, 26.25), (56.45, 26.1), (56.42, 25.95), (56.36, 25.75),
          (56.28, 25.62), (56.36, 25.35), (56.36, 25.12), (56.37, 24.98), (56.47, 24.75), (56.6, 24.55),
          (56.75, 24.35), (57.0, 24.1), (57.3, 23.85), (57.6, 23.7), (58.5, 23.6), (59.0, 23.0)]
QATAR = [(51.3, 24.6), (51.6, 24.75), (51.62, 25.3), (51.58, 25.95), (51.45, 26.15), (51.3, 26.2)]
ISLETS = [(56.46, 27.06, 4.0), (56.36, 26.865, 4.0), (55.88, 26.64, 2.5), (53.98, 26.535, 5.0), (55.31, 26.26, 2.0),
          (55.15, 26.24, 1.0), (55.03, 25.88, 2.5), (54.54, 25.91, 2.0)]  # Hormuz Larak Hengam Kish Tunbs AbuMusa Sirri
LAND = shapely.union_all([Polygon(p) for p in (IRAN, QESHM, ARABIA, QATAR)] + [affinity.scale(
    Point(lo, la).buffer(r * 1000 / M_DEG), 1 / math.cos(math.radians(la)), 1.0) for lo, la, r in ISLETS])
LAND_WIDE = LAND.buffer(0.0095)  # ~1 km: route legs keep this far off
N = {"GULF_W": (51.5, 26.55), "G1": (53.0, 26.33), "G2": (54.3, 26.12), "JEBEL_ALI": (54.93, 25.12),
     "J1": (55.25, 25.7), "J2": (54.6, 25.6), "RAJAEE": (56.07, 27.07), "R1": (56.36, 26.98), "R2": (56.52, 26.78),
     "FUJ": (56.5, 25.25), "E1": (58.5, 25.15), "E1A": (57.5, 25.3), "E2": (58.5, 24.45), "E2A": (57.6, 24.85),
     "DUBAI": (55.24, 25.31), "LENGEH": (54.93, 26.49), "D1": (54.9, 25.8), "BA_PIER": (56.29, 27.16),
     "QESHM_PIER": (56.32, 26.955), "HORMUZ_PIER": (56.45, 27.115), "KHASAB": (56.22, 26.225), "K1": (56.25, 26.62),
     "K2": (56.3, 26.87), "H1": (56.55, 27.1), "RAK": (55.88, 25.85), "HAMRIYAH": (55.45, 25.53)}
EXITS = ("GULF_W", "E1", "E2")
OUT_LANE = [(55.5, 26.1), (55.95, 26.33), (56.3, 26.47), (56.55, 26.5), (56.72, 26.38), (56.8, 26.1), (56.82, 25.85)]
GULF_SIDE = [["GULF_W", "G1", "G2"], ["JEBEL_ALI", "J1"], ["RAJAEE", "R1", "R2"]]  # in the outbound direction
OMAN_SIDE = [["E1A", "E1"], ["E2A", "E2"], ["FUJ"]]
FEEDERS = [["JEBEL_ALI", "J2", "G2", "G1", "GULF_W"], ["DUBAI", "D1", "LENGEH"], ["HAMRIYAH", "J1", "G2", "G1"]]
FERRIES = [["BA_PIER", "QESHM_PIER"], ["BA_PIER", "HORMUZ_PIER"]]
TRADERS = [["DUBAI", "D1", "LENGEH"], ["RAK", "D1", "LENGEH"], ["KHASAB", "K1", "QESHM_PIER"], ["KHASAB", "K1", "K2",
           "BA_PIER"], ["KHASAB", "K1", "R2", "H1", "HORMUZ_PIER"], ["DUBAI", "J1", "K1", "QESHM_PIER"]]
FIELDS = [(54.42, 25.58), (55.12, 25.78), (54.45, 25.97), (55.55, 25.85), (54.9, 25.45)]
PATROL = [(56.42, 26.95), (56.56, 26.8), (56.2, 26.6), (56.0, 26.52), (55.38, 26.33), (55.1, 25.96), (56.62, 27.0)]
FISHING = [(57.65, 25.55), (57.0, 26.35), (56.5, 25.0), (56.4, 25.6), (55.8, 25.92), (56.55, 26.98), (54.1, 26.42),
           (56.7, 24.6)]
STATIONS = [("KHASAB", 56.25, 26.175, 4610010), ("FUJAIRAH", 56.34, 25.13, 4700011),
            ("BANDARABBAS", 56.28, 27.2, 4220001), ("RASALKHAIMAH", 55.95, 25.79, 4700012),
            ("DUBAI", 55.27, 25.24, 4700013), ("JASK", 57.78, 25.67, None), ("KISH", 53.98, 26.55, None)]
# name, lon, lat, base-station MMSI (None: a receiver only)
JAM_SITES = [(56.28, 27.12), (55.9, 26.78), (56.36, 26.86), (53.98, 26.54), (57.77, 25.66), (56.65, 26.45),
             (56.95, 25.6), (55.4, 26.1)]  # Bandar Abbas, Qeshm, Larak, Kish, Jask; at sea: TSS, Gulf of Oman, Tunbs
AIRPORTS = [(56.378, 27.218), (55.902, 26.754), (54.825, 26.545), (53.98, 26.526), (57.799, 25.653)]
R_TURN = {"tss": 800.0, "feeder": 600.0, "anchored": 800.0, "ferry": 250.0, "osv": 200.0, "fast": 150.0, "dhow": 60.0}
DEST = {"FUJ": "FUJAIRAH", "E1": "SINGAPORE", "E2": "SALALAH", "GULF_W": "RAS TANURA", "JEBEL_ALI": "JEBEL ALI",
        "RAJAEE": "BANDAR ABBAS", "LENGEH": "BANDAR LENGEH", "G1": "DAMMAM", "DUBAI": "DUBAI", "HAMRIYAH": "SHARJAH"}
JAM_A = (["not_available", "frozen", "dead_reckoning", "silent"], [0.45, 0.25, 0.25, 0.05])
JAM_B = (["silent", "not_available", "frozen", "dead_reckoning"], [0.35, 0.35, 0.2, 0.1])
WORDS = ("GULF OCEAN STAR SEA PACIFIC GOLDEN SILVER ROYAL EASTERN CRYSTAL NEW FORTUNE ARABIAN DESERT".split(),
         "PEARL SPIRIT GLORY HORIZON VOYAGER TRADER PRIDE DAWN FALCON BREEZE HARMONY ROSE WAVE".split())
DHOWS = "AL NOOR|AL BARAKA|SAFINA|NASIM|YAS|MUBARAK|KHALIJ|DARYA|SETAREH|PARVANEH|AMIR|HORMOZ|SAHAR|NAJM".split("|")
MIDS_A, MIDS_B = [351, 352, 353, 538, 636, 248, 256, 563, 477, 419, 422, 470, 413, 240], [422, 470, 461, 419]
EDGE, STATIC_S = 0.15, 360.0  # the soft edge's share of a zone's radius; static data interval (s)
Zone = namedtuple("Zone", "lon lat r start end rise")


@dataclass
class Ship:
    mmsi: int
    name: str
    kind: str
    device: str  # 'A' or 'B'
    ship_type: int
    dims: tuple[int, int, int, int]
    track: np.ndarray  # (6, T+1): lon, lat, SOG kn, course, nav status, heading deg; NaN where absent
    dest: str = ""
    gnss: str = "robust"
    rx: dict = field(default_factory=dict)  # the AIS and GNSS set: flags, error model, jamming threshold


def clear(pts: list) -> bool:
    """Every leg of a waypoint list (or a lone point) keeps ~1 km off land."""
    return not (LineString(pts) if len(pts) > 1 else Point(pts[0])).intersects(LAND_WIDE)


def at_sea(lon: float, lat: float) -> bool:
    return BOX[0] <= lon <= BOX[2] and BOX[1] <= lat <= BOX[3] and clear([(lon, lat)])


def move(lon: float, lat: float, brg: float, m: float) -> tuple[float, float]:
    la, lo = destination(lat, lon, brg, m)
    return float(lo), float(la)


def jitter(rng, pts: list, km: float) -> list:
    """Waypoints moved up to ``km`` at random, redrawn until the legs clear land (so ships don't share one line)."""
    for _ in range(50):
        moved = [move(*p, rng.uniform(0, 360), rng.uniform(0, km * 1000)) for p in pts]
        if clear(moved):
            return moved
    if not clear(pts):
        raise ValueError(f"route crosses land: {pts}")
    return pts


def offset(pts: list, metres: float) -> list:
    """A polyline moved ``metres`` to the left of its direction (vertex normals from the neighbouring vertices)."""
    out = []
    for i, (lo, la) in enumerate(pts):
        p, q = pts[max(i - 1, 0)], pts[min(i + 1, len(pts) - 1)]
        out.append(move(lo, la, math.degrees(math.atan2((q[0] - p[0]) * math.cos(math.radians(la)), q[1] - p[1])) - 90,
                        metres))
    return out


def tour(rng, pts: list, n: int, home: tuple | None = None) -> list:
    """``n`` of ``pts`` in random order (a round trip from ``home``: no repeats), every leg clear of land."""
    out = [home or pts[rng.integers(len(pts))]]
    while len(out) < n + (home is not None):
        nxt = [p for p in pts if p != out[-1] and clear([out[-1], p]) and (
            home is None or p not in out and (len(out) < n or clear([p, home])))]
        out.append(nxt[rng.integers(len(nxt))])
    return out[1:] if home else out


def sail(rng, wps: list, v_kn: float, T: int, t0: int, track: np.ndarray, r_turn: float, acc: float,
         wander: float = 0.0, mid: bool = False, under_way: bool = False) -> int | None:
    """Steer through ``wps`` [(lon, lat, dwell s)] from second ``t0``, filling ``track`` each second; ``mid``: start
    at a uniformly random point along the route, under way (as ``under_way`` does at the first waypoint).

    The heading turns toward the next waypoint on a circle of ``r_turn`` m (>= 1 deg/s below 2 m/s: thrusters),
    switching 1.5 radii before a waypoint passed through; speed changes at <= ``acc`` m/s^2 and falls to 0 into a
    dwell. Dwell -1 marks an anchorage: returns the second of arrival; None when the waypoints run out (the ship
    leaves the box, or stays in port: absent after) or the scenario ends."""
    k, (lon, lat) = 1, wps[0][:2]
    if mid:
        a = np.array([w[:2] for w in wps])
        seg = haversine_m(a[:-1, 1], a[:-1, 0], a[1:, 1], a[1:, 0])
        s = rng.uniform(0, seg.sum())
        k = int(np.searchsorted(np.cumsum(seg), s))
        lon, lat = a[k] + (s - seg[:k].sum()) / seg[k] * (a[k + 1] - a[k])
        k += 1
    v = v_kn if mid or under_way else 0.0
    h = math.degrees(math.atan2((wps[k][0] - lon) * math.cos(math.radians(lat)), wps[k][1] - lat)) % 360
    amp, per, ph, per2 = wander * rng.uniform(5, 20), rng.uniform(120, 600), rng.uniform(0, 6.3), rng.uniform(200, 900)
    dwell, a_kn = 0.0, acc / KNOT_MS
    for t in range(t0, T + 1):
        track[[0, 1, 2, 3, 5], t] = lon, lat, v, h, h
        if dwell > 0:
            dwell -= 1
            track[2, t] = 0.0
            k += dwell <= 0
            continue
        if k >= len(wps):
            return None
        tx, ty, tdw = wps[k]
        dx, dy = (tx - lon) * M_DEG * math.cos(math.radians(lat)), (ty - lat) * M_DEG
        d = math.hypot(dx, dy)
        if d < (max(40.0, v * KNOT_MS * 3) if tdw else max(200.0, 1.5 * r_turn)):
            if tdw < 0:
                track[2, t] = 0.0
                return t
            dwell, v, k = float(tdw), (0.0 if tdw else v), k + (not tdw)
            continue
        want = math.degrees(math.atan2(dx, dy)) + amp * math.sin(2 * math.pi * t / per + ph)
        rate = max(math.degrees(v * KNOT_MS / r_turn), 1.0 if v * KNOT_MS < 2 else 0.0)
        h = (h + max(-rate, min(rate, (want - h + 180) % 360 - 180))) % 360
        vt = v_kn * (1 + (0.02 + 0.13 * wander) * math.sin(2 * math.pi * t / per2 + ph))
        if tdw:
            vt = min(vt, math.sqrt(2 * acc * d) / KNOT_MS + 0.3)
        v += max(-a_kn, min(a_kn, vt - v))
        lat += v * KNOT_MS * math.cos(math.radians(h)) / M_DEG
        lon += v * KNOT_MS * math.sin(math.radians(h)) / (M_DEG * math.cos(math.radians(lat)))
    return None


def swing(rng, lon: float, lat: float, t0: int, track: np.ndarray) -> None:
    """At anchor from ``t0``: lying 80-250 m downwind of the anchor, the bow toward it, swinging with wind and tide."""
    t = np.arange(t0, track.shape[1])
    amp, period = rng.uniform(20, 60), rng.uniform(3600, 10800)
    th = rng.uniform(0, 360) + amp * np.sin(2 * np.pi * t / period + rng.uniform(0, 6))
    la, lo = destination(lat, lon, th + 180, rng.uniform(80, 250))
    dx, dy = np.gradient(lo) * M_DEG * math.cos(math.radians(lat)), np.gradient(la) * M_DEG
    cog = np.degrees(np.arctan2(dx, dy)) % 360  # the course the swing makes good
    track[:, t0:] = [lo, la, np.hypot(dx, dy) / KNOT_MS, cog, np.ones_like(lo), th % 360]


def through(rng, kind: str, anchor: tuple | None = None) -> tuple[list, str]:
    """A route and its end: a Gulf feeder's, or through the TSS (the inbound lane's axis 4 NM left of the outbound
    one's); ``anchor``: from that anchorage into the inbound lane."""
    if kind == "feeder":
        names = FEEDERS[rng.integers(len(FEEDERS))][:: int(rng.choice([-1, 1]))]
        return jitter(rng, [N[x] for x in names], 3.0), names[-1]
    gulf, oman = GULF_SIDE[rng.integers(3)], OMAN_SIDE[rng.integers(3)]
    if anchor is None and rng.random() < 0.5:
        lane = offset(OUT_LANE, rng.uniform(-0.8, 0.8) * NM)
        return jitter(rng, [N[x] for x in gulf], 3.0) + lane + jitter(rng, [N[x] for x in oman], 3.0), oman[-1]
    lane = offset(OUT_LANE, (4 + rng.uniform(-0.8, 0.8)) * NM)[::-1]
    head = [anchor] if anchor else jitter(rng, [N[x] for x in oman[::-1]], 3.0)
    return head + lane + jitter(rng, [N[x] for x in gulf[::-1]], 3.0), gulf[0]


def fill(rng, sh: Ship, T: int) -> None:
    """The ship's true track, second by second, by its kind."""
    tr, kind, rt = sh.track, sh.kind, R_TURN[sh.kind]
    later = rng.random() < 0.3  # enters, or leaves its berth, during the scenario
    t0 = int(rng.uniform(0.05, 0.7) * T) if later else 0
    if kind in ("tss", "feeder", "anchored"):
        pts, end, r = None, "FUJ", rng.random()
        if kind == "anchored":
            anchor = jitter(rng, [N["FUJ"]], 14.0)[0]
            if r < 0.85:
                swing(rng, *anchor, 0, tr)
                sh.dest = "FUJAIRAH OPL"
                if r < 0.65:  # waiting throughout
                    return
                t0 = int(rng.uniform(0.1, 0.8) * T)  # heaving up for the Gulf
                tr[:, t0:], tr[4, t0:], later = np.nan, 0, True
                pts, end = through(rng, "tss", anchor)
            else:  # arriving from the Gulf of Oman
                pts, later = jitter(rng, [N[x] for x in OMAN_SIDE[rng.integers(2)][::-1]], 3.0) + [anchor], True
        if pts is None:
            pts, end = through(rng, kind)
        anchors = end not in EXITS and (kind != "anchored" or r >= 0.85)  # at the port's or Fujairah's anchorage
        if anchors and kind != "anchored":
            pts[-1] = jitter(rng, [pts[-1]], 8.0 if end == "FUJ" else 2.0)[0]
        sh.dest = DEST.get(end, end)
        wps = [(*p, 0) for p in pts[:-1]] + [(*pts[-1], -1 if anchors else 0)]
        edge = min(abs(pts[0][0] - BOX[0]), abs(pts[0][0] - BOX[2])) < 0.1  # coming in from outside: at speed
        arr = sail(rng, wps, rng.uniform(11, 15) if kind == "tss" else rng.uniform(10, 14), T, t0, tr, rt, 0.02,
                   mid=not later, under_way=edge)
        if arr is not None:
            swing(rng, tr[0, arr], tr[1, arr], arr, tr)
    elif kind == "ferry":
        a, b = FERRIES[rng.integers(len(FERRIES))][:: int(rng.choice([-1, 1]))]
        wps = [(*N[a], 0)] + [(*N[x], rng.uniform(480, 1200)) for x in (b, a) * 12]
        sh.dest = b.split("_")[0]
        sail(rng, wps, rng.uniform(16, 26), T, int(rng.uniform(0, 900)), tr, rt, 0.15)
        tr[4] = np.where(tr[2] < 0.3, 5, 0)  # moored alongside
    elif kind == "osv":
        port = N[["JEBEL_ALI", "HAMRIYAH", "DUBAI"][rng.integers(3)]]
        stops = [port] + jitter(rng, tour(rng, FIELDS, 3, port), 2.0)
        k = int(rng.integers(0, 3))  # starting from port or on station at a field
        wps = [(*stops[k], 0)] + [(*f, rng.uniform(900, 3600)) for f in stops[k + 1:]] + [(*port, -1)]
        sh.dest = "FIELD"
        sail(rng, wps, rng.uniform(9, 12), T, 0, tr, rt, 0.05)
    elif kind == "fast":
        pts = tour(rng, PATROL, 12)
        sail(rng, [(*pts[0], 0)] + [(*p, rng.uniform(180, 900)) for p in pts[1:]], rng.uniform(25, 35), T,
             int(rng.uniform(0, 1800)), tr, rt, 0.3)
    else:  # dhows and small craft
        wander = 1.0 if rng.random() < 1 / 3 else 0.0
        if rng.random() < 0.55:
            names = TRADERS[rng.integers(len(TRADERS))][:: int(rng.choice([-1, 1]))]
            pts = jitter(rng, [N[x] for x in names], 1.5)
            sh.dest = names[-1].split("_")[0]
            sail(rng, [(*p, 0) for p in pts[:-1]] + [(*pts[-1], rng.uniform(600, 3600))], rng.uniform(5, 9), T, t0, tr,
                 rt, 0.1, wander, mid=not later)
            return
        home, wps = FISHING[rng.integers(len(FISHING))], []
        while len(wps) < 40:
            p = move(*home, rng.uniform(0, 360), rng.uniform(1000, 12000))
            if clear([wps[-1][:2], p] if wps else [p]):
                wps.append((*p, rng.uniform(0, 900) if rng.random() < 0.5 else 0))
        sail(rng, wps, rng.uniform(2, 7), T, 0, tr, rt, 0.1, max(wander, 0.5))


def make_fleet(rng, n: int, T: int) -> list[Ship]:
    shares = [("tss", 0.38), ("feeder", 0.08), ("anchored", 0.16), ("ferry", 0.05), ("osv", 0.06), ("fast", 0.03)]
    kinds = [k for k, s in shares for _ in range(round(s * n))]
    ships, used = [], set()
    for kind in kinds + ["dhow"] * (n - len(kinds)):
        dev, big = ("B" if kind == "dhow" else "A"), kind in ("tss", "feeder", "anchored")
        while (mmsi := int(rng.choice(MIDS_B if dev == "B" else MIDS_A)) * 10**6 + int(rng.integers(10**6))) in used:
            pass
        used.add(mmsi)
        name = (f"{rng.choice(WORDS[0])} {rng.choice(WORDS[1])}" if big or kind == "osv"
                else f"{rng.choice(DHOWS)} {rng.integers(1, 40)}")
        stype = {"tss": int(rng.choice([80, 81, 70, 71, 84])), "feeder": 70, "anchored": int(rng.choice([80, 70, 84])),
                 "ferry": 60, "osv": 90, "fast": int(rng.choice([35, 55, 40])), "dhow": int(rng.choice([30, 37, 70]))}
        length = int(rng.uniform(150, 330) if big else rng.uniform(15, 80) if dev == "A" else rng.uniform(12, 30))
        track = np.full((6, T + 1), np.nan)
        track[4] = 0
        sh = Ship(mmsi, name, kind, dev, stype[kind], (int(0.8 * length), length - int(0.8 * length), length // 12,
                                                       length // 12), track)
        fill(rng, sh, T)
        ships.append(sh)
    return ships


def equip(rng, sh: Ship) -> None:
    """The ship's AIS and GNSS set: how it reports and how it meets jamming."""
    a = sh.device == "A"
    opts, p = JAM_A if a else JAM_B
    sh.gnss = "robust" if rng.random() < 0.12 else str(rng.choice(opts, p=p))
    m = rng.random()
    sh.rx = {"u0": rng.uniform(0.05, 0.95), "degrade": rng.uniform(150, 500) if rng.random() < 0.35 else 0.0,
             "sigma": rng.uniform(1.5, 4) if a else rng.uniform(3, 8), "tau": rng.uniform(60, 300),
             "msg": (0.97, 0.0, 0.03) if m < 0.8 else (0.0, 0.0, 1.0) if m < 0.92 else (0.1, 0.9, 0.0),
             "acc": int(rng.random() < (0.8 if a else 0.2)), "raim": int(a and rng.random() < 0.4),
             "drift": rng.uniform(-3, 3), "rot": a and rng.random() < 0.4, "t19": not a and rng.random() < 0.2,
             "frozen_second": [63, 60, -1][rng.choice(3, p=[0.5, 0.3, 0.2])],  # -1: the live clock
             "imo": int(rng.integers(9_100_000, 9_990_000)),
             "callsign": f"{rng.choice(['EP', 'A6', 'A4', '3E', 'V7', 'D5', '9H'])}{rng.integers(1000, 9999)}"}


def plan_zones(rng, T: int) -> list[Zone]:
    zones = []
    for i in rng.choice(len(JAM_SITES), int(rng.integers(1, 4)), replace=False):
        lon, lat = move(*JAM_SITES[i], rng.uniform(0, 360), rng.uniform(0, 8000))
        dur = min(rng.uniform(30, 100) * 60, 0.8 * T)
        start = rng.uniform(0.05 * T, 0.95 * T - dur)
        zones.append(Zone(lon, lat, rng.uniform(25, 90) * 1000, start, start + dur, rng.uniform(0, 120)))
    return zones


def jam_level(lon, lat, t, zones: list[Zone]) -> tuple[np.ndarray, np.ndarray]:
    """The strongest jamming level (0..1: 1 within 0.85 R, a linear soft edge to R, times the rise) and its zone."""
    level, zarg = np.zeros(np.shape(t)), np.full(np.shape(t), -1)
    for zi, z in enumerate(zones):
        d = haversine_m(lat, lon, z.lat, z.lon)
        lv = np.nan_to_num(np.clip((z.r - d) / (EDGE * z.r), 0, 1) * np.clip((t - z.start) / max(z.rise, 1.0), 0, 1)
                           * (t < z.end))
        zarg, level = np.where(lv > level, zi, zarg), np.maximum(level, lv)
    return level, zarg


def ship_jam(rng, sh: Ship, zones: list[Zone], T: int) -> dict | None:
    """Per second: fix lost (and the zone), degraded error (m) and the zone; and the loss episodes."""
    t = np.arange(T + 1, dtype=float)
    level, zarg = jam_level(sh.track[0], sh.track[1], t, zones)
    if sh.gnss == "robust" or not level.any():
        return None
    a, coarse = math.exp(-30 / 120), np.empty(len(t[::30]))  # the threshold wanders: Gauss-Markov, 2 min
    e = rng.normal(0, 0.08 * math.sqrt(1 - a * a), len(coarse))
    coarse[0] = rng.normal(0, 0.08)
    for j in range(1, len(coarse)):
        coarse[j] = a * coarse[j - 1] + e[j]
    u = np.clip(sh.rx["u0"] + np.interp(t, t[::30], coarse), 0.02, 0.98)
    over = np.where(level > u, zarg, -1)  # the zone holding the fix down (the strongest), each second
    edges = np.flatnonzero(np.diff(np.concatenate([[0], (over >= 0).astype(int), [0]])))
    lost, lzone, episodes = np.zeros(T + 1, bool), np.full(T + 1, -1), []
    for s, e in zip(edges[::2], edges[1::2]):
        e2 = min(T + 1, e + int(rng.uniform(5, 60)))  # the fix returns 5-60 s after the level drops
        seg = over[s:e2][np.maximum.accumulate(np.where(over[s:e2] >= 0, np.arange(e2 - s), 0))]  # last zone, on
        lzone[s:e2], lost[s:e2] = seg, True
        episodes += [(s, e2, int(z)) for z in sorted(set(seg.tolist()))]
    frac = np.clip((level - 0.6 * u) / (0.4 * u), 0, 1)
    deg = np.where(~lost & (level > 0.6 * u), 20 + frac * (sh.rx["degrade"] - 20), 0.0) * (sh.rx["degrade"] > 0)
    return {"lost": lost, "zone": lzone, "deg": deg, "dzone": zarg, "episodes": episodes}


def plan_spoofing(rng, ships: list[Ship], zones: list[Zone], T: int) -> list[dict]:
    """6-10 episodes (one per ship) on ships in coverage throughout and >= 10 km clear of active zones."""
    ts, sx, sy = np.arange(0, T + 1, 30), np.array([s[1] for s in STATIONS]), np.array([s[2] for s in STATIONS])
    ok = []
    for sh in ships:
        lo, la = sh.track[0, ts], sh.track[1, ts]
        good = (haversine_m(la[:, None], lo[:, None], sy, sx) < (40 if sh.device == "A" else 22) * NM * 0.8).any(axis=1)
        for z in zones:
            good &= ~((ts > z.start - 180) & (ts < z.end + 180) & (haversine_m(la, lo, z.lat, z.lon) < z.r + 10_000))
        ok.append(good)
    n_mass = int(rng.integers(1, 3))
    recipes = ["mass"] * n_mass + [str(r) for r in rng.choice(["circle", "pull_off", "fixed"],
                                                              int(rng.integers(6, 11)) - n_mass, p=[0.4, 0.3, 0.3])]
    used: set[int] = set()
    events = []
    for g, rec in enumerate(recipes):
        for _ in range(300):
            w = rng.uniform(2.5, 4) * KNOT_MS
            dmax = rng.uniform(5000, min(11000, w * 5400))  # 5-11 km off, within 90 min
            dur = min(dmax / w + 60 if rec == "pull_off" else rng.uniform(10, 45) * 60, 0.6 * T)
            t0 = rng.uniform(300, T - dur - 300)
            a, b = int(t0 // 30), int((t0 + dur + 150) // 30) + 1
            free = [i for i in range(len(ships)) if i not in used and ok[i][a:b].all() and
                    (rec != "circle" or np.nanmean(ships[i].track[2, int(t0):int(t0 + dur)]) > 3)]
            if not free:
                continue
            i0 = free[rng.integers(len(free))]
            lon0, lat0 = ships[i0].track[0, ts[a]], ships[i0].track[1, ts[a]]
            near = [i for i in free if i != i0 and haversine_m(ships[i].track[1, ts[a]], ships[i].track[0, ts[a]], lat0,
                                                                 lon0) < (40_000 if rec == "mass" else 30_000)]
            if rec == "mass" and len(near) < 2:
                continue
            k = int(rng.integers(3, 9) if rec == "mass" else rng.integers(1, 4) if rec == "circle" else 1)
            members = [i0] + [near[j] for j in rng.permutation(len(near))[:k - 1]]
            dist = haversine_m(lat0, lon0, np.array([p[1] for p in AIRPORTS]), np.array([p[0] for p in AIRPORTS]))
            site = AIRPORTS[int(rng.choice(np.argsort(dist)[:2]))]
            base = {"recipe": rec, "group": f"G{g + 1:02d}", "t0": t0, "t1": t0 + dur, "cog": rng.uniform(0, 360),
                    "kind": "displacement" if rec in ("mass", "fixed") else rec}
            if rec == "mass":
                pts, n_pts = [site], (int(rng.integers(2, 5)) if rng.random() < 0.5 else 1)  # or a cluster on land
                while len(pts) < n_pts:
                    p = move(*site, rng.uniform(0, 360), rng.uniform(300, 3000))
                    pts += [p] if LAND.contains(Point(p)) else []
                capture, release = np.sort(rng.uniform(0, 150, len(members))), rng.uniform(0, 120, len(members))
                events += [{**base, "ship": i, "t0": t0 + capture[j], "t1": t0 + dur + release[j],
                            "point": pts[j % n_pts], "cog": rng.uniform(0, 360)} for j, i in enumerate(members)]
            elif rec == "circle":
                centre, sea = site, rng.random() < 0.5
                while sea and not at_sea(*(centre := move(lon0, lat0, rng.uniform(0, 360), rng.uniform(5e3, 4e4)))):
                    pass
                events += [{**base, "ship": i, "t0": t0 + rng.uniform(0, 90), "t1": t0 + dur + rng.uniform(0, 90),
                            "centre": centre, "r": rng.uniform(1000, 6000), "phase": rng.uniform(0, 360),
                            "dir": float(rng.choice([-1, 1]))} for i in members]
            elif rec == "pull_off":
                events.append({**base, "ship": i0, "theta": rng.uniform(0, 360), "w": w, "ramp": 120.0})
            else:
                while not at_sea(*(p := move(lon0, lat0, rng.uniform(0, 360), rng.uniform(20000, 100000)))):
                    pass
                events.append({**base, "ship": i0, "point": p})
            used |= set(members)
            break
    return events


def spoof(ev: dict, sh: Ship, t: float, i: int, rng) -> tuple[float, float, float, float]:
    """The spoofed (lon, lat, SOG, COG) at second ``t`` (track index ``i``)."""
    lon, lat, sog, cog = sh.track[:4, i]
    if ev["recipe"] in ("mass", "fixed"):  # a static false fix: SOG ~0, COG whatever the receiver settles on
        return (*move(*ev["point"], rng.uniform(0, 360), abs(rng.normal(0, 2))), rng.uniform(0, 0.1),
                (ev["cog"] + rng.normal(0, 2)) % 360)
    if ev["recipe"] == "circle":  # round the circle at the ship's own speed
        cum = sh.rx.setdefault("cum", np.cumsum(np.nan_to_num(sh.track[2]) * KNOT_MS))
        phi = ev["phase"] + ev["dir"] * math.degrees((cum[i] - cum[int(ev["t0"])]) / ev["r"])
        return (*move(*ev["centre"], phi, ev["r"]), sog, (phi + 90 * ev["dir"]) % 360)
    tau, ramp, w = t - ev["t0"], ev["ramp"], ev["w"]  # pulled off at w m/s more, reached over the ramp
    d, wr = w * (tau * tau / (2 * ramp) if tau < ramp else tau - ramp / 2), w * min(1.0, tau / ramp)
    ve = sog * KNOT_MS * math.sin(math.radians(cog)) + wr * math.sin(math.radians(ev["theta"]))
    vn = sog * KNOT_MS * math.cos(math.radians(cog)) + wr * math.cos(math.radians(ev["theta"]))
    return (*move(lon, lat, ev["theta"], d), math.hypot(ve, vn) / KNOT_MS, math.degrees(math.atan2(ve, vn)) % 360)


def interval(sh: Ship, i: int, rng) -> float:
    """The ITU-R M.1371 Table 1 reporting interval (s) at track second ``i``."""
    sog, status, h = sh.track[2, i], sh.track[4, i], sh.track[5, max(i - 10, 0):i + 1]
    if sh.device == "B":
        return (30.0 if sog > 2 else 180.0) + rng.uniform(-2, 2)  # CSTDMA: a slot picked at random
    if status in (1, 5):
        return 180.0 if sog <= 3 else 10.0
    turning = abs((h[-1] - h[0] + 180) % 360 - 180) > 3
    return (10 / 3 if turning else 10.0) if sog <= 14 else (2.0 if turning else 6.0) if sog <= 23 else 2.0


def position_reports(rng, sh: Ship, T: int, jam: dict | None, ev: dict | None) -> tuple[list, list, list]:
    """The position reports sent [(t, fields, true lon, lat)], their label rows [t, label, spoofed, zone, true lat,
    lon, reported lat, lon (NaN: not available), degraded in zone], and when a silent set kept quiet in a zone."""
    tr, x = sh.track, sh.rx
    present = ~np.isnan(tr[0])
    tx, rows, quiet = [], [], []
    t, t_prev, ex, ey, fix, next19 = float(np.argmax(present)) + rng.uniform(0, 10), 0.0, 0.0, 0.0, None, 0.0
    while t <= T:
        i = int(t)
        if not present[i]:
            ahead = np.flatnonzero(present[i:])
            if not len(ahead):
                break
            t = i + ahead[0] + rng.uniform(0, 10)
            continue
        lon, lat, sog, cog, status, hdg = tr[:, i]
        a = math.exp(-(t - t_prev) / x["tau"])  # Gauss-Markov error, irregular steps
        ex, ey = (a * e + math.sqrt(1 - a * a) * rng.normal(0, x["sigma"]) for e in (ex, ey))
        t_prev, err = t, complex(ex, ey)
        if sh.device == "B" and rng.random() < 0.002:  # multipath
            err += rng.uniform(15, 50) * np.exp(1j * rng.uniform(0, 2 * np.pi))
        lost, deg = bool(jam and jam["lost"][i]), (jam["deg"][i] if jam else 0.0)
        err += complex(rng.normal(0, deg), rng.normal(0, deg)) if deg else 0
        rlat, rlon = lat + err.imag / M_DEG, lon + err.real / (M_DEG * math.cos(math.radians(lat)))
        rsog = max(0.0, sog + rng.normal(0, 0.1))
        rcog = rng.uniform(0, 360) if sog < 0.5 else (cog + rng.normal(0, 1)) % 360  # GNSS COG is noise when still
        second, acc, label, zone, spoofed = i % 60, (0 if deg else x["acc"]), "clean", -1, False
        if ev and ev["t0"] <= t <= ev["t1"]:
            (rlon, rlat, rsog, rcog), label, spoofed = spoof(ev, sh, t, i, rng), "spoofed", True
        elif lost:
            label, zone = "jammed", int(jam["zone"][i])
            if sh.gnss == "silent":
                quiet.append(t)
                t += interval(sh, i, rng)
                continue
            if fix is None or sh.gnss == "not_available":
                rlon, rlat, rsog, rcog, second, acc = 181.0, 91.0, 102.3, 360.0, 63, 0
            elif sh.gnss == "frozen":
                rlon, rlat, rsog, rcog, _ = fix
                second = x["frozen_second"] if x["frozen_second"] >= 0 else second
            else:  # dead reckoning
                rlon, rlat = move(fix[0], fix[1], fix[3], fix[2] * KNOT_MS * (t - fix[4]))
                rsog, rcog, second, acc = fix[2], fix[3], 62, 0
        else:
            fix = (rlon, rlat, rsog, rcog, t)
        na = rlat > 90
        f = {"mmsi": sh.mmsi, "speed": 102.3 if na else round(min(rsog, 102.2), 1), "accuracy": acc, "lon": rlon,
             "lat": rlat, "course": 360.0 if na else round(rcog, 1) % 360, "second": second, "raim": x["raim"]}
        if sh.device == "A":
            turn, h2 = -128, tr[5, max(i - 30, 0)]
            if x["rot"]:
                turn = int(np.clip(np.nan_to_num((hdg - h2 + 180) % 360 - 180) * 2, -700, 700))  # deg/min
            f.update(msg_type=int(rng.choice(3, p=x["msg"])) + 1, status=int(status), turn=turn, maneuver=0,
                     radio=int(label == "jammed") << 17 | int(rng.integers(1 << 17)),  # no fix: sync state 1
                     heading=int(round(hdg - (x["drift"] if status == 0 else 0))) % 360)
        elif x["t19"] and t >= next19:
            next19 = t + STATIC_S
            f.update(msg_type=19, heading=511, shipname=sh.name, ship_type=sh.ship_type, to_bow=sh.dims[0],
                     to_stern=sh.dims[1], to_port=sh.dims[2], to_starboard=sh.dims[3], epfd=1)
        else:
            f.update(msg_type=18, heading=511, cs=1, display=0, dsc=1, band=1, msg22=1, radio=393222)
        rows.append([t, label, spoofed, zone, lat, lon, np.nan if na else rlat, np.nan if na else rlon,
                     int(jam["dzone"][i]) if deg and not spoofed else -1])
        tx.append((t, f, lon, lat))
        t += interval(sh, i, rng)
    return tx, rows, quiet


def static_reports(rng, sh: Ship, T: int) -> list:
    """Type 5 (Class A) or type 24 A and B (Class B without type 19) every 6 min while the ship is present."""
    out, eta = [], np.datetime64(START + int(rng.uniform(3600, 5 * 86400)), "s").astype(object)
    dims = dict(zip(("to_bow", "to_stern", "to_port", "to_starboard"), sh.dims))
    for t in np.arange(rng.uniform(0, STATIC_S), T, STATIC_S) if not sh.rx["t19"] else []:
        lon, lat = sh.track[0, int(t)], sh.track[1, int(t)]
        if np.isnan(lon):
            continue
        if sh.device == "A":
            out.append((t, {"msg_type": 5, "mmsi": sh.mmsi, "imo": sh.rx["imo"], "callsign": sh.rx["callsign"],
                            "shipname": sh.name, "ship_type": sh.ship_type, **dims, "epfd": 1, "month": eta.month,
                            "day": eta.day, "hour": eta.hour, "minute": eta.minute, "destination": sh.dest,
                            "draught": round(sh.dims[0] / 20, 1)}, lon, lat))
        else:
            out += [(t, {"msg_type": 24, "partno": 0, "mmsi": sh.mmsi, "shipname": sh.name}, lon, lat),
                    (t + 1, {"msg_type": 24, "partno": 1, "mmsi": sh.mmsi, "ship_type": sh.ship_type, "vendorid": "SRT",
                             "callsign": sh.rx["callsign"], **dims}, lon, lat)]
    return out


def base_reports(rng, zones: list[Zone], T: int) -> tuple[list, dict[int, set]]:
    """Type 4 every 10 s from the shore stations (UTC wrong at level > 0.5: 'not available', or drifting 1-10 s per
    minute from the moment it went wrong, per station); and the stations each zone hit."""
    out, hit = [], {}
    for si, (name, lon, lat, mmsi) in enumerate(STATIONS):
        if mmsi is None:
            continue
        drift = rng.uniform(1, 10) / 60 if rng.random() < 0.5 else 0.0  # 0: 'not available'
        tb = np.arange(rng.uniform(0, 10), T, 10.0)
        level, zarg = jam_level(np.full(len(tb), lon), np.full(len(tb), lat), tb, zones)
        wrong = level > 0.5
        onset = np.maximum.accumulate(np.where(wrong & ~np.concatenate([[False], wrong[:-1]]), tb, 0.0))
        for t, w, o, z in zip(tb, wrong, onset, zarg):
            utc = dict(year=0, month=0, day=0, hour=24, minute=60, second=60)
            if w:
                hit.setdefault(int(z), set()).add(mmsi)
            if not w or drift:
                d = np.datetime64(int(START + t + (drift * (t - o) if w else 0)), "s").astype(object)
                utc = dict(year=d.year, month=d.month, day=d.day, hour=d.hour, minute=d.minute, second=d.second)
            out.append((t, dict(utc, msg_type=4, mmsi=mmsi, lon=lon, lat=lat, accuracy=1, epfd=7, raim=0,
                                radio=(3 if w else 0) << 17 | int(rng.integers(1 << 17))), lon, lat, -1 - si, "S"))
    return out, hit


def receive(rng, tx: list, path: Path, uscg: bool) -> np.ndarray:
    """Write what the receivers hear, in order of reception, to ``path``; return which transmissions at least one
    receiver heard intact."""
    t, lon, lat = (np.array([x[k] for x in tx]) for k in (0, 2, 3))
    kind = np.array([x[5] for x in tx])[:, None]
    reach = np.where(kind == "A", 40.0, np.where(kind == "B", 22.0, 60.0)) * NM * rng.uniform(0.85, 1.15, len(STATIONS))
    d = haversine_m(lat[:, None], lon[:, None], np.array([s[2] for s in STATIONS]), np.array([s[1] for s in STATIONS]))
    jj, ss = np.nonzero(rng.random(d.shape) < 0.97 / (1 + np.exp(np.clip((d - reach) / (0.12 * reach), -50, 50))))
    rt = t[jj] + rng.uniform(0.02, 0.8, len(jj))
    n_sent = np.array([len(x[1]) for x in tx])[jj]
    bad = rng.random(int(n_sent.sum())) < 0.001
    stamp = np.floor(START + rt).astype(np.int64).astype(str) if uscg else iso(rt)
    ok, lines, k = np.zeros(len(tx), bool), [], 0
    for n, (j, s) in enumerate(zip(jj.tolist(), ss.tolist())):
        intact = True
        for sentence in tx[j][1]:
            if bad[k]:  # one payload character changed: the checksum no longer matches
                f = sentence.split(",")
                c = int(rng.integers(len(f[5])))
                f[5], intact = f[5][:c] + ("1" if f[5][c] == "0" else "0") + f[5][c + 1:], False
                sentence = ",".join(f)
            k += 1
            lines.append(f"{sentence},r{STATIONS[s][0]},{stamp[n]}" if uscg else f"{stamp[n]} {sentence}")
        ok[j] |= intact
    with open(path, "wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0) as gz:
        gz.write(("\n".join(lines[o] for o in np.argsort(np.repeat(rt, n_sent), kind="stable")) + "\n").encode())
    return ok


def iso(t) -> np.ndarray:
    """Scenario seconds as ISO 8601 UTC strings to the millisecond."""
    ms = np.round((START + np.asarray(t, dtype=float)) * 1000).astype(np.int64)
    return np.char.add(np.array(ms, dtype="datetime64[ms]").astype(str), "Z")


def generate(seed: int, out: Path, vessels: int = 150, hours: float = 3.0, clean: bool = False) -> dict[str, Path]:
    """Write one scenario (``clean``: the same traffic, no interference) into ``out``; return its files."""
    rng, T = np.random.default_rng(seed), int(hours * 3600)
    ships = make_fleet(rng, vessels, T)
    for sh in ships:
        equip(rng, sh)
    zones = plan_zones(rng, T)
    events = plan_spoofing(rng, ships, zones, T)
    uscg = bool(rng.random() < 0.5)
    zones, ev_of = ([], {}) if clean else (zones, {e["ship"]: e for e in events})
    tx, labels, quiet, episodes = [], [], {}, {}
    for i, sh in enumerate(ships):
        jam = ship_jam(rng, sh, zones, T)
        episodes[i] = jam["episodes"] if jam else []
        reports, rows, quiet[i] = position_reports(rng, sh, T, jam, ev_of.get(i))
        labels += [row + [i, f] for (t, f, lo, la), row in zip(reports, rows)]  # + ship, fields (-> transmission)
        tx += [(t, f, lo, la, i, sh.device) for t, f, lo, la in reports + static_reports(rng, sh, T)]
    base, base_hit = base_reports(rng, zones, T)
    tx = sorted(tx + base, key=lambda x: x[0])  # type 5 sequence ids in time order
    index, seq = {id(x[1]): j for j, x in enumerate(tx)}, 0
    for j, (t, f, *rest) in enumerate(tx):
        tx[j] = (t, encode_dict(f, sentence_type="VDM", radio_channel="AB"[int(rng.integers(2))],
                                seq_id=seq % 10 if f["msg_type"] == 5 else None), *rest)
        seq += f["msg_type"] == 5
    out.mkdir(parents=True, exist_ok=True)
    heard = receive(rng, tx, out / "scenario.nmea.gz", uscg)
    labels = sorted((r[:10] for r in labels if heard[index[id(r[10])]]), key=lambda r: (r[0], ships[r[9]].mmsi))
    seen = sorted({x[4] for j, x in enumerate(tx) if heard[j] and x[4] >= 0})
    affected: dict[int, set[int]] = {}
    for r in labels:  # lost or degraded there, and heard
        for z in {r[3] if r[1] == "jammed" else -1, r[8]} - {-1}:
            affected.setdefault(z, set()).add(ships[r[9]].mmsi)
    for i in (i for i in episodes if ships[i].gnss == "silent"):  # went quiet there, heard in the 5 min before
        heard_t = np.array([r[0] for r in labels if r[9] == i] or [np.nan])
        for s, e, z in episodes[i]:
            if any(s <= q < e for q in quiet[i]) and ((heard_t >= s - 300) & (heard_t < s)).any():
                affected.setdefault(z, set()).add(ships[i].mmsi)
    by_ship: dict[int, list] = {}
    for r in (r for r in labels if r[2]):
        by_ship.setdefault(r[9], []).append(r)
    spoof_json, eid = [], {}
    for n, i in enumerate(sorted(by_ship, key=lambda i: (by_ship[i][0][0], ships[i].mmsi)), 1):
        ev, rows, eid[i] = ev_of[i], by_ship[i], f"S{n:03d}"
        spoof_json.append({"event_id": eid[i], "mmsi": ships[i].mmsi, "kind": ev["kind"], "start": str(iso(rows[0][0])),
                           "end": str(iso(rows[-1][0])), "group": ev["group"], **dict(zip(
                               ("claimed_lat", "claimed_lon", "true_lat", "true_lon"),
                               np.round(rows[0][6:8] + rows[0][4:6], 6).tolist()))})
    zone_json = []
    for zi, z in enumerate(zones):
        ring = np.column_stack(destination(z.lat, z.lon, np.linspace(0, 360, 49), z.r)[::-1])
        zone_json.append({"zone_id": f"J{zi + 1:03d}", "start": str(iso(z.start)), "end": str(iso(z.end)),
                          "geometry": {"type": "Polygon", "coordinates": [np.round(ring, 5).tolist()]},
                          "centre": [round(z.lon, 5), round(z.lat, 5)], "radius_km": round(z.r / 1000, 3),
                          "affected_mmsi": sorted(affected.get(zi, set())),
                          "base_stations": sorted(base_hit.get(zi, []))})
    dirty = {e["mmsi"] for e in spoof_json} | {m for z in zone_json for m in z["affected_mmsi"]}
    truth = {"version": 1, "seed": seed, "profile": "hormuz" + ("_clean" if clean else ""),
             "generator": "benchmarks/gulf_scenarios.py", "start": str(iso(0)), "end": str(iso(T)),
             "vessels": [{"mmsi": ships[i].mmsi, "name": ships[i].name, "ship_type": ships[i].ship_type,
                          "device": ships[i].device, "behaviour": ships[i].kind, "gnss_response": ships[i].gnss}
                         for i in seen],
             "clean_mmsi": sorted(ships[i].mmsi for i in seen if ships[i].mmsi not in dirty),
             "spoofing_events": spoof_json, "jamming_zones": zone_json}
    return write_truth_files(out, truth, ((ts, ships[r[9]].mmsi, r[1], eid[r[9]] if r[2] else "",
                                           f"J{r[3] + 1:03d}" if r[1] == "jammed" else "", *r[4:8])
                                          for ts, r in zip(iso([r[0] for r in labels]), labels)))


def main() -> None:
    generator_main(__doc__, generate, "gulf", vessels=150)


if __name__ == "__main__":
    main()
