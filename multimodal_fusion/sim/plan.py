# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Episode plans: which cues a situation shows, which confounders it mixes in, and when.

A plan fixes every random choice of an episode (drawn from the episode's generator in a
fixed order), so rendering is a pure function of the plan and time. The situation's own cue
is placed so that it is clearly visible at the plan's ``anchor`` (the training sample's
frame time); confounders are cues of lower-priority situations only (see ``situations``),
which keeps the label a deterministic function of all modalities together while each single
modality stays ambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Optional

import numpy as np

from multimodal_fusion.sim.config import SimConfig
from multimodal_fusion.sim.proprio import FALL_TILT_DEG
from multimodal_fusion.sim.proprio import fall_tilt_deg
from multimodal_fusion.sim.proprio import MotionPlan
from multimodal_fusion.sim.proprio import NEVER
from multimodal_fusion.sim.proprio import PUSH_MAX_TILT_DEG
from multimodal_fusion.sim.referring import random_objects
from multimodal_fusion.sim.referring import sample_referring_scene
from multimodal_fusion.sim.scene import sample_scene
from multimodal_fusion.sim.scene import ScenePlan
from multimodal_fusion.sim.sensors import sample_force_sensor
from multimodal_fusion.sim.sensors import sample_proprio_sensor
from multimodal_fusion.sim.situations import Cues
from multimodal_fusion.sim.sounds import Alarm
from multimodal_fusion.sim.sounds import ALARM_BAND_HZ
from multimodal_fusion.sim.sounds import ALARM_KINDS
from multimodal_fusion.sim.sounds import Background
from multimodal_fusion.sim.sounds import SoundEvent
from multimodal_fusion.sim.soundscape import SoundscapePlan
from multimodal_fusion.sim.soundscape import Utterance
from multimodal_fusion.sim.speech import chatter
from multimodal_fusion.sim.speech import Command
from multimodal_fusion.sim.speech import make_command
from multimodal_fusion.sim.speech import recognise
from multimodal_fusion.sim.touch import Collision
from multimodal_fusion.sim.touch import COLLISION_MIN_N
from multimodal_fusion.sim.touch import Slip
from multimodal_fusion.sim.touch import TouchPlan
from multimodal_fusion.sim.touch import WristPlan
from multimodal_fusion.sim.tts import SPEED_POOLS
from multimodal_fusion.sim.tts import VOICE_POOLS
from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.sim.vocab import REFERRING_ACTIONS
from multimodal_fusion.sim.vocab import situation_index
from multimodal_fusion.sim.vocab import SITUATION_PRIORITY
from multimodal_fusion.spec import JOINT_NAMES

# Margins (seconds) that keep a transient clearly inside or outside its window.
FRESH_MIN_S = 0.05
STALE_MARGIN_S = 0.25
PUSH_SETTLE_S = 0.1
COLLISION_SETTLE_S = 0.02
# Slip is labelled once the load has visibly started to fall, until the object has left the
# hand (0.6-1.6 s after onset); the windows that still hold the drop are a transition.
SLIP_SETTLE_S = 0.15
SLIP_SPAN_S = (0.6, 1.6)
ALARM_SETTLE_S = 0.3
# Fall tilt below which the body is still upright for the rules.
UPRIGHT_TILT_DEG = 1.0
_PERSON_KINDS = (('still', 0.5), ('approach', 0.3), ('handover', 0.2))
_NOISE_OFFSETS = 1 << 30


@dataclass(frozen=True)
class EpisodePlan:
    """Every choice of one episode.

    Attributes:
        situation: index into ``SITUATIONS`` shown at ``anchor``.
        duration: episode end time; the episode starts at 0 (speech may begin earlier).
        anchor: the training sample's frame time (on the camera clock).
        scene: what the camera sees.
        motion: what the body does.
        touch: what the wrists feel.
        sound: what the microphone hears.
        command: the spoken command, if any.
        command_end: when its speech ends and its text becomes available.
        recognised: its text as recognised (may carry recognition errors).
        target: index into ``scene.objects`` of the object the command names, or -1.
        footsteps: whether footsteps are audible throughout.
    """

    situation: int
    duration: float
    anchor: float
    scene: ScenePlan
    motion: MotionPlan
    touch: TouchPlan
    sound: SoundscapePlan
    command: Optional[Command]
    command_end: float
    recognised: Optional[str]
    target: int
    footsteps: bool


