# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The one configuration of a fusion model (besides the strategy name)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from multimodal_fusion.modules.fusion.base import FusionConfig
from multimodal_fusion.spec import DEFAULT_SPEC
from multimodal_fusion.spec import ModalitySpec

CAMERA_BACKBONES: tuple[str, ...] = ('small_cnn', 'efficientnet_lite0')
# Both backbones give a stride-8 grid: one detection cell per 8x8 input pixels.
CAMERA_STRIDE = 8


@dataclass(frozen=True)
class ModelConfig:
    """Sizes and label counts of a :class:`~multimodal_fusion.models.FusionModel`.

    Attributes:
        spec: the modality spec the model reads.
        fusion: the fusion strategy's configuration; its ``dim`` is the token width ``d``
            of every encoder and head, its ``modalities`` the encoders built ('camera' is
            required: the detection head reads it).
        camera_backbone: one of ``CAMERA_BACKBONES``.
        camera_width: first-stage channels of the small CNN (output ``4 * camera_width``).
        camera_tokens: side ``s`` of the pooled camera grid; the fusion sees ``s * s``
            camera tokens.
        series_tokens: tokens per audio, touch and proprio window.
        text_tokens: tokens of the text embedding.
        head_hidden: hidden width of the heads.
        num_situations: situation classes.
        num_actions: command action classes.
        num_object_classes: object classes (the target head adds one for 'none').
        num_colors: colour words the detector tells apart (and the command may say).
        num_sizes: size words the detector tells apart (and the command may say).
        dropout: dropout in the heads and on the text embedding.
        relations: the referring head also reads relations to another object ('the cube
            left of the ball'; see ``SimConfig.relations``). Model files from
            before relations have none: ``from_dict`` reads a missing key as ``False``.
        word_dropout: with token-state text (``spec.text.tokens``), the share of training
            samples whose word tokens are zeroed, so that the sentence tokens learn to carry
            the intent on their own (see
            :class:`~multimodal_fusion.modules.encoders.text.TextTokenEncoder`); files from
            before it read as 0.
    """

    spec: ModalitySpec = DEFAULT_SPEC
    fusion: FusionConfig = FusionConfig()
    camera_backbone: str = 'small_cnn'
    camera_width: int = 32
    camera_tokens: int = 4
    series_tokens: int = 4
    text_tokens: int = 2
    head_hidden: int = 128
    num_situations: int = 8
    num_actions: int = 12
    num_object_classes: int = 10
    num_colors: int = 4
    num_sizes: int = 2
    dropout: float = 0.1
    relations: bool = False
    word_dropout: float = 0.0

    def __post_init__(self) -> None:
        if self.camera_backbone not in CAMERA_BACKBONES:
            raise ValueError(
                f'camera_backbone must be one of {CAMERA_BACKBONES}, '
                f'got {self.camera_backbone!r}')
        if 'camera' not in self.fusion.modalities:
            raise ValueError(
                f"fusion.modalities must include 'camera' (detection reads it), "
                f'got {self.fusion.modalities}')
        camera = self.spec.camera
        multiple = 16 if self.camera_backbone == 'efficientnet_lite0' else CAMERA_STRIDE
        if camera.height % multiple or camera.width % multiple:
            raise ValueError(
                f'camera size must be a multiple of {multiple} for {self.camera_backbone}, '
                f'got {camera.height}x{camera.width}')
        grid = min(camera.height, camera.width) // CAMERA_STRIDE
        if not 1 <= self.camera_tokens <= grid:
            raise ValueError(
                f'camera_tokens must be in [1, {grid}] (the grid side), '
                f'got {self.camera_tokens}')
        for name in ('camera_width', 'series_tokens', 'text_tokens', 'head_hidden',
                     'num_situations', 'num_actions', 'num_object_classes', 'num_colors',
                     'num_sizes'):
            if getattr(self, name) < 1:
                raise ValueError(f'{name} must be >= 1, got {getattr(self, name)}')
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f'dropout must be in [0, 1), got {self.dropout}')
        if not 0.0 <= self.word_dropout < 1.0:
            raise ValueError(f'word_dropout must be in [0, 1), got {self.word_dropout}')

    @property
    def grid_hw(self) -> tuple[int, int]:
        """Detection grid ``(gh, gw)``."""
        return (self.spec.camera.height // CAMERA_STRIDE, self.spec.camera.width // CAMERA_STRIDE)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (stored in exported model metadata)."""
        data = dataclasses.asdict(self)
        data['spec'] = self.spec.to_dict()
        data['fusion']['modalities'] = list(self.fusion.modalities)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> 'ModelConfig':
        """Inverse of :meth:`to_dict`.

        Raises:
            ValueError: on unknown or missing keys, or invalid values.
        """
        try:
            fusion = dict(data['fusion'])
            fusion['modalities'] = tuple(fusion['modalities'])
            fields = {k: v for k, v in data.items() if k not in ('spec', 'fusion')}
            fields.setdefault('relations', False)  # written before relations existed
            fields.setdefault('word_dropout', 0.0)  # written before word dropout existed
            return cls(spec=ModalitySpec.from_dict(data['spec']), fusion=FusionConfig(**fusion),
                       **fields)
        except (KeyError, TypeError) as error:
            raise ValueError(f'malformed ModelConfig dict: {error}') from error
