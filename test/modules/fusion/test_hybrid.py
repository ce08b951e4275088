# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""HybridFusion: audio-visual early fusion, the rest at decision level."""

import dataclasses
import io

import pytest
import torch

from multimodal_fusion.modules.fusion.hybrid import HybridFusion


@pytest.mark.parametrize('modalities, units', [
    (('camera', 'audio', 'text', 'touch', 'proprio'), 4),
    (('text', 'touch', 'proprio'), 3),  # no camera, no audio: decision level only
    (('camera', 'audio'), 1),  # only the audio-visual unit
    (('proprio', 'camera'), 2),  # camera alone in the audio-visual stream
], ids=['all', 'no_av', 'only_av', 'camera_only_av'])
def test_configs_with_and_without_audio_visual(config, make_tokens, all_patterns, modalities,
                                               units):
    config = dataclasses.replace(config, modalities=modalities)
    model = HybridFusion(config).eval()
    assert len(model.decide.heads) == units
    mask = all_patterns(len(modalities))
    tokens = make_tokens(mask.shape[0], modalities)
    out = model(tokens, mask)
    assert torch.isfinite(out.fused).all()
    torch.testing.assert_close(out.weights.sum(dim=1), mask.any(dim=1).float())
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(model), buffer)
    buffer.seek(0)
    scripted = torch.jit.load(buffer)
    got = scripted(tokens, mask)
    torch.testing.assert_close(got[0], out.fused, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(got[1], out.weights, atol=1e-5, rtol=1e-5)


def test_camera_and_audio_share_the_audio_visual_unit(config, make_tokens):
    # Averaging with equal learned unit weights: the audio-visual unit and text get 1/2 each,
    # and camera and audio split the audio-visual half.
    model = HybridFusion(dataclasses.replace(config, decision_rule='average')).eval()
    mask = torch.tensor([[True, True, True, False, False]])
    weights = model(make_tokens(1, config.modalities), mask).weights[0]
    assert weights[0] > 0 and weights[1] > 0
    torch.testing.assert_close(weights[0] + weights[1], torch.tensor(0.5))
    torch.testing.assert_close(weights[2], torch.tensor(0.5))


def test_camera_and_audio_fused_early(config):
    model = HybridFusion(config)
    assert model.av_modalities == ['camera', 'audio']
    assert model.rest_modalities == ['text', 'touch', 'proprio']