def _tri(value: float, lo: float, hi: float, fuzzy_lo: float, fuzzy_hi: float):
    """True inside ``[lo, hi]``, None in the margins ``[fuzzy_lo, fuzzy_hi]``, else False."""
    if lo <= value <= hi:
        return True
    if fuzzy_lo <= value <= fuzzy_hi:
        return None
    return False


def cues_at(plan: EpisodePlan, t: float, config: SimConfig) -> Cues:
    """The cues the windows ending at ``t`` show."""
    spec = config.spec
    audio_w, touch_w, proprio_w = spec.audio.window_s, spec.touch.window_s, spec.proprio.window_s
    motion = plan.motion
    tilt = float(fall_tilt_deg(motion, np.array([t]))[0])
    falling = True if tilt >= FALL_TILT_DEG else (None if tilt > UPRIGHT_TILT_DEG else False)
    pushed = False
    if motion.push is not None:
        pushed = _tri(t - motion.push[0], PUSH_SETTLE_S, 0.8 * proprio_w, 0.0,
                      proprio_w + 0.2)
    collision = False
    slipping = False
    for wrist in plan.touch.wrists:
        if wrist.collision is not None:
            collision = _tri(t - wrist.collision.time, COLLISION_SETTLE_S,
                             touch_w - 0.05, 0.0, touch_w)
        if wrist.slip is not None:
            slip = wrist.slip
            slipping = _tri(t - slip.start, SLIP_SETTLE_S, slip.end - slip.start, 0.0,
                            slip.end - slip.start + touch_w + 0.05)
    alarm = False
    if plan.sound.alarm is not None:
        alarm = _tri(t - plan.sound.alarm.onset, ALARM_SETTLE_S, math.inf, 0.0, math.inf)
    fresh = False
    if plan.command is not None:
        fresh = _tri(t - plan.command_end, FRESH_MIN_S, 0.5 * audio_w, 0.0,
                     audio_w + STALE_MARGIN_S)
    return Cues(
        falling=falling,
        pushed=pushed,
        collision=collision,
        reaching=motion.reach is not None and t >= motion.reach[1],
        slipping=slipping,
        alarm=alarm,
        fresh_command=fresh,
        # An object that slipped out of the hand is no longer held.
        grasp=any(w.load_mass > 0.0 and (w.slip is None or t < w.slip.end)
                  for w in plan.touch.wrists),
        person=plan.scene.person is not None,
        walking=motion.walk is not None,
        footsteps=plan.footsteps,
    )


def text_at(plan: EpisodePlan, t: float, config: SimConfig) -> Optional[str]:
    """The recognised command text a node holds at ``t``: from speech end until it ages out."""
    if plan.command is None:
        return None
    age = t - plan.command_end
    return plan.recognised if 0.0 <= age <= config.spec.text.max_age_s else None


