"""An independent Eastern Mediterranean scenario generator with ground truth, and its score table.

    python benchmarks/med_scenarios.py --seeds 1 2 --clean-seed 3 --work /tmp/med [--vessels 140] [--hours 3]

Test data written without looking at ``gnss_watch.simulate`` or the detector, to see whether detection generalises
to waters, traffic and interference it was never developed on. Each seed gives ``WORK/med-SEED/`` (``-clean``:
that seed's traffic without interference; a complete directory is reused) with ``scenario.nmea.gz``, ``truth.json``
and ``labels.csv`` as ``gnss_watch.evaluate`` reads them, then replays and scores it into the table of
``eval_scenarios.py``. One ``numpy.random.default_rng(seed)`` drives everything: same seed, same bytes.

* Waters 31-36.5 N, 29-36 E. A hand-drawn land mask (Cyprus; the Turkish, Levant and Egyptian coasts) is checked:
  lanes, anchorages and leisure loops keep >= 1.5 km off it. Start 2024-03-11 06:00 UTC.
* Traffic: ~58 % Class A cargo/tankers at 10-16 kn on lanes between Port Said, Damietta, Ashdod, Haifa, Beirut,
  Tripoli, Limassol, Larnaca and exits (own track up to 1.5 km off the lane axis, ~3 km curves at waypoints, speed
  +-3 %, braking to anchor on arrival); ~3 % fast ferries (25-30 kn) shuttling, 8-15 min alongside; ~17 % Class B
  leisure boats looping off marinas at 5-8 kn (a quarter lying still); ~15 % at anchor (swinging 80-250 m round
  it); ~7 % moored. GNSS error: Gauss-Markov, 2-3.5 m per axis, 30-120 s correlation; COG random below 0.3 kn.
* Reporting, ITU-R M.1371 Table 1 with Class A underway intervals doubled (smaller files): Class A 20 s below
  14 kn, 12 s to 23 kn, 4 s above, 3 min at anchor/moored; type 1 (~3 % of reports and ~5 % of ships type 3,
  ~1 % type 2), sync state 1 (UTC indirect) without a fix; Class B CS type 18 every 30 s (3 min at <= 2 kn) with
  the fixed CS communication state, so frozen or 'not available' reports are byte-identical, as real ones are;
  type 5 and type 24 A/B every 6 min; type 4 from four base stations every 10 s.
* Reception: receivers at Stavrovouni, Mount Carmel, Beirut and Port Said (with the base stations) hear each
  report independently with probability 0.95 / (1 + exp((d - R) / 0.12 R)), R = 40 NM (Class B 25 NM), d from
  the ship's true position; reports heard twice are written twice, 0.05-1 s after transmission, as ``!AIVDM``
  with an NMEA 4.10 tag block ``s:STATION,c:UNIX``; type 5 as two sentences with a sequential id and ``g:`` group
  tags; a station's own base station as ``!AIVDO``.
* Jamming: 2 zones 0-12 km from two of Haifa, Naqoura, Beirut, Limassol, Larnaca, Port Said; radius 20-45 km,
  on for 40-80 min, starting >= 15 min apart. A non-robust ship in an active zone has no fix until 5-40 s after
  leaving it or the jammer stopping. Per ship: 10 % robust; Class A 'not available' (181/91, SOG 1023, COG 3600,
  second 63, accuracy 0) 50 %, frozen (last fix and SOG/COG, second 63 or 60) 25 %, dead reckoning (from the last
  fix, second 62, accuracy 0) 25 %; Class B silent 45 %, 'not available' 35 %, frozen 20 %. Gyro heading and ROT
  stay valid. Base stations in an active zone keep their surveyed position and report UTC 'not available' (year
  0, month 0, day 0, hour 24, minute 60, second 60). ``affected_mmsi``: heard ships that lost their fix there.
* Spoofing: 6-9 events of 10-40 min on ships in coverage and out of active zones: 'displacement' to an airport
  (Beirut Rafic Hariri, Ben Gurion, Damascus) with SOG 0 and random COG; the same for 2-4 ships within 30 km,
  captured 0-90 s and released 0-60 s apart (one ``group``); 'offset': the true track shifted 20-80 km;
  'circle': going round a 1-5 km circle about such a site at 6-20 kn. Otherwise valid (UTC second, accuracy 1).
* Truth: events span the first to last spoofed report heard; one label per position report heard (transmit
  time; 'NaN' when not available); ``vessels`` and ``clean_mmsi`` list the ships heard.
"""

from __future__ import annotations

import gzip
from collections import namedtuple
from functools import reduce
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import shapely
from pyais import encode_dict
from shapely.geometry import Polygon

from gnss_watch.geo import KNOT_MS, angle_diff_deg, bearing_deg, destination, haversine_m

from eval_scenarios import generator_main, write_truth_files  # this folder's shared table and files

START = 1710136800  # 2024-03-11T06:00:00Z
NM = 1852.0
CYPRUS = [(32.27, 35.1), (32.42, 35.04), (32.55, 35.16), (32.85, 35.18), (32.92, 35.4), (33.32, 35.34),
          (33.7, 35.36), (34.1, 35.47), (34.4, 35.6), (34.59, 35.69), (34.2, 35.42), (33.95, 35.17), (33.94, 35.12),
          (34.08, 34.96), (33.99, 34.98), (33.78, 34.97), (33.64, 34.92), (33.6, 34.82), (33.5, 34.78),
          (33.34, 34.72), (33.13, 34.705), (33.06, 34.675), (33.02, 34.655), (33.03, 34.6), (33.035, 34.565),
          (32.95, 34.575), (32.88, 34.655), (32.62, 34.66), (32.4, 34.75), (32.33, 34.88)]
