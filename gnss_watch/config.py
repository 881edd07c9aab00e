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
import math
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple


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
    #: Class A at 14-23 kn, whose interval is 6 s). Real transponders repeat a fix for a
    #: few seconds in normal operation (DMA ais-sample.txt.gz: a 36-kn craft, three equal
    #: fixes over 4 s), so the motion missed is no test on its own.
    frozen_min_duration_s: float = 60.0
    #: ... while the reported SOG says the vessel moves, knots. Below ~2 kn GNSS SOG is
    #: dominated by noise and ships at anchor swing on their chain.
    frozen_min_sog_kn: float = 2.0
    #: Two identical fixes are already a held fix when the slowest SOG reported on them
    #: says the vessel moved at least this far between them, metres: GNSS error is
    #: metres to tens of metres, so a live fix cannot repeat to the bit across a
    #: kilometre of motion (e.g. a ship first heard inside a jamming zone, holding its
    #: last fix at 14 kn for two reports 18 min apart).
    frozen_two_fix_motion_m: float = 1000.0
    #: dead_reckoning without UTC second 62 (DMA and NOAA CSV exports drop the field):
    #: after a held fix, reports repeating its SOG and COG to the bit while each
    #: advances by SOG x time along COG, within this many metres (AIS positions
    #: resolve ~0.2 m, SOG 0.1 kn: ~0.5 m over a 10 s step) ...
    reckoned_slack_m: float = 10.0
    #: ... plus this many seconds of motion at SOG (receive times rounded to the
    #: second in CSV exports, and reception latency).
    reckoned_slack_s: float = 1.5
    #: A run of such reports counts without a held fix before it when each advances
    #: exactly so: within this many metres (AIS position resolution ~0.2 m, plus the
    #: receiver's own velocity against the reported one rounded to half a unit, 0.05 kn
    #: and 0.05 deg, over the step) -- a live fix carries metres of noise and its SOG
    #: and COG wander by tenths, so none keeps all three still for long ...
    reckoned_exact_m: float = 1.0
    #: ... for at least this many reports ...
    reckoned_min_reports: int = 10
    #: ... over at least this many seconds (three minutes: the longest Class A reporting
    #: interval of ITU-R M.1371; a speed or course change shows within it) ...
    reckoned_min_s: float = 180.0
    #: ... unless at least this share of the vessels reporting that long under way do it:
    #: then the feed carries no fix noise at all (a simulation, a smoothed export), and
    #: exact motion tells nothing.
    reckoned_max_vessel_share: float = 0.5
    #: erratic_fix: a spike (a one-report excursion) counts up to this far off the
    #: track, metres: 2 NM, the en-route horizontal alarm limit of GNSS integrity
    #: monitoring (RAIM, RTCA DO-229). A receiver still computing fixes from jammed
    #: signals scatters within it; farther jumps are spoofs or other transmitters,
    #: judged by impossible_jump.
    erratic_max_offset_m: float = 3704.0
    #: ... and two scattering spikes at most this far apart, seconds, are one degraded
    #: stretch, which also takes in the vessel's excursions this close to it: ten
    #: minutes, a passage through a jamming zone's edge at 15 kn (~4.6 km).
    erratic_window_s: float = 600.0
    #: ... or the median scatter of this many consecutive fixes (within that window)
    #: exceeds ``erratic_min_scatter_m``: a median over nine ignores up to four odd fixes.
    erratic_scatter_fixes: int = 9
    #: ... or longer, when no two of its fixes are further apart than this (seconds): a ship
    #: at anchor reports every 3 min (ITU-R M.1371), so its nine fixes span 24 min; 10 %
    #: on top for receive jitter ...
    erratic_run_gap_s: float = 198.0
    #: ... and none reports more SOG than this (knots): ITU-R M.1371's 3-min interval is
    #: for ships at anchor or moored and not above 3 kn; a ship under way heard that rarely
    #: may turn unseen between fixes.
    erratic_rest_sog_kn: float = 3.0
    #: ... metres: ten times the 95 % horizontal error of GPS SPS (<= 9 m, GPS SPS
    #: Performance Standard 2020). On the DMA's real sample (800 vessels with nine fixes
    #: in a row) the median stays under 8 m (99.9th percentile; 15 m at most).
    erratic_min_scatter_m: float = 100.0
    #: ... or, for a receiver whose own fixes are quiet, this many times its quiet level
    #: (the 25th percentile of its per-fix scatter over the recording: ~0 m for a
    #: working receiver, ~10 m for one with 40 m RMS noise) ...
    erratic_noise_factor: float = 10.0
    #: ... but at least this many metres (five times GPS SPS's 95 % error): a jammed
    #: receiver that scattered by 150 m passed the 100 m median only now and then.
    erratic_quiet_scatter_m: float = 50.0
    #: A fix's scatter (how far it lies off the motion its neighbours and its SOG and
    #: COG allow) allows it to be this much older than its report's receive time,
    #: seconds: the AIS time stamp is the whole second of the fix, the slot follows it.
    #: A report whose fix is no older than this (a second either way for rounding) is
    #: current, no late copy (``stale_window_s``).
    erratic_fix_age_s: float = 2.0

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
    #: Where the recording starts or ends on one side of a jump, the side with at most
    #: this fraction of the other side's reports is the displaced one (a few odd reports
    #: at the very start or end of a vessel's recording), even where the pass flagging
    #: the other side seems to return to the track (checks.motion._reconcile). Closer
    #: counts are ambiguous -- a fake track that left the true one smoothly and jumps
    #: back looks the same -- and only the report arriving by the impossible step is
    #: flagged.
    jump_minority_ratio: float = 0.1
    #: A report that repeats a position the vessel held in the last this many seconds is
    #: a late copy, not a jump: satellite and network-forwarded receptions arrive minutes
    #: to about an hour late (store and forward until a ground station pass), stamped
    #: with their receive time, past ingest's duplicate window -- unless its UTC second
    #: agrees with that time (``erratic_fix_age_s``): a copy keeps its original's second,
    #: a ship really back at its anchorage sends the current one.
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

    # --- track divergence (a stretch pulled off the track, next to a jump) ----------------
    #: The track on the far side of a jump is taken as a straight line over up to this
    #: long, seconds: 10 min is 60-300 Class A reports (ITU-R M.1371), and a ship on
    #: passage holds its course and speed over it.
    divergence_fit_s: float = 600.0
    #: ... when its reports lie within this RMS of the line, metres: GNSS noise is metres,
    #: a ship's yawing tens; a turn or a zig-zag leaves hundreds and is not extended.
    divergence_fit_rms_m: float = 100.0
    #: Reports the line, the divergent run and the rejoining track each need (three
    #: consecutive reports: no single glitch).
    divergence_min_reports: int = 3
    #: A report is off the line beyond this distance, metres ...
    divergence_tolerance_m: float = 250.0
    #: ... plus this speed times its time from the jump, knots: a ship holding course
    #: still varies its speed by a few tenths of a knot and its course by a few degrees
    #: (1 kn is 5 deg at 12 kn). Pull-offs slower than this are not told from the sea.
    divergence_tolerance_kn: float = 1.0
    #: ... and beyond the stretch the track follows the line: its own velocity (fitted as
    #: above) within this of the line's, knots. A ship may alter course by some 10 deg
    #: at a waypoint during a spoofed stretch (2.5 kn at 14 kn); a track crossing the
    #: line at a wider angle is on another course, whatever fixes lie near the crossing.
    divergence_rejoin_kn: float = 3.0
    #: The track must rejoin the line within this long of the jump, seconds. Ships on
    #: passage hold one course along a traffic lane for hours (lanes of a traffic
    #: separation scheme run 50-100 km, 3-7 h at 15 kn), while a pull-off slow enough to
    #: pass as real drifts a ship only 7 km an hour at 4 kn; beyond two hours a ship's
    #: course changes are no longer evidence.
    divergence_max_s: float = 7200.0

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
    #: A partial arc of at least this much, degrees, fires when the heading did not follow
    #: it (``circle_min_heading_lag_deg``): spoofed circles last 15-45 min, so a
    #: scenario window often holds only part of one.
    circle_min_partial_arc_deg: float = 60.0
    #: The reported COG turned at least this many degrees more (or less) than the true
    #: heading over the arc. The drift angle (leeway plus current set) of a ship on
    #: passage stays within some 10-20 degrees, so its change across a real turn is well
    #: under 45; a hull's heading always follows a turn it sails.
    circle_min_heading_lag_deg: float = 45.0
    #: RMS distance of the positions from the fitted circle, as a fraction of its radius
    #: (a circle spoof is exact up to GNSS noise; lane bends and search patterns are not).
    circle_max_residual_frac: float = 0.05
    #: The vessel is on passage: SOG (reported, else implied) at least this, knots. Slow
    #: fishing, survey and SAR craft do sail circles; a whole circle counts on passage.
    circle_min_sog_kn: float = 5.0
    #: A partial arc the heading did not follow counts from this SOG, knots: the heading
    #: lag is the evidence, speed only has to make COG meaningful. A GNSS velocity error
    #: of ~0.1 m/s is ~4 deg of COG at 3 kn, far below the 45 deg lag; a spoofer may slow
    #: the claimed track too (a circle at 4 kn is no less a circle).
    circle_lag_min_sog_kn: float = 3.0
    #: A circle is sailed without stopping: a ship lying still (SOG under
    #: circle_lag_min_sog_kn) for longer than this, seconds, ends one arc and starts
    #: another, so a fit never joins a passage before a stop to a spoofed circle after it.
    #: Ten minutes is many reporting intervals of a moving ship (ITU-R M.1371: 2-30 s).
    circle_max_pause_s: float = 600.0
    #: Legs shorter than this, metres, do not count towards the turning (bearing noise).
    circle_min_leg_m: float = 50.0

    # --- convergence ------------------------------------------------------------------------
    #: Vessels within this distance of each other, metres, report 'the same point'
    #: (spoofers place ships on one point plus GNSS-like noise).
    convergence_radius_m: float = 200.0
    #: ... within this time window, seconds, and at the point at once (their stays
    #: there overlap: ships following a lane pass one point minutes apart).
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
    #: quantile is a network, an aggregator or a satellite, not one VHF receiver. The
    #: receptions within it are the bulk a learned station must reach (``receiver_range``).
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

    #: Trees in the forest. Path lengths converge by ~100 trees (Liu et al. 2008);
    #: more only narrows run-to-run spread, which the fixed seed removes anyway.
    n_estimators: int = 100
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
    #: UTC second 62, or a held fix moved on at its own SOG and COG: the transponder
    #: dead-reckons, i.e. lost its fix.
    strength_dead_reckoning: float = 0.6
    #: Accuracy drops / RAIM toggles also happen with ordinary satellite geometry: weak.
    strength_degraded_fix: float = 0.2
    #: Identical fixes while SOG says moving: the position source froze.
    strength_frozen_position: float = 0.6
    #: Fixes scattering off the track in a new direction each time: a degraded fix.
    strength_erratic_fix: float = 0.6
    #: Beyond what the hull can do between two reports: physically impossible.
    strength_impossible_jump: float = 0.9
    #: Several km inland, off every waterway: a ship cannot be there.
    strength_on_land: float = 0.8
    #: Several displaced vessels on one point at once: the mass-spoofing signature.
    strength_convergence: float = 0.9
    #: A perfect circle while on passage.
    strength_circle: float = 0.8
    #: A stretch off the line the vessel's own track follows before and after it, left
    #: or rejoined by an impossible step: the track says where the ship was.
    strength_track_divergence: float = 0.8
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
class EventsConfig:
    """Spoofing-event building (``gnss_watch.events``)."""

    #: Flagged reports of one MMSI further apart than this (seconds), with a clean
    #: fix between them, are separate episodes. ITU-R M.1371's longest nominal
    #: interval is 3 min (Class A at anchor, slow Class B); a spoof seen through a
    #: few missed or unflagged reports is still one episode, 10 min of clean
    #: reports end it.
    merge_gap_s: float = 600.0
    #: Distinct weak checks an episode without a strong one needs (e.g. speed and
    #: course mismatch together: a single faulty sensor trips only one).
    weak_min_checks: int = 2
    #: Reports with a weak check an episode without a strong one needs: a sensor
    #: glitch lasts a report, a spoof lasts minutes.
    weak_min_reports: int = 3
    #: Reports an episode resting on one kind of strong check needs. A lone odd
    #: report is the classic AIS data error (a bit error the CRC-16 misses, a
    #: message stamped with another MMSI, tropospheric ducting carrying a far
    #: ship to a station); a spoofer holds the fake position for minutes, two
    #: reports even at a slow Class B's 3-min interval (ITU-R M.1371).
    min_reports_one_check: int = 2
    #: ... unless that report is an impossible jump and the vessel was heard neither
    #: in this many seconds before it nor after it: ITU-R M.1371's longest nominal
    #: reporting interval (3 min). A glitch sits among a vessel's regular reports;
    #: across silences on both sides, a displacement held for minutes leaves this
    #: one report, so one is all the evidence there can be (a report that starts or
    #: ends a track is no lone one: see gnss_watch.events).
    lone_silence_s: float = 180.0
    #: Highest combined score (0..1) an episode needs: below it the combiner
    #: judged every report more likely noise than interference.
    min_score: float = 0.3
    #: Fastest plausible surface vessel, knots (same physics as the track
    #: segmenter's max_speed_kn): a faster step into a report is a jump.
    jump_speed_kn: float = 60.0
    #: Distance slack of that step test, metres (GNSS noise at short intervals;
    #: same as the segmenter's distance_tolerance_m).
    jump_tolerance_m: float = 500.0
    #: A return lies within this many metres of the pre-jump track extrapolated
    #: at its last SOG/COG, plus ``return_speed_margin_kn`` and the ship's own
    #: speed times the elapsed time: GNSS error is metres, but AIS COG/SOG are
    #: instantaneous and the anchor fix may be a report interval old.
    return_tolerance_m: float = 2000.0
    #: Growth of that tolerance with time, knots on top of the anchor SOG: a ship
    #: may turn (a 90 deg turn puts it ~1.4 x SOG x t off the extrapolation) or
    #: change speed by a few knots during a spoof.
    return_speed_margin_kn: float = 10.0
    #: The return is looked for only up to the first silence (no report at all)
    #: longer than this (seconds), and flagged reports this far apart are separate
    #: episodes even with nothing heard in between: beyond it the ship may have
    #: left coverage and the extrapolation means nothing (the track segmenter's
    #: max_gap_s).
    max_silence_s: float = 1800.0
    #: Events of different vessels whose claimed points are this close (metres)
    #: share a group: a displacement spoofer reports every victim at its one
    #: target point; GNSS noise and per-victim offsets are well under a km.
    group_distance_m: float = 2000.0
    #: A jump out of this many identical fixes (or more) in a row, after a live fix that
    #: moved into them, is the fix coming back, when within reach of the first of them: a
    #: live fix wanders by metres (GNSS noise, a ship swinging at anchor) against AIS's
    #: ~0.2 m resolution, so three equal ones are a held fix (ZonesConfig.held_min_reports).
    held_min_reports: int = 3
    #: ... also a stretch the jump check flagged though no step into it was one no ship can
    #: make, when the live fix before the hold made no more than this, knots: a receiver
    #: that froze while the ship lay at anchor or moored (ITU-R M.1371's slowest rate is
    #: for ships below 3 kn), the ship then sailing off on a frozen fix.
    held_at_rest_kn: float = 3.0
    #: Two events' intervals are widened by this many seconds before testing
    #: overlap: victims enter the spoofer's range a report interval apart.
    group_time_slack_s: float = 60.0