class _Draw:
    """The episode's generator with the few distributions plans use."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def u(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def p(self, probability: float) -> bool:
        return bool(self.rng.random() < probability)

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def weighted(self, options):
        weights = np.array([w for _, w in options], dtype=np.float64)
        return options[int(self.rng.choice(len(options), p=weights / weights.sum()))][0]

    def seed(self) -> int:
        return int(self.rng.integers(2 ** 31))


def _anchor(draw: _Draw, lo: float, hi: float, config: SimConfig, duration: float) -> float:
    spec = config.spec
    rate = spec.camera.rate_hz
    earliest = max(spec.audio.window_s, spec.touch.window_s, spec.proprio.window_s) + 0.2
    first = math.ceil(max(lo, earliest) * rate - 1e-9)
    last = math.floor(min(hi, duration) * rate + 1e-9)
    if first > last:
        raise RuntimeError(f'empty anchor interval [{lo:.3f}, {hi:.3f}] in a '
                           f'{duration:.2f} s episode')
    return int(draw.rng.integers(first, last + 1)) / rate


def _command_action(draw: _Draw, situation: str) -> str:
    # A stale command is usually the one the robot is carrying out.
    likely = {'object_grasped': 'pick_up', 'object_slipping': 'pick_up', 'handover': 'give',
              'walking': 'come_here'}.get(situation)
    if situation == 'collision':
        return draw.pick(REFERRING_ACTIONS)
    if likely is not None and draw.p(0.4):
        return likely
    return draw.pick(ACTIONS[1:])


def sample_plan(rng: np.random.Generator, situation: str, config: SimConfig) -> EpisodePlan:
    """Draw an episode that shows ``situation`` at its anchor.

    Args:
        rng: generator seeded for this episode only.
        situation: name from ``SITUATIONS``.
        config: simulator configuration.
    """
    draw = _Draw(rng)
    spec = config.spec
    audio_w, touch_w, proprio_w = spec.audio.window_s, spec.touch.window_s, spec.proprio.window_s
    max_age = spec.text.max_age_s
    rank = SITUATION_PRIORITY.index(situation)

    def below(name: str) -> bool:
        """Whether ``name``'s cue may appear as a confounder."""
        return SITUATION_PRIORITY.index(name) > rank

    duration = draw.u(*config.episode_s)

    # The situation's own cue, and the anchor where it is clearly visible.
    push = fall = reach = None
    collision_time = slip_start = slip_end = alarm_onset = command_end = None
    anchor_lo, anchor_hi = 0.0, duration
    if situation == 'fall_risk':
        start, rate = draw.u(1.5, duration - 2.0), draw.u(10.0, 25.0)
        tilted = start + math.sqrt(FALL_TILT_DEG / rate)
        fall = (start, draw.u(0.0, 2 * math.pi), rate)
        anchor_lo, anchor_hi = tilted + 0.03, tilted + 1.5
    elif situation == 'pushed':
        time = draw.u(2.0, duration - 0.9)
        push = (time, draw.u(0.0, 2 * math.pi), draw.u(3.5, 8.0), draw.u(2.0, PUSH_MAX_TILT_DEG),
                int(draw.rng.integers(-1, 2)))
        anchor_lo, anchor_hi = time + PUSH_SETTLE_S + 0.01, time + 0.8 * proprio_w - 0.01
    elif situation == 'collision':
        collision_time = draw.u(2.0, duration - 0.5)
        anchor_lo = collision_time + COLLISION_SETTLE_S + 0.01
        anchor_hi = collision_time + touch_w - 0.06
    elif situation == 'object_slipping':
        slip_start = draw.u(1.5, duration - 0.6)
        slip_end = slip_start + draw.u(*SLIP_SPAN_S)
        anchor_lo, anchor_hi = slip_start + SLIP_SETTLE_S + 0.01, slip_end - 0.02
    elif situation == 'alarm':
        alarm_onset = draw.u(0.0, 1.0)
        anchor_lo = alarm_onset + ALARM_SETTLE_S + 0.01
    elif situation == 'command_given':
        command_end = draw.u(3.0, duration - 0.5)
        anchor_lo, anchor_hi = command_end + FRESH_MIN_S + 0.01, command_end + 0.5 * audio_w - 0.01
    anchor = _anchor(draw, anchor_lo, anchor_hi, config, duration)

    # Body: what the situation needs, else a base motion some lower situation would show.
    hold_arms: tuple[int, ...] = ()
    walk = None
    base = 'stand'
    if situation in ('object_grasped', 'handover', 'object_slipping'):
        base = 'hold'
    elif situation == 'walking':
        base = 'walk'
    elif situation == 'collision':
        base = 'reach'
    elif situation in ('command_given', 'alarm', 'fall_risk'):
        base = draw.weighted((('stand', 0.6), ('hold', 0.22), ('walk', 0.18)))
    elif situation == 'pushed':
        base = draw.weighted((('stand', 0.7), ('hold', 0.3)))
    if base == 'hold':
        hold_arms = draw.pick(((0,), (1,), (0, 1)))
    # Walking while holding: gait shaking and heel strikes in the wrists, load unchanged.
    carrying = (situation in ('object_grasped', 'handover', 'object_slipping')
                and draw.p(0.25))
    if base == 'walk' or carrying:
        walk = (draw.u(0.8, 1.1), draw.u(0.25, 0.4), draw.u(0.0, 2 * math.pi))
    rest_arm = -1
    if base == 'stand' and draw.p(0.2):
        rest_arm = int(draw.rng.integers(2))
    if base == 'reach':
        reach_arm = int(draw.rng.integers(2))
        reach_start = collision_time - draw.u(0.4, 0.9)
        reach = (reach_arm, reach_start, draw.u(0.9, 1.4), draw.u(-1.3, -0.9),
                 draw.u(0.1, 0.4), draw.u(-0.2, 0.2))

    # Command: fresh, stale, or none.
    command_kind = None
    if situation == 'command_given':
        command_kind = 'fresh'
    elif situation == 'collision':
        command_kind = 'stale' if draw.p(0.5) else None
    elif situation in ('alarm', 'object_slipping', 'pushed'):
        command_kind = draw.weighted((('fresh', 0.15), ('stale', 0.15), (None, 0.7)))
    elif situation in ('handover', 'object_grasped', 'walking'):
        command_kind = 'stale' if draw.p(0.35) else None
    elif situation in ('idle', 'person_approaching'):
        command_kind = 'stale' if draw.p(0.3) else None
    if command_kind == 'fresh' and command_end is None:
        command_end = anchor - draw.u(FRESH_MIN_S + 0.01, 0.5 * audio_w - 0.01)
    elif command_kind == 'stale':
        command_end = anchor - draw.u(audio_w + STALE_MARGIN_S + 0.05, max_age - 0.2)
    action = None
    if situation == 'command_given':
        action = draw.pick(ACTIONS[1:])
    elif command_kind is not None:
        action = _command_action(draw, situation)

    # Objects on the table, and the one the command names.
    count = int(draw.rng.integers(config.min_objects, config.max_objects + 1))
    reference = None
    left_to_right: tuple[int, ...] = ()
    target = -1
    if action in REFERRING_ACTIONS:
        referring = sample_referring_scene(draw.rng, count, relations=config.relations)
        objects, target = referring.objects, referring.target
        reference, left_to_right = referring.reference, referring.left_to_right
    else:
        objects = random_objects(draw.rng, count)
    command = (make_command(draw.rng, action, reference, candidates=len(left_to_right),
                            pool=config.pool('phrasing')) if action else None)

    # A person in view, and footsteps.
    person = None
    if situation == 'handover':
        person = 'handover'
    elif situation == 'person_approaching':
        person = 'approach'
    elif situation == 'object_slipping':
        person = draw.pick(('handover', 'still')) if draw.p(0.5) else None
    elif situation == 'idle':
        person = 'still' if draw.p(0.35) else None
    elif situation != 'object_grasped' and draw.p(0.45):
        person = draw.weighted(_PERSON_KINDS)
    if situation == 'person_approaching':
        footsteps = True
    elif situation == 'walking':
        footsteps = draw.p(0.8)
    elif situation == 'idle':
        footsteps = person is None and draw.p(0.35)
    else:
        footsteps = draw.p(0.25)

    aspect = config.image_width / config.image_height
    required = (target,) if target >= 0 else ()
    scene, kept = sample_scene(draw.rng, objects, left_to_right, required, person, 0.0,
                               duration, aspect, safe=situation == 'fall_risk',
                               pool=config.pool('background'))
    target = kept.index(target) if target >= 0 else -1

    motion = MotionPlan(
        kind=('falling' if fall else 'pushed' if push else base),
        offsets=tuple(float(v) for v in draw.rng.normal(0.0, 0.03, len(JOINT_NAMES))),
        sway=(draw.u(0.005, 0.015), draw.u(0.15, 0.4), draw.u(0.0, 2 * math.pi)),
        head_scan=(draw.u(0.0, 0.3), draw.u(0.05, 0.2), draw.u(0.0, 2 * math.pi)),
        heading=(draw.u(-math.pi, math.pi), draw.u(-0.15, 0.15) if walk else 0.0),
        hold_arms=hold_arms,
        hold_pose=(draw.u(-0.95, -0.5), draw.u(0.8, 1.3), draw.u(-0.3, 0.3)),
        rest_arm=rest_arm,
        reach=reach,
        reach_stop=collision_time if collision_time is not None else NEVER,
        walk=walk,
        push=push,
        fall=fall,
        sensor=sample_proprio_sensor(draw.rng, config.pool('sensor')),
    )

    touch = _touch_plan(draw, hold_arms, rest_arm, reach, collision_time, (slip_start, slip_end),
                        walk, push, fall, duration, config.pool('sensor'))

    sound = _sound_plan(draw, situation, below, anchor, duration, footsteps, collision_time,
                        fall, alarm_onset, command, command_end, config)

    recognised = (recognise(draw.rng, command.spoken, config.asr_error_rate)
                  if command else None)
    return EpisodePlan(
        situation=situation_index(situation), duration=duration, anchor=anchor, scene=scene,
        motion=motion, touch=touch, sound=sound, command=command,
        command_end=command_end if command else math.nan, recognised=recognised,
        target=target, footsteps=footsteps)


