# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import numpy as np
import pytest
import torch

from multimodal_fusion.preprocessing.log_mel import LogMelSpectrogram
from multimodal_fusion.preprocessing.log_mel import mel_filterbank
from multimodal_fusion.spec import AudioSpec

SPEC = AudioSpec(sample_rate=16000, window_s=0.1, n_fft=400, hop_length=160, n_mels=40)


def _reference_filterbank(sample_rate, n_fft, n_mels):
    """Loop-by-loop HTK triangles, written independently of the vectorised version."""
    def mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def hz(m):
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    top = mel(sample_rate / 2.0)
    edges = [hz(top * i / (n_mels + 1)) for i in range(n_mels + 2)]
    fb = np.zeros((n_fft // 2 + 1, n_mels))
    for k in range(n_fft // 2 + 1):
        f = k * sample_rate / n_fft
        for j in range(n_mels):
            lo, mid, hi = edges[j], edges[j + 1], edges[j + 2]
            if lo <= f <= mid:
                fb[k, j] = (f - lo) / (mid - lo)
            elif mid < f <= hi:
                fb[k, j] = (hi - f) / (hi - mid)
    return fb


def _reference_log_mel(x, spec, eps):
    n = spec.n_fft
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)  # periodic Hann
    frames = 1 + (x.shape[0] - n) // spec.hop_length
    power = np.stack([np.abs(np.fft.rfft(x[i * spec.hop_length:i * spec.hop_length + n] *
                                         window)) ** 2 for i in range(frames)])
    fb = _reference_filterbank(spec.sample_rate, n, spec.n_mels)
    return np.log(power @ fb + eps).T


def test_filterbank_matches_reference():
    fb = mel_filterbank(sample_rate=16000, n_fft=400, n_mels=40)
    np.testing.assert_allclose(fb, _reference_filterbank(16000, 400, 40), atol=1e-6)


def test_log_mel_matches_numpy_reference():
    rng = np.random.default_rng(0)
    t = np.arange(SPEC.window_samples) / SPEC.sample_rate
    x = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(t.shape)
    module = LogMelSpectrogram(spec=SPEC)
    out = module(torch.tensor(x, dtype=torch.float32)[None])
    assert out.shape == (1, SPEC.n_mels, SPEC.num_frames)
    ref = _reference_log_mel(x, SPEC, module.eps)
    np.testing.assert_allclose(out[0].numpy(), ref, atol=2e-3, rtol=1e-3)


def test_tone_peaks_in_the_right_band_and_silence_is_log_eps():
    module = LogMelSpectrogram(spec=SPEC)
    t = torch.arange(SPEC.window_samples) / SPEC.sample_rate
    tone = torch.sin(2 * torch.pi * 1000.0 * t)
    out = module(torch.stack([tone, torch.zeros_like(tone)]))
    centres = np.linspace(0, 2595 * np.log10(1 + 8000 / 700), SPEC.n_mels + 2)[1:-1]
    expected = int(np.argmin(np.abs(centres - 2595 * np.log10(1 + 1000 / 700))))
    assert abs(int(out[0].mean(dim=1).argmax()) - expected) <= 1
    torch.testing.assert_close(out[1], torch.full_like(out[1], float(np.log(module.eps))))


def test_scripts_and_matches_eager():
    module = LogMelSpectrogram(spec=SPEC)
    x = torch.randn(3, SPEC.window_samples)
    torch.testing.assert_close(torch.jit.script(module)(x), module(x))


def test_bad_settings_raise():
    with pytest.raises(ValueError, match='shorter than n_fft'):
        LogMelSpectrogram(spec=AudioSpec(window_s=0.01))
    with pytest.raises(ValueError, match='eps'):
        LogMelSpectrogram(spec=SPEC, eps=0.0)
    with pytest.raises(ValueError, match='f_min'):
        mel_filterbank(sample_rate=16000, n_fft=400, n_mels=10, f_max=9000.0)
