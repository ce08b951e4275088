# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import shutil

import numpy as np
import pytest

from multimodal_fusion.sim.tts import SpeechSynthesizer
from multimodal_fusion.sim.tts import SPEED_POOLS
from multimodal_fusion.sim.tts import SPEEDS
from multimodal_fusion.sim.tts import VOICE_POOLS
from multimodal_fusion.sim.tts import VOICES

needs_espeak = pytest.mark.skipif(shutil.which('espeak-ng') is None,
                                  reason='espeak-ng is not installed')


def test_held_out_voices_and_speeds_are_never_used_in_training():
    assert not set(VOICE_POOLS['train']) & set(VOICE_POOLS['held_out'])
    assert not set(SPEED_POOLS['train']) & set(SPEED_POOLS['held_out'])
    # Held-out voices use variants (+f5, +m4, ...) or an accent no training voice uses.
    train_variants = {v.partition('+')[2] for v in VOICE_POOLS['train']}
    train_accents = {v.partition('+')[0] for v in VOICE_POOLS['train']}
    for voice in VOICE_POOLS['held_out']:
        accent, _, variant = voice.partition('+')
        assert accent not in train_accents or (variant and variant not in train_variants)
    assert set(VOICES) == set(VOICE_POOLS['train'] + VOICE_POOLS['held_out'])


@needs_espeak
def test_synthesis_is_non_silent_16k_speech_and_cached(tmp_path):
    synthesizer = SpeechSynthesizer(tmp_path, 16000)
    wave_ = synthesizer.synthesize('pick up the small red cube', 'en-us', 150)
    assert wave_.dtype == np.float32 and wave_.ndim == 1
    assert 0.8 < wave_.size / 16000 < 4.0
    assert np.sqrt(np.mean(wave_ ** 2)) > 0.05
    assert np.max(np.abs(wave_)) == pytest.approx(1.0, abs=1e-3)
    # Speech has energy in the voice band, and 16 kHz audio none above 8 kHz by definition:
    # check that most energy lies below 4 kHz as resampled speech should.
    spectrum = np.abs(np.fft.rfft(wave_)) ** 2
    freqs = np.fft.rfftfreq(wave_.size, 1 / 16000)
    assert spectrum[freqs < 4000].sum() > 0.8 * spectrum.sum()
    path = synthesizer.path('pick up the small red cube', 'en-us', 150)
    assert path.exists() and path.parent.parent == tmp_path
    again = synthesizer.synthesize('pick up the small red cube', 'en-us', 150)
    assert again is wave_ and synthesizer.synthesized == 1
    fresh = SpeechSynthesizer(tmp_path, 16000)
    from_disk = fresh.synthesize('pick up the small red cube', 'en-us', 150)
    assert fresh.synthesized == 0 and fresh.disk_hits == 1
    np.testing.assert_array_equal(from_disk, wave_)


@needs_espeak
def test_voices_and_speeds_change_the_audio(tmp_path):
    synthesizer = SpeechSynthesizer(tmp_path, 16000)
    text = 'give me the blue ball'
    slow = synthesizer.synthesize(text, VOICES[0], min(SPEEDS))
    fast = synthesizer.synthesize(text, VOICES[0], max(SPEEDS))
    other = synthesizer.synthesize(text, VOICES[2], min(SPEEDS))
    assert slow.size > fast.size * 1.1
    assert slow.size != other.size or not np.array_equal(slow, other)


@needs_espeak
def test_every_voice_works(tmp_path):
    synthesizer = SpeechSynthesizer(tmp_path, 16000)
    for voice in VOICES:
        assert np.sqrt(np.mean(synthesizer.synthesize('stop', voice, 150) ** 2)) > 0.02


@needs_espeak
def test_bad_requests_are_rejected(tmp_path):
    synthesizer = SpeechSynthesizer(tmp_path, 16000)
    with pytest.raises(ValueError, match='unknown voice'):
        synthesizer.synthesize('stop', 'klingon', 150)
    with pytest.raises(ValueError, match='empty'):
        synthesizer.synthesize('  ', VOICES[0], 150)