def _bursts(draw: _Draw, begin: float, end: float, gap: tuple[float, float],
            freq: tuple[float, float], amp: float):
    """Ringing events from ``begin`` until ``end``, ``gap`` apart, amplitudes around ``amp``."""
    count = int((end - begin) / gap[0]) + 2
    times = begin + np.concatenate([[0.0], np.cumsum(draw.rng.uniform(*gap, count))])
    times = times[times < end]
    freqs = draw.rng.uniform(*freq, times.size)
    amps = amp * draw.rng.uniform(0.5, 1.5, times.size)
    directions = draw.rng.uniform(0.0, 2 * math.pi, times.size)
    return [(float(a), float(b), float(c), float(d))
            for a, b, c, d in zip(times, freqs, amps, directions)]


def _log_u(draw: _Draw, lo: float, hi: float) -> float:
    return float(math.exp(draw.u(math.log(lo), math.log(hi))))


def _touch_plan(draw: _Draw, hold_arms, rest_arm, reach, collision_time, slip_span, walk,
                push, fall, duration, pool: str) -> TouchPlan:
    """What the wrists feel, consistent with the motion (same arms, same event times)."""
    slip_start, slip_end = slip_span
    slip_wrist = draw.pick(hold_arms) if slip_start is not None else -1
    steps = None
    if walk is not None:
        # Heel strikes, two per stride, ring through the body into both wrists.
        steps = (walk[2] / (4 * math.pi * walk[0]), 1.0 / (2 * walk[0]), _log_u(draw, 0.1, 1.0))
    wrists = []
    for side in (0, 1):
        load = draw.u(0.25, 1.0) if side in hold_arms else 0.0
        slip = None
        if side == slip_wrist:
            # Stick-slip: an event every 30-100 ms until the object is gone, each a step of
            # the falling load and a 25-60 Hz burst, sometimes too weak to see in the noise.
            bursts = _bursts(draw, slip_start, slip_end, (0.03, 0.1), (25.0, 60.0),
                             _log_u(draw, 0.05, 2.5))
            slip = Slip(start=slip_start, end=slip_end, jerk=draw.u(0.08, 0.25),
                        stepped=draw.u(0.3, 0.8), bursts=tuple(bursts))
        vibration = []
        if draw.p(0.4 if side in hold_arms else 0.15):
            # A servo hunting: bursts in the stick-slip band, the load stays where it is.
            begin = draw.u(-1.0, duration)
            vibration += _bursts(draw, begin, begin + draw.u(0.5, duration), (0.03, 0.15),
                                 (20.0, 60.0), _log_u(draw, 0.05, 1.5))
        if steps is not None:
            first, period, amp = steps
            times = first + period * np.arange(-2, int(duration / period) + 3)
            vibration += [(float(tb), float(f), float(a), float(d)) for tb, f, a, d in zip(
                times, draw.rng.uniform(15.0, 40.0, times.size),
                amp * draw.rng.uniform(0.6, 1.4, times.size),
                draw.rng.uniform(0.0, 2 * math.pi, times.size))]
        collision = None
        if reach is not None and side == reach[0] and collision_time is not None:
            direction = np.array([-1.0, draw.u(-0.4, 0.4), draw.u(-0.3, 0.3)])
            collision = Collision(time=collision_time, amplitude=draw.u(COLLISION_MIN_N, 60.0),
                                  direction=tuple(float(v) for v in
                                                  direction / np.linalg.norm(direction)),
                                  decay=draw.u(0.02, 0.05), ring_hz=draw.u(12.0, 25.0),
                                  lever=draw.u(0.05, 0.12), residual=draw.u(1.0, 5.0))
        wrists.append(WristPlan(
            hand_mass=draw.u(0.35, 0.6),
            contact=draw.u(3.0, 9.0) if side == rest_arm else 0.0,
            load_mass=load,
            lever=(draw.u(-0.06, 0.06), draw.u(-0.06, 0.06)),
            slip=slip, collision=collision, vibration=tuple(sorted(vibration))))
    if walk is not None:
        shake = (draw.u(0.3, 0.8), 2.0 * walk[0], 0.0)
    elif fall is not None:
        shake = (0.1, draw.u(2.0, 4.0), draw.u(1.5, 3.0))
    else:
        shake = (draw.u(0.02, 0.08), draw.u(1.0, 3.0), 0.0)
    jolt = (push[0], draw.u(1.0, 3.0), push[1]) if push is not None else None
    return TouchPlan(wrists=(wrists[0], wrists[1]), shake=shake, jolt=jolt,
                     sensor=sample_force_sensor(draw.rng, pool))


