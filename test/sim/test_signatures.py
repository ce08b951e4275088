# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Each situation shows its cue in the modalities that should carry it, and only there."""

import numpy as np
import pytest

from multimodal_fusion.sim import SITUATIONS
from multimodal_fusion.sim.proprio import GRAVITY
from multimodal_fusion.sim.vocab import PERSON_CLASS
from multimodal_fusion.spec import JOINT_NAMES

_J = len(JOINT_NAMES)


def _tilt_deg(proprio):
    qx, qy = proprio[:, 2 * _J], proprio[:, 2 * _J + 1]
    return np.degrees(np.arccos(np.clip(1.0 - 2.0 * (qx ** 2 + qy ** 2), -1.0, 1.0)))


def _horizontal_accel(proprio):
    return np.hypot(proprio[:, -3], proprio[:, -2])


def _force_jump(touch):
    """Largest change of a wrist force from the start of the window, in newtons."""
    jumps = []
    for base in (0, 6):
        force = touch[:, base:base + 3]
        jumps.append(np.linalg.norm(force - force[:5].mean(0), axis=1).max())
    return max(jumps)


def _hf_energy(touch):
    """RMS second difference of the tangential forces in newtons, the larger wrist.

    Stick-slip rings at 25-60 Hz, which the second difference of a 200 Hz signal amplifies;
    so do servo vibration, heel strikes, mains and motor tones, and the sensor's noise.
    """
    return max(np.sqrt(np.mean(np.diff(touch[:, base:base + 2], n=2, axis=0) ** 2))
               for base in (0, 6))


def _load_fall(touch):
    """How much a wrist's measured force fell over the window in newtons, the larger wrist."""
    falls = []
    for base in (0, 6):
        force = np.linalg.norm(touch[:, base:base + 3], axis=1)
        falls.append(np.median(force[:20]) - np.median(force[-20:]))
    return max(falls)


def _by_situation(samples, episodes, name):
    index = SITUATIONS.index(name)
    pairs = [(s, e) for s, e in zip(samples, episodes) if s.truth.situation == index]
    assert pairs, name
    return pairs


def _has_person(sample):
    return bool(np.any(sample.truth.classes == PERSON_CLASS))


def test_fall_risk_tilts_the_imu_and_nothing_else_does(samples):
    for sample in samples:
        tilt = _tilt_deg(sample.frames.proprio)[-1]
        if sample.truth.situation == SITUATIONS.index('fall_risk'):
            assert tilt >= 9.0
        else:
            assert tilt < 6.0


def test_pushed_shows_an_imu_transient_that_recovers(samples):
    for sample in samples:
        peak = _horizontal_accel(sample.frames.proprio).max()
        if sample.truth.situation == SITUATIONS.index('pushed'):
            assert peak >= 2.5
            assert _tilt_deg(sample.frames.proprio)[-1] < 6.0
        elif sample.truth.situation != SITUATIONS.index('fall_risk'):
            assert peak < 2.5


def test_collision_is_a_touch_spike_and_nothing_else_is(samples):
    for sample in samples:
        jump = _force_jump(sample.frames.touch)
        if sample.truth.situation == SITUATIONS.index('collision'):
            assert jump >= 15.0
        else:
            assert jump < 15.0


def test_slip_is_a_falling_load_and_vibration_alone_is_not(samples):
    slip = SITUATIONS.index('object_slipping')
    others = [s for s in samples if s.truth.situation not in (slip, SITUATIONS.index('collision'))]
    slipping = [s for s in samples if s.truth.situation == slip]
    assert slipping
    falls = np.array([_load_fall(s.frames.touch) for s in slipping])
    assert np.mean(falls > 0.3) >= 0.9
    assert np.median([_load_fall(s.frames.touch) for s in others]) < 0.15
    # High-frequency energy tells nothing by itself: it overlaps both ways.
    hf_slip = np.array([_hf_energy(s.frames.touch) for s in slipping])
    hf_other = np.array([_hf_energy(s.frames.touch) for s in others])
    assert np.mean(hf_other > np.median(hf_slip)) > 0.2
    assert np.mean(hf_slip < np.median(hf_other)) > 0.2