@dataclass(frozen=True)
class ZonesConfig:
    """Jamming episodes, zones and grid (``gnss_watch.zones``)."""

    #: A vessel's jamming reports further apart than this (seconds), with another
    #: report of it heard in between, are separate episodes. ITU-R M.1371's longest
    #: nominal interval is 3 min; a few missed reports inside a zone do not end the
    #: episode, 10 min do.
    episode_gap_s: float = 600.0
    #: ... and with nothing heard in between, further apart than this (seconds): the
    #: fix may have stayed lost throughout (a ship heard twice, 18 min apart, holding
    #: one fix at 14 kn). The track segmenter's max_gap_s: beyond it nothing links them.
    episode_max_silence_s: float = 1800.0
    #: ... and with good fixes of it heard in between (at least ``min_episode_reports``)
    #: spanning at least this long (seconds), whatever the gap: its fix was back. One
    #: 3-min interval (ITU-R M.1371); a jammed receiver's odd fix is no recovery.
    recovery_min_s: float = 180.0
    #: Jamming reports an episode needs: one 'not available' report is a common
    #: receiver hiccup (cold start, antenna shadow), two in a row are not.
    min_episode_reports: int = 2
    #: An entry/exit fix further than this (seconds) from the loss/recovery is not
    #: on the zone's edge: two 3-min intervals (ITU-R M.1371) at most.
    boundary_max_gap_s: float = 360.0
    #: Losses within this many seconds of a zone's first loss (recoveries of its
    #: last) are the jammer switching on (off) around ships already inside, not
    #: ships crossing the edge: two 3-min intervals (ITU-R M.1371) to notice.
    onset_window_s: float = 360.0
    #: Vessels that must lose (and regain) their fix together for a jammer
    #: switching to split a cluster into zones active at different times: two
    #: ships entering and leaving a busy zone within minutes of each other is
    #: common, three is not.
    switch_min_vessels: int = 3
    #: A switch-on where the cluster's ships were already losing the fix (where ships
    #: enter a zone that is on) still opens a zone when more ships lose it at once than
    #: ships arriving at random explain, with this probability (Poisson, at the
    #: cluster's rate of losses, over all its windows).
    switch_chance_p: float = 0.01
    #: ... lost the fix ``min_radius_m`` apart (not ships sailing in company across the
    #: edge), or all at anchor or moored: crossing no faster than this, knots (ITU-R
    #: M.1371 reports ships below 3 kn, at anchor or moored, at its slowest rate).
    anchored_speed_kn: float = 3.0
    #: Ships inside a jammer's reach when it switches on report the loss within
    #: one report interval (ITU-R M.1371's longest nominal one, 3 min): losses
    #: spread wider are ships entering a zone one after another.
    switch_on_spread_s: float = 180.0
    #: ... and more exactly at each one's first report after the switch-on: the instant
    #: lies between its last good fix and its first lost one, this many seconds earlier
    #: at most (one Class A report interval under way, ITU-R M.1371: a fix held a moment,
    #: receive-time jitter). Ships entering one after another share no such instant.
    switch_lag_s: float = 10.0
    #: An episode with no edge fix and no fix inside is placed at the vessel's fix
    #: at most this many seconds before or after it (the track segmenter's
    #: max_gap_s): ships at anchor report every 3 min and barely move.
    locate_max_gap_s: float = 1800.0
    #: Crossings within this distance (metres) and ``cluster_time_s`` are one
    #: jammer's. A ground jammer reaches ~50 km (``open_radius_m``), so ships on
    #: either side of it can be ~100 km apart: one radius links them, where few
    #: ships sample a zone, while jammers 100 km apart stay apart (nearer ones
    #: are told apart by when they switched, see ``switch_min_vessels``).
    cluster_distance_m: float = 50_000.0
    #: Crossings whose intervals are further apart than this (seconds) are
    #: separate zones: a zone goes unseen while no ship is inside it, and lanes
    #: carry a ship every few minutes to tens of minutes.
    cluster_time_s: float = 1800.0
    #: DBSCAN min_samples: 1 chains every crossing within reach of another
    #: (single linkage: ships cross a zone one after another); what makes a zone
    #: is decided by ``min_zone_vessels`` and ``min_zone_reports``.
    cluster_min_samples: int = 1
    #: Jamming reports a cluster needs to become a zone (one brief episode of
    #: two reports is too little to place an emitter).
    min_zone_reports: int = 3
    #: Vessels a cluster needs to become a zone: a jammer denies GNSS to every
    #: receiver in reach, while one ship alone losing its fix is far more often
    #: its own receiver or antenna.
    min_zone_vessels: int = 2
    #: Smallest zone radius, metres: a jammer that denies GNSS to a passing ship
    #: reaches several km at least; ships sample a zone too sparsely to resolve less.
    min_radius_m: float = 5_000.0
    #: Largest zone radius, metres: the radio horizon between a ~100 m mast and a
    #: ship's antenna is ~50 km; airborne or high-power sources reach further, and
    #: a fit beyond 150 km is the sign of points on a near-straight line.
    max_radius_m: float = 150_000.0
    #: How far (metres) a zone reaches where no ship bounds it (ships sample a
    #: coastal jammer's disc on the sea side only; over land, or empty sea, any
    #: extent fits the evidence): a ground jammer's radio horizon to a ship's
    #: antenna, 4.12 km x (sqrt(mast 50-100 m) + sqrt(antenna 20 m)) = 48-60 km.
    open_radius_m: float = 50_000.0
    #: How far (metres, 1 sigma) an entry/exit fix may lie from the true edge: a
    #: ship moves ~1 km between its last fix and the loss at 10 kn and a 3-min
    #: interval (ITU-R M.1371), and a receiver takes tens of seconds to regain a fix.
    boundary_sigma_m: float = 1_000.0
    #: How far (metres, 1 sigma) a crossing's perpendicular bisector may pass from
    #: the emitter: entry and exit fixes each ~``boundary_sigma_m`` off the edge,
    #: plus a curved lane bending the chord.
    chord_sigma_m: float = 3_000.0
    #: The bisectors may move the centre at most this many prior sigmas (the
    #: enclosing circle's radius): further, they disagree with where the ships
    #: were (crossings of two jammers merged into one zone, near-parallel lanes
    #: whose bisectors meet far off), and the enclosing circle's centre stands.
    bisector_max_shift_sd: float = 3.0
    #: Share of the ships seen at a place that must lose the fix for it to be in
    #: the zone: gpsjam.org's 'high' level (``grid_high_frac``). Receivers differ
    #: in robustness (some are immune, robust ones lose the fix only near the
    #: emitter), so a zone's edge is where its most sensitive receivers are hit,
    #: not where most are; good fixes exclude a place only where ships keeping
    #: their fix outnumber the jammed ones nine to one.
    zone_jammed_share: float = 0.1
    #: Ships are counted once per this many seconds (ITU-R M.1371's longest
    #: nominal interval, 3 min) so a ship reporting every 2 s weighs no more than one
    #: at anchor reporting every 3 min.
    share_step_s: float = 180.0
    #: Grid step (metres) of the zone centre search: under a tenth of the smallest
    #: zone radius worth placing.
    share_grid_m: float = 2_000.0
    #: The circle fit is used when (sd(radius) + sd(centre)) / radius stays below
    #: this; beyond it (points on a short arc or one line) the enclosing circle is
    #: safer. 0.25 keeps a fitted disc at IoU ~0.6 or better with the one it estimates.
    fit_max_rel_error: float = 0.25
    #: ... and when the edge fixes cover at least this angle around its centre. On a
    #: shorter arc the curvature is a sagitta under 0.29 x the radius (6-15 km for
    #: 20-50 km zones), no more than the spread of where receivers of different
    #: robustness lose the fix; the bend of a lane fits it as well.
    fit_min_coverage_deg: float = 90.0
    #: The fitted radius is raised to this quantile of the edge fixes' distances
    #: from the centre: ships lose their fix anywhere from the zone's edge (the
    #: most sensitive receivers) to well inside it (robust multi-constellation
    #: ones), so the mean distance understates the zone.
    edge_quantile: float = 0.9
    #: Share of the cluster's points (crossing ends, degraded positions) the fitted
    #: disc must hold; the rest allows for the odd wild dead-reckoned position.
    fit_min_contained: float = 0.95
    #: A vessel silent for longer than this (seconds) between two good fixes may
    #: have a transponder that stops sending without a fix: two of ITU-R
    #: M.1371's longest (3-min) intervals, dozens of missed reports for a ship
    #: under way (2-10 s); slow reporters are held to...
    silence_min_s: float = 360.0
    #: ...and this many of the vessel's own typical (median) intervals: a ship
    #: at anchor reporting every 3 min misses two or three on a weak link.
    silence_interval_factor: float = 5.0
    #: A silence counts for a zone when both fixes around it are within this
    #: multiple of the zone's radius from its centre (and the path between them
    #: crosses the disc; a held fix, within it): receivers differ in robustness, so ships fall silent
    #: anywhere from its edge to well inside, and the estimated radius is rough.
    silence_reach_factor: float = 1.5
    #: A station's gap between receptions is dead air (its receiver or feed was
    #: down) when at its mean rate over the recording it would have heard this many
    #: reports in it (Poisson: e^-20 ~ 2e-9 by chance). A vessel silence that dead
    #: air of the stations hearing the ship around it covers, but for less than the
    #: silence limit, says nothing of the ship's GNSS.
    dead_air_expected_reports: float = 20.0
    #: A silence or held fix counts for a zone only while the zone was on: beginning at
    #: most ``boundary_max_gap_s`` before it switched on, ending at most that plus this
    #: many seconds after it switched off. A receiver may need a cold start to fix
    #: again, up to the 12.5 min GPS takes to broadcast its almanac.
    reacquire_max_s: float = 750.0
    #: A vessel repeating one fix at least this many times after its last live one
    #: (over at least ``silence_min_s``) inside a zone held a lost fix: a moored or
    #: anchored ship's live fix wanders by metres (GNSS noise) against AIS's ~0.2 m
    #: resolution, so two equal fixes can be chance, three are a held fix (as
    #: ChecksConfig.frozen_min_reports for ships underway).
    held_min_reports: int = 3
    #: Vertices of the zone polygon: 72 keep the area within 0.2 % of the disc.
    polygon_vertices: int = 72
    #: A base station that lost GNSS time within this many metres outside a zone
    #: supports it: stations sit on the coast, often just out of the ships' view.
    bs_support_distance_m: float = 20_000.0
    #: How far such support moves the confidence towards 1 (0..1).
    bs_support_weight: float = 0.5
    #: Grid cell height, degrees of latitude (0.25 deg = 27.8 km).
    grid_cell_lat_deg: float = 0.25
    #: Grid cell width, degrees of longitude (0.5 deg = 27.8 km at 60 N, 31.9 km at 55 N).
    grid_cell_lon_deg: float = 0.5
    #: A report without a position is placed in a cell by interpolating the
    #: vessel's valid fixes at most this many seconds before/after it.
    grid_locate_max_gap_s: float = 600.0
    #: bad_frac from which a cell-hour is 'medium' (gpsjam.org's 2 %: below it
    #: one or two aircraft with poor accuracy are normal).
    grid_medium_frac: float = 0.02
    #: bad_frac above which a cell-hour is 'high' (gpsjam.org's 10 %).
    grid_high_frac: float = 0.10


