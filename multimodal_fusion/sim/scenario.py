# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Scenario simulator: episodes as continuous streams, samples as windows of them.

``ScenarioSimulator(seed, config).sample(index)`` is what a dataset indexes: the windows a
node would hand the model at one camera frame, plus ground truth. It is literally
``episode(index).window(anchor)``, and ``episode(index).streams()`` renders the same episode
whole (audio at 16 kHz, wrenches at 200 Hz, joints and IMU at 100 Hz, camera frames at
30 Hz, the command text at the instant it is recognised) for a publisher to play back. Both
read the same plan and the same rendering functions, so training and live data match.

Everything is a function of ``(seed, index)``: samples can be generated in any order by any
number of workers.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Iterator
from typing import Optional

import numpy as np

from multimodal_fusion.sim.config import SimConfig
from multimodal_fusion.sim.plan import cues_at
from multimodal_fusion.sim.plan import EpisodePlan
from multimodal_fusion.sim.plan import sample_plan
from multimodal_fusion.sim.plan import text_at
from multimodal_fusion.sim.proprio import arm_elevation
from multimodal_fusion.sim.proprio import camera_motion
from multimodal_fusion.sim.proprio import FALL_MAX_TILT_DEG
from multimodal_fusion.sim.proprio import fall_tilt_deg
from multimodal_fusion.sim.proprio import render_proprio
from multimodal_fusion.sim.referring import Reference
from multimodal_fusion.sim.referring import resolve_boxes
from multimodal_fusion.sim.scene import Frame
from multimodal_fusion.sim.scene import render_frame
from multimodal_fusion.sim.situations import situation_from_cues
from multimodal_fusion.sim.soundscape import render_audio
from multimodal_fusion.sim.soundscape import utterance_onset
from multimodal_fusion.sim.touch import render_touch
from multimodal_fusion.sim.tts import SpeechSynthesizer
from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.sim.vocab import NO_TARGET
from multimodal_fusion.sim.vocab import NO_TARGET_LOCATION
from multimodal_fusion.sim.vocab import SITUATIONS
from multimodal_fusion.spec import SensorFrames

# Tolerance when turning a stamp into the index of the newest sample at or before it.
_CLOCK_EPS = 1e-6


@dataclass(frozen=True)
class GroundTruth:
    """What the model should output for one frame.

    Attributes:
        situation: index into ``SITUATIONS`` (``UNLABELLED`` between states in a stream).
        action: index into ``ACTIONS`` of the command in the text channel ('none' without).
        target: index into ``boxes`` of the object the command names, or ``NO_TARGET``.
        target_location: normalised ``(x, y)`` centre of the target's box, or
            ``NO_TARGET_LOCATION``.
        boxes: ``(n, 4)`` float32 ``x_min, y_min, x_max, y_max`` of every visible thing in
            source-image pixels (max edges exclusive).
        classes: ``(n,)`` int64 indices into ``OBJECT_CLASSES``.
        colors: ``(n,)`` int64 indices into ``COLORS`` (``NO_ATTRIBUTE`` for people).
        sizes: ``(n,)`` int64 indices into ``SIZES`` (``NO_ATTRIBUTE`` for people).
        expression: the referring phrase as said (e.g. 'small red cube on the left').
        spoken: the command as said, before recognition errors.
        reference: the words of ``expression`` (``None`` when no object is named).
    """

    situation: int
    action: int
    target: int
    target_location: tuple[float, float]
    boxes: np.ndarray
    classes: np.ndarray
    colors: np.ndarray
    sizes: np.ndarray
    expression: Optional[str]
    spoken: Optional[str]
    reference: Optional[Reference] = None


@dataclass(frozen=True)
class Sample:
    """One model input with its ground truth.

    Attributes:
        frames: the windows, exactly as the node builds them.
        truth: labels.
        index: sample index within its simulator.
        stamp: frame time on the episode clock in seconds.
    """

    frames: SensorFrames
    truth: GroundTruth
    index: int
    stamp: float