MAINLAND = [(28.5, 36.9), (29.1, 36.65), (29.6, 36.2), (30.4, 36.2), (30.55, 36.5), (30.7, 36.88), (31.4, 36.75),
            (32, 36.53), (32.45, 36.2), (32.82, 36.02), (33.3, 36.12), (33.7, 36.2), (34.05, 36.3), (34.3, 36.58),
            (34.63, 36.79), (35.38, 36.56), (36.17, 36.6), (35.88, 36.41), (35.93, 36.05), (35.83, 35.85),
            (35.76, 35.52), (35.92, 35.36), (35.93, 35.18), (35.87, 34.89), (35.97, 34.63), (35.81, 34.45),
            (35.72, 34.33), (35.65, 34.25), (35.64, 34.12), (35.61, 33.98), (35.55, 33.91), (35.51, 33.9),
            (35.47, 33.9), (35.47, 33.87), (35.48, 33.82), (35.44, 33.7), (35.36, 33.56), (35.26, 33.4),
            (35.19, 33.27), (35.1, 33.11), (35.07, 32.93), (35.06, 32.83), (35, 32.815), (34.955, 32.828),
            (34.935, 32.69), (34.88, 32.47), (34.85, 32.33), (34.79, 32.17), (34.76, 32.08), (34.745, 32.05),
            (34.635, 31.81), (34.545, 31.67), (34.43, 31.52), (34.22, 31.32), (33.8, 31.14), (33, 31.17),
            (32.6, 31.1), (32.33, 31.26), (32.3, 31.265), (32, 31.35), (31.83, 31.53), (31.45, 31.52), (31, 31.58),
            (30.35, 31.47), (30.07, 31.32), (29.9, 31.2), (29.5, 31.05), (28.5, 30.9), (28.5, 29.5), (37.5, 29.5),
            (37.5, 37.5), (28.5, 37.5)]
LAND = shapely.union(Polygon(CYPRUS), Polygon(MAINLAND))
NODES = {"PS": (32.37, 31.42), "DAM": (31.80, 31.66), "W_MID": (30.6, 31.85), "W_EXIT": (29.2, 32.2),
         "NW_EXIT": (29.2, 34.3), "HAIFA": (34.90, 32.90), "HADERA": (34.78, 32.45), "ASHDOD": (34.55, 31.86),
         "BEIRUT": (35.42, 33.96), "TRIPOLI": (35.76, 34.50), "LIM": (33.10, 34.62), "GATA": (33.05, 34.50),
         "VASI": (33.35, 34.64), "KITI": (33.58, 34.75), "LARN": (33.68, 34.87), "WCY": (32.0, 34.5),
         "N_EXIT_W": (31.5, 36.2), "ECY": (35.0, 35.4), "MERSIN": (34.4, 36.4), "N_EXIT_E": (35.5, 36.3)}
LANES = [x.split() for x in ("PS W_MID W_EXIT|PS NW_EXIT|PS LIM|PS HAIFA|PS BEIRUT|PS ECY MERSIN|HAIFA HADERA ASHDOD|"
         "HAIFA LIM|HAIFA NW_EXIT|BEIRUT LARN|BEIRUT LIM|BEIRUT HAIFA|TRIPOLI LARN|ASHDOD LIM|ASHDOD W_EXIT|DAM LIM|"
         "BEIRUT ECY N_EXIT_E|LIM GATA WCY N_EXIT_W|LIM GATA NW_EXIT|LARN PS|LARN HAIFA|DAM W_MID W_EXIT").split("|")]
FERRY_LANES = [["LIM", "VASI", "KITI", "LARN"], ["PS", "DAM"], ["BEIRUT", "TRIPOLI"], ["HAIFA", "HADERA"]]
PORT_NAMES = {"PS": "PORT SAID", "DAM": "DAMIETTA", "HAIFA": "HAIFA", "ASHDOD": "ASHDOD", "BEIRUT": "BEIRUT",
              "TRIPOLI": "TRIPOLI LB", "HADERA": "HADERA", "LIM": "LIMASSOL", "LARN": "LARNACA", "MERSIN": "MERSIN",
              "W_EXIT": "PIRAEUS", "NW_EXIT": "PIRAEUS", "N_EXIT_W": "ANTALYA", "N_EXIT_E": "ISKENDERUN"}
ANCHORAGES = [(34.90, 32.88, 3000, "HAIFA"), (33.12, 34.63, 3000, "LIMASSOL"), (33.70, 34.87, 2500, "LARNACA"),
              (32.40, 31.48, 5000, "PORT SAID"), (35.43, 33.94, 2000, "BEIRUT")]
BERTHS = [(35.01, 32.825), (33.035, 34.652), (33.648, 34.918), (35.52, 33.91), (32.31, 31.275)]
MARINAS = [(33.08, 34.665), (33.66, 34.90), (34.97, 32.86), (35.57, 33.99)]
# receiving station = base station site: name, lon, lat, base station MMSI (00 + MID + nnnn)
STATIONS = [("STAVROVOUNI", 33.44, 34.885, 2090100), ("CARMEL", 35.03, 32.74, 4280010),
            ("BEIRUT", 35.50, 33.88, 4500010), ("PORTSAID", 32.30, 31.25, 6220010)]
ZONE_SITES = [(35.00, 32.80), (35.15, 33.15), (35.50, 33.85), (33.05, 34.68), (33.62, 34.90), (32.30, 31.30)]
SPOOF_SITES = [(35.4883, 33.8209), (34.8854, 32.0004), (36.5156, 33.4114)]  # Beirut RHIA, Ben Gurion, Damascus
MIDS_A = {"351": "3E", "352": "3F", "355": "H9", "370": "H8", "636": "D5", "538": "V7", "215": "9H", "248": "9H",
          "256": "9H", "209": "P3", "210": "5B", "212": "C4", "240": "SV", "241": "SV", "271": "TC", "428": "4X",
          "622": "SU", "450": "OD", "477": "VR"}  # MID: call sign prefix
