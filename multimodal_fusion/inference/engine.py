# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""One synchronised sample in, one decoded prediction out.

The node owns a :class:`FusionEngine` from configure to cleanup; the demo, the benchmarks
and the accuracy test use the same class, so what they measure is what the node runs.
"""

from __future__ import annotations

from dataclasses import dataclass
import pathlib
import time
from typing import Optional

import torch

from multimodal_fusion.decoding.predictions import decode_outputs
from multimodal_fusion.decoding.predictions import Prediction
from multimodal_fusion.export.model_file import load_model_file
from multimodal_fusion.preprocessing.batch import Preprocessor
from multimodal_fusion.preprocessing.text_embedder import TextEmbedder
from multimodal_fusion.spec import MODALITIES
from multimodal_fusion.spec import ModalitySpec
from multimodal_fusion.spec import SensorFrames

ASSETS = pathlib.Path(__file__).resolve().parents[1] / 'assets'
DEFAULT_MODEL_FILE = 'fusion_default.pt'


def default_model_path() -> pathlib.Path:
    """The model shipped with the package."""
    return ASSETS / DEFAULT_MODEL_FILE


def select_device(requested: str) -> tuple[torch.device, Optional[str]]:
    """Resolve ``auto``/``cpu``/``cuda``/``cuda:N``.

    Returns the device and a warning to log, if any (CPU fallback, missing GPU).

    Raises:
        ValueError: when CUDA is asked for explicitly and is not available.
    """
    if requested == 'auto':
        if torch.cuda.is_available():
            return torch.device('cuda'), None
        return torch.device('cpu'), 'no CUDA device available: running the model on the CPU'
    device = torch.device(requested)
    if device.type == 'cuda':
        if not torch.cuda.is_available():
            raise ValueError(f'model.device is {requested!r} but torch sees no CUDA device '
                             f'(torch {torch.__version__}); use auto or cpu')
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f'model.device is {requested!r} but only '
                             f'{torch.cuda.device_count()} CUDA device(s) exist')
    return device, None


class NonFiniteOutputError(RuntimeError):
    """The model produced NaN or Inf: the set's prediction must not be published.

    Attributes:
        outputs: names of the model outputs that held non-finite values.
    """

    def __init__(self, outputs: list[str]) -> None:
        self.outputs = outputs
        super().__init__(f'non-finite model outputs: {", ".join(outputs)}')


@dataclass(frozen=True)
class EngineSettings:
    """How predictions are decoded (live-tunable in the node)."""

    score_threshold: float = 0.3
    iou_threshold: float = 0.5
    max_detections: int = 20
    top_k: int = 3


@dataclass(frozen=True)
class InferenceResult:
    """A prediction and where the time went, in milliseconds.

    ``model_cpu_ms`` is the CPU time the calling thread spent in the model call (with
    ``torch.set_num_threads(1)`` the model runs on that thread alone), where ``model_ms`` is
    its wall time.
    """

    prediction: Prediction
    preprocess_ms: float
    model_ms: float
    decode_ms: float
    presence: tuple[bool, ...]
    model_cpu_ms: float = 0.0


class FusionEngine:
    """A verified TorchScript fusion model with its preprocessing and decoding.

    Args:
        model_path: exported model (sha256 file beside it).
        device: torch device to run on.
        text_encoder_dir: folder of the traced sentence encoder; ``None`` for the default
            built by setup. Only loaded when the model reads text.
        expected_spec: refuse a model made for another modality spec.
        half: run the model in float16 (CUDA only); inputs are cast, outputs come back as
            float32.

    Raises:
        ModelFileError: the model file, its hash or its metadata is not acceptable.
        FileNotFoundError: the text encoder the model needs has not been built.
    """

    def __init__(self, model_path: pathlib.Path | str, *, device: torch.device | str = 'cpu',
                 text_encoder_dir: Optional[pathlib.Path | str] = None,
                 expected_spec: Optional[ModalitySpec] = None, half: bool = False) -> None:
        self.device = torch.device(device)
        if half and self.device.type != 'cuda':
            raise ValueError(f'half precision needs a CUDA device, got {self.device}')
        loaded = load_model_file(model_path, device=self.device, expected_spec=expected_spec)
        self.module, self.metadata = loaded.module, loaded.metadata
        # The fine-tuning of the sentence encoder the model was trained with, if any.
        self.text_adapter = loaded.text_adapter
        self.config = loaded.config
        self.half = half
        if half:
            self.module = self.module.half()
        self.model_path = pathlib.Path(model_path)
        self.spec = ModalitySpec.from_dict(self.metadata['spec'])
        self.labels = self.metadata['labels']
        self.modalities = tuple(self.metadata['modalities'])
        embedder = None
        if 'text' in self.modalities:
            embedder = TextEmbedder.for_spec(self.spec.text, model_dir=text_encoder_dir,
                                             device=str(device), adapter=self.text_adapter)
        self.text_embedder = embedder
        self.preprocessor = Preprocessor(spec=self.spec, text_embedder=embedder)
        self.settings = EngineSettings()

    def warmup(self, iterations: int) -> None:
        """Run ``iterations`` inferences on blank full-presence inputs.

        TorchScript's first calls optimise the graph and take hundreds of milliseconds.
        """
        spec = self.spec
        frames = SensorFrames(
            camera=torch.zeros(spec.camera.height, spec.camera.width, 3,
                               dtype=torch.uint8).numpy(),
            audio=torch.zeros(spec.audio.window_samples).numpy(),
            text='warm up' if self.text_embedder is not None else None,
            touch=torch.zeros(spec.touch.tensor_shape).numpy(),
            proprio=torch.zeros(spec.proprio.tensor_shape).numpy())
        for _ in range(iterations):
            self.infer(frames)

    def infer(self, frames: SensorFrames) -> InferenceResult:
        """Preprocess, run and decode one sample.

        Raises:
            ValueError: a frame array of the wrong shape (from preprocessing).
            NonFiniteOutputError: the model's outputs hold NaN or Inf (inputs no sensor
                sends; nothing to decode).
        """
        t0 = time.perf_counter()
        inputs = self.preprocessor([frames])
        # Modalities the model was trained without are always reported absent.
        mask = inputs.mask.clone()
        for column, name in enumerate(MODALITIES):
            if name not in self.modalities:
                mask[:, column] = False
        tensors = [x.to(self.device, non_blocking=True) for x in inputs.tensors()[:-1]]
        if self.half:
            tensors = [x.half() if x.is_floating_point() else x for x in tensors]
        t1 = time.perf_counter()
        cpu1 = time.thread_time()
        with torch.inference_mode():
            outputs = self.module(*tensors, mask.to(self.device))
            outputs = {k: v.float().cpu() if v.is_floating_point() else v.cpu()
                       for k, v in outputs.items()}
        bad = [k for k, v in outputs.items()
               if v.is_floating_point() and not bool(torch.isfinite(v).all())]
        if bad:
            raise NonFiniteOutputError(sorted(bad))
        t2 = time.perf_counter()
        model_cpu_ms = (time.thread_time() - cpu1) * 1e3
        s = self.settings
        prediction = decode_outputs(outputs, image_sizes=inputs.image_sizes, labels=self.labels,
                                    top_k=s.top_k, score_threshold=s.score_threshold,
                                    iou_threshold=s.iou_threshold,
                                    max_detections=s.max_detections)[0]
        t3 = time.perf_counter()
        return InferenceResult(prediction=prediction, preprocess_ms=(t1 - t0) * 1e3,
                               model_ms=(t2 - t1) * 1e3, decode_ms=(t3 - t2) * 1e3,
                               presence=tuple(bool(v) for v in mask[0].tolist()),
                               model_cpu_ms=model_cpu_ms)

    def close(self) -> None:
        """Drop the model and, on CUDA, give its memory back."""
        self.module = None
        self.text_embedder = None
        if self.device.type == 'cuda':
            torch.cuda.empty_cache()