@dataclass(frozen=True)
class LiveConfig:
    """Live monitoring of AIS streams (``gnss-watch live``, :mod:`gnss_watch.live`)."""

    #: Detection runs over the reports of this trailing window, seconds of data
    #: time. An hour holds several of the longest checks' windows (stale fixes
    #: 3600 s, silences 600 s, zone clustering 1800 s), so a window run finds what
    #: a replay of the same hour finds; state of vessels not heard within it is dropped.
    window_s: float = 3600.0
    #: Detection runs at least this often, wall-clock seconds, while data arrives:
    #: alert latency is about this plus one detection run (~1 s for an hour of a
    #: busy sea area).
    step_s: float = 2.0
    #: ... and whenever data time has advanced this far since the last run, so a
    #: fast replay (or a backlog) never lets reports leave the window unexamined;
    #: a quarter of the window means every report is examined in four runs.
    step_data_s: float = 900.0
    #: An event or zone with no new reports for this long (data time) is closed:
    #: EventsConfig.merge_gap_s and ZonesConfig.episode_gap_s are 600 s, so a
    #: report after that gap starts a new event in a replay too.
    close_after_s: float = 600.0
    #: At most one 'grow' alert per event or zone in this much data time: a
    #: spoofed track grows with every report (2-10 s apart), a reader needs a
    #: digest, not a stream.
    grow_interval_s: float = 300.0
    #: A zone 'grows' when its radius has grown by this factor since its last
    #: alert (or it has gained vessels); the fitted radius wobbles by ~10 %
    #: between runs as ships move, which is not growth.
    zone_grow_ratio: float = 1.25
    #: Reports older than this behind the newest data time are dropped as stale:
    #: the same as IngestConfig.dedup_window_s, so anything older that arrives is
    #: a re-send (a feed replaying after a reconnect), not news.
    stale_s: float = 300.0
    #: events.csv, zones.geojson and the saved window are rewritten this often,
    #: wall-clock seconds (each rewrite is atomic).
    refresh_s: float = 30.0
    #: A feed silent for this long is treated as stalled and reconnected. Busy
    #: feeds send many messages a second; a minute of silence is a dead link.
    read_timeout_s: float = 60.0
    #: First reconnect delay, seconds; doubled after each failure ...
    backoff_initial_s: float = 1.0
    #: ... up to this cap, so a feed back after an outage is found within a minute.
    backoff_max_s: float = 60.0
    #: The status line on stderr is printed this often, wall-clock seconds.
    status_s: float = 10.0


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
    live: LiveConfig = field(default_factory=LiveConfig)

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
        """Defaults overridden by ``data`` (section -> key -> value), every value checked: its type
        against the default's, every number against its allowed range (:data:`_RANGES`)."""
        cfg = cls()
        known = {f.name: f for f in dataclasses.fields(cls)}
        for name, values in data.items():
            if name not in known:
                raise ValueError(f"unknown config section [{name}] (known: {', '.join(known)})")
            if not isinstance(values, dict):
                raise ValueError(f"config section [{name}] must be a table")
            section = getattr(cfg, name)
            fields = {f.name: f for f in dataclasses.fields(section)}
            changes = {}
            for key, val in values.items():
                if key not in fields:
                    raise ValueError(f"unknown config key {name}.{key} (known: {', '.join(fields)})")
                default = getattr(section, key)
                if isinstance(default, bool) != isinstance(val, bool) or not isinstance(val, (type(default), int)):
                    raise ValueError(f"config key {name}.{key} must be {type(default).__name__}, got {val!r}")
                if isinstance(default, float) and isinstance(val, int) and abs(val) > sys.float_info.max:
                    raise ValueError(f"config key {name}.{key} must be {_range_text(_range_of(name, key, 0.0))}, "
                                     f"got {val!r}")  # float() would raise OverflowError
                changes[key] = type(default)(val)
                _check_value(name, key, changes[key])
            cfg = cfg.replace(**{name: changes})
        cfg.validate()
        return cfg

    def validate(self) -> None:
        """Raise ValueError (naming the key, its allowed range and the value) for the first
        setting out of its range (:data:`_RANGES`) or out of order with its partner (:data:`_ORDERED`)."""
        for sec in dataclasses.fields(self):
            section = getattr(self, sec.name)
            for f in dataclasses.fields(section):
                _check_value(sec.name, f.name, getattr(section, f.name))
        for (name, low), high in _ORDERED:
            a, b = getattr(getattr(self, name), low), getattr(getattr(self, name), high)
            if not a <= b:
                raise ValueError(f"config key {name}.{low} must not exceed {name}.{high} ({b!r}), got {a!r}")