MIDS_B = {k: MIDS_A[k] for k in ("209", "210", "212", "428", "450", "240", "271")}
WORD1 = "MED AEGEAN LEVANT CAPE OCEAN GOLDEN BLUE SEA EASTERN CORAL SILVER NORDIC PACIFIC ATLAS DELTA PHOENIX".split()
WORD2 = "SPIRIT TRADER PIONEER EXPRESS VOYAGER GLORY HARMONY FORTUNE BRIDGE DAWN PRIDE QUEEN STAR WAVE CARRIER".split()
YACHTS = "ALEXANDRA MARINA THALASSA ZEPHYR NEFELI MELINA ODYSSEA SHALOM YAM NOA SALAM ARTEMIS DOLPHIN MEERKAT".split()
JAM_A = (["not_available", "frozen", "dead_reckoning"], [0.5, 0.25, 0.25])
JAM_B = (["silent", "not_available", "frozen"], [0.45, 0.35, 0.20])
ACCEL, DECEL = 0.05, 0.01  # m/s^2 leaving and approaching a stop
Zone = namedtuple("Zone", "lon lat r start end")  # degrees, metres, seconds from START
LAND_WIDE = LAND.buffer(0.0135)  # ~1.5 km
shapely.prepare(LAND), shapely.prepare(LAND_WIDE)
# A vessel: identity (mmsi, device 'A'/'B', behaviour, name, ship_type, dest, static), motion (``route`` with
# ``s_grid``/``v_grid`` on a 1 s grid, or a ``point`` and anchor ``swing``) and GNSS traits (``gnss``, noise, reacq).
Ship = SimpleNamespace


def at_sea(lon, lat, margin: bool = True) -> np.ndarray:
    return ~shapely.contains_xy(LAND_WIDE if margin else LAND, np.asarray(lon, float), np.asarray(lat, float))


def shift(lon, lat, east_m, north_m):
    return lon + east_m / (111320.0 * np.cos(np.radians(lat))), lat + north_m / 110574.0


def nearest_rx_m(lon, lat) -> np.ndarray:
    return np.min([haversine_m(lat, lon, s[2], s[1]) for s in STATIONS], axis=0)


def polyline(xy: np.ndarray, stops: list | None = None, dwell: list | None = None) -> dict:
    """A route: vertices, cumulative distance (m), segment bearings, stops (m along it) and dwell there (s)."""
    xy = xy[np.r_[True, haversine_m(xy[:-1, 1], xy[:-1, 0], xy[1:, 1], xy[1:, 0]) > 0.5]]
    a, b = xy[:-1], xy[1:]
    cum = np.r_[0.0, np.cumsum(haversine_m(a[:, 1], a[:, 0], b[:, 1], b[:, 0]))]
    return {"lon": xy[:, 0], "lat": xy[:, 1], "cum": cum, "brg": bearing_deg(a[:, 1], a[:, 0], b[:, 1], b[:, 0]),
            "stops": stops or [cum[-1]], "dwell": dwell or [np.inf]}


def build_route(nodes: list, r_m: float = 3000.0) -> dict:
    """Route through ``nodes`` (lon, lat), interior corners rounded by quadratic Bezier curves."""
    nodes = [np.asarray(x, float) for x in nodes]
    pts, u = [nodes[0]], np.linspace(0, 1, 9)[:, None]
    for a, b, c in zip(nodes, nodes[1:], nodes[2:]):
        d1, d2 = haversine_m(a[1], a[0], b[1], b[0]), haversine_m(b[1], b[0], c[1], c[0])
        p, q = b + (a - b) * min(r_m, d1 / 3) / max(d1, 1.0), b + (c - b) * min(r_m, d2 / 3) / max(d2, 1.0)
        pts.extend((1 - u) ** 2 * p + 2 * u * (1 - u) * b + u ** 2 * q)
    return polyline(np.array(pts + [nodes[-1]]))


