"""GNSS jamming zones and spoofing events, applied to the transmitted reports.

Jamming: discs tens of km across, active for a window. A receiver inside loses
its fix, and the transponder shows one of the behaviours seen in Baltic data:
position 'not available' (91/181, UTC second 63), dead reckoning (second 62,
accuracy 0) before giving up, the last fix repeated while the ship moves on,
or no position reports at all while static reports carry on. Base stations
inside lose GNSS time (type 4 time fields 'not available'). Ships' receivers
differ in robustness, so each ship is affected within its own fraction of the
radius, and a few are not affected at all.

Spoofing, four kinds: ``displacement`` (several ships near one another
reported at one inland point, an airport), ``circle`` (a ship on passage
reported on a circle of 1-5 km), ``fake_track`` (a tanker calls at a port while
its reported track is a smooth fake elsewhere: jumps at both ends),
``teleport`` (one ship reported hundreds of km away for 5-30 min, then back).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..geo import KNOT_MS, bearing_deg, destination, haversine_m
from ..schema import SECOND_DEAD_RECKONING, SECOND_INOPERATIVE
from .motion import Path, offset, to_lonlat, to_xy
from .ports import Profile, Site, Station, polyline
from .traffic import UNDER_WAY, Vessel

#: Behaviours of a transponder whose GNSS is jammed, with their shares (Class A, Class B).
JAM_BEHAVIOURS = ("not_available", "dead_reckoning", "frozen", "silent")
_JAM_P_A = (0.35, 0.25, 0.25, 0.15)
_JAM_P_B = (0.6, 0.0, 0.0, 0.4)
#: Share of receivers that ride out the jamming (multi-constellation, better antennas).
IMMUNE_SHARE = 0.1
#: Vessels that stay clean whatever happens: they are the tricky *normal* cases.
NEVER_VICTIM = frozenset({"shared_mmsi", "gap", "harbour_turn", "ferry"})
#: Spoofing victims must be heard: coverage probability at their position at the start.
MIN_COVERAGE = 0.6
#: At most this share of the fleet is spoofed, so clean ships stay the majority in small scenarios.
MAX_VICTIM_SHARE = 0.3


@dataclass
class JamZone:
    zone_id: str
    site: str
    lon: float
    lat: float
    radius_m: float
    start: float
    end: float
    affected: set[int] = field(default_factory=set)
    base_stations: list[int] = field(default_factory=list)

    def polygon(self, n: int = 48) -> list[list[float]]:
        """The disc as a closed lon/lat ring."""
        lat, lon = destination(np.full(n, self.lat), np.full(n, self.lon), np.linspace(0, 360, n, endpoint=False),
                               np.full(n, self.radius_m))
        ring = [[round(float(a), 5), round(float(b), 5)] for a, b in zip(lon, lat)]
        return ring + ring[:1]


@dataclass
class SpoofEvent:
    event_id: str
    vessel: int
    kind: str
    start: float
    end: float
    group: str | None
    claimed: tuple[float, float]
    true: tuple[float, float]


@dataclass
class DisplacementGroup:
    airport: Site
    anchorage: Site
    n_pinned: int


@dataclass
class Plan:
    """What will happen, decided before the fleet is built (which needs to know)."""

    n_zones: int
    port_calls: list[tuple[float, float]]
    displacement: list[DisplacementGroup]
    n_circle: int
    n_teleport: int


def plan(profile: Profile, duration_s: float, scale: int, enabled: bool, rng: np.random.Generator) -> Plan:
    """Counts of jamming zones and spoofing events: 1-2 zones and one event of each kind per
    150 vessel-3-hours; the port calls and displacement groups the fleet must provide."""
    if not enabled:
        return Plan(0, [], [], 0, 0)
    T = duration_s
    port_calls = [(T * rng.uniform(0.2, 0.3), T * rng.uniform(0.3, 0.4)) for _ in range(scale)]
    groups = []
    for _ in range(scale):
        airport = profile.airports[int(rng.integers(len(profile.airports)))]
        d = [haversine_m(airport.lat, airport.lon, a.lat, a.lon) for a in profile.anchorages]
        groups.append(DisplacementGroup(airport, profile.anchorages[int(np.argmin(d))], int(rng.integers(3, 5))))
    return Plan(int(rng.integers(1, 3)) * scale, port_calls, groups, scale, scale)


def place_zones(profile: Profile, fleet: list[Vessel], duration_s: float, n: int,
                rng: np.random.Generator) -> list[JamZone]:
    """Jamming zones at the profile's candidate sites (centre jittered by ~6 km), each active for
    25-45 % of the scenario. A site is drawn with odds growing with the ships that pass it in
    the window, so zones fall where the traffic is (as the jamming seen in the Baltic does)."""
    T = duration_s
    t = np.arange(0.0, T + 1.0, 120.0)
    exempt = np.array([v.behaviour in NEVER_VICTIM for v in fleet])
    tracks = np.stack([to_lonlat(v.motion.xy(t)) for v in fleet])  # (vessels, times, 2)
    zones = []
    for k in range(n):
        start = T * rng.uniform(0.05, 0.55)
        end = min(start + T * rng.uniform(0.25, 0.45), T)
        during = (t >= start) & (t <= end)
        options = []
        for site in profile.jam_sites:
            c = to_xy(np.array([[site.lon, site.lat]]))[0] + rng.normal(0, 6000, 2)
            lon, lat = to_lonlat(c[None])[0]
            r = float(rng.uniform(site.radius_m, site.radius_max_m))
            d = haversine_m(tracks[:, during, 1], tracks[:, during, 0], lat, lon)
            ships = int(((d < r).any(axis=1) & ~exempt).sum())
            options.append((site.name, float(lon), float(lat), r, ships))
        w = np.array([o[4] for o in options], dtype=float) ** 2 + 0.1
        name, lon, lat, r, _ = options[int(rng.choice(len(options), p=w / w.sum()))]
        zones.append(JamZone(f"J{k + 1:03d}", name, lon, lat, r, start, end))
    return zones


def _true_lonlat(v: Vessel, t: float) -> np.ndarray:
    return to_lonlat(v.motion.xy(np.array([t])))[0]


def _set_reported(rep: pd.DataFrame, rows: np.ndarray, lon: np.ndarray, lat: np.ndarray, sog: np.ndarray,
                  cog: np.ndarray) -> None:
    rep.loc[rows, ["lon", "lat", "sog", "cog"]] = np.column_stack([lon, lat, sog, cog])


def _claimed_motion(rep: pd.DataFrame, rows: np.ndarray, xy_at, rng: np.random.Generator) -> None:
    """Report positions ``xy_at(t)`` (projected metres) with SOG/COG measured from that fake motion."""
    t = rep.loc[rows, "t"].to_numpy()
    ll, l0, l1 = to_lonlat(xy_at(t)), to_lonlat(xy_at(t - 0.5)), to_lonlat(xy_at(t + 0.5))
    sog = haversine_m(l0[:, 1], l0[:, 0], l1[:, 1], l1[:, 0]) / KNOT_MS
    cog = bearing_deg(l0[:, 1], l0[:, 0], l1[:, 1], l1[:, 0])
    noise = rng.normal(0, 2.0, size=(len(t), 2)) / 111_195.0
    _set_reported(rep, rows, ll[:, 0] + noise[:, 0] / np.cos(np.radians(ll[:, 1])), ll[:, 1] + noise[:, 1],
                  np.maximum(sog + rng.normal(0, 0.08, len(t)), 0.0), (cog + rng.normal(0, 0.8, len(t))) % 360)


class _Spoofer:
    def __init__(self, rep: pd.DataFrame, fleet: list[Vessel], profile: Profile, duration_s: float, coverage,
                 rng: np.random.Generator) -> None:
        self.rep, self.fleet, self.p, self.T, self.rng = rep, fleet, profile, duration_s, rng
        self.coverage = coverage
        self.events: list[SpoofEvent] = []
        self.victims: set[int] = set()
        self.budget = int(MAX_VICTIM_SHARE * len(fleet))
        self.by_vessel = {int(k): np.asarray(v) for k, v in rep.groupby("vessel").indices.items()}

    def _rows(self, vessel: int, start: float, end: float) -> np.ndarray:
        idx = self.by_vessel.get(vessel, np.array([], dtype=int))
        t = self.rep["t"].to_numpy()[idx]
        return idx[(t >= start) & (t <= end)]

    def _covered(self, v: Vessel, t: float) -> bool:
        lon, lat = _true_lonlat(v, t)
        return float(self.coverage(np.array([lon]), np.array([lat]), np.array([v.device == "B"]))[0]) >= MIN_COVERAGE

    def _candidates(self, t: float, moving: bool) -> list[Vessel]:
        if len(self.victims) >= self.budget:
            return []
        out = []
        for v in self.fleet:
            if v.index in self.victims or v.behaviour in NEVER_VICTIM or v.behaviour == "port_call":
                continue
            if moving and v.behaviour not in ("transit", "fishing"):
                continue
            if self._covered(v, t):
                out.append(v)
        return out

    def _record(self, v: Vessel, kind: str, rows: np.ndarray, group: str | None) -> None:
        if rows.size == 0:
            return
        rep = self.rep
        rep.loc[rows, "label"] = "spoofed"
        mid = rows[len(rows) // 2]
        self.victims.add(v.index)
        t = rep.loc[rows, "t"].to_numpy()
        self.events.append(SpoofEvent("", v.index, kind, float(t[0]), float(t[-1]), group,
                                      (float(rep.at[mid, "lon"]), float(rep.at[mid, "lat"])),
                                      (float(rep.at[rows[0], "lon_true"]), float(rep.at[rows[0], "lat_true"]))))
        rep.loc[rows, "spoof_idx"] = len(self.events) - 1

    def fake_track(self) -> None:
        """Port-call tankers: a smooth fake passage elsewhere while they lie at the terminal."""
        rng = self.rng
        for v in self.fleet:
            if v.behaviour != "port_call" or len(self.victims) >= self.budget:
                continue
            start = max(v.meta["arrive"] - rng.uniform(10, 25) * 60, 60.0)
            end = min(v.meta["depart"] + rng.uniform(10, 25) * 60, self.T - 60.0)
            rows = self._rows(v.index, start, end)
            if rows.size == 0:
                continue
            true0 = to_xy(_true_lonlat(v, start)[None])[0]
            speed = rng.uniform(6, 11) * KNOT_MS
            need = speed * (end - start) + 1000.0
            # A stretch of some lane 30-80 km away, long enough to steam along for the whole window.
            options = []
            for r in self.p.routes:
                for xy in (to_xy(polyline(self.p, r.waypoints)), to_xy(polyline(self.p, r.waypoints[::-1]))):
                    path = Path(offset(xy, 900.0))
                    s = np.arange(0.0, max(path.length - need, 0.0), 2000.0)
                    d = np.hypot(*(path.at(s) - true0).T)
                    options += [(path, float(si)) for si in s[(d > 30_000) & (d < 80_000)]]
            if not options:
                continue
            path, s0 = options[int(rng.integers(len(options)))]
            _claimed_motion(self.rep, rows, lambda t: path.at(s0 + speed * (t - start)), rng)
            rep = self.rep
            rep.loc[rows, "heading"] = np.round(rep.loc[rows, "cog"].to_numpy()) % 360
            rep.loc[rows, "nav_status"] = UNDER_WAY
            self._record(v, "fake_track", rows, None)

    def displacement(self, groups: list[DisplacementGroup]) -> None:
        """Ships near one another reported together at one inland airport."""
        rng = self.rng
        for g_i, g in enumerate(groups):
            t0 = self.T * rng.uniform(0.15, 0.6)
            dur = rng.uniform(10, 40) * 60
            centre = (g.anchorage.lon, g.anchorage.lat)
            near = []
            for v in self._candidates(t0, moving=False):
                lon, lat = _true_lonlat(v, t0)
                d = haversine_m(lat, lon, centre[1], centre[0])
                if d < 30_000:
                    near.append((d, v.index))
            size = min(int(rng.integers(3, 7)), self.budget - len(self.victims))
            members = [i for _, i in sorted(near)][:size]
            group = f"G{g_i + 1:03d}"
            for i in members:
                v = self.fleet[i]
                rows = self._rows(i, t0 + rng.uniform(0, 60), t0 + dur + rng.uniform(-120, 120))
                n = rows.size
                c = to_xy(np.array([[g.airport.lon, g.airport.lat]]))[0]
                ll = to_lonlat(c + rng.normal(0, 3.0, size=(n, 2)))
                _set_reported(self.rep, rows, ll[:, 0], ll[:, 1], rng.uniform(0, 0.2, n), rng.uniform(0, 360, n))
                self._record(v, "displacement", rows, group)

    def circle(self, n: int) -> None:
        """Ships on passage reported going round a circle of 1-5 km."""
        rng = self.rng
        for _ in range(n):
            t0 = self.T * rng.uniform(0.1, 0.7)
            cands = self._candidates(t0, moving=True)
            if not cands:
                return
            v = cands[int(rng.integers(len(cands)))]
            end = min(t0 + rng.uniform(15, 45) * 60, self.T)
            rows = self._rows(v.index, t0, end)
            r = rng.uniform(1000, 5000)
            true0 = to_xy(_true_lonlat(v, t0)[None])[0]
            a = rng.uniform(0, 2 * np.pi)
            centre = true0 + rng.uniform(0, r) * np.array([np.sin(a), np.cos(a)])
            theta0 = np.arctan2(*(true0 - centre))
            omega = rng.choice([-1, 1]) * rng.uniform(4, 12) * KNOT_MS / r

            def xy_at(t: np.ndarray) -> np.ndarray:
                th = theta0 + omega * (t - t0)
                return centre + r * np.column_stack([np.sin(th), np.cos(th)])

            _claimed_motion(self.rep, rows, xy_at, rng)
            self._record(v, "circle", rows, None)

    def teleport(self, n: int) -> None:
        """A ship reported 200-500 km away for 5-30 min: a fixed point or its track shifted there."""
        rng = self.rng
        for _ in range(n):
            t0 = self.T * rng.uniform(0.1, 0.8)
            cands = self._candidates(t0, moving=True)
            if not cands:
                return
            v = cands[int(rng.integers(len(cands)))]
            rows = self._rows(v.index, t0, min(t0 + rng.uniform(5, 30) * 60, self.T))
            lon0, lat0 = _true_lonlat(v, t0)
            for _try in range(50):
                dist, brg = rng.uniform(200_000, 500_000), rng.uniform(0, 360)
                lat1, lon1 = destination(lat0, lon0, brg, dist)
                if 9.5 < lon1 < 30.5 and 53.5 < lat1 < 66.0:
                    break
            rep = self.rep
            k = rows.size
            if rng.random() < 0.5:
                c = to_xy(np.array([[lon1, lat1]]))[0]
                ll = to_lonlat(c + rng.normal(0, 3.0, size=(k, 2)))
                _set_reported(rep, rows, ll[:, 0], ll[:, 1], rng.uniform(0, 0.3, k), rng.uniform(0, 360, k))
            else:
                dlat, dlon = float(lat1 - lat0), float(lon1 - lon0)
                rep.loc[rows, "lat"] = rep.loc[rows, "lat"] + dlat
                rep.loc[rows, "lon"] = rep.loc[rows, "lon"] + dlon
            self._record(v, "teleport", rows, None)


def apply_spoofing(rep: pd.DataFrame, fleet: list[Vessel], profile: Profile, p: Plan, duration_s: float, coverage,
                   rng: np.random.Generator) -> list[SpoofEvent]:
    """Spoof the reports in place (label 'spoofed', column ``spoof_idx``); events sorted by start."""
    s = _Spoofer(rep, fleet, profile, duration_s, coverage, rng)
    s.fake_track()
    s.displacement(p.displacement)
    s.circle(p.n_circle)
    s.teleport(p.n_teleport)
    return s.events


def apply_jamming(rep: pd.DataFrame, fleet: list[Vessel], zones: list[JamZone], stations: tuple[Station, ...],
                  rng: np.random.Generator) -> None:
    """Degrade the reports of ships inside active zones in place (label 'jammed', ``zone_id``).

    ``rep`` must be sorted by vessel, then time. Spoofed reports are left alone.
    """
    vessel = rep["vessel"].to_numpy()
    t = rep["t"].to_numpy()
    n_v = len(fleet)
    exempt = np.array([v.behaviour in NEVER_VICTIM for v in fleet])
    device_b = np.array([v.device == "B" for v in fleet])
    idx = np.arange(len(rep))
    for z in zones:
        reach = np.where(exempt | (rng.random(n_v) < IMMUNE_SHARE), 0.0, rng.uniform(0.6, 1.0, n_v)) * z.radius_m
        d = haversine_m(rep["lat_true"].to_numpy(), rep["lon_true"].to_numpy(), z.lat, z.lon)
        inside = (t >= z.start) & (t <= z.end) & (d < reach[vessel]) & (rep["label"].to_numpy() == "clean")
        z.base_stations = [i for i, s in enumerate(stations)
                           if s.base and haversine_m(s.lat, s.lon, z.lat, z.lon) < z.radius_m]
        if not inside.any():
            continue
        kind = np.array([rng.choice(len(JAM_BEHAVIOURS), p=_JAM_P_B if b else _JAM_P_A) for b in device_b])
        dr_for = rng.uniform(120, 600, n_v)  # how long dead reckoning lasts before 'not available'
        raim_dr = rng.random(n_v) < 0.5
        prev_in = np.concatenate([[False], inside[:-1] & (vessel[1:] == vessel[:-1])])
        first = np.maximum.accumulate(np.where(inside & ~prev_in, idx, 0))
        rows = idx[inside]
        ep0 = first[rows]
        # The last fix before the episode: the previous report of the ship, or (none) its true position.
        last = ep0 - 1
        has_last = (last >= 0) & (vessel[np.maximum(last, 0)] == vessel[rows])
        last = np.where(has_last, last, ep0)
        lon_last = np.where(has_last, rep["lon"].to_numpy()[last], rep["lon_true"].to_numpy()[last])
        lat_last = np.where(has_last, rep["lat"].to_numpy()[last], rep["lat_true"].to_numpy()[last])
        sog_last = np.nan_to_num(rep["sog"].to_numpy()[last])
        cog_last = np.nan_to_num(rep["cog"].to_numpy()[last])
        k = kind[vessel[rows]]
        dr = (k == 1) & (t[rows] - t[ep0] < dr_for[vessel[rows]])
        frozen = k == 2
        # A ship already without a fix (an earlier zone) has nothing to hold or extrapolate.
        na = (k == 0) | ((k == 1) & ~dr) | ((dr | frozen) & np.isnan(lat_last))
        dr &= ~na
        frozen &= ~na
        silent = k == 3
        dt = t[rows] - t[last]
        dr_lat, dr_lon = destination(lat_last, lon_last, cog_last, sog_last * KNOT_MS * dt)
        new_lon = np.select([dr, frozen, na], [dr_lon, lon_last, np.nan], rep["lon"].to_numpy()[rows])
        new_lat = np.select([dr, frozen, na], [dr_lat, lat_last, np.nan], rep["lat"].to_numpy()[rows])
        rep.loc[rows, "lon"] = new_lon
        rep.loc[rows, "lat"] = new_lat
        rep.loc[rows, "sog"] = np.select([dr | frozen, na], [sog_last, np.nan], rep["sog"].to_numpy()[rows])
        rep.loc[rows, "cog"] = np.select([dr | frozen, na], [cog_last, np.nan], rep["cog"].to_numpy()[rows])
        second = rep["second"].to_numpy()[rows]
        rep.loc[rows, "second"] = np.select([dr, na], [SECOND_DEAD_RECKONING, SECOND_INOPERATIVE], second)
        rep.loc[rows, "accuracy"] = np.where(dr | na, 0, rep["accuracy"].to_numpy()[rows])
        rep.loc[rows, "raim"] = np.select([dr, na], [raim_dr[vessel[rows]].astype(int), 0],
                                          rep["raim"].to_numpy()[rows])
        rep.loc[rows, "sync"] = 1  # no GNSS time: synchronised to other stations (UTC indirect)
        rep.loc[rows, "transmitted"] = ~silent
        rep.loc[rows, "label"] = "jammed"
        rep.loc[rows, "zone_id"] = z.zone_id
        z.affected = {int(x) for x in np.unique(vessel[rows])}
