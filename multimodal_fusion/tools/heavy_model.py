# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""A model slower than the camera, for the node benchmark's overload and budget cases.

    python -m multimodal_fusion.tools.heavy_model OUT.pt [--side 384]

The shipped model's architecture and weights with its small CNN camera trunk swapped for the
ImageNet-pretrained EfficientNet-Lite0 at ``side`` x ``side`` pixels: about 50 ms a call on
one thread of the 2-core machine at 384 (the shipped model: about 7 ms), so above a 30 Hz
camera's 33 ms period. Every weight whose name and shape match the shipped model's is
copied; the trunk is ImageNet's and the layers between it and the fusion are untrained, so
its camera-based outputs are not meaningful. It is a real model file of the same contract
(labels, modalities, text adapter, checksum), made to be timed, not to be used.
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import sys
from typing import Optional, Sequence

HEAVY_BACKBONE = 'efficientnet_lite0'
DEFAULT_SIDE = 384


def build_heavy_model(out: pathlib.Path | str, *, side: int = DEFAULT_SIDE,
                      source: Optional[pathlib.Path | str] = None) -> tuple[pathlib.Path, int]:
    """Write the heavy model file (and its ``.sha256``) to ``out``.

    Args:
        out: the model file to write.
        side: camera input side in pixels (a multiple of 16).
        source: the model whose architecture and weights are taken (default: the shipped
            one).

    Returns ``(path, weights copied from the source)``.
    """
    import torch

    from multimodal_fusion.export.model_file import export_model
    from multimodal_fusion.export.model_file import load_model_file
    from multimodal_fusion.inference import default_model_path
    from multimodal_fusion.models.build import build_model
    from multimodal_fusion.models.config import ModelConfig

    loaded = load_model_file(source or default_model_path())
    meta = loaded.metadata
    config = ModelConfig.from_dict(meta['config'])
    camera = dataclasses.replace(config.spec.camera, height=side, width=side)
    config = dataclasses.replace(config, camera_backbone=HEAVY_BACKBONE,
                                 spec=dataclasses.replace(config.spec, camera=camera))
    model = build_model(meta['strategy'], config).eval()
    shipped = loaded.module.state_dict()
    state = model.state_dict()
    same = {k: v for k, v in shipped.items() if k in state and state[k].shape == v.shape}
    state.update(same)
    model.load_state_dict(state)
    with torch.no_grad():
        path = export_model(
            model, out, labels=meta['labels'], strategy=meta['strategy'], config=config,
            training_summary={
                'purpose': 'timing only (multimodal_fusion.tools.heavy_model): the shipped '
                           f'weights with an ImageNet {HEAVY_BACKBONE} camera trunk at '
                           f'{side}x{side} and untrained layers after it',
                'copied_from': str(source or default_model_path()),
                'copied_tensors': len(same)},
            text_adapter=loaded.text_adapter)
    return path, len(same)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out', type=pathlib.Path, help='the model file to write')
    parser.add_argument('--side', type=int, default=DEFAULT_SIDE,
                        help='camera input side in pixels, a multiple of 16 (default: '
                             '%(default)s)')
    args = parser.parse_args(argv)
    if args.side < 16 or args.side % 16:
        parser.error(f'--side must be a positive multiple of 16, got {args.side}')
    path, copied = build_heavy_model(args.out, side=args.side)
    print(f'wrote {path} ({copied} tensors from the shipped model)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
