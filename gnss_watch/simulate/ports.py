"""Geography of the simulated scenarios: ports, lanes, anchorages, stations.

Coordinates are (lon, lat) degrees WGS84, picked from charts and checked
against the shipped NE 10m land (:mod:`gnss_watch.land`): every lane leg and
every point here is on water (``tests/test_simulate.py`` asserts it). NE 10m
draws most harbour basins as land, so a lane ends at a point a few km off its
port (the pilot boarding area) and ships 'in port' lie there.

Lanes follow the real traffic: the Gulf of Finland traffic separation schemes
along 59.8-60.0 N, the deep-water route east and west of Gotland, the Irbe
Strait into the Gulf of Riga.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import land

LonLat = tuple[float, float]


@dataclass(frozen=True)
class Route:
    """A lane between two ends, as waypoint names; ships run it either way."""

    name: str
    waypoints: tuple[str, ...]
    weight: float
    #: Ship kinds that use it: 'cargo', 'tanker', 'passenger'.
    kinds: tuple[str, ...] = ("cargo", "tanker")


@dataclass(frozen=True)
class Site:
    """A named point with a radius in metres (anchorage spread, jamming zone range)."""

    name: str
    lon: float
    lat: float
    radius_m: float = 0.0
    radius_max_m: float = 0.0


@dataclass(frozen=True)
class Station:
    """A shore AIS station: receives; ``base`` ones also transmit type 4 every 10 s."""

    name: str
    lon: float
    lat: float
    mmsi: int
    base: bool


@dataclass(frozen=True)
class Profile:
    name: str
    #: Map extent (lon_min, lat_min, lon_max, lat_max), degrees.
    bbox: tuple[float, float, float, float]
    waypoints: dict[str, LonLat]
    routes: tuple[Route, ...]
    #: Fast-ferry lanes (berth to berth).
    ferry_routes: tuple[tuple[str, ...], ...]
    anchorages: tuple[Site, ...]
    #: Berths at the port ends of lanes (moored ships).
    berths: tuple[str, ...]
    #: Boxes (lon0, lat0, lon1, lat1) where fishing and leisure craft roam.
    fishing_areas: tuple[tuple[float, float, float, float], ...]
    leisure_areas: tuple[tuple[float, float, float, float], ...]
    stations: tuple[Station, ...]
    #: Candidate jamming centres; radius_m..radius_max_m is the disc radius range.
    jam_sites: tuple[Site, ...]
    #: Inland points (airports) that displacement spoofing reports ships at.
    airports: tuple[Site, ...]
    #: Port approach and turning-basin centre for the 'sharp turn in harbour' vessel.
    harbour_turn: tuple[str, str]
    #: Flag MIDs (Maritime Identification Digits) with weights, for MMSIs.
    flags: dict[int, float]
    #: Flags of local leisure craft.
    leisure_flags: tuple[int, ...]

    def point(self, name: str) -> LonLat:
        return self.waypoints[name]


_FLAGS_OF_CONVENIENCE = {636: 6, 538: 5, 248: 3, 256: 3, 352: 3, 355: 2, 209: 2, 518: 2, 667: 1, 613: 1, 305: 2}

_GOF_MAIN = ("W0", "W1", "W2", "W3", "W4", "HT", "C1", "C2", "K0", "G1", "E1", "E2", "E2B", "E3", "E4", "E5",
             "E6", "E7", "E8", "E9", "SPB")


def _gof_main(first: str, last: str) -> tuple[str, ...]:
    return _GOF_MAIN[_GOF_MAIN.index(first): _GOF_MAIN.index(last) + 1]


GULF_OF_FINLAND = Profile(
    name="gulf_of_finland",
    bbox=(21.0, 58.6, 30.4, 60.75),
    waypoints={
        # Main lane from the Baltic proper (west of Hiiumaa) to St Petersburg.
        "W0": (21.3, 58.8), "W1": (21.8, 59.05), "W2": (22.5, 59.42), "W3": (23.3, 59.66),
        "W4": (24.2, 59.82), "HT": (24.85, 59.88), "C1": (25.3, 59.95), "C2": (26.0, 59.99),
        "K0": (26.75, 59.98), "G1": (27.3, 59.94), "E1": (27.7, 59.93), "E2": (28.1, 59.95), "E2B": (28.35, 59.965),
        "E3": (28.6, 60.05), "E4": (29.0, 60.07), "E5": (29.35, 60.05), "E6": (29.55, 59.99),
        "E7": (29.72, 59.97), "E8": (29.84, 59.953), "E9": (30.0, 59.935), "SPB": (30.15, 59.915),
        # Port approaches (lane ends a few km off the harbour).
        "HEL_OUT": (24.93, 59.97), "HEL": (24.92, 60.11),
        "TAL_OUT": (24.77, 59.62), "TAL": (24.76, 59.51),
        "MUU_OUT": (25.0, 59.65), "MUUGA": (24.97, 59.53),
        "KOT_OUT": (26.85, 60.2), "KOTKA": (26.92, 60.36),
        "HAM_OUT": (27.25, 60.15), "HAM_IN": (27.2, 60.35), "HAMINA": (27.17, 60.48),
        "PRI_OUT": (28.7, 60.2), "PRIMORSK": (28.76, 60.3),
        "UL_OUT": (28.15, 59.85), "USTLUGA": (28.3, 59.73),
    },
    routes=(
        Route("baltic-stpetersburg", _GOF_MAIN, 3.0, ("cargo", "tanker", "passenger")),
        Route("baltic-primorsk", _gof_main("W0", "E3") + ("PRI_OUT", "PRIMORSK"), 3.0, ("tanker",)),
        Route("baltic-ustluga", _gof_main("W0", "E2") + ("UL_OUT", "USTLUGA"), 3.0),
        Route("baltic-helsinki", _gof_main("W0", "HT") + ("HEL_OUT", "HEL"), 1.5, ("cargo", "passenger")),
        Route("baltic-tallinn", _gof_main("W0", "W4") + ("TAL_OUT", "TAL"), 1.0, ("cargo", "passenger")),
        Route("baltic-kotka", _gof_main("W0", "K0") + ("KOT_OUT", "KOTKA"), 1.5),
        Route("baltic-hamina", _gof_main("W0", "G1") + ("HAM_OUT", "HAM_IN", "HAMINA"), 1.0),
        Route("muuga-stpetersburg", ("MUUGA", "MUU_OUT") + _gof_main("C1", "SPB"), 1.0),
        Route("helsinki-stpetersburg", ("HEL", "HEL_OUT") + _gof_main("C1", "SPB"), 1.0, ("passenger", "cargo")),
    ),
    ferry_routes=(("HEL", "HEL_OUT", "TAL_OUT", "TAL"),),
    anchorages=(
        Site("kronstadt", 29.45, 60.04, 2500), Site("primorsk", 28.55, 60.16, 3000),
        Site("ustluga", 28.05, 59.8, 2500), Site("kotka", 26.95, 60.26, 2000), Site("muuga", 25.05, 59.6, 2000),
        Site("tallinn", 24.68, 59.56, 1500), Site("helsinki", 25.05, 60.06, 2000), Site("neva", 30.05, 59.95, 1200),
    ),
    berths=("HEL", "TAL", "MUUGA", "KOTKA", "HAMINA", "PRIMORSK", "USTLUGA", "SPB"),
    fishing_areas=((22.5, 59.2, 23.2, 59.45), (25.4, 59.7, 26.2, 59.85), (27.3, 60.05, 27.75, 60.3)),
    leisure_areas=((24.6, 59.96, 25.3, 60.09), (24.55, 59.5, 25.05, 59.63), (26.6, 60.2, 27.1, 60.33)),
    stations=(
        Station("HELSINKI", 24.97, 60.16, 2301001, True),
        Station("TALLINN", 24.75, 59.44, 2760101, True),
        Station("KOTKA", 26.95, 60.46, 2301002, True),
        Station("NARVA", 28.05, 59.46, 2760102, True),
        Station("HANKO", 22.95, 59.83, 2301003, False),
        Station("PORKKALA", 24.4, 60.0, 2301004, False),
        Station("HIIUMAA", 22.2, 58.92, 2760103, False),
        Station("KRONSTADT", 29.77, 60.0, 2731001, False),
    ),
    jam_sites=(
        Site("narva_bay", 27.9, 59.75, 30_000, 60_000), Site("gogland", 27.0, 60.0, 20_000, 40_000),
        Site("kronstadt", 29.3, 60.05, 20_000, 40_000), Site("primorsk", 28.6, 60.2, 20_000, 40_000),
    ),
    airports=(Site("Pulkovo", 30.262, 59.8), Site("Levashovo", 30.21, 60.09)),
    harbour_turn=("TAL_OUT", "TAL"),
    flags={230: 14, 276: 7, 273: 18, 266: 3, 211: 3, 219: 2, 245: 3, **_FLAGS_OF_CONVENIENCE},
    leisure_flags=(230, 230, 276, 266),
)

BALTIC = Profile(
    name="baltic",
    bbox=(14.0, 54.2, 24.5, 59.5),
    waypoints={
        # Deep-water route from south of Bornholm, east of Gotland, towards the Gulf of Finland.
        "B0": (14.2, 54.85), "B1": (15.5, 54.95), "B2": (16.3, 55.2), "B3": (17.2, 55.7),
        "B4": (18.0, 56.3), "B5": (18.6, 56.8), "B6": (19.3, 57.4), "B7": (19.9, 58.0),
        "B8": (20.6, 58.6), "B9": (21.3, 59.0),
        # West of Gotland to Stockholm.
        "S1": (17.55, 56.7), "S2": (17.7, 57.5), "S3": (18.0, 58.2), "S4": (18.5, 58.75),
        "STO_OUT": (18.95, 59.0), "STOCKHOLM": (19.15, 59.2),
        # Gulf of Riga through the Irbe Strait.
        "IRBE_W": (21.3, 57.75), "IRBE": (22.3, 57.85), "R0": (22.75, 57.82), "R1": (23.0, 57.6), "R2": (23.6, 57.3),
        "RIGA": (23.95, 57.12),
        "VEN_OUT": (20.9, 57.45), "VENTSPILS": (21.4, 57.45),
        # Gdansk Bay, Kaliningrad, Klaipeda.
        "D1": (18.2, 55.2), "D2": (19.0, 54.72), "GDA_OUT": (18.88, 54.5), "GDANSK": (18.75, 54.43),
        "GDYNIA": (18.62, 54.53),
        "KAL_OUT": (19.5, 54.9), "BALTIYSK": (19.75, 54.66),
        "KL1": (20.3, 55.3), "KLAIPEDA": (20.98, 55.72), "KL_OUT": (20.5, 55.8),
        # Nynashamn - Visby fast ferry.
        "G_N": (19.5, 58.6), "NYN": (18.05, 58.75), "VISBY": (18.2, 57.64),
    },
    routes=(
        Route("bornholm-gulf_of_finland", ("B0", "B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9"), 3.0,
              ("cargo", "tanker", "passenger")),
        Route("bornholm-stockholm", ("B0", "B1", "B2", "B3", "S1", "S2", "S3", "S4", "STO_OUT", "STOCKHOLM"), 2.0,
              ("cargo", "passenger")),
        Route("bornholm-riga", ("B0", "B1", "B2", "B3", "B4", "B5", "B6", "IRBE_W", "IRBE", "R0", "R1", "R2", "RIGA"),
              1.5),
        Route("bornholm-gdansk", ("B0", "B1", "B2", "B3", "D1", "D2", "GDA_OUT", "GDANSK"), 2.0),
        Route("gdynia-gulf_of_finland", ("GDYNIA", "GDA_OUT", "D2", "KAL_OUT", "KL1", "KL_OUT", "B6", "B7", "B8",
                                         "B9"), 1.0),
        Route("baltiysk-gulf_of_finland", ("BALTIYSK", "KAL_OUT", "KL1", "KL_OUT", "B6", "B7", "B8", "B9"), 1.5,
              ("cargo", "tanker")),
        Route("klaipeda-bornholm", ("KLAIPEDA", "KL_OUT", "KL1", "KAL_OUT", "D2", "D1", "B3", "B2", "B1", "B0"),
              1.5),
        Route("ventspils-stockholm", ("VENTSPILS", "VEN_OUT", "B6", "B7", "G_N", "S4", "STO_OUT", "STOCKHOLM"), 1.0,
              ("tanker", "cargo")),
    ),
    ferry_routes=(("NYN", "VISBY"),),
    anchorages=(
        Site("gdansk", 18.95, 54.47, 2000), Site("gdynia", 18.66, 54.57, 1500), Site("baltiysk", 19.62, 54.72, 2500),
        Site("klaipeda", 20.92, 55.78, 2000), Site("riga", 23.85, 57.2, 2500), Site("ventspils", 21.3, 57.5, 2000),
        Site("visby", 18.13, 57.6, 1500),
    ),
    berths=("GDANSK", "GDYNIA", "BALTIYSK", "KLAIPEDA", "RIGA", "VENTSPILS", "STOCKHOLM", "VISBY"),
    fishing_areas=((17.8, 55.3, 18.6, 55.9), (19.6, 55.3, 20.4, 55.8), (20.2, 56.3, 20.7, 56.9)),
    leisure_areas=((18.6, 54.45, 19.05, 54.65), (17.95, 57.5, 18.2, 57.8), (20.7, 55.6, 20.98, 55.9)),
    stations=(
        Station("VISBY", 18.3, 57.64, 2650101, True),
        Station("HEL", 18.8, 54.6, 2610101, True),
        Station("KLAIPEDA", 21.1, 55.72, 2770101, True),
        Station("VENTSPILS", 21.55, 57.4, 2750101, True),
        Station("LANDSORT", 17.87, 58.74, 2650102, False),
        Station("BALTIYSK", 19.9, 54.64, 2731002, False),
        Station("OLAND", 16.95, 56.9, 2650103, False),
        Station("KOLKA", 22.6, 57.75, 2750102, False),
        Station("LIEPAJA", 21.0, 56.5, 2750103, False),
        Station("FARO", 19.3, 57.95, 2650104, False),
        Station("BORNHOLM", 14.9, 55.15, 2190101, False),
    ),
    jam_sites=(
        Site("kaliningrad", 19.8, 55.0, 30_000, 60_000), Site("baltiysk", 19.7, 54.75, 20_000, 40_000),
        Site("gotland_east", 19.6, 57.2, 30_000, 60_000), Site("gdansk_bay", 19.0, 54.7, 20_000, 40_000),
    ),
    airports=(Site("Khrabrovo", 20.592, 54.89), Site("Chkalovsk", 20.4, 54.77)),
    harbour_turn=("GDA_OUT", "GDYNIA"),
    flags={265: 10, 266: 4, 261: 10, 277: 6, 275: 6, 273: 10, 211: 6, 219: 5, 230: 3, 276: 3,
           **_FLAGS_OF_CONVENIENCE},
    leisure_flags=(265, 261, 277, 275),
)

PROFILES: dict[str, Profile] = {p.name: p for p in (GULF_OF_FINLAND, BALTIC)}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r} (choose {', '.join(PROFILES)})") from None


def polyline(profile: Profile, names: tuple[str, ...]) -> np.ndarray:
    """Waypoints as an (n, 2) lon/lat array."""
    return np.array([profile.waypoints[n] for n in names], dtype=float)


@lru_cache(maxsize=None)
def land_conflicts(name: str) -> list[str]:
    """Lane legs and points of a profile that touch land; empty when the geography is sound."""
    profile = get_profile(name)
    bad: list[str] = []
    legs = {(a, b) for r in (*profile.routes, *(Route("", f, 0) for f in profile.ferry_routes))
            for a, b in zip(r.waypoints[:-1], r.waypoints[1:])}
    legs_sorted = sorted(legs)
    if legs_sorted:
        p = np.array([profile.waypoints[a] + profile.waypoints[b] for a, b in legs_sorted])
        crosses = land.segment_crosses_land(p[:, 0], p[:, 1], p[:, 2], p[:, 3])
        bad += [f"leg {a}-{b}" for (a, b), c in zip(legs_sorted, crosses) if c]
    sites = [(s.name, s.lon, s.lat) for s in profile.anchorages]
    sites += [(n, *xy) for n, xy in profile.waypoints.items()]
    on = land.on_land([s[1] for s in sites], [s[2] for s in sites])
    bad += [f"point {s[0]}" for s, o in zip(sites, on) if o]
    inland = land.distance_inland_m([a.lon for a in profile.airports], [a.lat for a in profile.airports])
    bad += [f"airport {a.name} not inland" for a, d in zip(profile.airports, inland) if d < 2000]
    return bad
