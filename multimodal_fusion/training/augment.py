# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Training-time augmentation drawn fresh every epoch, on top of the simulator's variety.

Shape legend: ``b`` batch, ``H``/``W`` camera size, ``e`` text embedding width.

A split is generated once and read for many epochs; these draws make every epoch show each
sample under another exposure, white balance and sensor grain, and each sentence embedding
slightly displaced, so the model cannot key on the exact pixels or the exact vector of a
phrasing it has seen. The draws are colour-name preserving (channel gains within 10 %, far
from turning red into yellow) and come from the caller's generator, so a run stays
reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Augmentation:
    """What to draw per sample.

    Attributes:
        camera_p: probability that a sample's image is re-exposed.
        exposure: (low, high) multiplicative gain, drawn log-uniformly.
        gamma: (low, high) gamma, drawn log-uniformly.
        white_balance: largest relative per-channel gain change.
        grain: largest standard deviation of additive pixel noise (0-255 scale).
        text_noise: standard deviation per dimension of Gaussian noise added to present
            sentence embeddings, which are then re-normalised (0 disables).
    """

    camera_p: float = 0.8
    exposure: tuple[float, float] = (0.7, 1.4)
    gamma: tuple[float, float] = (0.8, 1.25)
    white_balance: float = 0.1
    grain: float = 6.0
    text_noise: float = 0.02

    def __post_init__(self) -> None:
        if not 0.0 <= self.camera_p <= 1.0:
            raise ValueError(f'camera_p must be in [0, 1], got {self.camera_p}')
        for name in ('exposure', 'gamma'):
            low, high = getattr(self, name)
            if not 0.0 < low <= high:
                raise ValueError(f'{name} must be (low, high) with 0 < low <= high, got '
                                 f'{getattr(self, name)}')
        if not 0.0 <= self.white_balance < 0.5 or self.grain < 0 or self.text_noise < 0:
            raise ValueError('need 0 <= white_balance < 0.5, grain >= 0 and text_noise >= 0')


def _log_uniform(size: int, bounds: tuple[float, float], generator: torch.Generator
                 ) -> Tensor:
    low, high = (torch.tensor(float(v)).log() for v in bounds)
    return (low + (high - low) * torch.rand(size, generator=generator)).exp()


def augment_camera(camera: Tensor, aug: Augmentation, generator: torch.Generator) -> Tensor:
    """Re-expose a ``(b, 3, H, W)`` uint8 batch; returns a new uint8 tensor."""
    b = camera.shape[0]
    chosen = torch.rand(b, generator=generator) < aug.camera_p
    gain = torch.where(chosen, _log_uniform(b, aug.exposure, generator), torch.ones(b))
    gamma = torch.where(chosen, _log_uniform(b, aug.gamma, generator), torch.ones(b))
    balance = 1.0 + aug.white_balance * (2 * torch.rand(b, 3, generator=generator) - 1)
    balance = torch.where(chosen[:, None], balance, torch.ones(b, 3))
    grain = torch.where(chosen, aug.grain * torch.rand(b, generator=generator), torch.zeros(b))
    x = camera.float() / 255.0
    x = x.clamp_min(1e-6) ** gamma[:, None, None, None]
    x = x * (gain[:, None] * balance)[:, :, None, None] * 255.0
    noise = torch.randn(camera.shape, generator=generator) * grain[:, None, None, None]
    return (x + noise).round().clamp(0, 255).to(torch.uint8)


def augment_text(text: Tensor, present: Tensor, aug: Augmentation,
                 generator: torch.Generator) -> Tensor:
    """Displace present sentence embeddings; absent samples are left as they are.

    ``text`` is ``(b, e)`` unit vectors or ``(b, l, e)`` token states. Each vector gets
    noise in proportion to its norm and keeps that norm, so the zero rows after an
    utterance's last token stay zero.
    """
    if aug.text_noise <= 0.0:
        return text.clone()
    norm = text.norm(dim=-1, keepdim=True)
    noisy = text + aug.text_noise * norm * torch.randn(text.shape, generator=generator)
    noisy = noisy * (norm / noisy.norm(dim=-1, keepdim=True).clamp_min(1e-6))
    keep = present.reshape((-1,) + (1,) * (text.dim() - 1))
    return torch.where(keep, noisy.to(text.dtype), text)