def make_fleet(rng, n: int, T: int) -> list[Ship]:
    counts = {"ferry": max(2, round(0.03 * n)), "leisure": round(0.17 * n), "anchored": round(0.15 * n),
              "moored": round(0.07 * n)}
    kinds = [k for k, c in counts.items() for _ in range(c)]
    used, ships = set(), []
    for kind in kinds + ["transit"] * (n - len(kinds)):
        dev = "B" if kind == "leisure" else "A"
        mids = MIDS_B if dev == "B" else MIDS_A
        while True:  # Class A MMSIs often end in 000
            mid = str(rng.choice(sorted(mids)))
            a_000 = dev == "A" and rng.random() < 0.4
            mmsi = int(mid + (f"{rng.integers(100, 1000)}000" if a_000 else f"{rng.integers(0, 10**6):06d}"))
            if mmsi not in used:
                used.add(mmsi)
                break
        number = "" if rng.random() < 0.5 else f" {rng.integers(2, 20)}"
        if dev == "B":
            name, stype, length = str(rng.choice(YACHTS)) + number, int(rng.choice([36, 37])), rng.uniform(8, 20)
        else:
            name = f"{rng.choice(WORD1)} {rng.choice(WORD2)}" + number
            stype = 40 if kind == "ferry" else int(rng.choice([70, 70, 71, 79, 80, 81, 82, 89]))
            length = rng.uniform(30, 60) if kind == "ferry" else rng.uniform(90, 300)
        beam, bow = length * (rng.uniform(0.14, 0.18) if dev == "A" else 0.33), int(length * rng.uniform(0.75, 0.9))
        static = {"callsign": mids[mid] + "".join(rng.choice(list("ABCDEFGHJKLMNPRSTUVWXYZ0123456789"), 4)),
                  "to_bow": bow, "to_stern": int(length) - bow, "to_port": int(beam / 2),
                  "to_starboard": int(beam) - int(beam / 2)}
        if dev == "A":  # IMO number with its check digit
            imo = str(rng.integers(100000, 999999))
            static.update(imo=int(imo + str(sum(int(d) * w for d, w in zip(imo, range(7, 1, -1))) % 10)),
                          draught=round(float(rng.uniform(0.3, 0.6) * length / 20), 1))
        names, probs = JAM_A if dev == "A" else JAM_B
        sh = Ship(mmsi=mmsi, device=dev, behaviour=kind, name=name, ship_type=stype, static=static, dest="", route=None,
                  eta=np.datetime64(int(START + rng.uniform(3, 30) * 3600), "s").astype(object),
                  gnss="robust" if rng.random() < 0.10 else str(rng.choice(names, p=probs)),
                  second_frozen=int(rng.choice([63, 60])), reacq=rng.uniform(5, 40), sigma=rng.uniform(2.0, 3.5),
                  tau=rng.uniform(30, 120), acc=int(rng.random() < 0.6), raim=int(rng.random() < 0.3),
                  rot=rng.random() < 0.8, all_type3=rng.random() < 0.05, leeway=rng.normal(0, 2))
        place(rng, sh, T)
        ships.append(sh)
    return ships


def place(rng, sh: Ship, T: int) -> None:
    """Anchor point, berth or drifting spot; or a route (lane, ferry shuttle, leisure loop) a receiver hears."""
    kind = sh.behaviour
    if kind in ("anchored", "moored") or (kind == "leisure" and rng.random() < 0.25):
        sh.behaviour = "drifting" if kind == "leisure" else kind
        for _ in range(100):
            if kind == "anchored":
                lon, lat, r, sh.dest = ANCHORAGES[rng.integers(len(ANCHORAGES))]
                a, d = rng.uniform(0, 2 * np.pi), np.sqrt(rng.random()) * r
                p = shift(lon, lat, d * np.cos(a), d * np.sin(a))
            elif kind == "moored":
                p = shift(*BERTHS[rng.integers(len(BERTHS))], *rng.normal(0, 150, 2))
            else:
                p = shift(*MARINAS[rng.integers(len(MARINAS))], *rng.uniform(-6000, 6000, 2))
            if at_sea(p[0], p[1], kind != "moored"):
                break
        sh.point = (float(p[0]), float(p[1]))
        sh.swing = (rng.uniform(80, 250), rng.uniform(0, 360), rng.uniform(10, 40), rng.uniform(0, 2 * np.pi))
        return
    for _ in range(200):
        if kind == "leisure":
            base = MARINAS[rng.integers(len(MARINAS))]
            ang, dist = rng.uniform(0, 2 * np.pi, rng.integers(3, 6)), rng.uniform(2000, 12000, 5)
            loop = [base] + [shift(*base, d * np.cos(a), d * np.sin(a)) for a, d in zip(ang, dist)] + [base]
            route, v = build_route(loop * 12, 600.0), rng.uniform(5, 8) * KNOT_MS
            s0 = rng.uniform(0, route["cum"][-1] / 12)
        elif kind == "ferry":  # there and back, 8-15 min alongside at each end
            names = FERRY_LANES[rng.integers(len(FERRY_LANES))][:: 1 if rng.random() < 0.5 else -1]
            leg = build_route([NODES[k] for k in names])
            xy, L = np.column_stack([leg["lon"], leg["lat"]]), leg["cum"][-1]
            xy = np.vstack([xy] + [(xy[::-1] if k % 2 else xy)[1:] for k in range(1, 12)])
            route = polyline(xy, [L * (k + 1) for k in range(12)], list(rng.uniform(480, 900, 11)) + [np.inf])
            v, s0, sh.dest = rng.uniform(25, 30) * KNOT_MS, rng.uniform(0, L), PORT_NAMES[names[-1]]
        else:
            names = LANES[rng.integers(len(LANES))][:: 1 if rng.random() < 0.5 else -1]
            off = rng.uniform(-1500, 1500, 2)  # each ship keeps its own track, off the lane axis
            route = build_route([shift(*NODES[k], *off) for k in names])
            v, s0, sh.dest = rng.uniform(10, 16) * KNOT_MS, rng.uniform(0, route["cum"][-1]), PORT_NAMES[names[-1]]
        cum = route["cum"]
        along = lambda s: (np.interp(s, cum, route["lon"]), np.interp(s, cum, route["lat"]))  # noqa: E731
        rx = nearest_rx_m(*along(np.clip(s0 + v * np.array([0.0, T / 2, T]), 0, cum[-1])))  # start, middle, end
        if (rx < (55e3 if sh.device == "B" else 70e3)).sum() >= 2 and at_sea(*along(np.arange(0, cum[-1], 500))).all():
            break
    sh.route = dict(route, v=v, s0=s0)


