"""One typed configuration object with documented defaults.

Every threshold says where its value comes from: the AIS standard (ITU-R
M.1371-5), physics, or the behaviour of real receivers. Load overrides from a
TOML file whose tables mirror the sections here (``[ingest]``, ``[tracks]``)::

    [tracks]
    max_gap_s = 3600

``gnss-watch config --show`` prints the defaults in that form.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .events import EventsConfig
from .zones import ZonesConfig


@dataclass(frozen=True)
class IngestConfig:
    """Decoding and accounting of raw inputs."""

    #: Identical payloads received within this many seconds are one transmission
    #: heard by several stations (or forwarded by several networks). Terrestrial
    #: copies arrive within seconds; satellite and network-forwarded copies can
    #: lag by minutes, so the window is wide. A payload carries the UTC second and
    #: the SOTDMA communication state, so a genuine repeat within 5 min is rare.
    dedup_window_s: float = 300.0
    #: NMEA 0183 caps a sentence at 82 characters; tag blocks and logger prefixes
    #: add a few hundred. Longer lines are noise and are counted as 'too_long'.
    max_line_length: int = 2048
    #: A multi-sentence message whose parts are further apart than this many
    #: input lines is given up as incomplete (real feeds send parts back to back;
    #: busy multiplexed feeds interleave a few dozen lines at most).
    max_fragment_distance_lines: int = 200
    #: Lines handled per batch: bounds the memory of work in progress for multi-GB inputs.
    chunk_lines: int = 50_000


@dataclass(frozen=True)
class TrackConfig:
    """Track reconstruction and segmentation (``gnss_watch.tracks``)."""

    #: A silence longer than this starts a new segment. ITU-R M.1371's longest
    #: nominal interval is 3 min (Class A at anchor, slow Class B); ten missed
    #: reports in a row is a reception gap, not a track.
    max_gap_s: float = 1800.0
    #: Fastest plausible surface vessel, knots. High-speed craft (fast ferries,
    #: patrol boats) reach 40-45 kn; 60 kn leaves margin without admitting jumps.
    max_speed_kn: float = 60.0
    #: SAR aircraft (type 9) report up to 1022 kn; light aircraft and helicopters
    #: do not exceed ~350 kn.
    max_speed_sar_kn: float = 350.0
    #: Distance slack for reports seconds apart: GNSS noise, multipath and
    #: Class B low-accuracy fixes put consecutive fixes tens of metres apart,
    #: which at a 2 s interval would read as an impossible speed.
    distance_tolerance_m: float = 500.0
    #: Open segments kept per MMSI (GFW segmenter style). Two or three vessels
    #: sharing an MMSI is common; more are noise.
    max_open_segments: int = 4


@dataclass(frozen=True)
class ChecksConfig:
    """Settings of :func:`gnss_watch.checks.run_checks` and :func:`check_base_stations`."""

    # --- position fix (jamming family) ---------------------------------------------------
    #: Accuracy drops and RAIM toggles are counted over this trailing window, seconds.
    #: Ten minutes spans 60 Class A reports underway (ITU-R M.1371 2-10 s), enough to
    #: tell a flickering fix from a single DGNSS outage.
    degraded_window_s: float = 600.0
    #: A 'frozen' position needs this many consecutive identical fixes. AIS positions
    #: have 1/10000 minute resolution (~0.2 m): a vessel moving at 2 kn covers ~10 m
    #: between reports, so two equal fixes can be chance, three are a held fix.
    frozen_min_reports: int = 3
    #: ... lasting at least this long, seconds (several reporting intervals even for a
    #: Class A at 14-23 kn, whose interval is 6 s).
    frozen_min_duration_s: float = 60.0
    #: ... while the reported SOG says the vessel moves, knots. Below ~2 kn GNSS SOG is
    #: dominated by noise and ships at anchor swing on their chain.
    frozen_min_sog_kn: float = 2.0

    # --- how fast can it go (impossible_jump, convergence) ---------------------------------
    #: Cargo ships and tankers (ship types 70-89): displacement hulls top out at ~25 kn
    #: (large container ships); 30 kn leaves a margin.
    max_speed_cargo_kn: float = 30.0
    #: High-speed craft and WIG (ship types 40-49, 20-29): fast ferries reach 40-45 kn.
    max_speed_hsc_kn: float = 60.0
    #: Class B (mostly leisure craft and small workboats): planing boats reach ~40 kn,
    #: plus a margin.
    max_speed_class_b_kn: float = 50.0
    #: Other and unknown Class A ship types (passenger ferries at 30+ kn, pilot, SAR and
    #: patrol boats up to ~40 kn) plus a margin.
    max_speed_default_kn: float = 50.0
    #: SAR aircraft (type 9 reports, device 'SAR'): helicopters and light aircraft.
    max_speed_sar_kn: float = 350.0
    #: The reported SOG raises a vessel's limit to this multiple of it (a fast craft of
    #: an unexpected ship type), never beyond ``max_speed_surface_kn``.
    sog_hint_factor: float = 1.25
    #: Fastest plausible surface vessel, knots (same bound as the segmenter's).
    max_speed_surface_kn: float = 60.0
    #: Distance slack for reports seconds apart, metres: GNSS noise and multipath put
    #: consecutive fixes tens of metres apart (hundreds in harbours, Class B without
    #: DGNSS), which at a 2 s interval reads as an impossible speed.
    jump_distance_tolerance_m: float = 500.0
    #: Two segments of one MMSI taking turns at least this many times (A B A B A) are two
    #: transmitters sharing the MMSI, not a jump. A jump-and-return gives 2 turns.
    identity_min_alternations: int = 4
    #: ... and each of the two must hold at least this many reports.
    identity_min_reports: int = 2
    #: Where the recording starts or ends on one side of a jump (no return), the side
    #: with at most this fraction of the other side's reports is the displaced one (a
    #: few odd reports at the very start of a vessel's recording). Closer counts are
    #: ambiguous -- a fake track that left the true one smoothly and jumps back looks
    #: the same -- and only the report arriving by the impossible step is flagged.
    jump_minority_ratio: float = 0.1
    #: A report that repeats a position the vessel held in the last this many seconds is
    #: a late copy, not a jump: satellite and network-forwarded receptions arrive minutes
    #: to about an hour late (store and forward until a ground station pass), stamped
    #: with their receive time, past ingest's duplicate window.
    stale_window_s: float = 3600.0
    #: ... 'repeats' meaning within this distance, metres: a copy of a received report
    #: is identical, and one whose original was missed lies between two received
    #: reports, within half a Class A interval's run (10 s at 20 kn: 50 m) plus GNSS
    #: noise of one of them. Kept small so a spoofed stretch crossing a slow vessel's
    #: past track is not excused.
    stale_match_m: float = 100.0

    # --- reported SOG/COG against the track ------------------------------------------------
    #: Speed and course are compared over at least this interval, seconds, so that the
    #: GNSS error of the two end fixes (~10 m each) is small against the distance run.
    mismatch_min_interval_s: float = 60.0
    #: ... and at most this one (longer silences say nothing about the speed in between).
    mismatch_max_interval_s: float = 600.0
    #: Reported SOG and the speed implied by the track differ by more than this, knots.
    #: GNSS SOG is accurate to ~0.1 kn; 5 kn is far beyond acceleration within a window.
    speed_mismatch_kn: float = 5.0
    #: ... and by more than this fraction of the larger of the two.
    speed_mismatch_rel: float = 0.5
    #: ... and the difference amounts to more than this distance over the interval,
    #: metres: twice a generous harbour multipath error of two fixes.
    speed_mismatch_min_m: float = 300.0
    #: Course is compared only when the mean reported SOG is at least this, knots: GNSS
    #: COG is meaningless at low speed.
    course_min_sog_kn: float = 5.0
    #: ... and the track leg is at least this long, metres, so two 10 m fix errors move
    #: its bearing by less than ~3 degrees.
    course_min_leg_m: float = 300.0
    #: ... and the reported COGs over the interval agree (mean resultant length of their
    #: unit vectors at least this): a vessel turning has no single course to compare.
    course_min_steadiness: float = 0.9
    #: Reported COG and track bearing differ by more than this, degrees. COG is over
    #: ground, so current and leeway do not separate them; GNSS COG is good to ~1-2 deg.
    course_mismatch_deg: float = 45.0

    # --- on land ----------------------------------------------------------------------------
    #: A position counts as on land only this far inland, metres. Natural Earth 10m draws
    #: many harbours and river mouths as land up to ~3 km deep (real DMA traffic: Husum,
    #: Flensburg, Göta älv, Turku, Norrköping); airports used by displacement spoofing lie
    #: 5-15 km inland (Pulkovo 9 km). Canals and rivers deeper inland are in WATERWAYS.
    on_land_depth_m: float = 3000.0

    # --- circle -----------------------------------------------------------------------------
    #: Smallest circle radius, metres. IMO MSC.137(76) limits a ship's tactical diameter
    #: to 5 ship lengths, so genuine full-rudder round turns have radii of a few hundred
    #: metres; spoofed circles seen at sea are 1-5 km.
    circle_min_radius_m: float = 500.0
    #: Largest circle radius, metres (beyond it an arc is indistinguishable from a bend).
    circle_max_radius_m: float = 10_000.0
    #: The positions must cover at least this much of the circle, degrees.
    circle_min_arc_deg: float = 300.0
    #: RMS distance of the positions from the fitted circle, as a fraction of its radius
    #: (a circle spoof is exact up to GNSS noise; lane bends and search patterns are not).
    circle_max_residual_frac: float = 0.05
    #: The vessel is on passage: SOG (reported, else implied) at least this, knots.
    circle_min_sog_kn: float = 5.0
    #: Legs shorter than this, metres, do not count towards the turning (bearing noise).
    circle_min_leg_m: float = 50.0

    # --- convergence ------------------------------------------------------------------------
    #: Vessels within this distance of each other, metres, report 'the same point'
    #: (spoofers place ships on one point plus GNSS-like noise).
    convergence_radius_m: float = 200.0
    #: ... within this time window, seconds.
    convergence_window_s: float = 600.0
    #: At least this many distinct vessels (two can be a pair moored side by side).
    convergence_min_vessels: int = 3
    #: Each of them reached the point by an impossible step from at least this far away,
    #: metres (their own tracks put them elsewhere; excludes GNSS glitches).
    convergence_min_jump_m: float = 10_000.0

    # --- receiver range ---------------------------------------------------------------------
    #: Farthest plausible terrestrial VHF reception, nautical miles. Line of sight from a
    #: 100 m mast to a 20 m antenna is ~32 NM; tropospheric ducting stretches it to ~100.
    receiver_range_nm: float = 120.0
    #: A station whose position is learned from its traffic (no type 4 of its own) and
    #: whose receptions spread beyond ``receiver_range_nm`` from their median at this
    #: quantile is a network, an aggregator or a satellite, not one VHF receiver.
    receiver_span_quantile: float = 0.98
    #: A station's position is learned only from at least this many receptions.
    receiver_min_reports: int = 20

    # --- base stations ----------------------------------------------------------------------
    #: Type 4 UTC against the receive time, seconds: UTC has 1 s resolution and network
    #: latency adds a second or two (real DMA base stations: |offset| <= 2.2 s).
    bs_max_time_offset_s: float = 10.0
    #: A fixed base station's reported position moving this far from its median, metres
    #: (its GNSS error is ~10 m, 100 m without DGNSS).
    bs_max_move_m: float = 1000.0


@dataclass(frozen=True)
class ForestConfig:
    """Isolation-forest settings (``gnss_watch.model``); mirrors :class:`InterferenceForest`."""

    #: Trees in the forest. Scores stabilise by ~100 trees (Liu et al. 2008);
    #: 200 halves the remaining run-to-run spread.
    n_estimators: int = 200
    #: Reports per tree. Isolation works best on small subsamples (Liu et al.
    #: 2008 use 256): larger ones swamp the rare points among normal ones.
    max_samples: int = 256
    #: Fitting-data quantile of the raw score that maps to ``FOREST_THRESHOLD``:
    #: on the traffic the forest was fitted on, at most 0.1 % of reports lie beyond it.
    calibration_quantile: float = 0.999
    #: Seed of the tree construction, so a replay gives the same scores twice.
    random_state: int = 0
    #: Fewer reports than this and the forest is not fitted (scores 0): a 99.9 %
    #: calibration quantile needs a thousand or so clean reports to mean anything.
    min_reports: int = 1000


@dataclass(frozen=True)
class DetectConfig:
    """How strongly each check's firing counts as evidence (0..1), and the forest's use.

    A strength >= 0.5 makes the check conclusive on its own (an alert); below,
    it needs another check or the forest's agreement.
    """

    #: 91/181 or UTC second 63/61: the receiver itself says it has no GNSS fix.
    strength_pos_unavailable: float = 0.7
    #: UTC second 62: the transponder dead-reckons, i.e. lost its fix.
    strength_dead_reckoning: float = 0.6
    #: Accuracy drops / RAIM toggles also happen with ordinary satellite geometry: weak.
    strength_degraded_fix: float = 0.2
    #: Identical fixes while SOG says moving: the position source froze.
    strength_frozen_position: float = 0.6
    #: Beyond what the hull can do between two reports: physically impossible.
    strength_impossible_jump: float = 0.9
    #: Several km inland, off every waterway: a ship cannot be there.
    strength_on_land: float = 0.8
    #: Several displaced vessels on one point at once: the mass-spoofing signature.
    strength_convergence: float = 0.9
    #: A perfect circle while on passage.
    strength_circle: float = 0.8
    #: Beyond any VHF horizon of the receiving station; ducting makes rare exceptions.
    strength_receiver_range: float = 0.5
    #: SOG vs track speed disagree: also a symptom of late or merged reports, so weak.
    strength_speed_mismatch: float = 0.3
    #: COG vs track bearing disagree: currents, drift and turns make this weak.
    strength_course_mismatch: float = 0.2
    #: Fit the forest at all (off: rules only).
    use_forest: bool = True
    #: A saved forest (``InterferenceForest.save``) fitted on clean baseline
    #: traffic; empty: fit on the analysed data's reports no rule flagged.
    #: A model file is a pickle: loading it runs code, so load only your own.
    forest_model: str = ""

    def strengths(self) -> dict[str, float]:
        """Check name -> strength, for every ``strength_*`` field."""
        return {f.name[len("strength_"):]: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name.startswith("strength_")}


@dataclass(frozen=True)
class Config:
    """All settings. Sections are immutable; use :meth:`replace` to vary one."""

    ingest: IngestConfig = field(default_factory=IngestConfig)
    tracks: TrackConfig = field(default_factory=TrackConfig)
    checks: ChecksConfig = field(default_factory=ChecksConfig)
    forest: ForestConfig = field(default_factory=ForestConfig)
    detect: DetectConfig = field(default_factory=DetectConfig)
    events: EventsConfig = field(default_factory=EventsConfig)
    zones: ZonesConfig = field(default_factory=ZonesConfig)

    def replace(self, **sections: dict[str, Any]) -> "Config":
        """A copy with fields of named sections replaced: ``cfg.replace(tracks={"max_gap_s": 600})``."""
        changes = {}
        for name, values in sections.items():
            current = getattr(self, name)
            changes[name] = dataclasses.replace(current, **values)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return dataclasses.asdict(self)

    def to_toml(self) -> str:
        """The configuration as TOML, each field preceded by its documentation."""
        lines: list[str] = []
        for sec in dataclasses.fields(self):
            section = getattr(self, sec.name)
            lines.append(f"[{sec.name}]")
            docs = _field_docs(type(section))
            for f in dataclasses.fields(section):
                for doc in docs.get(f.name, []):
                    lines.append(f"# {doc}")
                lines.append(f"{f.name} = {_toml_value(getattr(section, f.name))}")
            lines.append("")
        return "\n".join(lines)

    @classmethod
    def from_toml(cls, path: str | Path) -> "Config":
        """Defaults overridden by a TOML file. Unknown sections or keys are an error."""
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        cfg = cls()
        known = {f.name: f for f in dataclasses.fields(cls)}
        for name, values in data.items():
            if name not in known:
                raise ValueError(f"unknown config section [{name}] (known: {', '.join(known)})")
            if not isinstance(values, dict):
                raise ValueError(f"config section [{name}] must be a table")
            section = getattr(cfg, name)
            fields = {f.name: f for f in dataclasses.fields(section)}
            for key, val in values.items():
                if key not in fields:
                    raise ValueError(f"unknown config key {name}.{key} (known: {', '.join(fields)})")
                default = getattr(section, key)
                if isinstance(default, bool) != isinstance(val, bool) or not isinstance(val, (type(default), int)):
                    raise ValueError(f"config key {name}.{key} must be {type(default).__name__}, got {val!r}")
            cfg = cfg.replace(**{name: {k: type(getattr(section, k))(v) for k, v in values.items()}})
        return cfg


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(v)


def _field_docs(cls: type) -> dict[str, list[str]]:
    """The ``#:`` comments above each field of a dataclass, read from its source."""
    import inspect

    try:
        src = inspect.getsource(cls).splitlines()
    except (OSError, TypeError):
        return {}
    docs: dict[str, list[str]] = {}
    pending: list[str] = []
    for line in src:
        s = line.strip()
        if s.startswith("#:"):
            pending.append(s[2:].strip())
        elif ":" in s and not s.startswith(("#", '"', "class", "@")) and pending:
            docs[s.split(":", 1)[0].strip()] = pending
            pending = []
        elif not s.startswith("#:"):
            pending = []
    return docs