@dataclass(frozen=True)
class EpisodeStreams:
    """A whole episode as sensor streams, for playback at real rates.

    Stamps are seconds on the episode clock (speech may start before 0).

    Attributes:
        audio: ``(n,)`` float32 mono samples; sample ``i`` is at ``audio_start + i / rate``.
        audio_start: stamp of the first audio sample.
        audio_rate: audio sample rate.
        touch: ``(m, 12)`` float32 wrenches at ``touch_stamps``.
        touch_stamps: ``(m,)`` float64.
        proprio: ``(k, 44)`` float32 joints and IMU at ``proprio_stamps``.
        proprio_stamps: ``(k,)`` float64.
        camera_stamps: ``(f,)`` float64 frame times; render with ``Episode.frame``.
        situations: ``(f,)`` int64 situation per camera frame (``UNLABELLED`` in transitions).
        text_events: ``(stamp, text)`` of each recognised command, stamped when its speech
            ends (publish it then; the node ages it out after ``TextSpec.max_age_s``).
        command_speech: ``(onset, end)`` of the command's speech in the audio, or ``None``.
    """

    audio: np.ndarray
    audio_start: float
    audio_rate: int
    touch: np.ndarray
    touch_stamps: np.ndarray
    proprio: np.ndarray
    proprio_stamps: np.ndarray
    camera_stamps: np.ndarray
    situations: np.ndarray
    text_events: tuple[tuple[float, str], ...]
    command_speech: Optional[tuple[float, float]]


def _newest(t: float, rate: float) -> int:
    return math.floor(t * rate + _CLOCK_EPS)


