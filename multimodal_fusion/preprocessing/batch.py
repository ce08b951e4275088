# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""A batch of :class:`~multimodal_fusion.spec.SensorFrames` to model tensors.

Shape legend: ``b`` batch, ``H``/``W`` camera size, ``n`` audio samples, ``e`` text
embedding width, ``t`` steps, ``f`` features, ``m`` modalities (5, in ``MODALITIES`` order).

The simulator, the dataset loader and the node all call :class:`Preprocessor`, so training
and serving see the same tensors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from typing import Optional
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from multimodal_fusion.preprocessing.audio import prepare_audio
from multimodal_fusion.preprocessing.camera import prepare_camera
from multimodal_fusion.preprocessing.windows import fit_window
from multimodal_fusion.spec import MODALITIES
from multimodal_fusion.spec import ModalitySpec
from multimodal_fusion.spec import SensorFrames

TextEmbedding = Callable[[str], np.ndarray]


@dataclass(frozen=True)
class ModelInputs:
    """The tensors ``FusionModel.forward`` takes, plus what decoding needs.

    Attributes:
        camera: ``(b, 3, H, W)`` uint8.
        audio: ``(b, n)`` float32.
        text: ``(b, e)`` float32.
        touch: ``(b, t, f)`` float32.
        proprio: ``(b, t, f)`` float32.
        mask: ``(b, m)`` bool presence, ``MODALITIES`` order.
        image_sizes: per sample, the source image ``(h, w)``; the spec size where the
            camera was absent.
    """

    camera: Tensor
    audio: Tensor
    text: Tensor
    touch: Tensor
    proprio: Tensor
    mask: Tensor
    image_sizes: tuple[tuple[int, int], ...]

    def tensors(self) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
        """The model's positional arguments, in ``forward`` order."""
        return (self.camera, self.audio, self.text, self.touch, self.proprio, self.mask)

    def to(self, device: torch.device | str) -> 'ModelInputs':
        """A copy on ``device``."""
        return ModelInputs(*(x.to(device) for x in self.tensors()), image_sizes=self.image_sizes)


class Preprocessor:
    """Turns synchronised frames into one batch of model tensors.

    Absent modalities (``None``, an empty text, or a window holding a non-finite value) give
    zeros and a False mask entry: a sensor that glitches is treated like a sensor that is
    missing, which the model is trained to handle.

    Args:
        spec: the modality spec.
        text_embedder: maps an utterance to a ``(e,)`` embedding (e.g.
            :class:`~multimodal_fusion.preprocessing.text_embedder.TextEmbedder`); ``None``
            when no text will ever be given.
        touch_rate_hz: rate of the touch windows handed in, if not the spec rate.
        proprio_rate_hz: rate of the proprio windows handed in, if not the spec rate.
    """

    def __init__(self, *, spec: ModalitySpec, text_embedder: Optional[TextEmbedding] = None,
                 touch_rate_hz: Optional[float] = None,
                 proprio_rate_hz: Optional[float] = None) -> None:
        for name, rate in (('touch_rate_hz', touch_rate_hz), ('proprio_rate_hz', proprio_rate_hz)):
            if rate is not None and rate <= 0:
                raise ValueError(f'{name} must be positive, got {rate}')
        self.spec = spec
        self.text_embedder = text_embedder
        self.touch_rate_hz = touch_rate_hz
        self.proprio_rate_hz = proprio_rate_hz

    def __call__(self, frames: Sequence[SensorFrames]) -> ModelInputs:
        """Preprocess a batch.

        Raises:
            ValueError: on an empty batch, a malformed array (see the ``prepare_*``
                functions), text without a ``text_embedder``, or an embedding of the wrong
                size.
        """
        if len(frames) == 0:
            raise ValueError('cannot preprocess an empty batch of frames')
        spec = self.spec
        b = len(frames)
        camera = np.zeros((b,) + spec.camera.tensor_shape, dtype=np.uint8)
        audio = np.zeros((b,) + spec.audio.tensor_shape, dtype=np.float32)
        text = np.zeros((b,) + spec.text.tensor_shape, dtype=np.float32)
        touch = np.zeros((b,) + spec.touch.tensor_shape, dtype=np.float32)
        proprio = np.zeros((b,) + spec.proprio.tensor_shape, dtype=np.float32)
        mask = np.zeros((b, len(MODALITIES)), dtype=bool)
        sizes: list[tuple[int, int]] = []
        for i, frame in enumerate(frames):
            size = (spec.camera.height, spec.camera.width)
            if frame.camera is not None:
                camera[i] = prepare_camera(frame.camera, spec.camera)
                size = (int(frame.camera.shape[0]), int(frame.camera.shape[1]))
                mask[i, 0] = True
            sizes.append(size)
            if frame.audio is not None:
                audio[i] = prepare_audio(frame.audio, spec.audio)
                mask[i, 1] = bool(np.isfinite(audio[i]).all())
            if frame.text is not None and frame.text.strip():
                text[i] = self._embed(frame.text)
                mask[i, 2] = True
            if frame.touch is not None:
                touch[i] = fit_window(frame.touch, steps=spec.touch.steps,
                                      features=spec.touch.features, rate_hz=spec.touch.rate_hz,
                                      source_rate_hz=self.touch_rate_hz)
                mask[i, 3] = bool(np.isfinite(touch[i]).all())
            if frame.proprio is not None:
                proprio[i] = fit_window(frame.proprio, steps=spec.proprio.steps,
                                        features=spec.proprio.features,
                                        rate_hz=spec.proprio.rate_hz,
                                        source_rate_hz=self.proprio_rate_hz)
                mask[i, 4] = bool(np.isfinite(proprio[i]).all())
        # Absent (or glitched) rows are zeroed so no NaN ever reaches the model.
        for array, column in ((audio, 1), (touch, 3), (proprio, 4)):
            array[~mask[:, column]] = 0.0
        return ModelInputs(
            camera=torch.from_numpy(camera), audio=torch.from_numpy(audio),
            text=torch.from_numpy(text), touch=torch.from_numpy(touch),
            proprio=torch.from_numpy(proprio), mask=torch.from_numpy(mask),
            image_sizes=tuple(sizes))

    def _embed(self, utterance: str) -> np.ndarray:
        if self.text_embedder is None:
            raise ValueError('a frame carries text but the Preprocessor has no text_embedder')
        embedding = np.asarray(self.text_embedder(utterance), dtype=np.float32)
        if embedding.shape != self.spec.text.tensor_shape:
            raise ValueError(
                f'text embedding must have shape {self.spec.text.tensor_shape}, '
                f'got {embedding.shape}')
        return embedding