def integrate(ships: list[Ship], T: int, rng) -> None:
    """Distance and speed along the route on a 1 s grid for all moving ships at once: speed varies a few
    per cent, ships accelerate gently, brake into stops, dwell there (ferries) or stay (arrival)."""
    mv = [x for x in ships if x.route is not None]
    n, m = len(mv), max(len(x.route["stops"]) for x in mv)
    stops, dwell = np.full((n, m), np.inf), np.full((n, m), np.inf)
    for i, x in enumerate(mv):
        stops[i, :len(x.route["stops"])], dwell[i, :len(x.route["dwell"])] = x.route["stops"], x.route["dwell"]
    s, vt = np.array([x.route["s0"] for x in mv]), np.array([x.route["v"] for x in mv])
    k, ar, waited = (stops < s[:, None]).sum(axis=1), np.arange(n), np.zeros(n)
    ph, w, v = rng.uniform(0, 2 * np.pi, n), 2 * np.pi / rng.uniform(900, 3600, n), vt.copy()
    S, V = np.empty((T + 1, n)), np.empty((T + 1, n))
    S[0], V[0] = s, v
    for t in range(1, T + 1):
        d = np.maximum(stops[ar, k] - s, 0.0)
        v = np.minimum.reduce([vt * (1 + 0.03 * np.sin(w * t + ph)), np.sqrt(2 * DECEL * d), d, v + ACCEL])
        at = d < 0.5
        v[at] = 0.0
        waited = np.where(at, waited + 1, 0.0)
        k = k + (at & (waited >= dwell[ar, k]))
        s = s + v
        S[t], V[t] = s, v
    for i, x in enumerate(mv):
        x.s_grid, x.v_grid = S[:, i], V[:, i]


def state(sh: Ship, t) -> dict:
    """True lon, lat, SOG (kn), COG, heading and nav status at times ``t`` (s from START)."""
    t = np.asarray(t, float)
    if sh.route is not None:
        r, grid = sh.route, np.arange(len(sh.s_grid))
        s, v = np.interp(t, grid, sh.s_grid), np.interp(t, grid, sh.v_grid)
        j = np.clip(np.searchsorted(r["cum"], s, "right") - 1, 0, len(r["cum"]) - 2)
        f = (s - r["cum"][j]) / (r["cum"][j + 1] - r["cum"][j])
        arrived = (s >= r["cum"][-1] - 1.0) & (sh.behaviour == "transit")  # at the approach point: anchored
        return {"lon": r["lon"][j] + f * (r["lon"][j + 1] - r["lon"][j]), "sog": v / KNOT_MS,
                "lat": r["lat"][j] + f * (r["lat"][j + 1] - r["lat"][j]), "cog": r["brg"][j],
                "hdg": (r["brg"][j] + sh.leeway) % 360, "status": np.where(arrived, 1, 0 if sh.device == "A" else 15)}
    rad, mean, amp, ph = sh.swing
    lon, lat, sog, hdg, status = sh.point[0], sh.point[1], 0.0, mean, 5
    if sh.behaviour == "anchored":  # swinging round the anchor, bow to it
        th = mean + amp * np.sin(2 * np.pi * t / 10800 + ph)
        lon, lat = shift(lon, lat, rad * np.sin(np.radians(th)), rad * np.cos(np.radians(th)))
        sog = rad * np.radians(amp) * 2 * np.pi / 10800 * np.abs(np.cos(2 * np.pi * t / 10800 + ph)) / KNOT_MS
        hdg, status = (th + 180) % 360, 1
    z = np.zeros(t.shape)
    return {"lon": lon + z, "lat": lat + z, "sog": sog + z, "cog": z, "hdg": hdg + z,
            "status": z.astype(int) + (status if sh.device == "A" else 15)}


def report_times(rng, sh: Ship, T: int) -> np.ndarray:
    """Position report schedule (ITU-R M.1371 Table 1; Class A underway intervals doubled)."""
    st = state(sh, np.arange(T + 1))
    sog = st["sog"]
    iv = np.where(sog > 2, 30.0, 180.0)  # Class B CS
    if sh.device == "A":
        iv = np.where(sog > 23, 4.0, np.where(sog > 14, 12.0, 20.0))
        iv = np.where(np.isin(st["status"], [1, 5]) & (sog <= 3), 180.0, iv)
    t, out = rng.uniform(0, iv[0]), []
    while t < T:
        out.append(t)
        t += iv[int(t)] + rng.uniform(-0.2, 0.2)
    return np.array(out)


def ar1(rng, t: np.ndarray, sigma: float, tau: float) -> np.ndarray:
    """GNSS error (east, north metres) at irregular times: first-order Gauss-Markov per axis."""
    e, out, noise = rng.normal(0, sigma, 2), np.empty((len(t), 2)), rng.normal(0, sigma, (len(t), 2))
    a = np.exp(-np.diff(t, prepend=t[:1]) / tau)
    for i in range(len(t)):
        out[i] = e = a[i] * e + np.sqrt(1 - a[i] ** 2) * noise[i]
    return out


def plan_zones(rng, T: int) -> list[Zone]:
    zones = []
    for site in rng.choice(len(ZONE_SITES), 2, replace=False):
        dur = min(rng.uniform(40, 80) * 60, 0.7 * T)
        for _ in range(100):  # at different times: starts >= 15 min apart
            start = rng.uniform(0.05 * T, 0.95 * T - dur)
            if not zones or abs(start - zones[0].start) >= min(900, 0.1 * T):
                break
        lat, lon = destination(ZONE_SITES[site][1], ZONE_SITES[site][0], rng.uniform(0, 360), rng.uniform(0, 12000))
        zones.append(Zone(float(lon), float(lat), rng.uniform(20, 45) * 1000, start, start + dur))
    return sorted(zones, key=lambda z: z.start)


def zone_at(lon, lat, t, zones: list[Zone]) -> np.ndarray:
    """Index of the (first) active zone containing each point, -1 outside all."""
    out = np.full(np.shape(t), -1)
    for zi in range(len(zones) - 1, -1, -1):
        z = zones[zi]
        out[(t >= z.start) & (t < z.end) & (haversine_m(lat, lon, z.lat, z.lon) < z.r)] = zi
    return out


