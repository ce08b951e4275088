# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The five modalities, defined once.

Preprocessing, the models, the export metadata, the simulator and the node all read the
names, shapes, rates and windows from here, so what the simulator produces is exactly what
the node hands the model.

Shape legend: ``b`` batch, ``t`` time steps, ``h``/``w`` image height/width.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

import numpy as np

# Order matters: it is the column order of every presence mask ``(b, 5)``.
MODALITIES: tuple[str, ...] = ('camera', 'audio', 'text', 'touch', 'proprio')
NUM_MODALITIES = len(MODALITIES)

# Proprioception: the joints the model reads, in feature order. A JointState may list them in
# any order, with extra joints; missing ones are an error in conversion.
JOINT_NAMES: tuple[str, ...] = (
    'torso_yaw', 'head_pan', 'head_tilt',
    'l_shoulder_pitch', 'l_shoulder_roll', 'l_elbow', 'l_wrist',
    'r_shoulder_pitch', 'r_shoulder_roll', 'r_elbow', 'r_wrist',
    'l_hip_pitch', 'l_knee', 'l_ankle_pitch',
    'r_hip_pitch', 'r_knee', 'r_ankle_pitch',
)
# IMU features appended after joint positions and velocities:
# orientation quaternion (x, y, z, w), angular velocity (3), linear acceleration (3).
IMU_FEATURES = 10
# Touch: force (x, y, z) and torque (x, y, z) per wrist.
WRENCH_FEATURES = 6
WRISTS: tuple[str, ...] = ('left', 'right')


@dataclass(frozen=True)
class CameraSpec:
    """An RGB frame, resized and normalised by preprocessing to ``(3, height, width)``."""

    height: int = 128
    width: int = 128
    rate_hz: float = 30.0

    @property
    def tensor_shape(self) -> tuple[int, ...]:
        return (3, self.height, self.width)


@dataclass(frozen=True)
class AudioSpec:
    """Mono float samples in [-1, 1], the ``window_s`` seconds ending at the frame's stamp."""

    sample_rate: int = 16000
    window_s: float = 1.0
    n_fft: int = 400
    hop_length: int = 160
    n_mels: int = 64

    @property
    def window_samples(self) -> int:
        return int(round(self.sample_rate * self.window_s))

    @property
    def num_frames(self) -> int:
        """Log-mel frames per window (centre-free STFT)."""
        return 1 + (self.window_samples - self.n_fft) // self.hop_length

    @property
    def tensor_shape(self) -> tuple[int, ...]:
        return (self.window_samples,)


@dataclass(frozen=True)
class TextSpec:
    """The current command, read by all-MiniLM-L6-v2.

    ``tokens=False``: its sentence embedding (mean-pooled, L2-normalised), ``(e,)``.
    ``tokens=True``: its token states, ``(max_tokens, e)``, the rows after the utterance's
    last token zero; they keep word order, which a mean loses ('the cube left of the ball'
    and 'the ball left of the cube' have one mean).
    """

    embedding_dim: int = 384
    max_tokens: int = 32
    max_age_s: float = 4.0
    tokens: bool = False

    @property
    def tensor_shape(self) -> tuple[int, ...]:
        if self.tokens:
            return (self.max_tokens, self.embedding_dim)
        return (self.embedding_dim,)


@dataclass(frozen=True)
class TouchSpec:
    """Wrist wrenches, the ``window_s`` seconds ending at the frame's stamp, resampled."""

    rate_hz: float = 200.0
    window_s: float = 0.5
    wrists: int = len(WRISTS)

    @property
    def steps(self) -> int:
        return int(round(self.rate_hz * self.window_s))

    @property
    def features(self) -> int:
        return self.wrists * WRENCH_FEATURES

    @property
    def tensor_shape(self) -> tuple[int, ...]:
        return (self.steps, self.features)


@dataclass(frozen=True)
class ProprioSpec:
    """Joint positions, joint velocities and IMU, the window ending at the frame's stamp."""

    rate_hz: float = 100.0
    window_s: float = 1.0
    joints: int = len(JOINT_NAMES)

    @property
    def steps(self) -> int:
        return int(round(self.rate_hz * self.window_s))

    @property
    def features(self) -> int:
        return 2 * self.joints + IMU_FEATURES

    @property
    def tensor_shape(self) -> tuple[int, ...]:
        return (self.steps, self.features)


@dataclass(frozen=True)
class ModalitySpec:
    """Everything the model, the node and the simulator must agree on."""

    camera: CameraSpec = CameraSpec()
    audio: AudioSpec = AudioSpec()
    text: TextSpec = TextSpec()
    touch: TouchSpec = TouchSpec()
    proprio: ProprioSpec = ProprioSpec()
    joint_names: tuple[str, ...] = JOINT_NAMES

    def to_dict(self) -> dict:
        """Plain JSON-able form, stored in exported model metadata.

        A pooled text input leaves ``text.tokens`` out, so the form is what it was before
        token states existed: files, bag caches and splits keyed by it stay the same.
        """
        data = dataclasses.asdict(self)
        if not self.text.tokens:
            del data['text']['tokens']
        return data

    @classmethod
    def from_dict(cls, data: dict) -> 'ModalitySpec':
        return cls(
            camera=CameraSpec(**data['camera']),
            audio=AudioSpec(**data['audio']),
            text=TextSpec(**data['text']),
            touch=TouchSpec(**data['touch']),
            proprio=ProprioSpec(**data['proprio']),
            joint_names=tuple(data['joint_names']),
        )


DEFAULT_SPEC = ModalitySpec()


@dataclass
class SensorFrames:
    """One synchronised sample as the node (or the simulator) hands it to preprocessing.

    ``None`` means the modality is absent. Arrays are numpy, float32 unless said otherwise.

    Attributes:
        camera: ``(h, w, 3)`` uint8 RGB, any size (preprocessing resizes).
        audio: ``(n,)`` float32 mono samples at ``AudioSpec.sample_rate``, newest last.
        text: the current command utterance.
        touch: ``(t, wrists * 6)`` wrenches, newest last.
        proprio: ``(t, 2 * joints + 10)`` joint positions, velocities, IMU, newest last.
    """

    camera: Optional[np.ndarray] = None
    audio: Optional[np.ndarray] = None
    text: Optional[str] = None
    touch: Optional[np.ndarray] = None
    proprio: Optional[np.ndarray] = None

    def presence(self) -> np.ndarray:
        """``(5,)`` bool, in ``MODALITIES`` order."""
        return np.array([getattr(self, m) is not None for m in MODALITIES], dtype=bool)
