# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The microphone signal of an episode: room noise, sound events, an alarm and speech mixed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from multimodal_fusion.sim.sounds import add_event
from multimodal_fusion.sim.sounds import add_wave
from multimodal_fusion.sim.sounds import Alarm
from multimodal_fusion.sim.sounds import alarm_signal
from multimodal_fusion.sim.sounds import Background
from multimodal_fusion.sim.sounds import background_signal
from multimodal_fusion.sim.sounds import SoundEvent
from multimodal_fusion.sim.tts import SpeechSynthesizer


@dataclass(frozen=True)
class Utterance:
    """Someone speaking; the speech ends at ``end`` seconds (episode clock).

    Anchoring the end rather than the start lets a window that lies after the utterance
    skip synthesis entirely, and it is the instant a recogniser delivers the text.
    """

    spoken: str
    voice: str
    speed: int
    end: float
    gain: float


@dataclass(frozen=True)
class SoundscapePlan:
    """Everything audible in an episode."""

    background: Background
    events: tuple[SoundEvent, ...] = ()
    alarm: Optional[Alarm] = None
    utterances: tuple[Utterance, ...] = ()


def utterance_onset(utterance: Utterance, synthesizer: SpeechSynthesizer) -> float:
    """Start time of an utterance (synthesizes it if it is not cached)."""
    wave_ = synthesizer.synthesize(utterance.spoken, utterance.voice, utterance.speed)
    return utterance.end - wave_.size / synthesizer.sample_rate


def render_audio(plan: SoundscapePlan, start: int, count: int, sample_rate: int,
                 synthesizer: SpeechSynthesizer) -> np.ndarray:
    """Microphone samples ``start .. start + count`` (sample clock at ``sample_rate``).

    Returns:
        ``(count,)`` float32 in [-1, 1].
    """
    out = background_signal(plan.background, start, count, sample_rate)
    for event in plan.events:
        add_event(out, start, event, sample_rate)
    if plan.alarm is not None:
        out += alarm_signal(plan.alarm, (start + np.arange(count)) / sample_rate)
    window_start_s = start / sample_rate
    for utterance in plan.utterances:
        if utterance.end <= window_start_s:
            continue
        wave_ = synthesizer.synthesize(utterance.spoken, utterance.voice, utterance.speed)
        end = int(round(utterance.end * sample_rate))
        add_wave(out, start, end - wave_.size, wave_, utterance.gain)
    return np.clip(out, -1.0, 1.0, out=out)