def plan_spoofing(rng, ships: list[Ship], zones: list[Zone], T: int) -> list[dict]:
    def eligible(i, a, b):  # never in an active zone, mostly in coverage
        g = np.arange(a - 60, b + 61, 20.0)
        st = state(ships[i], g)
        reach = 0.8 * (25 if ships[i].device == "B" else 40) * NM
        heard = (nearest_rx_m(st["lon"], st["lat"]) < reach).mean() > 0.7
        return heard and (zone_at(st["lon"], st["lat"], g, zones) < 0).all()

    n_target, events, taken, n_group = int(rng.integers(6, 10)), [], set(), 0
    for _ in range(400):
        if len(events) >= n_target:
            break
        recipe = str(rng.choice(["point", "mass", "offset", "circle"], p=[0.3, 0.2, 0.25, 0.25]))
        dur = min(rng.uniform(10, 40) * 60, 0.5 * T)
        t0, i = rng.uniform(0.03 * T, 0.97 * T - dur), int(rng.integers(len(ships)))
        if i in taken or not eligible(i, t0, t0 + dur):
            continue
        site, members = SPOOF_SITES[rng.integers(len(SPOOF_SITES))], [i]
        if recipe == "mass" and n_target - len(events) >= 2:  # one spoofer captures its neighbours too
            pos = np.array([[state(x, [t0])[c][0] for c in ("lat", "lon")] for x in ships])
            near = [j for j in range(len(ships)) if j not in taken and j != i
                    and haversine_m(*pos[i], *pos[j]) < 30e3 and eligible(j, t0, t0 + dur)]
            k = min(int(rng.integers(2, 5)), n_target - len(events), len(near) + 1)
            if k < 2:
                continue
            members += [int(j) for j in rng.choice(near, k - 1, replace=False)]
            n_group += 1
        elif recipe == "mass":
            recipe = "point"
        for j in members:
            mass = recipe == "mass"
            events.append({"ship": j, "recipe": recipe, "site": site, "group": f"G{n_group:03d}" if mass else None,
                           "t0": t0 + mass * rng.uniform(0, 90), "t1": t0 + dur + mass * rng.uniform(0, 60),
                           "offset": (rng.uniform(0, 360), rng.uniform(20e3, 80e3)),
                           "circle": (rng.uniform(1e3, 5e3), rng.uniform(6, 20) * KNOT_MS, rng.choice([-1, 1]),
                                      rng.uniform(0, 2 * np.pi))})
            taken.add(j)
    return events


def position_reports(rng, sh: Ship, T: int, zones: list[Zone], ev: dict | None) -> tuple[list, list, set]:
    """One ship's transmitted position reports (time, pyais fields, true lon, lat), their label rows [t, label,
    spoofed, zone index, lat_true, lon_true, lat_reported, lon_reported], and the zones it lost its fix in."""
    t = report_times(rng, sh, T)
    n, st = len(t), state(sh, t)
    e = ar1(rng, t, sh.sigma, sh.tau)
    lon, lat = shift(st["lon"], st["lat"], e[:, 0], e[:, 1])
    sog = np.round(np.maximum(st["sog"] + rng.normal(0, 0.1, n), 0), 1)
    cog = (st["cog"] + rng.normal(0, 1, n) * np.minimum(60, 1 + 3 / np.maximum(sog, 0.05))) % 360
    cog = np.round(np.where(sog < 0.3, rng.uniform(0, 360, n), cog), 1) % 360
    hdg = np.round(st["hdg"] + rng.normal(0, 0.7, n)).astype(int) % 360
    turn = np.clip(angle_diff_deg(st["cog"], state(sh, t - 10)["cog"]) * 6, -708, 708)
    sec, acc, drop = (np.floor(t).astype(int) + START) % 60, np.full(n, sh.acc), np.zeros(n, bool)
    zid = np.full(n, -1)
    if sh.gnss != "robust":  # no fix inside an active zone, nor until reacquired after it
        back = state(sh, t - sh.reacq)
        zid = zone_at(st["lon"], st["lat"], t, zones)
        zid = np.where(zid >= 0, zid, zone_at(back["lon"], back["lat"], t - sh.reacq, zones))
    spoofed = (t >= ev["t0"]) & (t <= ev["t1"]) if ev else np.zeros(n, bool)
    if (k := np.flatnonzero(spoofed)).size:
        site, acc[k] = ev["site"], 1
        if ev["recipe"] in ("point", "mass"):
            lon[k], lat[k] = shift(site[0], site[1], e[k, 0], e[k, 1])
            sog[k], cog[k] = np.round(np.abs(rng.normal(0, 0.04, k.size)), 1), np.round(rng.uniform(0, 359.9, k.size))
        elif ev["recipe"] == "offset":
            lat[k], lon[k] = destination(lat[k], lon[k], *ev["offset"])
        else:
            rad, spd, sgn, ph = ev["circle"]
            ang = ph + sgn * spd / rad * (t[k] - ev["t0"])
            lon[k], lat[k] = shift(site[0], site[1], rad * np.sin(ang) + e[k, 0], rad * np.cos(ang) + e[k, 1])
            sog[k] = np.round(spd / KNOT_MS + rng.normal(0, 0.1, k.size), 1)
            cog[k] = np.round((np.degrees(ang) + sgn * 90) % 360, 1) % 360
    edges = np.diff(np.r_[0, zid >= 0, 0])
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):  # one episode without a fix
        g = np.arange(t[a - 1] if a else t[a] - 30, t[a] + 1, 1.0)  # the fix was lost between two reports
        gs = state(sh, g)
        on = g[np.argmax(zone_at(gs["lon"], gs["lat"], g, zones) >= 0)]
        f = state(sh, [on - 1.0])
        f_lon, f_lat = shift(f["lon"][0], f["lat"][0], e[a, 0], e[a, 1])
        f_sog, f_cog = round(float(f["sog"][0]), 1), round(float(f["cog"][0]), 1) % 360
        kk = np.arange(a, b)
        if sh.gnss == "silent":
            drop[kk] = True
        elif sh.gnss == "not_available":
            lon[kk], lat[kk], sog[kk], cog[kk], sec[kk], acc[kk] = 181.0, 91.0, 102.3, 360.0, 63, 0
        elif sh.gnss == "frozen":
            lon[kk], lat[kk], sog[kk], cog[kk], sec[kk] = f_lon, f_lat, f_sog, f_cog, sh.second_frozen
        else:  # dead reckoning from the last fix
            lat[kk], lon[kk] = destination(f_lat, f_lon, f_cog, f_sog * KNOT_MS * (t[kk] - on))
            sog[kk], cog[kk], sec[kk], acc[kk] = f_sog, f_cog, 62, 0
    u, radio = rng.random(n), rng.integers(0, 1 << 17, n)
    mtype = np.where(sh.all_type3 | (u < 0.03), 3, np.where(u > 0.99, 2, 1))
    tx, rows = [], []
    for j in np.flatnonzero(~drop):
        jam = bool(zid[j] >= 0)
        if sh.device == "A":  # SOTDMA/ITDMA sync state 1 (UTC indirect) without a fix
            f = {"msg_type": int(mtype[j]), "status": int(st["status"][j]), "heading": int(hdg[j]), "raim": sh.raim,
                 "turn": float(turn[j]) if sh.rot else -128, "radio": jam << 17 | int(radio[j])}
        else:  # Class B CS: fixed communication state
            f = {"msg_type": 18, "heading": 511, "cs": 1, "radio": 917510, "raim": 0}
        f.update(mmsi=sh.mmsi, lon=float(lon[j]), lat=float(lat[j]), speed=float(sog[j]) + 1e-3,
                 course=float(cog[j]) + 1e-3, second=int(sec[j]), accuracy=int(acc[j]))  # +1e-3: pyais truncates
        tx.append((t[j], f, st["lon"][j], st["lat"][j]))
        label = "jammed" if jam else ("spoofed" if spoofed[j] else "clean")
        rows.append([t[j], label, label == "spoofed", int(zid[j]), st["lat"][j], st["lon"][j],
                     lat[j] if lat[j] <= 90 else np.nan, lon[j] if lon[j] <= 180 else np.nan])
    return tx, rows, set(zid[zid >= 0].tolist())


