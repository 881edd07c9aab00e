"""Physical-plausibility checks on AIS position reports (the per-report contract: gnss_watch.detect).

>>> flags = run_checks(tracks, ds.vessels, ds.base_stations, ChecksConfig())   # doctest: +SKIP
>>> flags.loc[flags["impossible_jump"], ["impossible_jump_mag", "jump_from_m", "reasons"]]  # doctest: +SKIP

Each check is a named, vectorised function of a :class:`Context` returning
``(fired, magnitude)`` arrays; :data:`CHECKS` lists them in output order and
:data:`CHECK_FAMILY` says which kind of interference each one evidences:

=================  ========  =================================================  ===============
check              family    fires on                                           magnitude
=================  ========  =================================================  ===============
pos_unavailable    jamming   lat 91 / lon 181, or UTC second 63 / 61            run length
dead_reckoning     jamming   UTC second 62, or a held fix moved at its SOG/COG  run length
degraded_fix       jamming   accuracy 1 -> 0 or RAIM toggles in a segment       changes / window
impossible_jump    spoofing  out of reach of the last plausible position        excess kn
speed_mismatch     spoofing  reported SOG vs track speed over >= 60 s           excess kn
course_mismatch    spoofing  reported COG vs track bearing when moving          degrees
on_land            spoofing  deeper inland than the tolerance, off waterways    metres inland
frozen_position    jamming   identical fixes repeated while SOG says moving     seconds
convergence        spoofing  >= 3 displaced vessels on one point at one time    vessels
circle             spoofing  positions on a circle while on passage             radius m
receiver_range     spoofing  beyond VHF range of the receiving station          NM
track_divergence   spoofing  drifted off the track it rejoins across a jump     metres
erratic_fix        jamming   fixes scattering off the track in new directions    metres
=================  ========  =================================================  ===============

:func:`run_checks` also returns ``jump_from_m``: for reports flagged by
``impossible_jump``, the distance (m) from the vessel's last plausible position, so
the event builder knows both ends of a jump-and-return.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .base_station import BASE_STATION_COLUMNS, check_base_stations
from ..config import ChecksConfig
from .context import Context, placeholder_mmsi
from .fix import dead_reckoning, degraded_fix, erratic_fix, frozen_position, pos_unavailable
from .geometry import WATERWAYS, circle, convergence, in_waterway, on_land
from .motion import Jumps, course_mismatch, impossible_jump, jump_analysis, speed_mismatch, track_divergence
from .receiver import receiver_range, station_positions

__all__ = [
    "CHECKS", "CHECK_FAMILY", "BASE_STATION_COLUMNS", "WATERWAYS", "ChecksConfig", "Context", "Jumps",
    "run_checks", "check_base_stations", "jump_analysis", "station_positions", "in_waterway", "placeholder_mmsi",
]

Check = Callable[[Context], tuple[np.ndarray, np.ndarray]]

#: The checks, in output order (names fixed by the detection contract).
CHECKS: dict[str, Check] = {
    "pos_unavailable": pos_unavailable,
    "dead_reckoning": dead_reckoning,
    "degraded_fix": degraded_fix,
    "impossible_jump": impossible_jump,
    "speed_mismatch": speed_mismatch,
    "course_mismatch": course_mismatch,
    "on_land": on_land,
    "frozen_position": frozen_position,
    "convergence": convergence,
    "circle": circle,
    "receiver_range": receiver_range,
    "track_divergence": track_divergence,
    "erratic_fix": erratic_fix,
}

#: Which interference each check evidences: 'jamming' (the fix is lost or degraded)
#: or 'spoofing' (the fix is wrong).
CHECK_FAMILY: dict[str, str] = {
    "pos_unavailable": "jamming",
    "dead_reckoning": "jamming",
    "degraded_fix": "jamming",
    "frozen_position": "jamming",
    "impossible_jump": "spoofing",
    "on_land": "spoofing",
    "convergence": "spoofing",
    "circle": "spoofing",
    "receiver_range": "spoofing",
    "track_divergence": "spoofing",
    "speed_mismatch": "spoofing",
    "course_mismatch": "spoofing",
    "erratic_fix": "jamming",
}


def run_checks(
    tracks: pd.DataFrame,
    vessels: pd.DataFrame | None = None,
    base_stations: pd.DataFrame | None = None,
    config: ChecksConfig | None = None,
) -> pd.DataFrame:
    """Run every check in :data:`CHECKS` on ``tracks`` (from :func:`gnss_watch.tracks.build_tracks`).

    ``vessels`` gives ship types (speed limits), ``base_stations`` the positions of
    receiving base stations. Returns a frame on ``tracks.index`` with, per check,
    ``NAME`` (bool) and ``NAME_mag`` (float64, NaN where it did not fire), then
    ``jump_from_m`` (see the module docstring) and ``reasons`` (fired names joined
    by ';', '' when none).
    """
    ctx = Context(tracks, vessels, base_stations, config or ChecksConfig())
    out: dict[str, np.ndarray] = {}
    for name, check in CHECKS.items():
        fired, mag = check(ctx)
        out[name] = fired
        out[f"{name}_mag"] = mag.astype(np.float64, copy=False)
    out["jump_from_m"] = jump_analysis(ctx).from_m
    frame = pd.DataFrame(out, index=tracks.index, copy=False)  # the arrays are the checks' own
    # One string per distinct combination of fired checks (a bit mask), not per row.
    mask = np.zeros(len(tracks), dtype=np.int64)
    for bit, name in enumerate(CHECKS):
        mask |= out[name].astype(np.int64) << bit
    combos, inverse = np.unique(mask, return_inverse=True)
    text = pd.array([";".join(n for b, n in enumerate(CHECKS) if c >> b & 1) for c in combos], dtype="str")
    frame["reasons"] = text[inverse]
    return frame