class Episode:
    """One episode, rendered on demand.

    Args:
        plan: the episode's choices.
        config: simulator configuration.
        synthesizer: speech synthesizer (shared, cached).
    """

    def __init__(self, plan: EpisodePlan, config: SimConfig, synthesizer: SpeechSynthesizer):
        self.plan = plan
        self.config = config
        self.synthesizer = synthesizer

    @property
    def anchor(self) -> float:
        """The frame time the training sample of this episode uses."""
        return self.plan.anchor

    @property
    def duration(self) -> float:
        return self.plan.duration

    def situation_at(self, t: float) -> int:
        """Situation shown by the windows ending at ``t`` (``UNLABELLED`` in transitions)."""
        return situation_from_cues(cues_at(self.plan, t, self.config))

    def text_at(self, t: float) -> Optional[str]:
        return text_at(self.plan, t, self.config)

    def audio(self, start: int, count: int) -> np.ndarray:
        """Audio samples ``start .. start + count`` of the episode."""
        return render_audio(self.plan.sound, start, count, self.config.spec.audio.sample_rate,
                            self.synthesizer)

    def touch(self, start: int, count: int) -> np.ndarray:
        """Wrench samples ``start .. start + count`` of the episode."""
        rate = self.config.spec.touch.rate_hz
        times = (start + np.arange(count)) / rate
        agitation = fall_tilt_deg(self.plan.motion, times) / FALL_MAX_TILT_DEG
        return render_touch(self.plan.touch, start, count, rate,
                            arm_elevation(self.plan.motion, times), agitation)

    def proprio(self, start: int, count: int) -> np.ndarray:
        """Joint/IMU samples ``start .. start + count`` of the episode."""
        return render_proprio(self.plan.motion, start, count, self.config.spec.proprio.rate_hz)

    def frame(self, t: float) -> Frame:
        """The camera frame at ``t`` (snapped to the camera clock for its grain)."""
        width, height = self.config.image_width, self.config.image_height
        index = int(round(t * self.config.spec.camera.rate_hz))
        return render_frame(self.plan.scene, width, height, t, index,
                            camera_motion(self.plan.motion, t))

    def truth(self, t: float, frame: Frame) -> GroundTruth:
        """Ground truth at ``t`` given the frame rendered there."""
        plan = self.plan
        text = self.text_at(t)
        command = plan.command if text is not None else None
        target, location = NO_TARGET, NO_TARGET_LOCATION
        if command is not None and plan.target >= 0:
            visible = np.flatnonzero(frame.source == plan.target)
            if visible.size:
                target = int(visible[0])
                x0, y0, x1, y1 = (float(v) for v in frame.boxes[target])
                location = ((x0 + x1) / 2 / self.config.image_width,
                            (y0 + y1) / 2 / self.config.image_height)
        return GroundTruth(
            situation=self.situation_at(t),
            action=command.action if command is not None else ACTIONS.index('none'),
            target=target,
            target_location=location,
            boxes=frame.boxes, classes=frame.classes, colors=frame.colors, sizes=frame.sizes,
            expression=command.expression if command is not None else None,
            spoken=command.spoken if command is not None else None,
            reference=command.reference if command is not None else None,
        )

    def window(self, t: float, index: int = -1) -> Sample:
        """The sensor windows ending at ``t`` and their ground truth."""
        spec = self.config.spec
        audio_n = spec.audio.window_samples
        touch_n = spec.touch.steps
        proprio_n = spec.proprio.steps
        frame = self.frame(t)
        frames = SensorFrames(
            camera=frame.image,
            audio=self.audio(_newest(t, spec.audio.sample_rate) - audio_n + 1, audio_n),
            text=self.text_at(t),
            touch=self.touch(_newest(t, spec.touch.rate_hz) - touch_n + 1, touch_n),
            proprio=self.proprio(_newest(t, spec.proprio.rate_hz) - proprio_n + 1, proprio_n),
        )
        return Sample(frames=frames, truth=self.truth(t, frame), index=index, stamp=t)

    def start_time(self) -> float:
        """Stream start: 0, or earlier so that every utterance is heard from its beginning."""
        start = 0.0
        for utterance in self.plan.sound.utterances:
            start = min(start, utterance_onset(utterance, self.synthesizer) - 0.25)
        return start

    def streams(self) -> EpisodeStreams:
        """Render the whole episode as per-modality streams; camera frames stay lazy."""
        spec = self.config.spec
        start, end = self.start_time(), self.duration

        def clock(rate: float) -> tuple[int, int]:
            first = math.ceil(start * rate - _CLOCK_EPS)
            return first, _newest(end, rate) - first + 1
        audio_first, audio_n = clock(spec.audio.sample_rate)
        touch_first, touch_n = clock(spec.touch.rate_hz)
        proprio_first, proprio_n = clock(spec.proprio.rate_hz)
        camera_first, camera_n = clock(spec.camera.rate_hz)
        camera_stamps = (camera_first + np.arange(camera_n)) / spec.camera.rate_hz
        plan = self.plan
        return EpisodeStreams(
            audio=self.audio(audio_first, audio_n),
            audio_start=audio_first / spec.audio.sample_rate,
            audio_rate=spec.audio.sample_rate,
            touch=self.touch(touch_first, touch_n),
            touch_stamps=(touch_first + np.arange(touch_n)) / spec.touch.rate_hz,
            proprio=self.proprio(proprio_first, proprio_n),
            proprio_stamps=(proprio_first + np.arange(proprio_n)) / spec.proprio.rate_hz,
            camera_stamps=camera_stamps,
            situations=np.array([self.situation_at(float(t)) for t in camera_stamps],
                                dtype=np.int64),
            text_events=(((plan.command_end, plan.recognised),) if plan.command else ()),
            command_speech=self._command_speech(),
        )

    def _command_speech(self) -> Optional[tuple[float, float]]:
        command = self.plan.command
        if command is None:
            return None
        utterance = next(u for u in self.plan.sound.utterances if u.spoken == command.spoken)
        return utterance_onset(utterance, self.synthesizer), utterance.end

    def camera_frames(self) -> Iterator[tuple[float, Frame, GroundTruth]]:
        """Render every camera frame of the streams in order, with its ground truth."""
        rate = self.config.spec.camera.rate_hz
        first = math.ceil(self.start_time() * rate - _CLOCK_EPS)
        for i in range(first, _newest(self.duration, rate) + 1):
            t = i / rate
            frame = self.frame(t)
            yield t, frame, self.truth(t, frame)