class _Range(NamedTuple):
    """Allowed values of a numeric setting: ``lo`` to ``hi``, each end excluded when its ``*_open``
    is set. Values must be finite (and integers whole) whatever the range."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False


#: Largest integer setting: 2**53, the last integer a float (which numbers are compared with)
#: holds exactly; far beyond any sensible count, and within numpy's int64.
_INT_MAX = 2**53

#: The default rule for a float: finite and above 0 (most settings are durations, distances,
#: speeds and factors; 0, a negative or a nan there crashes a run or silently empties a check).
_POSITIVE = _Range(0.0, math.inf, lo_open=True, hi_open=True)
#: ... and for an integer (counts: of reports, vessels, trees, lines): 1 to ``_INT_MAX``.
_COUNT = _Range(1, _INT_MAX)
#: Additive slacks and tolerances, where 0 means none.
_NON_NEGATIVE = _Range(0.0, math.inf, hi_open=True)
#: Quantiles and shares that must keep something: above 0, at most 1.
_SHARE = _Range(0.0, 1.0, lo_open=True)
#: Weights, strengths, probabilities-as-thresholds and ratios where 0 (off) and 1 both make sense.
_UNIT = _Range(0.0, 1.0)
#: Counts of reports that must at least make a pair (a repeat, a line).
_PAIR = _Range(2, _INT_MAX)

#: The numeric settings whose range is not the default one (``_POSITIVE`` for floats, ``_COUNT``
#: for integers), keyed by ``section.key``. Read each field's documentation for what it means.
_RANGES: dict[str, _Range] = {
    # checks: slacks and tolerances added to a distance or time (0: none)
    "checks.reckoned_slack_m": _NON_NEGATIVE,
    "checks.reckoned_slack_s": _NON_NEGATIVE,
    "checks.reckoned_exact_m": _NON_NEGATIVE,
    "checks.erratic_fix_age_s": _NON_NEGATIVE,
    "checks.jump_distance_tolerance_m": _NON_NEGATIVE,
    "checks.divergence_tolerance_m": _NON_NEGATIVE,
    "checks.divergence_tolerance_kn": _NON_NEGATIVE,
    # thresholds where 0 means none: no slack, no minimum speed or leg, any depth inland, any match
    "tracks.distance_tolerance_m": _NON_NEGATIVE,
    "checks.frozen_min_sog_kn": _NON_NEGATIVE,
    "checks.stale_window_s": _NON_NEGATIVE,
    "checks.stale_match_m": _NON_NEGATIVE,
    "checks.speed_mismatch_min_m": _NON_NEGATIVE,
    "checks.course_min_sog_kn": _NON_NEGATIVE,
    "checks.course_min_leg_m": _NON_NEGATIVE,
    "checks.on_land_depth_m": _NON_NEGATIVE,
    "checks.circle_min_sog_kn": _NON_NEGATIVE,
    "checks.circle_lag_min_sog_kn": _NON_NEGATIVE,
    "checks.circle_min_leg_m": _NON_NEGATIVE,
    "zones.fit_max_rel_error": _NON_NEGATIVE,
    "zones.bs_support_distance_m": _NON_NEGATIVE,
    # checks: shares, fractions, quantiles
    "checks.reckoned_max_vessel_share": _SHARE,
    "checks.jump_minority_ratio": _UNIT,
    "checks.speed_mismatch_rel": _UNIT,  # a difference of two speeds never exceeds the larger
    "checks.course_min_steadiness": _UNIT,  # a mean resultant length
    "checks.circle_max_residual_frac": _SHARE,
    "checks.receiver_span_quantile": _SHARE,
    # checks: angles
    "checks.course_mismatch_deg": _Range(0.0, 180.0, lo_open=True),
    "checks.circle_min_arc_deg": _Range(0.0, 360.0, lo_open=True),
    "checks.circle_min_partial_arc_deg": _Range(0.0, 360.0, lo_open=True),
    # checks: counts that need at least a pair, or more
    "checks.frozen_min_reports": _PAIR,  # a held fix repeats
    "checks.divergence_min_reports": _PAIR,  # a line needs two points
    "checks.convergence_min_vessels": _PAIR,  # one vessel converges with nobody
    "checks.erratic_scatter_fixes": _Range(3, _INT_MAX),  # a median over fewer ignores no odd fix
    # forest
    "forest.calibration_quantile": _Range(0.5, 1.0, lo_open=True, hi_open=True),  # as InterferenceForest
    "forest.random_state": _Range(0, 2**32 - 1),  # numpy's seed range
    "forest.min_reports": _PAIR,  # the forest fits on two reports at least
    # detect: every strength_* is evidence between 0 (ignored) and 1 (certain)
    **{f"detect.{f.name}": _UNIT for f in dataclasses.fields(DetectConfig) if f.name.startswith("strength_")},
    # events
    "events.min_score": _UNIT,
    "events.jump_tolerance_m": _NON_NEGATIVE,
    "events.return_tolerance_m": _NON_NEGATIVE,
    "events.return_speed_margin_kn": _NON_NEGATIVE,
    "events.group_time_slack_s": _NON_NEGATIVE,
    "events.held_min_reports": _PAIR,  # a held fix repeats
    "events.held_at_rest_kn": _NON_NEGATIVE,
    # zones
    "zones.switch_chance_p": _Range(0.0, 1.0, lo_open=True, hi_open=True),
    "zones.switch_lag_s": _NON_NEGATIVE,
    "zones.bisector_max_shift_sd": _NON_NEGATIVE,  # 0: the bisectors never move the centre
    "zones.zone_jammed_share": _Range(0.0, 1.0, lo_open=True, hi_open=True),  # weighs both sides
    "zones.fit_min_coverage_deg": _Range(0.0, 360.0),
    "zones.edge_quantile": _SHARE,
    "zones.fit_min_contained": _UNIT,
    "zones.reacquire_max_s": _NON_NEGATIVE,
    "zones.polygon_vertices": _Range(3, _INT_MAX),
    "zones.bs_support_weight": _UNIT,
    "zones.grid_cell_lat_deg": _Range(0.0, 180.0, lo_open=True),
    "zones.grid_cell_lon_deg": _Range(0.0, 360.0, lo_open=True),
    "zones.grid_medium_frac": _UNIT,
    "zones.grid_high_frac": _UNIT,
}

#: Pairs of settings of one section where the first must not exceed the second.
_ORDERED: tuple[tuple[tuple[str, str], str], ...] = (
    (("checks", "mismatch_min_interval_s"), "mismatch_max_interval_s"),
    (("checks", "circle_min_radius_m"), "circle_max_radius_m"),
    (("zones", "min_radius_m"), "max_radius_m"),
    (("zones", "grid_medium_frac"), "grid_high_frac"),
    (("live", "backoff_initial_s"), "backoff_max_s"),
)


def _range_of(section: str, key: str, value: Any) -> _Range:
    return _RANGES.get(f"{section}.{key}", _COUNT if isinstance(value, int) else _POSITIVE)


def _range_text(r: _Range) -> str:
    if r == _POSITIVE:
        return "a finite number above 0"
    if isinstance(r.lo, int) and isinstance(r.hi, int):
        return f"an integer from {r.lo} to {r.hi}"
    if r.hi == math.inf:
        return f"a finite number {'above' if r.lo_open else 'of at least'} {r.lo:g}"
    return f"a number in {'(' if r.lo_open else '['}{r.lo:g}, {r.hi:g}{')' if r.hi_open else ']'}"


def _check_value(section: str, key: str, value: Any) -> None:
    """Raise ValueError when the numeric setting ``section.key`` lies outside its range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    r = _range_of(section, key, value)
    ok = (math.isfinite(value) and (r.lo < value if r.lo_open else r.lo <= value)
          and (value < r.hi if r.hi_open else value <= r.hi))
    if not ok:
        raise ValueError(f"config key {section}.{key} must be {_range_text(r)}, got {value!r}")


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
