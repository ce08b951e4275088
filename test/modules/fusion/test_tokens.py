# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Presence-aware token plumbing."""

import math

import torch

from multimodal_fusion.modules.fusion.tokens import clean_tokens
from multimodal_fusion.modules.fusion.tokens import concat_tokens
from multimodal_fusion.modules.fusion.tokens import mass_per_modality
from multimodal_fusion.modules.fusion.tokens import PooledModalities


def _tokens():
    # Sample 0 lost the camera (NaN left behind); sample 1 lost the text.
    camera = torch.ones(2, 3, 4)
    camera[0] = math.nan
    text = torch.ones(2, 1, 4)
    text[1] = math.inf
    return {'camera': camera, 'text': text}


MASK = torch.tensor([[False, True], [True, False]])


def test_clean_tokens_zeroes_absent_samples_in_config_order():
    xs = clean_tokens(_tokens(), MASK, ['camera', 'text'])
    assert [x.shape[1] for x in xs] == [3, 1]
    assert (xs[0][0] == 0).all() and (xs[0][1] == 1).all()
    assert (xs[1][0] == 1).all() and (xs[1][1] == 0).all()
    xs = clean_tokens(_tokens(), MASK[:, [1, 0]], ['text', 'camera'])
    assert (xs[1][0] == 0).all() and (xs[0][1] == 0).all()


def test_concat_and_mass_per_modality():
    mask = torch.tensor([[True, False]])
    xs = [torch.ones(1, 3, 4), torch.zeros(1, 2, 4)]
    x, key_mask, sizes = concat_tokens(xs, mask)
    assert x.shape == (1, 5, 4) and sizes == [3, 2]
    assert key_mask.tolist() == [[True, True, True, False, False]]
    mass = mass_per_modality(torch.tensor([[0.1, 0.2, 0.3, 0.4, 0.0]]), sizes)
    torch.testing.assert_close(mass, torch.tensor([[0.6, 0.4]]))


def test_pooled_modalities_zero_absent():
    pool = PooledModalities(['camera', 'text'], 4)
    xs = clean_tokens(_tokens(), MASK, ['camera', 'text'])
    out = pool(xs, MASK)
    assert out.shape == (2, 2, 4)
    assert (out[~MASK] == 0).all()
    assert torch.isfinite(out).all()
