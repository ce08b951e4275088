# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The assembled model: five encoders, one fusion strategy, the shared heads.

Shape legend: ``b`` batch, ``H``/``W`` camera size, ``n`` audio samples, ``e`` text
embedding width, ``t`` steps, ``f`` features, ``m`` modalities (5, ``MODALITIES`` order),
``d`` width, ``c`` classes, ``gh``/``gw`` detection grid.
"""

from typing import Dict
from typing import Final
from typing import List
from typing import Tuple

import numpy as np
import torch
from torch import nn
from torch import Tensor

from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.modules.encoders.audio import AudioEncoder
from multimodal_fusion.modules.encoders.camera import CameraEncoder
from multimodal_fusion.modules.encoders.camera_cnn import SmallCnnBackbone
from multimodal_fusion.modules.encoders.camera_efficientnet import EfficientNetLite0Backbone
from multimodal_fusion.modules.encoders.text import TextEncoder
from multimodal_fusion.modules.encoders.text import TextTokenEncoder
from multimodal_fusion.modules.encoders.time_series import TimeSeriesEncoder
from multimodal_fusion.modules.heads import ClassifierHead
from multimodal_fusion.modules.heads import DetectionHead
from multimodal_fusion.modules.heads import DetectionOutput
from multimodal_fusion.modules.heads import ObjectSummary
from multimodal_fusion.modules.heads import PointHead
from multimodal_fusion.modules.heads import ReferringHead
from multimodal_fusion.spec import MODALITIES

# Objectness logit of every cell when the camera is absent: sigmoid ~ 1e-13, still finite.
ABSENT_CAMERA_LOGIT: Final[float] = -30.0

OUTPUT_KEYS: tuple[str, ...] = (
    'situation_logits', 'action_logits', 'target_logits', 'target_xy',
    'det_obj', 'det_cls', 'det_box', 'det_ref', 'modality_weights',
    'det_color', 'det_size', 'ref_refers', 'ref_shape', 'ref_color', 'ref_size',
    'ref_position')
# What a model whose referring head reads relations (``ModelConfig.relations``) adds.
RELATION_OUTPUT_KEYS: tuple[str, ...] = ('ref_relation', 'ref_anchor_shape', 'ref_anchor_color')


def output_keys(config: ModelConfig) -> tuple[str, ...]:
    """The keys of the output dict of a model built from ``config``, in order."""
    return OUTPUT_KEYS + (RELATION_OUTPUT_KEYS if config.relations else ())


def _camera_backbone(config: ModelConfig, *, pretrained: bool) -> nn.Module:
    if config.camera_backbone == 'efficientnet_lite0':
        camera = config.spec.camera
        return EfficientNetLite0Backbone(image_hw=(camera.height, camera.width),
                                         out_channels=config.fusion.dim, pretrained=pretrained)
    return SmallCnnBackbone(width=config.camera_width)


class FusionModel(nn.Module):
    """Encoders -> fusion strategy -> heads.

    Every modality in ``config.fusion.modalities`` gets an encoder; the others are ignored
    (an ``nn.Identity`` placeholder), but ``forward`` always takes all five inputs and the
    full ``(b, 5)`` mask so every model has the same signature. Outputs are float32 whatever
    the compute dtype.

    Args:
        config: sizes and label counts.
        fusion: a fusion strategy built for ``config.fusion`` (see
            :func:`~multimodal_fusion.models.build_model`).
        pretrained_camera: load the pretrained weights of an EfficientNet camera backbone.

    Inputs:
        camera: ``(b, 3, H, W)`` uint8 RGB.
        audio: ``(b, n)`` float samples.
        text: ``(b, e)`` float sentence embeddings.
        touch: ``(b, t, f)`` float.
        proprio: ``(b, t, f)`` float.
        mask: ``(b, 5)`` bool presence, ``MODALITIES`` order.

    Returns a dict:

    * ``situation_logits`` ``(b, num_situations)``
    * ``action_logits`` ``(b, num_actions)``
    * ``target_logits`` ``(b, num_object_classes + 1)``, the last column 'none'
    * ``target_xy`` ``(b, 2)`` target point, fractions of image width and height
    * ``det_obj`` ``(b, gh, gw)`` objectness logits (``ABSENT_CAMERA_LOGIT`` without camera)
    * ``det_cls`` ``(b, gh, gw, num_object_classes)`` class logits
    * ``det_box`` ``(b, gh, gw, 4)`` cell offset ``(ox, oy)`` in [0, 1], log width and log
      height relative to the image
    * ``det_ref`` ``(b, gh, gw)`` referred-object logits
    * ``modality_weights`` ``(b, 5)`` the fusion's contribution weights, ``MODALITIES``
      order (zero for modalities the model does not use)
    * ``det_color`` ``(b, gh, gw, num_colors + 1)``, ``det_size``
      ``(b, gh, gw, num_sizes + 1)`` attribute logits per cell (last column: none, people)
    * ``ref_refers`` ``(b,)``, ``ref_shape`` ``(b, num_object_classes + 1)``, ``ref_color``
      ``(b, num_colors + 1)``, ``ref_size`` ``(b, num_sizes + 1)``, ``ref_position``
      ``(b, 4)``: the words of the referring expression as the model reads them (see
      :class:`~multimodal_fusion.modules.heads.ReferringHead`); with ``config.relations``
      also ``ref_relation`` ``(b, 3)``, ``ref_anchor_shape`` ``(b, num_object_classes + 1)``
      and ``ref_anchor_color`` ``(b, num_colors + 1)``

    The camera's fusion tokens are its pooled map plus one object-summary token built from
    the detector's outputs (:class:`~multimodal_fusion.modules.heads.ObjectSummary`); the
    same per-class presence and counts also reach the situation logits through one linear
    layer (``situation_evidence``, while the camera is present).
    ``forward`` is :meth:`encode` then :meth:`tail`; cached-encoder training calls the two
    apart.
    """

    modalities: Final[List[str]]
    absent_camera_logit: Final[float]
    use_audio: Final[bool]
    use_text: Final[bool]
    use_touch: Final[bool]
    use_proprio: Final[bool]
    relations: Final[bool]

    def __init__(self, *, config: ModelConfig, fusion: nn.Module,
                 pretrained_camera: bool = True) -> None:
        super().__init__()
        spec = config.spec
        dim = config.fusion.dim
        used = config.fusion.modalities
        self.config = config
        self.modalities = list(used)
        self.absent_camera_logit = ABSENT_CAMERA_LOGIT
        self.use_audio = 'audio' in used
        self.use_text = 'text' in used
        self.use_touch = 'touch' in used
        self.use_proprio = 'proprio' in used
        self.relations = config.relations
        self.register_buffer('mask_columns', torch.tensor(
            [MODALITIES.index(name) for name in used], dtype=torch.long), persistent=False)

        self.camera_encoder = CameraEncoder(
            backbone=_camera_backbone(config, pretrained=pretrained_camera), dim=dim,
            pooled_side=config.camera_tokens)
        self.audio_encoder: nn.Module = nn.Identity()
        self.text_encoder: nn.Module = nn.Identity()
        self.touch_encoder: nn.Module = nn.Identity()
        self.proprio_encoder: nn.Module = nn.Identity()
        if self.use_audio:
            self.audio_encoder = AudioEncoder(spec=spec.audio, dim=dim,
                                              num_tokens=config.series_tokens)
        if self.use_text and spec.text.tokens:
            self.text_encoder = TextTokenEncoder(
                embedding_dim=spec.text.embedding_dim, dim=dim, num_tokens=config.text_tokens,
                num_heads=config.fusion.num_heads, dropout=config.dropout,
                word_dropout=config.word_dropout)
        elif self.use_text:
            self.text_encoder = TextEncoder(embedding_dim=spec.text.embedding_dim, dim=dim,
                                            num_tokens=config.text_tokens,
                                            dropout=config.dropout)
        if self.use_touch:
            self.touch_encoder = TimeSeriesEncoder(features=spec.touch.features, dim=dim,
                                                   num_tokens=config.series_tokens)
        if self.use_proprio:
            self.proprio_encoder = TimeSeriesEncoder(features=spec.proprio.features, dim=dim,
                                                     num_tokens=config.series_tokens)
        self.fusion = fusion

        hidden = config.head_hidden
        self.situation_head = ClassifierHead(dim=dim, hidden=hidden,
                                             out_features=config.num_situations,
                                             dropout=config.dropout)
        self.action_head = ClassifierHead(dim=dim, hidden=hidden, out_features=config.num_actions,
                                          dropout=config.dropout)
        self.target_head = ClassifierHead(dim=dim, hidden=hidden,
                                          out_features=config.num_object_classes + 1,
                                          dropout=config.dropout)
        self.target_xy_head = PointHead(dim=dim, hidden=hidden)
        self.detection_head = DetectionHead(dim=dim, hidden=hidden,
                                            num_classes=config.num_object_classes,
                                            num_colors=config.num_colors,
                                            num_sizes=config.num_sizes)
        self.object_summary = ObjectSummary(num_classes=config.num_object_classes, dim=dim)
        # What the detector sees, straight to the situation logits (zero at the start): a
        # situation that hinges on one object class (a person in view turns a grasp into a
        # handover) need not wait for the fusion to learn to route the summary token.
        self.situation_evidence = nn.Linear(2 * config.num_object_classes,
                                            config.num_situations)
        nn.init.zeros_(self.situation_evidence.weight)
        nn.init.zeros_(self.situation_evidence.bias)
        self.referring_head = ReferringHead(dim=dim, hidden=hidden,
                                            num_classes=config.num_object_classes,
                                            num_colors=config.num_colors,
                                            num_sizes=config.num_sizes, dropout=config.dropout,
                                            relations=config.relations)

    def fit_normalisers(self, *, audio: Tensor | np.ndarray | None = None,
                        touch: Tensor | np.ndarray | None = None,
                        proprio: Tensor | np.ndarray | None = None) -> None:
        """Fit the per-feature input normalisers on training samples of present inputs.

        Args:
            audio: ``(b, n)`` samples.
            touch: ``(b, t, f)`` windows.
            proprio: ``(b, t, f)`` windows.
        """
        if audio is not None and isinstance(self.audio_encoder, AudioEncoder):
            self.audio_encoder.fit(torch.as_tensor(audio))
        if touch is not None and isinstance(self.touch_encoder, TimeSeriesEncoder):
            self.touch_encoder.fit(touch)
        if proprio is not None and isinstance(self.proprio_encoder, TimeSeriesEncoder):
            self.proprio_encoder.fit(proprio)

    def encode(self, camera: Tensor, audio: Tensor, text: Tensor, touch: Tensor,
               proprio: Tensor) -> Tuple[Dict[str, Tensor], Tensor]:
        """Every used encoder: ``(tokens per modality, camera spatial map)``."""
        camera_tokens, spatial = self.camera_encoder(camera)
        tokens: Dict[str, Tensor] = {'camera': camera_tokens}
        if self.use_audio:
            tokens['audio'] = self.audio_encoder(audio)
        if self.use_text:
            tokens['text'] = self.text_encoder(text)
        if self.use_touch:
            tokens['touch'] = self.touch_encoder(touch)
        if self.use_proprio:
            tokens['proprio'] = self.proprio_encoder(proprio)
        return tokens, spatial

    def detect(self, spatial: Tensor, mask: Tensor) -> DetectionOutput:
        """The detection head on :meth:`encode`'s camera map (a map of zeros without camera)."""
        camera_present = mask[:, 0].to(torch.bool)
        # Without a camera the detection outputs must not depend on whatever the image
        # tensor holds (the fusion already ignores the camera tokens).
        spatial = torch.where(camera_present[:, None, None, None], spatial,
                              torch.zeros_like(spatial))
        return self.detection_head(spatial)

    def tail(self, tokens: Dict[str, Tensor], spatial: Tensor, mask: Tensor
             ) -> Dict[str, Tensor]:
        """Detection, fusion and heads from :meth:`encode`'s outputs."""
        return self.tail_detected(tokens, self.detect(spatial, mask), mask)

    def tail_detected(self, tokens: Dict[str, Tensor], detection: DetectionOutput,
                      mask: Tensor) -> Dict[str, Tensor]:
        """Fusion and heads from :meth:`encode`'s tokens and :meth:`detect`'s outputs.

        Apart from :meth:`tail` for a frozen detection head whose outputs are cached (the
        strategy study: ``training.frozen.cache_detections``).
        """
        camera_present = mask[:, 0].to(torch.bool)
        used: Dict[str, Tensor] = {}
        for name in self.modalities:
            used[name] = tokens[name]
        seen = self.object_summary.features(detection)
        used['camera'] = torch.cat(
            [tokens['camera'], self.object_summary.token(seen).to(tokens['camera'].dtype)],
            dim=1)
        fusion_mask = mask.to(torch.bool).index_select(1, self.mask_columns)
        fused, weights = self.fusion(used, fusion_mask)
        referring = self.referring_head(fused, detection)

        objectness = torch.where(camera_present[:, None, None], detection.objectness,
                                 torch.full_like(detection.objectness, self.absent_camera_logit))
        referred = torch.where(camera_present[:, None, None], referring.referred,
                               torch.full_like(referring.referred, self.absent_camera_logit))
        evidence = self.situation_evidence(seen.to(self.situation_evidence.weight.dtype))
        evidence = evidence.float() * camera_present[:, None].float()
        all_weights = torch.zeros(mask.shape[0], mask.shape[1], dtype=weights.dtype,
                                  device=weights.device)
        all_weights = all_weights.index_copy(1, self.mask_columns, weights)
        outputs = {
            'situation_logits': self.situation_head(fused).float() + evidence,
            'action_logits': self.action_head(fused).float(),
            'target_logits': self.target_head(fused).float(),
            'target_xy': self.target_xy_head(fused).float(),
            'det_obj': objectness.float(),
            'det_cls': detection.class_logits.float(),
            'det_box': detection.box.float(),
            'det_ref': referred.float(),
            'modality_weights': all_weights.float(),
            'det_color': detection.color_logits.float(),
            'det_size': detection.size_logits.float(),
            'ref_refers': referring.refers.float(),
            'ref_shape': referring.shape.float(),
            'ref_color': referring.color.float(),
            'ref_size': referring.size.float(),
            'ref_position': referring.position.float(),
        }
        if self.relations:
            outputs['ref_relation'] = referring.relation.float()
            outputs['ref_anchor_shape'] = referring.anchor_shape.float()
            outputs['ref_anchor_color'] = referring.anchor_color.float()
        return outputs

    def forward(self, camera: Tensor, audio: Tensor, text: Tensor, touch: Tensor,
                proprio: Tensor, mask: Tensor) -> Dict[str, Tensor]:
        tokens, spatial = self.encode(camera, audio, text, touch, proprio)
        return self.tail(tokens, spatial, mask)
