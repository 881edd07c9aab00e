"""The fleet: who sails where, and when each transponder reports.

Vessel mix (fractions of the ordinary traffic): Class A cargo, tankers and
ro-pax on the lanes (55 %), ships at anchor (14 %) and moored (7 %) off the
ports, trawlers zig-zagging on the fishing grounds (9 %), Class B leisure craft
(15 %), plus fast ferries and the deliberately tricky normal cases: two ships
sharing one MMSI far apart, a ship with a long reception gap, a ship turning
sharply in a harbour basin.

Reporting follows ITU-R M.1371-5 Table 1 (Class A) and the Class B 'CS' rates:
the interval depends on speed over ground, turning, and anchored/moored status.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import land
from ..geo import KNOT_MS, angle_diff_deg, bearing_deg, haversine_m
from .motion import Path, PathMotion, Plan, Swinging, fillet, offset, to_lonlat, to_xy, u_turn
from .ports import Profile, Route, Site, polyline

#: Nav status codes (ITU-R M.1371-5, message 1).
UNDER_WAY, AT_ANCHOR, MOORED, FISHING, SAILING, NOT_DEFINED = 0, 1, 5, 7, 8, 15
#: A ship turning faster than this (degrees per minute) counts as 'changing
#: course' for the faster Class A rates. The standard leaves the threshold to
#: the equipment; 5 degrees in 30 s is the usual reading.
TURNING_DEG_MIN = 10.0
#: Acceleration of merchant ships and of fast ferries, m/s^2 (0 to 12 kn in ~5 min; 0 to 30 kn in ~4 min).
ACCEL_SHIP, ACCEL_FERRY = 0.02, 0.06

_PORT_CODES = {
    "HEL": "FIHEL", "TAL": "EETLL", "MUUGA": "EEMUG", "KOTKA": "FIKTK", "HAMINA": "FIHMN", "PRIMORSK": "RUPRI",
    "USTLUGA": "RUULU", "SPB": "RULED", "STOCKHOLM": "SESTO", "RIGA": "LVRIX", "VENTSPILS": "LVVNT",
    "GDANSK": "PLGDN", "GDYNIA": "PLGDY", "BALTIYSK": "RUBLT", "KLAIPEDA": "LTKLJ", "NYN": "SENYN",
    "VISBY": "SEVBY",
}
_FAR_PORTS = ("NLRTM", "DEHAM", "BEANR", "DEBRV", "GBFXT", "DKAAR", "SEGOT", "NOOSL", "FRLEH", "EGPSD")
_CALLSIGN_PREFIX = {
    230: "OJ", 276: "ES", 273: "UB", 265: "SB", 266: "SF", 261: "SP", 277: "LY", 275: "YL", 211: "DC",
    219: "OZ", 245: "PD", 636: "A8", 538: "V7", 248: "9H", 256: "9H", 352: "3E", 355: "HO", 209: "5B",
    518: "E5", 667: "9L", 613: "TJ", 305: "V2",
}
_NAME_A = ("BALTIC", "NORDIC", "ARCTIC", "NORTHERN", "EASTERN", "GOLDEN", "SILVER", "BLUE", "POLAR", "AMBER",
           "OCEAN", "SEA", "STAR", "CAPE", "KARELIA", "FINN", "VIKING", "HANSA", "NEVA", "LUGA", "OSTSEE",
           "CORAL", "IRON", "SWIFT", "GREEN", "MARINA", "AURORA", "LADOGA", "ONEGA", "LINDA")
_NAME_B = ("TRADER", "STAR", "SPIRIT", "CARRIER", "PIONEER", "EXPRESS", "VOYAGER", "BREEZE", "WAVE", "HORIZON",
           "FALCON", "EAGLE", "PRIDE", "GLORY", "MERCHANT", "FORTUNE", "QUEEN", "LINK", "BRIDGE", "SKY",
           "PEARL", "HAWK", "WIND", "ISLAND", "TIDE")
_LEISURE = ("AALTO", "ONNI", "SAGA", "MERI", "TUULI", "ALLI", "KAJA", "LUMI", "VILJA", "FREJA", "ELSA",
            "SOFIA", "MINNA", "ELLA", "SELMA", "ALMA", "LOTTA", "NOORA", "IINA", "PIRATE")


@dataclass
class Vessel:
    """One transmitter: identity, static data, motion, and transponder habits."""

    index: int
    mmsi: int
    name: str
    callsign: str
    imo: int
    ship_type: int
    device: str  # 'A' (types 1/3 and 5) or 'B' (Class B CS: types 18 and 24)
    behaviour: str
    motion: PathMotion | Swinging
    nav_moving: int
    nav_stopped: int
    dims: tuple[int, int, int, int]
    draught: float
    destination: str
    eta: tuple[int, int, int, int]
    accuracy: int
    raim: int
    has_rot: bool
    has_heading: bool
    sigma_m: float
    type3_share: float
    route: str = ""
    #: Times (s) of notable moments: 'arrive'/'depart' of a port call, 'turn' of the harbour turn.
    meta: dict = field(default_factory=dict)
    #: Reception is lost during these windows (s): the 'gap' vessel.
    rx_gaps: list = field(default_factory=list)


def _imo(rng: np.random.Generator) -> int:
    """A 7-digit IMO number with a valid check digit."""
    d = [9, *rng.integers(0, 10, 5)]
    check = sum(int(x) * w for x, w in zip(d, (7, 6, 5, 4, 3, 2))) % 10
    return int("".join(map(str, d)) + str(check))


class _Identities:
    """Unique MMSIs and plausible names per flag."""

    def __init__(self, profile: Profile, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[int] = set()
        self.names: set[str] = set()
        mids = np.array(list(profile.flags))
        w = np.array(list(profile.flags.values()), dtype=float)
        self.mids, self.mid_p = mids, w / w.sum()

    def mmsi(self, mid: int | None = None) -> int:
        while True:
            m = int(mid if mid is not None else self.rng.choice(self.mids, p=self.mid_p))
            tail = int(self.rng.integers(0, 1000)) * 1000 if self.rng.random() < 0.5 else int(self.rng.integers(0, 10**6))
            mmsi = m * 10**6 + tail
            if mmsi not in self.used and tail > 0:
                self.used.add(mmsi)
                return mmsi

    def name(self, leisure: bool = False) -> str:
        for _ in range(1000):
            if leisure:
                n = f"{self.rng.choice(_LEISURE)}{'' if self.rng.random() < 0.5 else ' ' + str(self.rng.integers(1, 9))}"
            else:
                n = f"{self.rng.choice(_NAME_A)} {self.rng.choice(_NAME_B)}"
                if self.rng.random() < 0.3:
                    n += f" {self.rng.integers(1, 12)}"
            if n not in self.names:
                self.names.add(n)
                return n
        raise RuntimeError("ran out of vessel names")

    def callsign(self, mmsi: int) -> str:
        prefix = _CALLSIGN_PREFIX.get(mmsi // 10**6, "XX")
        letters = "".join(self.rng.choice(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), 3))
        return prefix + letters


class FleetBuilder:
    """Builds vessels on a profile's geography; every path is checked against land."""

    def __init__(self, profile: Profile, duration_s: float, rng: np.random.Generator) -> None:
        self.p = profile
        self.T = duration_s
        self.rng = rng
        self.ids = _Identities(profile, rng)
        self.vessels: list[Vessel] = []
        #: Wind direction the anchored ships lie to (degrees the wind blows from).
        self.wind_from = float(rng.uniform(0, 360))

    # --- geometry helpers -------------------------------------------------------------
    def _route_xy(self, route: Route, reverse: bool) -> np.ndarray:
        """The route's centre line in metres, corners still sharp."""
        names = route.waypoints[::-1] if reverse else route.waypoints
        return to_xy(polyline(self.p, names))

    def _round(self, xy: np.ndarray) -> np.ndarray:
        """Corners turned on arcs of 1.5-2.5 km: about 10 degrees a minute at 12 kn."""
        return fillet(xy, float(self.rng.uniform(1500, 2500)))

    @staticmethod
    def _on_water(xy: np.ndarray) -> bool:
        ll = to_lonlat(_densify(xy, 1000.0))
        return not land.segment_crosses_land(ll[:-1, 0], ll[:-1, 1], ll[1:, 0], ll[1:, 1]).any()

    def _lane(self, route: Route, reverse: bool) -> np.ndarray:
        """The route's centre line shifted to the right-hand side (traffic separation) when that stays on water."""
        xy = self._route_xy(route, reverse)
        # Offset before rounding the corners, so the inside of a bend cannot fold over itself.
        shifted = self._round(offset(xy, float(self.rng.uniform(300, 2000))))
        return shifted if self._on_water(shifted) else self._round(xy)

    def _point_in(self, centre: np.ndarray, radius: float, clearance: float = 300.0) -> np.ndarray:
        """A random point within ``radius`` m of ``centre`` at least ``clearance`` m from land."""
        for _ in range(200):
            r = radius * np.sqrt(self.rng.random())
            a = self.rng.uniform(0, 2 * np.pi)
            p = centre + r * np.array([np.sin(a), np.cos(a)])
            ring = p + clearance * np.array([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]])
            ll = to_lonlat(ring)
            if not land.on_land(ll[:, 0], ll[:, 1]).any():
                return p
        return centre  # profile points are on water (tests/test_simulate.py checks them)

    # --- identities ------------------------------------------------------------------------
    def _add(self, behaviour: str, device: str, ship_type: int, motion, nav_moving: int, nav_stopped: int,
             mmsi: int | None = None, dest: str = "", route: str = "", leisure: bool = False, **meta) -> Vessel:
        rng = self.rng
        mmsi = mmsi if mmsi is not None else self.ids.mmsi(
            int(rng.choice(self.p.leisure_flags)) if leisure else None)
        big = device == "A" and ship_type >= 60
        length = int(rng.uniform(90, 230)) if big else int(rng.uniform(8, 40) if leisure else rng.uniform(20, 45))
        beam = max(int(length * rng.uniform(0.13, 0.17)), 3)
        bow = int(length * rng.uniform(0.75, 0.85))
        dims = (bow, length - bow, beam // 2, beam - beam // 2)
        draught = round(float(rng.uniform(5.0, 12.5) if big else rng.uniform(1.2, 4.5)), 1)
        month, day = 6, int(rng.integers(1, 4))
        v = Vessel(
            index=len(self.vessels), mmsi=mmsi, name=self.ids.name(leisure), callsign=self.ids.callsign(mmsi),
            imo=_imo(rng) if device == "A" and not leisure else 0, ship_type=ship_type, device=device,
            behaviour=behaviour, motion=motion, nav_moving=nav_moving, nav_stopped=nav_stopped, dims=dims,
            draught=draught, destination=dest, eta=(month, day, int(rng.integers(0, 24)), int(rng.integers(0, 60))),
            accuracy=int(rng.random() < (0.7 if device == "A" else 0.2)),
            raim=int(rng.random() < (0.4 if device == "A" else 0.1)),
            has_rot=device == "A" and rng.random() < 0.6,
            has_heading=device == "A" or rng.random() < 0.25,
            sigma_m=float(rng.uniform(1.5, 3.5) if device == "A" else rng.uniform(3.0, 6.0)),
            type3_share=float(rng.choice([0.0, 0.0, 0.05, 0.2])) if device == "A" else 0.0,
            route=route, meta=dict(meta),
        )
        self.vessels.append(v)
        return v

    def _dest(self, names: tuple[str, ...]) -> str:
        return _PORT_CODES.get(names[-1], str(self.rng.choice(_FAR_PORTS)))

    # --- behaviours ------------------------------------------------------------------------
    def _pick_route(self, kind: str) -> Route:
        routes = [r for r in self.p.routes if kind in r.kinds]
        w = np.array([r.weight for r in routes])
        return routes[int(self.rng.choice(len(routes), p=w / w.sum()))]

    def transit(self, kind: str | None = None, behaviour: str = "transit", mmsi: int | None = None,
                route: Route | None = None, reverse: bool | None = None, start_frac: tuple[float, float] | None = None,
                ) -> Vessel:
        rng = self.rng
        kind = kind or str(rng.choice(["cargo", "tanker", "passenger"], p=[0.5, 0.35, 0.15]))
        route = route or self._pick_route(kind)
        reverse = bool(rng.random() < 0.5) if reverse is None else reverse
        names = route.waypoints[::-1] if reverse else route.waypoints
        path = Path(self._lane(route, reverse))
        kn = rng.uniform(16, 21) if kind == "passenger" else rng.uniform(10, 15)
        v = kn * KNOT_MS
        to_port = names[-1] in self.p.berths
        reach = v * self.T
        hi = path.length if to_port else max(path.length - reach, 0.0)
        lo, hi = (start_frac[0] * path.length, start_frac[1] * path.length) if start_frac else (0.0, hi)
        s0 = float(rng.uniform(lo, max(hi, lo)))
        plan = Plan(0.0, s0, v).travel([(path.length - s0, v)], ACCEL_SHIP, stop=True).dwell(2 * self.T)
        ship_type = {"cargo": 70, "tanker": 80, "passenger": 60}[kind] + int(rng.choice([0, 0, 0, 1, 2, 9]))
        return self._add(behaviour, "A", ship_type, PathMotion(path, plan), UNDER_WAY, AT_ANCHOR, mmsi=mmsi,
                         dest=self._dest(names), route=route.name)

    def ferry(self) -> Vessel:
        """A fast ferry shuttling berth to berth, turning to port at each berth, dwelling 20-45 min."""
        rng = self.rng
        names = self.p.ferry_routes[int(rng.integers(len(self.p.ferry_routes)))]
        centre = to_xy(polyline(self.p, names))
        there, turn_b, back, r = self._shuttle(centre, (float(rng.uniform(250, 400)), 150.0))
        turn_a = self._shuttle(centre[::-1], (r,))[1]
        legs, turns = [there, back], [turn_b, turn_a]
        v = rng.uniform(25, 35) * KNOT_MS
        slow, approach = 6 * KNOT_MS, 2500.0
        dwell = float(rng.uniform(20, 45) * 60)
        first = int(rng.integers(2))
        plan = Plan(-float(rng.uniform(0, 2.2 * 3600)))
        pts: list[np.ndarray] = []
        k = 0
        while plan.t[-1] < self.T:
            leg = legs[(first + k) % 2]
            sections = []
            if k:
                turn = turns[(first + k - 1) % 2]
                sections.append((Path(np.vstack([pts[-1][-1:], turn])).length, 3 * KNOT_MS))
                pts.append(turn)
            sections += [(approach, slow), (Path(leg).length - 2 * approach, v), (approach, slow)]
            pts.append(leg)
            plan.travel(sections, ACCEL_FERRY, stop=True).dwell(dwell)
            k += 1
        ship_type = int(rng.choice([40, 60, 60]))
        return self._add("ferry", "A", ship_type, PathMotion(Path(np.vstack(pts)), plan), UNDER_WAY, MOORED,
                         dest=_PORT_CODES.get(names[-1], ""), route=f"{names[0]}-{names[-1]}")

    def _shuttle(self, centre: np.ndarray, radii: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Inbound lane, 180-degree turn to port at its end, outbound lane: each lane kept
        ``r`` metres to the right of the centre line so the turn joins them. Tries each radius
        until all three stay on water."""
        for r in radii:
            rounding = float(self.rng.uniform(1500, 2500))
            xy_in, xy_out = fillet(offset(centre, r), rounding), fillet(offset(centre[::-1], r), rounding)
            p_in = Path(xy_in)
            turn = u_turn(xy_in[-1], p_in.direction(p_in.length), r, starboard=False)
            if self._on_water(np.vstack([xy_in, turn, xy_out])):
                return xy_in, turn, xy_out, r
        raise RuntimeError("no room to turn at the end of a lane; fix the profile geography")

    def port_call(self, arrive_s: float, dwell_s: float, behaviour: str = "port_call") -> Vessel:
        """A tanker that comes in from sea, lies at the terminal, and leaves the way it came."""
        rng = self.rng
        routes = [r for r in self.p.routes if "tanker" in r.kinds and r.waypoints[-1] in self.p.berths]
        route = routes[int(rng.integers(len(routes)))]
        xy_in, turn, xy_out, _ = self._shuttle(self._route_xy(route, False), (400.0, 250.0, 150.0))
        p_in = Path(xy_in)
        v = rng.uniform(10, 13) * KNOT_MS
        decel = v * v / (2 * ACCEL_SHIP)
        s0 = max(p_in.length - (v * arrive_s + decel / 2), 0.0)
        plan = Plan(0.0, s0, v).travel([(p_in.length - s0, v)], ACCEL_SHIP, stop=True)
        arrive = plan.t[-1]
        plan.dwell(dwell_s)
        depart = plan.t[-1]
        turn_len = Path(np.vstack([xy_in[-1:], turn])).length
        plan.travel([(turn_len, 3 * KNOT_MS), (Path(xy_out).length, v)], ACCEL_SHIP, stop=True)
        path = Path(np.vstack([xy_in, turn, xy_out]))
        return self._add(behaviour, "A", 80 + int(rng.choice([0, 1, 4])), PathMotion(path, plan), UNDER_WAY,
                         MOORED, dest=self._dest(route.waypoints), route=route.name, arrive=arrive, depart=depart)

    def harbour_turn(self) -> Vessel:
        """A ro-pax entering a harbour basin, turning short round, and leaving, at slow speed."""
        out, basin = self.p.harbour_turn
        xy = to_xy(polyline(self.p, (out, basin)))
        xy = _densify(xy, 1000.0)
        p_in = Path(xy)
        for starboard in (True, False):
            turn = u_turn(xy[-1], p_in.direction(p_in.length), 150.0, starboard=starboard)
            back = offset(xy[::-1], 300.0 if not starboard else -300.0)
            full = np.vstack([xy, turn, back])
            if self._on_water(full):
                break
        else:
            raise RuntimeError(f"no room to turn in the basin at {basin}; fix the profile geography")
        path = Path(full)
        v, v_turn = 8 * KNOT_MS, 4 * KNOT_MS
        turn_len = Path(np.vstack([xy[-1:], turn])).length
        # Time the turn for mid-scenario.
        s_turn = p_in.length
        s0 = max(s_turn - v * 0.5 * self.T, 0.0)
        plan = Plan(0.0, s0, v).travel(
            [(s_turn - s0, v), (turn_len, v_turn), (path.length - s_turn - turn_len, v)], ACCEL_SHIP, stop=True
        ).dwell(2 * self.T)
        return self._add("harbour_turn", "A", 60, PathMotion(path, plan), UNDER_WAY, AT_ANCHOR,
                         dest=_PORT_CODES.get(basin, ""), route=f"{out}-{basin}")

    def anchored(self, site: Site | None = None, behaviour: str = "anchored") -> Vessel:
        rng = self.rng
        if site is None:
            w = np.array([a.radius_m for a in self.p.anchorages])
            site = self.p.anchorages[int(rng.choice(len(w), p=w / w.sum()))]
        c = self._point_in(to_xy(np.array([[site.lon, site.lat]]))[0], site.radius_m)
        radius = float(rng.uniform(60, 150))
        # Swinging 10-40 degrees each way over 30-90 min: a few degrees a minute at most.
        motion = Swinging(c, radius, (self.wind_from + rng.normal(0, 10)) % 360, float(rng.uniform(10, 40)),
                          float(rng.uniform(1800, 5400)), float(rng.uniform(0, 2 * np.pi)))
        kind = int(rng.choice([70, 80, 80, 71, 89]))
        return self._add(behaviour, "A", kind, motion, AT_ANCHOR, AT_ANCHOR, dest=_PORT_CODES.get(site.name.upper(), ""),
                         route=site.name)

    def moored(self) -> Vessel:
        rng = self.rng
        berth = self.p.berths[int(rng.integers(len(self.p.berths)))]
        c = self._point_in(to_xy(polyline(self.p, (berth,)))[0], 600.0, clearance=150.0)
        motion = Swinging(c, 0.0, float(rng.uniform(0, 360)), 1.0, 1800.0, 0.0)
        return self._add("moored", "A", int(rng.choice([70, 80, 60, 52, 79])), motion, MOORED, MOORED,
                         dest=_PORT_CODES.get(berth, ""), route=berth)

    def _wander(self, box: tuple[float, float, float, float], leg: tuple[float, float], turn: tuple[float, float],
                total: float, radius: float) -> np.ndarray:
        """A random walk of straight legs (``leg`` m long, turning ``turn`` degrees on arcs of
        ``radius`` m) on water in a lon/lat box."""
        rng = self.rng
        corners = to_xy(np.array([box[:2], box[2:]]))
        centre = corners.mean(axis=0)
        for _ in range(200):
            ll = np.array([rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])])
            q = to_xy(ll[None])[0]
            if self._on_water(np.vstack([q, q + 300.0])):
                break
        else:
            raise RuntimeError(f"no water found in area {box}; fix the profile geography")
        pts = [q]
        heading = rng.uniform(0, 2 * np.pi)
        length = 0.0
        while length < total:
            for attempt in range(12):
                h = heading + np.radians(rng.uniform(*turn)) * rng.choice([-1, 1])
                q = pts[-1] + rng.uniform(*leg) * np.array([np.sin(h), np.cos(h)])
                if not ((corners[0] <= q) & (q <= corners[1])).all() and attempt < 8:
                    # Leaving the area: head back towards its middle.
                    h = np.arctan2(*(centre - pts[-1])) + rng.normal(0, 0.4)
                    q = pts[-1] + rng.uniform(*leg) * np.array([np.sin(h), np.cos(h)])
                if self._on_water(np.vstack([pts[-1], q])):
                    heading = h
                    break
            else:
                # Boxed in: the first open heading within 150 degrees either way, on a short leg.
                for dh in np.radians(np.arange(10, 151, 10)).repeat(2) * np.tile([1, -1], 15):
                    h = heading + dh
                    q = pts[-1] + 600.0 * np.array([np.sin(h), np.cos(h)])
                    if self._on_water(np.vstack([pts[-1], q])):
                        heading = h
                        break
                else:
                    raise RuntimeError(f"a vessel got boxed in by land in area {box}")
            length += float(np.hypot(*(q - pts[-1])))
            pts.append(q)
        xy = fillet(np.array(pts), radius)
        return xy if self._on_water(xy) else np.array(pts)

    def fishing(self) -> Vessel:
        rng = self.rng
        v = rng.uniform(2.5, 4.5) * KNOT_MS
        box = self.p.fishing_areas[int(rng.integers(len(self.p.fishing_areas)))]
        xy = self._wander(box, (1500, 4500), (40, 150), v * self.T + 1000, radius=250.0)
        plan = Plan(0.0, 0.0, v).cruise(2 * self.T)
        return self._add("fishing", "A", 30, PathMotion(Path(xy), plan), FISHING, FISHING, dest="")

    def leisure(self) -> Vessel:
        """A Class B pleasure craft: one outing of 5-40 km between idle spells, or drifting all along."""
        rng = self.rng
        box = self.p.leisure_areas[int(rng.integers(len(self.p.leisure_areas)))]
        style = str(rng.choice(["motor", "sail", "drift"], p=[0.45, 0.4, 0.15]))
        ship_type = 36 if style == "sail" else 37
        v = {"motor": rng.uniform(8, 26), "sail": rng.uniform(4, 7), "drift": 1.0}[style] * KNOT_MS
        trip = min(v * self.T * 0.8, rng.uniform(5000, 40000))
        xy = self._wander(box, (2000, 8000), (15, 70), trip, radius=float(rng.uniform(150, 400)))
        if style == "drift":
            motion = Swinging(xy[0], 30.0, float(rng.uniform(0, 360)), 40.0, 1200.0, float(rng.uniform(0, 6)))
        else:
            path = Path(xy)
            idle = max(self.T - path.length / v, 0.0) * rng.uniform(0, 1)
            plan = Plan(0.0).dwell(idle).travel([(path.length, v)], 0.2, stop=True).dwell(2 * self.T)
            motion = PathMotion(path, plan)
        return self._add("leisure", "B", ship_type, motion, NOT_DEFINED, NOT_DEFINED, leisure=True)


def _densify(xy: np.ndarray, step: float) -> np.ndarray:
    """Insert points so no segment is longer than ``step`` metres."""
    seg = np.diff(xy, axis=0)
    n = np.maximum(np.ceil(np.hypot(seg[:, 0], seg[:, 1]) / step).astype(int), 1)
    parts = [xy[i] + seg[i] * (np.arange(n[i])[:, None] / n[i]) for i in range(len(seg))]
    return np.vstack([*parts, xy[-1:]])


def build_fleet(profile: Profile, n: int, duration_s: float, rng: np.random.Generator,
                port_calls: list[tuple[float, float]], pinned: list[tuple[Site, int]]) -> list[Vessel]:
    """The whole fleet for one scenario.

    ``port_calls`` lists (arrive_s, dwell_s) of tankers whose port call a fake
    track will hide; ``pinned`` lists (anchorage, count) of ships that lie near
    an airport displacement spoofing will report them at.
    """
    fb = FleetBuilder(profile, duration_s, rng)
    T = duration_s
    if n >= 12:
        # Two ships with one MMSI at the far ends of the main lane.
        main = profile.routes[0]
        a = fb.transit("cargo", "shared_mmsi", route=main, reverse=False, start_frac=(0.0, 0.12))
        fb.transit("cargo", "shared_mmsi", mmsi=a.mmsi, route=main, reverse=True, start_frac=(0.0, 0.12))
        gap = fb.transit("cargo", "gap", route=main, reverse=bool(rng.random() < 0.5), start_frac=(0.2, 0.45))
        g0 = T * rng.uniform(0.15, 0.3)
        gap.rx_gaps.append((g0, g0 + T * rng.uniform(0.3, 0.45)))
        fb.harbour_turn()
    n_ferries = max(1, round(0.025 * n)) if n >= 8 else 0
    for _ in range(n_ferries):
        fb.ferry()
    for arrive, dwell in port_calls:
        fb.port_call(arrive, dwell)
    for site, count in pinned:
        for _ in range(count):
            fb.anchored(site)
    rest = n - len(fb.vessels)
    counts = {"anchored": round(0.14 * rest), "moored": round(0.07 * rest), "fishing": round(0.09 * rest),
              "leisure": round(0.15 * rest)}
    counts["transit"] = max(rest - sum(counts.values()), 0)
    for kind, k in counts.items():
        for _ in range(k):
            getattr(fb, kind)()
    return fb.vessels[:n] if len(fb.vessels) > n else fb.vessels


# --- true tracks and report schedules ---------------------------------------------------------

def true_state(v: Vessel, t: np.ndarray) -> pd.DataFrame:
    """True position, SOG (kn), COG, heading (degrees), ROT (deg/min) and nav status at times ``t`` (s)."""
    m = v.motion
    ll = to_lonlat(m.xy(t))
    ll0, ll1 = to_lonlat(m.xy(t - 0.5)), to_lonlat(m.xy(t + 0.5))
    sog = haversine_m(ll0[:, 1], ll0[:, 0], ll1[:, 1], ll1[:, 0]) / KNOT_MS
    cog = bearing_deg(ll0[:, 1], ll0[:, 0], ll1[:, 1], ll1[:, 0])
    a, b = m.heading_xy(t)
    hdg = _bearing_xy(a, b)
    a0, b0 = m.heading_xy(t - 5.0)
    a1, b1 = m.heading_xy(t + 5.0)
    rot = angle_diff_deg(_bearing_xy(a1, b1), _bearing_xy(a0, b0)) * 6.0  # per 10 s -> per minute
    moving = m.speed(t) > 0.15 * KNOT_MS
    status = np.where(moving, v.nav_moving, v.nav_stopped)
    return pd.DataFrame({"lon": ll[:, 0], "lat": ll[:, 1], "sog": sog, "cog": cog, "heading": hdg, "rot": rot,
                         "nav_status": status})


def _bearing_xy(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    la, lb = to_lonlat(a), to_lonlat(b)
    return bearing_deg(la[:, 1], la[:, 0], lb[:, 1], lb[:, 0])


def class_a_interval(sog: np.ndarray, rot: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Nominal Class A reporting interval in seconds (ITU-R M.1371-5 Table 1)."""
    turning = np.abs(rot) > TURNING_DEG_MIN
    iv = np.where(sog <= 14, np.where(turning, 10 / 3, 10.0), np.where(sog <= 23, np.where(turning, 2.0, 6.0), 2.0))
    return np.where(np.isin(status, (AT_ANCHOR, MOORED)) & (sog <= 3), 180.0, iv)


def class_b_interval(sog: np.ndarray) -> np.ndarray:
    """Class B 'CS' interval: 30 s above 2 kn, 3 min below (ITU-R M.1371-5 Table 2)."""
    return np.where(sog > 2, 30.0, 180.0)


def report_times(v: Vessel, duration_s: float, rng: np.random.Generator) -> np.ndarray:
    """Transmission times (s) of one vessel's position reports over the scenario."""
    grid = np.arange(0.0, duration_s + 1.0)
    m = v.motion
    sog = m.speed(grid) / KNOT_MS
    # Heading in projected metres: its rate of change equals the true one to well under 0.1 deg/min.
    a0, b0 = m.heading_xy(grid - 5.0)
    a1, b1 = m.heading_xy(grid + 5.0)
    rot = angle_diff_deg(np.degrees(np.arctan2(*(b1 - a1).T)), np.degrees(np.arctan2(*(b0 - a0).T))) * 6.0
    if v.device == "A":
        status = np.where(sog > 0.15, v.nav_moving, v.nav_stopped)
        iv = class_a_interval(sog, rot, status)
    else:
        iv = class_b_interval(sog)
    # SOTDMA keeps a slot for several frames, so intervals are regular to within a few slots (26.7 ms each).
    jitter = rng.uniform(-0.08, 0.08, size=int(duration_s / 1.5) + 10)
    out = []
    t = float(rng.uniform(0, iv[0]))
    k = 0
    last = len(iv) - 1
    while t < duration_s:
        out.append(t)
        t += iv[min(int(t), last)] + jitter[k]
        k += 1
    return np.array(out)


def _gnss_error(t: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) GNSS position error in metres at times ``t`` (s): a slow wander (sum of three
    sinusoids with periods of 2-15 min, as multipath and satellite geometry change) plus
    white noise; ``sigma`` is the total standard deviation per axis."""
    period = rng.uniform(120, 900, size=(3, 2))
    phase = rng.uniform(0, 2 * np.pi, size=(3, 2))
    amp = sigma * np.sqrt(2.0 / 3.0) * 0.9  # three sinusoids of equal variance make up 81 % of it
    wander = amp * np.sin(2 * np.pi * t[:, None, None] / period + phase).sum(axis=1)
    return wander + rng.normal(0.0, 0.44 * sigma, size=(len(t), 2))


def position_reports(fleet: list[Vessel], duration_s: float, rng: np.random.Generator) -> pd.DataFrame:
    """Every position report the fleet transmits, with true state and clean reported fields.

    Columns: t (s), vessel, mmsi, device, msg_type, lon_true, lat_true, sog_true,
    cog_true, heading_true, rot_true, nav_status, and the reported lon, lat, sog,
    cog, heading (511 not available), rot (NaN without a ROT sensor), second,
    accuracy, raim, sync (SOTDMA sync state: 0 UTC direct), transmitted (bool).
    """
    frames = []
    for v in fleet:
        t = report_times(v, duration_s, rng)
        n = len(t)
        st = true_state(v, t)
        err = _gnss_error(t, v.sigma_m, rng)
        coslat = np.cos(np.radians(st.lat.to_numpy()))
        lon = st.lon.to_numpy() + err[:, 0] / (111_195.0 * coslat)
        lat = st.lat.to_numpy() + err[:, 1] / 111_195.0
        sog_t = st.sog.to_numpy()
        sog = np.maximum(sog_t + rng.normal(0, 0.08, n), 0.0)
        # GNSS course is noise at rest and tightens with speed.
        cog_noise = np.where(sog_t < 0.3, rng.uniform(-180, 180, n), rng.normal(0, 1, n) * (0.5 + 2.0 / np.maximum(sog_t, 0.3)))
        cog = (st.cog.to_numpy() + cog_noise) % 360.0
        drift = rng.normal(0, 1.5)  # leeway/current crab angle between heading and course
        heading = np.where(v.has_heading, np.round(st.heading.to_numpy() + drift + rng.normal(0, 0.6, n)) % 360, 511)
        rot = np.where(v.has_rot, np.clip(st.rot.to_numpy() + rng.normal(0, 0.5, n), -120, 120), np.nan)
        if v.device == "A":
            msg_type = np.where(rng.random(n) < v.type3_share, 3, 1)
            status = st.nav_status.to_numpy()
        else:
            msg_type = np.full(n, 18)
            status = np.full(n, NOT_DEFINED)
        frames.append(pd.DataFrame({
            "t": t, "vessel": v.index, "mmsi": v.mmsi, "device": v.device, "msg_type": msg_type,
            "lon_true": st.lon.to_numpy(), "lat_true": st.lat.to_numpy(), "sog_true": sog_t,
            "cog_true": st.cog.to_numpy(), "heading_true": st.heading.to_numpy(), "rot_true": st.rot.to_numpy(),
            "nav_status": status, "lon": lon, "lat": lat, "sog": sog, "cog": cog, "heading": heading, "rot": rot,
            "second": np.floor(t).astype(int) % 60, "accuracy": v.accuracy, "raim": v.raim, "sync": 0,
            "transmitted": True,
        }))
    return pd.concat(frames, ignore_index=True)


#: Static reports every 6 min (ITU-R M.1371-5: type 5 and type 24 A/B).
STATIC_INTERVAL_S = 360.0


def static_reports(fleet: list[Vessel], duration_s: float, rng: np.random.Generator) -> pd.DataFrame:
    """Static transmissions: t (s), vessel, kind ('5', '24A', '24B'), and the true lon/lat then."""
    frames = []
    for v in fleet:
        t = np.arange(rng.uniform(0, STATIC_INTERVAL_S), duration_s, STATIC_INTERVAL_S)
        t = np.clip(t + rng.uniform(-2, 2, t.size), 0, duration_s)
        if v.device == "A":
            parts = [(t, "5")]
        else:
            parts = [(t, "24A"), (np.minimum(t + rng.uniform(1, 10, t.size), duration_s), "24B")]
        for tt, kind in parts:
            ll = to_lonlat(v.motion.xy(tt))
            frames.append(pd.DataFrame({"t": tt, "vessel": v.index, "kind": kind, "lon": ll[:, 0], "lat": ll[:, 1]}))
    return pd.concat(frames, ignore_index=True)