class ScenarioSimulator:
    """Deterministic multimodal scenarios for training, evaluation and demos.

    Args:
        seed: dataset seed; with the sample index it determines everything.
        config: what to generate.
    """

    def __init__(self, seed: int, config: SimConfig = SimConfig()):
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f'seed={seed!r} invalid; expected a non-negative integer')
        self.seed = int(seed)
        self.config = config
        self.synthesizer = SpeechSynthesizer(config.resolved_cache_dir,
                                             config.spec.audio.sample_rate)

    def situation_of(self, index: int) -> str:
        """Situation of sample ``index``: the configured situations in turn.

        Any run of consecutive indices is therefore balanced.
        """
        return self.config.situations[index % len(self.config.situations)]

    def plan(self, index: int) -> EpisodePlan:
        if index < 0:
            raise ValueError(f'index={index} invalid; expected a non-negative integer')
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, int(index)]))
        return sample_plan(rng, self.situation_of(index), self.config)

    def episode(self, index: int) -> Episode:
        """The episode behind sample ``index``."""
        return Episode(self.plan(index), self.config, self.synthesizer)

    def sample(self, index: int) -> Sample:
        """The training sample ``index``: the episode's windows at its anchor.

        For a ``config.random_instant_fraction`` share of indices, the windows are at a random
        labelled instant instead.

        Raises:
            RuntimeError: if the rendered anchor sample contradicts its plan (a simulator
                bug).
        """
        episode = self.episode(index)
        fraction = self.config.random_instant_fraction
        if fraction > 0.0:
            rng = np.random.default_rng(
                np.random.SeedSequence([self.seed, int(index), _INSTANT_STREAM]))
            if rng.random() < fraction:
                sample = _random_instant(episode, rng, index)
                if sample is not None:
                    return sample
        sample = episode.window(episode.anchor, index)
        truth = sample.truth
        if truth.situation != episode.plan.situation:
            raise RuntimeError(
                f'sample {index}: planned {SITUATIONS[episode.plan.situation]} but the cues '
                f'show {truth.situation}')
        if truth.reference is not None:
            _check_reference(index, truth.reference, truth)
        return sample


# Entropy word of the random-instant draws (the plan uses ``[seed, index]`` alone).
_INSTANT_STREAM = 1
_INSTANT_TRIES = 16


def _random_instant(episode: Episode, rng: np.random.Generator, index: int
                    ) -> Optional[Sample]:
    """A sample at a uniformly drawn camera frame, or ``None`` after a few misses.

    The frame's situation is labelled and its referring expression (if any) picks its
    target, visible, as at anchors.
    """
    rate = episode.config.spec.camera.rate_hz
    frames = _newest(episode.duration, rate) + 1
    for _ in range(_INSTANT_TRIES):
        t = int(rng.integers(frames)) / rate
        if episode.situation_at(t) < 0:
            continue
        sample = episode.window(t, index)
        truth = sample.truth
        if truth.reference is not None:
            try:
                _check_reference(index, truth.reference, truth)
            except RuntimeError:
                continue  # a person hides the target or a twin: the words pick no one object
        return sample
    return None


def _check_reference(index: int, reference, truth: GroundTruth) -> None:
    picked = resolve_boxes(reference, truth.classes, truth.colors, truth.sizes, truth.boxes)
    if truth.target < 0 or picked != [truth.target]:
        raise RuntimeError(f'sample {index}: {reference.phrase()!r} picks {picked}, '
                           f'expected [{truth.target}]')
