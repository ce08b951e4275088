# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The benchmark's heavy model: the shipped contract and weights, a larger camera trunk."""

import pytest
import torch

from multimodal_fusion.export.model_file import load_model_file
from multimodal_fusion.inference import default_model_path
from multimodal_fusion.tools.heavy_model import build_heavy_model
from multimodal_fusion.tools.heavy_model import main


def test_the_heavy_model_keeps_the_shipped_contract_and_weights(tmp_path):
    path, copied = build_heavy_model(tmp_path / 'heavy.pt', side=64)
    heavy, shipped = load_model_file(path), load_model_file(default_model_path())
    assert heavy.metadata['labels'] == shipped.metadata['labels']
    assert heavy.metadata['modalities'] == shipped.metadata['modalities']
    assert heavy.metadata['config']['camera_backbone'] == 'efficientnet_lite0'
    assert (heavy.metadata['spec']['camera']['height'],
            heavy.metadata['spec']['camera']['width']) == (64, 64)
    assert heavy.text_adapter.key == shipped.text_adapter.key
    assert 'timing only' in heavy.metadata['training_summary']['purpose']
    # Everything but the camera trunk comes from the shipped model.
    heavy_state, shipped_state = heavy.module.state_dict(), shipped.module.state_dict()
    same = [k for k in shipped_state if k in heavy_state
            and heavy_state[k].shape == shipped_state[k].shape]
    assert copied > 0.8 * len(shipped_state) and len(same) >= copied
    assert all(torch.equal(heavy_state[k], shipped_state[k]) for k in same)


def test_the_side_must_suit_the_trunk(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(['x.pt', '--side', '100'])
    assert exit_.value.code == 2
    assert 'multiple of 16' in capsys.readouterr().err
