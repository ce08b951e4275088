# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Audio encoder: raw samples -> log-mel -> strided 1D convolutions over time -> tokens.

Shape legend: ``b`` batch, ``n`` samples, ``k`` mel bands, ``t`` frames, ``d`` width,
``q`` tokens.
"""

from typing import Final

from torch import nn
from torch import Tensor
from torch.nn import functional as F

from multimodal_fusion.modules.encoders.embedding import ModalityEmbedding
from multimodal_fusion.modules.encoders.normalise import FeatureNormaliser
from multimodal_fusion.preprocessing.log_mel import LogMelSpectrogram
from multimodal_fusion.spec import AudioSpec


class AudioEncoder(nn.Module):
    """Log-mel bands as channels, two stride-2 convolutions, pooled to ``q`` time tokens.

    Args:
        spec: the audio spec (window, STFT and mel settings).
        dim: ``d``.
        num_tokens: ``q``.

    Inputs:
        audio: ``(b, n)`` float samples in [-1, 1].

    Returns ``(b, q, d)``.
    """

    num_tokens: Final[int]

    def __init__(self, *, spec: AudioSpec, dim: int, num_tokens: int = 4) -> None:
        super().__init__()
        if num_tokens < 1:
            raise ValueError(f'num_tokens must be >= 1, got {num_tokens}')
        self.log_mel = LogMelSpectrogram(spec=spec)
        self.normaliser = FeatureNormaliser(features=spec.n_mels)
        self.convs = nn.Sequential(
            nn.Conv1d(spec.n_mels, dim, 3, stride=2, padding=1),
            nn.GELU(),
            nn.Conv1d(dim, dim, 3, stride=2, padding=1),
            nn.GELU(),
        )
        self.num_tokens = num_tokens
        self.embedding = ModalityEmbedding(num_tokens=num_tokens, dim=dim)

    def log_mel_features(self, audio: Tensor) -> Tensor:
        """``(b, n)`` samples -> ``(b, t, k)`` log-mel frames, what :meth:`fit` sees."""
        return self.log_mel(audio).transpose(1, 2)

    def fit(self, audio: Tensor) -> None:
        """Fit the per-band normaliser on ``(b, n)`` samples of present audio."""
        self.normaliser.fit(self.log_mel_features(audio.float()).detach())

    def forward(self, audio: Tensor) -> Tensor:
        mels = self.normaliser(self.log_mel_features(audio))
        x = mels.transpose(1, 2).to(self.convs[0].weight.dtype)
        x = F.adaptive_avg_pool1d(self.convs(x), self.num_tokens)
        return self.embedding(x.transpose(1, 2))