def static_reports(rng, sh: Ship, T: int) -> list:
    """Type 5 (Class A) or type 24 A and B (Class B) every 6 min: (time, fields, true lon, lat)."""
    out = []
    for t in np.arange(rng.uniform(0, 360), T, 360.0):
        p, d = state(sh, [t]), sh.eta
        where, ids = (p["lon"][0], p["lat"][0]), dict(mmsi=sh.mmsi, shipname=sh.name, ship_type=sh.ship_type)
        if sh.device == "A":
            out.append((t, dict(sh.static, **ids, msg_type=5, epfd=1, ais_version=2, destination=sh.dest, month=d.month,
                                day=d.day, hour=d.hour, minute=d.minute), *where))
        else:
            out.append((t, {"msg_type": 24, "mmsi": sh.mmsi, "partno": 0, "shipname": sh.name}, *where))
            part_b = dict(sh.static, msg_type=24, mmsi=sh.mmsi, partno=1, ship_type=sh.ship_type, vendorid="SRT")
            out += [(tb, part_b, *where)] if (tb := t + rng.uniform(1, 50)) < T else []
    return out


def tag(body: str) -> str:
    return f"\\{body}*{reduce(lambda cs, ch: cs ^ ord(ch), body, 0):02X}\\"


def iso(t) -> np.ndarray:
    ms = np.round((START + np.asarray(t, float)) * 1000).astype("int64").astype("datetime64[ms]")
    return np.char.add(np.datetime_as_string(ms, unit="ms"), "Z")


