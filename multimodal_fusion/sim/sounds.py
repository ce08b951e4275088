# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Procedural sounds: footsteps, knocks, impacts, breaking glass, alarms, room noise.

Each sound is a deterministic function of its parameters and a seed, rendered on an
absolute sample clock so that any window of an episode is an exact slice of the whole.
Signals are float32 in [-1, 1] at the caller's sample rate.
"""

from __future__ import annotations

from dataclasses import dataclass
import functools

import numpy as np

from multimodal_fusion.sim.noise import colored_noise

EVENT_KINDS: tuple[str, ...] = ('footstep', 'knock', 'thud', 'glass')
# Longest waveform per event kind, used to skip events that cannot reach a window.
EVENT_SPAN_S: dict[str, float] = {'footstep': 0.2, 'knock': 1.0, 'thud': 0.5, 'glass': 0.7}
ALARM_KINDS: tuple[str, ...] = ('beep', 'two_tone')
# Alarm fundamentals sit where speech, knocks and steps have little energy, as in real
# smoke and intrusion alarms (ISO 7731 recommends a clear spectral peak).
ALARM_BAND_HZ: tuple[float, float] = (2400.0, 3400.0)


@dataclass(frozen=True)
class SoundEvent:
    """A short sound starting at ``onset`` seconds (episode clock)."""

    kind: str
    onset: float
    gain: float
    seed: int

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f'unknown sound event {self.kind!r}; expected one of {EVENT_KINDS}')


@dataclass(frozen=True)
class Alarm:
    """A continuous alarm from ``onset`` on.

    Attributes:
        kind: ``'beep'`` (on/off tone) or ``'two_tone'`` (alternating tones, always on).
        freq: main tone in Hz; ``two_tone`` alternates it with ``low_freq``.
        low_freq: second tone of ``two_tone`` in Hz.
        period: seconds per beep cycle (on then off) or per tone pair.
    """

    kind: str
    freq: float
    low_freq: float
    period: float
    onset: float
    gain: float

    def __post_init__(self) -> None:
        if self.kind not in ALARM_KINDS:
            raise ValueError(f'unknown alarm {self.kind!r}; expected one of {ALARM_KINDS}')


@dataclass(frozen=True)
class Background:
    """Room noise: coloured noise plus optional mains hum (``hum_freq`` 0 for none)."""

    color: str
    level: float
    hum_freq: float
    hum_level: float
    offset: int


def _decay(t: np.ndarray, tau: float) -> np.ndarray:
    return np.exp(-t / tau)


def _burst(rng: np.random.Generator, n: int, bright: float) -> np.ndarray:
    # Differencing white noise tilts it towards high frequencies; ``bright`` mixes the two.
    white = rng.standard_normal(n + 1)
    return (1.0 - bright) * white[1:] + bright * np.diff(white)


def _footstep(rng: np.random.Generator, sr: int) -> np.ndarray:
    t = np.arange(int(EVENT_SPAN_S['footstep'] * sr)) / sr
    heel = np.sin(2 * np.pi * rng.uniform(55, 110) * t) * _decay(t, rng.uniform(0.02, 0.04))
    toe_at = rng.uniform(0.05, 0.08)
    toe_t = np.clip(t - toe_at, 0.0, None)
    toe = (t >= toe_at) * np.sin(2 * np.pi * rng.uniform(80, 140) * toe_t) * _decay(toe_t, 0.02)
    scuff = _burst(rng, t.size, rng.uniform(0.2, 0.8)) * _decay(t, rng.uniform(0.015, 0.04))
    return heel + 0.5 * toe + rng.uniform(0.15, 0.4) * scuff


def _knock(rng: np.random.Generator, sr: int) -> np.ndarray:
    out = np.zeros(int(EVENT_SPAN_S['knock'] * sr))
    low, high = rng.uniform(150, 300), rng.uniform(700, 1400)
    spacing = rng.uniform(0.13, 0.22)
    rap_t = np.arange(int(0.1 * sr)) / sr
    for i in range(int(rng.integers(2, 5))):
        rap = (np.sin(2 * np.pi * low * rap_t) * _decay(rap_t, rng.uniform(0.02, 0.035))
               + 0.6 * np.sin(2 * np.pi * high * rap_t) * _decay(rap_t, 0.008)
               + 0.3 * _burst(rng, rap_t.size, 0.8) * _decay(rap_t, 0.002))
        start = int(i * spacing * sr)
        out[start:start + rap.size] += rap * rng.uniform(0.7, 1.0)
    return out


def _thud(rng: np.random.Generator, sr: int) -> np.ndarray:
    t = np.arange(int(EVENT_SPAN_S['thud'] * sr)) / sr
    freq = rng.uniform(70, 160)
    body = (np.sin(2 * np.pi * freq * t) + 0.4 * np.sin(2 * np.pi * 2.1 * freq * t))
    return (body * _decay(t, rng.uniform(0.05, 0.1))
            + 0.5 * _burst(rng, t.size, 0.3) * _decay(t, 0.02))


def _glass(rng: np.random.Generator, sr: int) -> np.ndarray:
    t = np.arange(int(EVENT_SPAN_S['glass'] * sr)) / sr
    out = 0.6 * _burst(rng, t.size, 1.0) * _decay(t, 0.03)
    for _ in range(int(rng.integers(8, 17))):
        at = rng.uniform(0.0, 0.25)
        shard_t = np.clip(t - at, 0.0, None)
        ping = np.sin(2 * np.pi * rng.uniform(2500, 7500) * shard_t + rng.uniform(0, 6.28))
        out += (t >= at) * rng.uniform(0.2, 0.6) * ping * _decay(shard_t, rng.uniform(0.02, 0.12))
    return out


_GENERATORS = {'footstep': _footstep, 'knock': _knock, 'thud': _thud, 'glass': _glass}


@functools.lru_cache(maxsize=1024)
def event_waveform(kind: str, seed: int, sample_rate: int) -> np.ndarray:
    """Unit-peak float32 waveform of one event; read-only (cached)."""
    wave_ = _GENERATORS[kind](np.random.default_rng(seed), sample_rate)
    wave_ = (wave_ / np.max(np.abs(wave_))).astype(np.float32)
    wave_.flags.writeable = False
    return wave_


def add_event(out: np.ndarray, start: int, event: SoundEvent, sample_rate: int) -> None:
    """Mix ``event`` into ``out``, which holds samples ``start .. start + len(out)``."""
    onset = int(round(event.onset * sample_rate))
    span = int(EVENT_SPAN_S[event.kind] * sample_rate)
    if onset >= start + out.size or onset + span <= start:
        return
    add_wave(out, start, onset, event_waveform(event.kind, event.seed, sample_rate), event.gain)


def add_wave(out: np.ndarray, start: int, onset: int, wave_: np.ndarray, gain: float) -> None:
    """Mix ``gain * wave_`` beginning at sample ``onset`` into the window starting at ``start``."""
    lo = max(onset, start)
    hi = min(onset + wave_.size, start + out.size)
    if hi > lo:
        out[lo - start:hi - start] += gain * wave_[lo - onset:hi - onset]


def alarm_signal(alarm: Alarm, times: np.ndarray) -> np.ndarray:
    """The alarm at ``times`` (seconds, episode clock), zero before its onset."""
    since = times - alarm.onset
    phase = np.mod(since, alarm.period) / alarm.period
    ramp = 0.01 / alarm.period
    if alarm.kind == 'beep':
        # On for the first half of each period, with 10 ms ramps against clicks.
        gate = np.clip(np.minimum(phase, 0.5 - phase) / ramp, 0.0, 1.0)
        freq = np.full_like(times, alarm.freq)
    else:
        gate = np.ones_like(times)
        freq = np.where(phase < 0.5, alarm.freq, alarm.low_freq)
    gate *= since >= 0.0
    # Phase per tone from absolute time keeps each tone continuous across windows.
    tone = np.sin(2 * np.pi * freq * times) + 0.25 * np.sin(2 * np.pi * 3 * freq * times)
    return (alarm.gain * gate * tone).astype(np.float32)


def background_signal(background: Background, start: int, count: int,
                      sample_rate: int) -> np.ndarray:
    """Room noise for samples ``start .. start + count``."""
    out = background.level * colored_noise(background.color, background.offset, start, count)
    if background.hum_freq > 0.0:
        times = (start + np.arange(count)) / sample_rate
        hum = (np.sin(2 * np.pi * background.hum_freq * times)
               + 0.5 * np.sin(2 * np.pi * 2 * background.hum_freq * times + 1.0)
               + 0.3 * np.sin(2 * np.pi * 3 * background.hum_freq * times + 2.0))
        out = out + background.hum_level * hum
    return out.astype(np.float32)
