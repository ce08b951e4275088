# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Log-mel spectrogram as a scriptable module that lives inside the model.

Shape legend: ``b`` batch, ``n`` samples, ``k`` mel bands, ``t`` frames, ``q`` FFT bins.

Computing the spectrogram in the model (not in numpy preprocessing) keeps the exported file
self-contained: the node hands raw samples, and the STFT runs on the model's device.
"""

from typing import Final

import numpy as np
import torch
from torch import nn
from torch import Tensor

from multimodal_fusion.spec import AudioSpec


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """HTK mel scale."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`."""
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(*, sample_rate: int, n_fft: int, n_mels: int, f_min: float = 0.0,
                   f_max: float | None = None) -> np.ndarray:
    """Triangular filters, equally spaced on the HTK mel scale, unnormalised (peak 1).

    Returns ``(q, k)`` float32 with ``q = n_fft // 2 + 1``, so ``power @ fb`` gives mels.

    Raises:
        ValueError: if the band edges are not ``0 <= f_min < f_max <= sample_rate / 2``.
    """
    f_max = sample_rate / 2.0 if f_max is None else f_max
    if not 0.0 <= f_min < f_max <= sample_rate / 2.0:
        raise ValueError(
            f'need 0 <= f_min < f_max <= {sample_rate / 2.0}, got f_min={f_min}, f_max={f_max}')
    bins = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins[:, None] - lower[None, :]) / (centre - lower)[None, :]
    falling = (upper[None, :] - bins[:, None]) / (upper - centre)[None, :]
    return np.clip(np.minimum(rising, falling), 0.0, None).astype(np.float32)


class LogMelSpectrogram(nn.Module):
    """``log(mel(|STFT|^2) + eps)`` with a periodic Hann window and no centre padding.

    Always computed in float32 (half-precision FFTs are restricted to power-of-two sizes on
    CUDA); the caller casts the result to its compute dtype. ``keep_float32`` tells the
    exporter to leave this module's buffers in float32 in an fp16 export.

    Args:
        spec: the audio spec (sample rate, ``n_fft``, hop, mel bands).
        eps: floor added before the log, so silence gives ``log(eps)`` instead of ``-inf``.

    Inputs:
        audio: ``(b, n)`` float samples, ``n >= n_fft``.

    Returns ``(b, k, t)`` float32 with ``t = 1 + (n - n_fft) // hop``.
    """

    keep_float32: Final[bool] = True
    n_fft: Final[int]
    hop_length: Final[int]
    eps: Final[float]

    def __init__(self, *, spec: AudioSpec, eps: float = 1e-6) -> None:
        super().__init__()
        if spec.window_samples < spec.n_fft:
            raise ValueError(
                f'audio window of {spec.window_samples} samples is shorter than '
                f'n_fft={spec.n_fft}')
        if spec.hop_length < 1 or spec.n_mels < 1:
            raise ValueError(
                f'hop_length and n_mels must be >= 1, got {spec.hop_length}, {spec.n_mels}')
        if eps <= 0.0:
            raise ValueError(f'eps must be positive, got {eps}')
        self.n_fft = spec.n_fft
        self.hop_length = spec.hop_length
        self.eps = eps
        self.register_buffer('window', torch.hann_window(spec.n_fft, periodic=True))
        fb = mel_filterbank(sample_rate=spec.sample_rate, n_fft=spec.n_fft, n_mels=spec.n_mels)
        self.register_buffer('filterbank', torch.from_numpy(fb))

    def forward(self, audio: Tensor) -> Tensor:
        x = audio.to(torch.float32)
        spectrum = torch.stft(x, n_fft=self.n_fft, hop_length=self.hop_length,
                              win_length=self.n_fft, window=self.window.to(torch.float32),
                              center=False, normalized=False, onesided=True,
                              return_complex=True)
        power = spectrum.real.pow(2) + spectrum.imag.pow(2)
        mel = torch.matmul(power.transpose(1, 2), self.filterbank.to(torch.float32))
        return torch.log(mel + self.eps).transpose(1, 2)