def _sound_plan(draw: _Draw, situation: str, below, anchor, duration, footsteps,
                collision_time, fall, alarm_onset, command, command_end,
                config: SimConfig) -> SoundscapePlan:
    """What the microphone hears; one-off sounds are placed to reach the anchor's window."""
    background = Background(
        color=draw.pick(('white', 'pink', 'brown')),
        # From a near-silent room to a noisy one, log-uniform.
        level=float(math.exp(draw.u(math.log(0.0005), math.log(0.02)))),
        hum_freq=draw.pick((50.0, 60.0)) if draw.p(0.3) else 0.0,
        hum_level=draw.u(0.002, 0.01),
        offset=int(draw.rng.integers(_NOISE_OFFSETS)))
    events = []
    if footsteps:
        t, period, gain = -1.0, draw.u(0.45, 0.6), draw.u(0.1, 0.35)
        while t < duration + 0.5:
            # Someone approaching gets louder.
            loud = gain * (1.0 + 0.8 * max(t, 0.0) / duration
                           if situation == 'person_approaching' else 1.0)
            events.append(SoundEvent('footstep', t, loud, draw.seed()))
            t += period + draw.u(-0.03, 0.03)
    if draw.p(0.15):
        events.append(SoundEvent('knock', anchor - draw.u(0.15, 0.9), draw.u(0.2, 0.5),
                                 draw.seed()))
    if collision_time is not None:
        kind = draw.weighted((('thud', 0.5), ('glass', 0.25), (None, 0.25)))
        if kind:
            events.append(SoundEvent(kind, collision_time, draw.u(0.3, 0.7), draw.seed()))
    if fall is not None and draw.p(0.3):
        events.append(SoundEvent(draw.pick(('thud', 'glass')), fall[0] + draw.u(0.3, 1.0),
                                 draw.u(0.3, 0.6), draw.seed()))
    alarm = None
    if alarm_onset is None and below('alarm') and draw.p(0.2):
        alarm_onset = draw.u(0.0, 1.0)
    if alarm_onset is not None:
        freq = draw.u(*ALARM_BAND_HZ)
        alarm = Alarm(kind=draw.pick(ALARM_KINDS), freq=freq, low_freq=freq * draw.u(0.72, 0.85),
                      period=draw.u(0.3, 0.5), onset=alarm_onset, gain=draw.u(0.2, 0.4))
    utterances = []
    voices = VOICE_POOLS[config.pool('voice')]
    speeds = SPEED_POOLS[config.pool('voice')]
    if command is not None:
        utterances.append(Utterance(command.spoken, draw.pick(voices), draw.pick(speeds),
                                    command_end, draw.u(0.3, 0.7)))
    # Bystander speech. Below command_given it never shares an episode with a command:
    # there only the speech in the audio window tells a command just given from an old one.
    if (command is None or below('command_given')) and draw.p(0.25):
        utterances.append(Utterance(draw.pick(chatter(config.pool('phrasing'))),
                                    draw.pick(voices), draw.pick(speeds),
                                    anchor + draw.u(-0.4, 0.6), draw.u(0.1, 0.3)))
    return SoundscapePlan(background=background, events=tuple(events), alarm=alarm,
                          utterances=tuple(utterances))
