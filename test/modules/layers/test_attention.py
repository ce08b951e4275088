# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""MaskedAttention and masked_softmax: finite when everything is masked."""

import math

import torch

from multimodal_fusion.modules.layers.attention import masked_softmax
from multimodal_fusion.modules.layers.attention import MaskedAttention


def test_masked_softmax_rows():
    scores = torch.tensor([[1.0, 2.0, math.nan], [math.nan, math.inf, 3.0]],
                          requires_grad=True)
    mask = torch.tensor([[True, True, False], [False, False, False]])
    probs = masked_softmax(scores, mask, dim=1)
    torch.testing.assert_close(probs[0, :2], torch.softmax(torch.tensor([1.0, 2.0]), dim=0))
    assert probs[0, 2] == 0 and (probs[1] == 0).all()
    (probs * torch.arange(3.0)).sum().backward()
    assert torch.isfinite(scores.grad).all()


def test_masked_softmax_broadcasts_the_mask():
    probs = masked_softmax(torch.zeros(2, 3, 4), torch.tensor([True, False])[:, None, None],
                           dim=1)
    torch.testing.assert_close(probs[0], torch.full((3, 4), 1 / 3))
    assert (probs[1] == 0).all()


def test_all_keys_masked_gives_finite_output_in_train_mode():
    attn = MaskedAttention(8, 2, dropout=0.1).train()
    query = torch.randn(2, 3, 8, requires_grad=True)
    context = torch.randn(2, 5, 8)
    key_mask = torch.tensor([[False] * 5, [True, True, False, False, False]])
    out, probs = attn(query, context, key_mask)
    assert out.shape == (2, 3, 8) and probs.shape == (2, 3, 5)
    assert torch.isfinite(out).all()
    assert (probs[0] == 0).all() and (probs[1, :, 2:] == 0).all()
    assert (probs[1].sum(dim=-1) < 1).all()  # the null entry always takes some mass
    out.sum().backward()
    for name, param in attn.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), name


def test_masked_keys_have_no_influence():
    attn = MaskedAttention(8, 2).eval()
    query, context = torch.randn(1, 2, 8), torch.randn(1, 4, 8)
    key_mask = torch.tensor([[True, False, True, False]])
    out, _ = attn(query, context, key_mask)
    changed = context.clone()
    changed[:, 1] = 1e4
    torch.testing.assert_close(attn(query, changed, key_mask)[0], out)


def test_scriptable():
    attn = MaskedAttention(8, 2).eval()
    scripted = torch.jit.script(attn)
    args = (torch.randn(2, 1, 8), torch.randn(2, 3, 8), torch.ones(2, 3, dtype=torch.bool))
    torch.testing.assert_close(scripted(*args)[0], attn(*args)[0])
