# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The fusion contract, checked for every strategy in FUSION_BUILDERS."""

import dataclasses
import io
import math

import pytest
import torch

from multimodal_fusion.modules.fusion import build_fusion
from multimodal_fusion.modules.fusion import FUSION_BUILDERS
from multimodal_fusion.modules.fusion import FusionOutput

NAMES = sorted(FUSION_BUILDERS)

# Parameters that only matter when some modality is missing, so get no gradient from a batch
# where everything is present: feature_concat's 'missing' embeddings fill absent slots, and
# gated fusion's 'empty' vector stands in when nothing at all is present.
USED_ONLY_WHEN_MISSING = {
    'feature_concat': ('missing',),
    'gated': ('empty',),
    'adaptive': ('strategies.1.empty',),
}


def build(name, config, seed=0):
    torch.manual_seed(seed)
    return build_fusion(name, config)


def assert_valid_weights(weights, mask):
    assert torch.isfinite(weights).all()
    assert (weights >= 0).all()
    assert (weights[~mask] == 0).all()
    expected = mask.any(dim=1).to(weights.dtype)
    torch.testing.assert_close(weights.sum(dim=1), expected, atol=1e-5, rtol=0)


def test_builder_names():
    assert set(FUSION_BUILDERS) == {
        'feature_concat', 'token_early', 'decision_average', 'decision_product',
        'decision_max', 'decision_voting', 'decision_stacking', 'decision_confidence',
        'cross_modal_attention', 'attention_bottleneck', 'gated', 'hierarchical',
        'mixture_of_experts', 'learnable_query', 'memory_augmented', 'hybrid', 'adaptive'}


def test_unknown_name_lists_valid_names(config):
    with pytest.raises(ValueError, match='unknown fusion strategy') as info:
        build_fusion('late', config)
    for name in NAMES:
        assert name in str(info.value)


@pytest.mark.parametrize('rule', ['average', 'product', 'max', 'voting', 'stacking',
                                  'confidence'])
def test_decision_builders_set_the_rule(config, rule):
    model = build_fusion(f'decision_{rule}', config)
    assert type(model.decide.rule).__name__.lower() == f'{rule}rule'


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('train', [False, True])
def test_every_presence_pattern(name, train, config, make_tokens, all_patterns):
    model = build(name, config).train(train)
    mask = all_patterns(len(config.modalities))
    out = model(make_tokens(mask.shape[0], config.modalities), mask)
    assert isinstance(out, tuple) and len(out) == 2
    assert out.fused.shape == (mask.shape[0], config.dim)
    assert out.weights.shape == mask.shape
    assert torch.isfinite(out.fused).all()
    assert_valid_weights(out.weights, mask)


@pytest.mark.parametrize('name', NAMES)
def test_absent_modalities_leak_nothing(name, config, make_tokens, all_patterns,
                                        fill_absent):
    model = build(name, config).eval()
    mask = all_patterns(len(config.modalities))
    tokens = make_tokens(mask.shape[0], config.modalities)
    with torch.no_grad():
        reference = model(fill_absent(tokens, mask, config.modalities, 0.0), mask)
        for value in (None, math.nan, math.inf, -math.inf):
            out = model(fill_absent(tokens, mask, config.modalities, value), mask)
            assert torch.equal(out.fused, reference.fused), value
            assert torch.equal(out.weights, reference.weights), value


@pytest.mark.parametrize('name', NAMES)
def test_gradients_reach_every_parameter_when_all_present(name, config, make_tokens):
    model = build(name, config).train()
    mask = torch.ones(4, len(config.modalities), dtype=torch.bool)
    out = model(make_tokens(4, config.modalities), mask)
    (out.fused.square().mean() + out.weights.square().mean()).backward()
    exempt = USED_ONLY_WHEN_MISSING.get(name, ())
    for param_name, param in model.named_parameters():
        if param_name in exempt:
            assert param.grad is None or (param.grad == 0).all(), param_name
            continue
        assert param.grad is not None, param_name
        assert torch.isfinite(param.grad).all(), param_name
        assert (param.grad != 0).any(), param_name