def receive(rng, tx: list, out: Path) -> np.ndarray:
    """Hear each transmission (time, fields, lon, lat, sender: ship >= 0 or station -1-k, class) at each station;
    write the gzipped NMEA; return which station heard which transmission."""
    n = len(tx)
    t, lon, lat = (np.array([x[i] for x in tx]) for i in (0, 2, 3))
    sender, r = np.array([x[4] for x in tx]), np.where([x[5] == "B" for x in tx], 25 * NM, 40 * NM)
    chan, heard, lines, cache = rng.choice(["A", "B"], n), np.zeros((n, len(STATIONS)), bool), [], {}
    for si, (name, slon, slat, _) in enumerate(STATIONS):
        p = 0.95 / (1 + np.exp((haversine_m(lat, lon, slat, slon) - r) / (0.12 * r)))  # 1/2 at r, ~0.9 at 0.7 r
        own = sender == -1 - si
        heard[:, si] = rng.random(n) < np.where(own, 0.999, p)
        delay, seq, gid = rng.uniform(0.05, 1.0, n), 0, 0
        for j in np.flatnonzero(heard[:, si]):
            fields, rx = tx[j][1], t[j] + delay[j]
            multi, key = fields["msg_type"] == 5, (j, bool(own[j]))
            if multi or key not in cache:
                cache[key] = encode_dict(fields, talker_id="AI", sentence_type="VDO" if own[j] else "VDM",
                                         radio_channel=str(chan[j]), seq_id=seq if multi else None)
            sent, c = cache[key], int(np.floor(START + rx))
            if len(sent) == 1:
                lines.append((rx, si, tag(f"s:{name},c:{c}") + sent[0]))
                continue
            gid, seq = gid % 9999 + 1, (seq + 1) % 10
            for q, s in enumerate(sent):
                group = f"g:{q + 1}-{len(sent)}-{gid}" + (f",s:{name},c:{c}" if q == 0 else "")
                lines.append((rx + 1e-6 * q, si, tag(group) + s))
    lines.sort(key=lambda x: (x[0], x[1]))
    with open(out / "scenario.nmea.gz", "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(("\n".join(x[2] for x in lines) + "\n").encode("ascii"))
    return heard


def generate(seed: int, out: Path, vessels: int = 140, hours: float = 3.0, clean: bool = False) -> dict[str, Path]:
    """Write one scenario (``clean``: the same traffic, no interference) into ``out``; return its files."""
    rng, T = np.random.default_rng(seed), int(hours * 3600)
    ships = make_fleet(rng, vessels, T)
    integrate(ships, T, rng)
    zones = plan_zones(rng, T)
    events = plan_spoofing(rng, ships, zones, T)
    zones, ev_of = ([], {}) if clean else (zones, {e["ship"]: e for e in events})
    tx, labels, lost = [], [], {}
    for i, sh in enumerate(ships):
        reports, rows, lost[i] = position_reports(rng, sh, T, zones, ev_of.get(i))
        for (t, f, lo, la), row in zip(reports, rows):
            labels.append(row + [i, len(tx)])  # + ship, transmission
            tx.append((t, f, lo, la, i, sh.device))
        tx += [(t, f, lo, la, i, sh.device) for t, f, lo, la in static_reports(rng, sh, T)]
    for si, (name, lon, lat, mmsi) in enumerate(STATIONS):  # base stations lose UTC inside an active zone
        for tb in np.arange(rng.uniform(0, 10), T, 10.0):
            jam, d = zone_at(lon, lat, tb, zones) >= 0, np.datetime64(int(START + tb), "s").astype(object)
            utc = dict(year=0, month=0, day=0, hour=24, minute=60, second=60) if jam else \
                dict(year=d.year, month=d.month, day=d.day, hour=d.hour, minute=d.minute, second=d.second)
            tx.append((tb, dict(utc, msg_type=4, mmsi=mmsi, lon=lon, lat=lat, accuracy=1, epfd=7, raim=0,
                                radio=(3 if jam else 0) << 17 | int(rng.integers(0, 1 << 17))), lon, lat, -1 - si, "A"))
    out.mkdir(parents=True, exist_ok=True)
    heard = receive(rng, tx, out).any(axis=1)
    labels = sorted((r for r in labels if heard[r[9]]), key=lambda r: (r[0], ships[r[8]].mmsi))
    seen = sorted({x[4] for j, x in enumerate(tx) if heard[j] and x[4] >= 0})
    by_ship: dict[int, list] = {}
    for r in labels:
        if r[2]:
            by_ship.setdefault(r[8], []).append(r)
    spoof, eid = [], {}
    for n, i in enumerate(sorted(by_ship, key=lambda i: by_ship[i][0][0]), 1):
        ev, rows, eid[i] = ev_of[i], by_ship[i], f"S{n:03d}"
        kind = "displacement" if ev["recipe"] in ("point", "mass") else ev["recipe"]
        where = np.round(rows[0][6:8] + rows[0][4:6], 6).tolist()  # claimed, then true position
        where = dict(zip(("claimed_lat", "claimed_lon", "true_lat", "true_lon"), where))
        spoof.append({"event_id": eid[i], "mmsi": ships[i].mmsi, "kind": kind, "start": str(iso(rows[0][0])),
                      "end": str(iso(rows[-1][0])), "group": ev["group"], **where})
    zone_json = []
    for zi, z in enumerate(zones):
        ring = np.column_stack(destination(z.lat, z.lon, np.linspace(0, 360, 49), z.r)[::-1])
        zone_json.append({"zone_id": f"J{zi + 1:03d}", "start": str(iso(z.start)), "end": str(iso(z.end)),
                          "geometry": {"type": "Polygon", "coordinates": [np.round(ring, 5).tolist()]},
                          "centre": [round(z.lon, 5), round(z.lat, 5)], "radius_km": round(z.r / 1000, 3),
                          "affected_mmsi": sorted(ships[i].mmsi for i in seen if zi in lost[i]),
                          "base_stations": [s[3] for s in STATIONS if haversine_m(s[2], s[1], z.lat, z.lon) < z.r]})
    dirty = {e["mmsi"] for e in spoof} | {m for z in zone_json for m in z["affected_mmsi"]}
    keys = ("mmsi", "name", "ship_type", "device", "behaviour", "gnss")
    truth = {"version": 1, "seed": seed, "profile": "eastern_med" + ("_clean" if clean else ""),
             "generator": "benchmarks/med_scenarios.py", "start": str(iso(0)), "end": str(iso(T)),
             "vessels": [{("gnss_response" if k == "gnss" else k): getattr(ships[i], k) for k in keys} for i in seen],
             "clean_mmsi": sorted(ships[i].mmsi for i in seen if ships[i].mmsi not in dirty),
             "spoofing_events": spoof, "jamming_zones": zone_json}
    return write_truth_files(out, truth, ((ts, ships[r[8]].mmsi, r[1], eid[r[8]] if r[2] else "",
                                           f"J{r[3] + 1:03d}" if r[1] == "jammed" else "", *r[4:8])
                                          for ts, r in zip(iso([r[0] for r in labels]), labels)))


def main() -> None:
    generator_main(__doc__, generate, "med", vessels=140)


if __name__ == "__main__":
    main()