def test_alarm_audio_has_the_alarm_tone_spectral_peak(samples, episodes):
    for sample, episode in _by_situation(samples, episodes, 'alarm'):
        alarm = episode.plan.sound.alarm
        power = np.abs(np.fft.rfft(sample.frames.audio * np.hanning(16000))) ** 2
        freqs = np.fft.rfftfreq(16000, 1 / 16000)
        near = np.abs(freqs - alarm.freq) <= 15
        assert power[near].max() > 100 * np.median(power)
        assert 2000 <= alarm.freq <= 4000


def test_command_given_has_fresh_text_and_speech_in_the_audio(samples, episodes):
    for sample, episode in _by_situation(samples, episodes, 'command_given'):
        assert sample.frames.text
        end = episode.plan.command_end
        speech_samples = int(round((end - (sample.stamp - 1.0)) * 16000))
        assert speech_samples >= 8000
        speech = sample.frames.audio[:speech_samples]
        assert np.sqrt(np.mean(speech ** 2)) > 0.02


def test_grasping_situations_carry_a_load_and_differ_by_the_person(samples, episodes):
    for name, person in (('object_grasped', False), ('handover', True)):
        for sample, episode in _by_situation(samples, episodes, name):
            assert _has_person(sample) == person
            wrists = episode.plan.touch.wrists
            held = [i for i, w in enumerate(wrists) if w.load_mass > 0]
            assert held
            # Less the sensor's calibration offset (several newtons when not tared).
            bias = np.asarray(episode.plan.touch.sensor.bias)
            for i in held:
                force = np.linalg.norm(sample.frames.touch[:, 6 * i:6 * i + 3]
                                       - bias[6 * i:6 * i + 3], axis=1)
                expected = (wrists[i].hand_mass + wrists[i].load_mass) * GRAVITY
                assert np.median(force) > 0.75 * expected


def test_person_approaching_needs_camera_and_footsteps(samples, episodes):
    for sample, episode in _by_situation(samples, episodes, 'person_approaching'):
        assert _has_person(sample) and episode.plan.footsteps
    for sample, episode in _by_situation(samples, episodes, 'idle'):
        assert not (_has_person(sample) and episode.plan.footsteps)
        assert episode.plan.sound.alarm is None


def test_walking_shows_a_gait_in_the_legs(samples):
    hip = JOINT_NAMES.index('l_hip_pitch')
    for sample in samples:
        swing = sample.frames.proprio[:, hip].std()
        if sample.truth.situation == SITUATIONS.index('walking'):
            assert swing > 0.08


@pytest.mark.parametrize('name', SITUATIONS)
def test_single_modalities_are_ambiguous(samples, episodes, name):
    """Each situation shares every single modality's signature with some other situation."""
    signatures = {}
    for sample, episode in zip(samples, episodes):
        signatures.setdefault(sample.truth.situation, []).append(_signature(sample, episode))
    own = SITUATIONS.index(name)
    mine = signatures[own]
    shared = 0
    for modality in range(5):
        values = {s[modality] for s in mine}
        others = {s[modality] for k, v in signatures.items() if k != own for s in v}
        shared += bool(values & others)
    # At least three of the five modalities look like some other situation.
    assert shared >= 3, name


def _signature(sample, episode):
    """A coarse, per-modality summary of what each sensor shows."""
    plan = episode.plan
    camera = (_has_person(sample), _tilt_deg(sample.frames.proprio)[-1] > 9.0)
    audio = (plan.sound.alarm is not None, plan.footsteps,
             any(u.end > sample.stamp - 1.0 for u in plan.sound.utterances))
    text = sample.frames.text is not None
    touch = (_force_jump(sample.frames.touch) >= 15.0,
             _hf_energy(sample.frames.touch) > 0.5,
             any(w.load_mass > 0 for w in plan.touch.wrists))
    proprio = plan.motion.kind
    return camera, audio, text, touch, proprio