@pytest.mark.parametrize('name', NAMES)
def test_gradients_finite_over_all_patterns_with_nan_inputs(name, config, make_tokens,
                                                            all_patterns, fill_absent):
    model = build(name, config).train()
    mask = all_patterns(len(config.modalities))
    tokens = fill_absent(make_tokens(mask.shape[0], config.modalities), mask,
                         config.modalities, math.nan)
    out = model(tokens, mask)
    (out.fused.square().mean() + out.weights.square().mean()).backward()
    for param_name, param in model.named_parameters():
        assert param.grad is not None, param_name
        assert torch.isfinite(param.grad).all(), param_name
        assert (param.grad != 0).any(), param_name


@pytest.mark.parametrize('name', NAMES)
def test_torchscript_round_trip(name, config, make_tokens):
    model = build(name, config).eval()
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(model), buffer)
    buffer.seek(0)
    loaded = torch.jit.load(buffer)
    masks = {
        1: [[True] * 5, [False] * 5, [False, False, True, False, True]],
        3: [[[True, False, True, True, False], [False] * 5, [True] * 5]],
    }
    with torch.no_grad():
        for batch, cases in ((1, [[m] for m in masks[1]]), (3, masks[3])):
            for seed, rows in enumerate(cases):
                mask = torch.tensor(rows)
                tokens = make_tokens(batch, config.modalities, seed=seed)
                expected = model(tokens, mask)
                got = loaded(tokens, mask)
                torch.testing.assert_close(got[0], expected.fused, atol=1e-5, rtol=1e-5)
                torch.testing.assert_close(got[1], expected.weights, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('name', NAMES)
def test_deterministic_in_eval_mode(name, config, make_tokens):
    model = build(name, config).eval()
    mask = torch.tensor([[True, True, False, True, True], [False, True, True, False, True]])
    tokens = make_tokens(2, config.modalities)
    with torch.no_grad():
        first, second = model(tokens, mask), model(tokens, mask)
    assert torch.equal(first.fused, second.fused)
    assert torch.equal(first.weights, second.weights)


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('modalities, script', [
    (('camera', 'text', 'touch', 'proprio'), False),  # trained without audio
    (('proprio', 'camera'), True),  # a different column order
    (('touch',), True),
], ids=['no_audio', 'reordered', 'single'])
def test_any_subset_of_modalities(name, config, modalities, script, make_tokens,
                                  all_patterns):
    config = dataclasses.replace(config, modalities=modalities)
    model = build(name, config).eval()
    mask = all_patterns(len(modalities))
    tokens = make_tokens(mask.shape[0], modalities)
    out = model(tokens, mask)
    assert isinstance(out, FusionOutput)
    assert out.fused.shape == (mask.shape[0], config.dim)
    assert torch.isfinite(out.fused).all()
    assert_valid_weights(out.weights, mask)
    if script:
        with torch.no_grad():
            got = torch.jit.script(model)(tokens, mask)
        torch.testing.assert_close(got[0], out.fused, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(got[1], out.weights, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('name', NAMES)
def test_single_present_modality_gets_all_the_weight(name, config, make_tokens):
    model = build(name, config).eval()
    mask = torch.eye(5, dtype=torch.bool)
    with torch.no_grad():
        out = model(make_tokens(5, config.modalities), mask)
    torch.testing.assert_close(out.weights, mask.float())


@pytest.mark.parametrize('name', NAMES)
def test_all_missing_gives_a_constant(name, config, make_tokens):
    model = build(name, config).eval()
    mask = torch.zeros(3, 5, dtype=torch.bool)
    with torch.no_grad():
        out = model(make_tokens(3, config.modalities), mask)
    assert torch.isfinite(out.fused).all()
    torch.testing.assert_close(out.fused, out.fused[:1].expand(3, -1))
    assert (out.weights == 0).all()
