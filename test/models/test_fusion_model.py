# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Every fusion strategy inside the full model: shapes, masks, TorchScript, gradients."""

import copy
import dataclasses
import io

import pytest
import torch

from multimodal_fusion.models import build_model
from multimodal_fusion.models.fusion_model import output_keys
from multimodal_fusion.models.testing import random_inputs
from multimodal_fusion.models.testing import tiny_model_config
from multimodal_fusion.modules.fusion import FUSION_BUILDERS

STRATEGIES = sorted(FUSION_BUILDERS)
CONFIG = tiny_model_config()
MASKS = {
    'all': [[True] * 5] * 3,
    'none': [[False] * 5] * 3,
    'mixed': [[True, False, True, False, True], [False, True, False, True, False],
              [False, False, True, False, False]],
}


def _mask(name, batch):
    return torch.tensor(MASKS[name][:batch], dtype=torch.bool)


def _expected_shapes(batch):
    gh, gw = CONFIG.grid_hw
    c = CONFIG.num_object_classes
    return {
        'situation_logits': (batch, CONFIG.num_situations),
        'action_logits': (batch, CONFIG.num_actions),
        'target_logits': (batch, c + 1),
        'target_xy': (batch, 2),
        'det_obj': (batch, gh, gw),
        'det_cls': (batch, gh, gw, c),
        'det_box': (batch, gh, gw, 4),
        'det_ref': (batch, gh, gw),
        'modality_weights': (batch, 5),
        'det_color': (batch, gh, gw, CONFIG.num_colors + 1),
        'det_size': (batch, gh, gw, CONFIG.num_sizes + 1),
        'ref_refers': (batch,),
        'ref_shape': (batch, c + 1),
        'ref_color': (batch, CONFIG.num_colors + 1),
        'ref_size': (batch, CONFIG.num_sizes + 1),
        'ref_position': (batch, 4),
        'ref_relation': (batch, 3),
        'ref_anchor_shape': (batch, c + 1),
        'ref_anchor_color': (batch, CONFIG.num_colors + 1),
    }


def _model(strategy, seed=0):
    torch.manual_seed(seed)
    return build_model(strategy, CONFIG).eval()


@pytest.mark.parametrize('strategy', STRATEGIES)
def test_shapes_weights_and_all_missing_is_finite(strategy):
    model = _model(strategy)
    with torch.no_grad():
        out = model(*random_inputs(CONFIG, 3, mask=_mask('mixed', 3)))
        none = model(*random_inputs(CONFIG, 3, mask=_mask('none', 3)))
    assert tuple(out) == output_keys(CONFIG)
    assert {k: tuple(v.shape) for k, v in out.items()} == _expected_shapes(3)
    assert all(v.dtype == torch.float32 for v in out.values())
    weights = out['modality_weights']
    assert (weights[~_mask('mixed', 3)] == 0).all()
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(3))
    for key, value in none.items():
        assert torch.isfinite(value).all(), key
    assert (none['modality_weights'] == 0).all()
    assert (torch.sigmoid(none['det_obj']) < 1e-6).all()  # no camera, no detections


@pytest.mark.parametrize('strategy', STRATEGIES)
def test_absent_inputs_do_not_change_outputs(strategy):
    model = _model(strategy)
    mask = _mask('mixed', 3)
    camera, audio, text, touch, proprio, _ = random_inputs(CONFIG, 3, mask=mask)
    garbage = list(random_inputs(CONFIG, 3, seed=7))
    for i, tensor in enumerate(garbage[1:5], start=1):
        tensor[0] = float('nan')  # an absent sensor may leave anything behind
    inputs = [camera, audio, text, touch, proprio]
    mixed = [torch.where(mask[:, i].reshape(-1, *[1] * (x.ndim - 1)), x, garbage[i])
             for i, x in enumerate(inputs)]
    with torch.no_grad():
        a = model(*inputs, mask)
        b = model(*mixed, mask)
    for key in output_keys(CONFIG):
        torch.testing.assert_close(a[key], b[key], msg=key)


@pytest.mark.parametrize('strategy', STRATEGIES)
def test_scripted_round_trip_matches_eager(strategy):
    model = _model(strategy)
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(model), buffer)
    buffer.seek(0)
    loaded = torch.jit.load(buffer)
    with torch.no_grad():
        for batch in (1, 3):
            for mask_name in MASKS:
                inputs = random_inputs(CONFIG, batch, mask=_mask(mask_name, batch), seed=batch)
                eager, scripted = model(*inputs), loaded(*inputs)
                for key in output_keys(CONFIG):
                    torch.testing.assert_close(scripted[key], eager[key], atol=1e-5, rtol=1e-5,
                                               msg=f'{key} batch={batch} mask={mask_name}')


@pytest.mark.skipif(not torch.cuda.is_available(), reason='no CUDA device on this machine')
@pytest.mark.parametrize('strategy', STRATEGIES)
def test_scripted_on_cuda_matches_eager_on_cpu(strategy):
    model = _model(strategy)
    # A scripted module shares its parameters with the eager one: script a copy, so moving it
    # to the GPU leaves the CPU reference on the CPU.
    scripted = torch.jit.script(copy.deepcopy(model)).cuda()
    with torch.no_grad():
        for batch in (1, 3):
            for mask_name in MASKS:
                inputs = random_inputs(CONFIG, batch, mask=_mask(mask_name, batch), seed=batch)
                eager = model(*inputs)
                on_gpu = scripted(*(x.cuda() for x in inputs))
                for key in output_keys(CONFIG):
                    # GPU kernels (TF32 matmuls, other reduction orders) differ a little.
                    torch.testing.assert_close(on_gpu[key].cpu(), eager[key], atol=2e-3,
                                               rtol=2e-3,
                                               msg=f'{key} batch={batch} mask={mask_name}')


@pytest.mark.parametrize('strategy', STRATEGIES)
def test_eval_mode_is_deterministic(strategy):
    model = _model(strategy)
    inputs = random_inputs(CONFIG, 2, mask=_mask('mixed', 2))
    with torch.no_grad():
        a, b = model(*inputs), model(*inputs)
    for key in output_keys(CONFIG):
        assert torch.equal(a[key], b[key]), key


@pytest.mark.parametrize('strategy', STRATEGIES)
def test_gradients_reach_heads_and_encoders(strategy):
    model = _model(strategy).train()
    out = model(*random_inputs(CONFIG, 4))
    loss = sum((v.float() ** 2).mean() for k, v in out.items() if k != 'modality_weights')
    loss.backward()
    first_layers = {
        'camera': model.camera_encoder.backbone.stages[0][0].weight,
        'audio': model.audio_encoder.convs[0].weight,
        'text': model.text_encoder.project.weight,
        'touch': model.touch_encoder.convs[0].weight,
        'proprio': model.proprio_encoder.convs[0].weight,
        'situation_head': model.situation_head.layers[-1].weight,
        'action_head': model.action_head.layers[-1].weight,
        'target_head': model.target_head.layers[-1].weight,
        'target_xy_head': model.target_xy_head.mlp.layers[-1].weight,
        'detection_head': model.detection_head.out.weight,
        'referring_head': model.referring_head.parser.layers[-1].weight,
        'object_summary': model.object_summary.mlp[0].weight,
        'situation_evidence': model.situation_evidence.weight,
    }
    for name, weight in first_layers.items():
        assert weight.grad is not None, name
        assert torch.isfinite(weight.grad).all(), name
        assert weight.grad.abs().sum() > 0, name


def test_modality_subset_builds_only_those_encoders():
    import dataclasses

    fusion = dataclasses.replace(CONFIG.fusion, modalities=('text', 'camera'))
    config = tiny_model_config(fusion=fusion)
    model = build_model('gated', config).eval()
    assert isinstance(model.audio_encoder, torch.nn.Identity)
    with torch.no_grad():
        out = model(*random_inputs(config, 2))
        scripted = torch.jit.script(model)(*random_inputs(config, 2))
    assert out['modality_weights'][:, [1, 3, 4]].eq(0).all()
    assert out['modality_weights'][:, [0, 2]].sum(dim=1).allclose(torch.ones(2))
    torch.testing.assert_close(scripted['modality_weights'], out['modality_weights'])


def test_unknown_strategy_lists_known_ones():
    with pytest.raises(ValueError, match='feature_concat'):
        build_model('no_such_fusion', CONFIG)


def test_fit_normalisers_sets_statistics():
    model = _model('feature_concat')
    _, audio, _, touch, proprio, _ = random_inputs(CONFIG, 8)
    model.fit_normalisers(audio=audio, touch=touch * 5 + 2, proprio=proprio)
    assert model.touch_encoder.normaliser.mean.mean().item() == pytest.approx(2.0, abs=0.5)
    assert model.audio_encoder.normaliser.std.ne(1.0).any()


def test_detector_evidence_reaches_the_situation_only_while_the_camera_is_present():
    model = _model('gated')
    with torch.no_grad():
        torch.nn.init.normal_(model.situation_evidence.weight, std=1.0)
    silent = copy.deepcopy(model)
    with torch.no_grad():
        silent.situation_evidence.weight.zero_()
    for name, changed in (('all', True), ('none', False)):
        inputs = random_inputs(CONFIG, 3, mask=_mask(name, 3))
        with torch.no_grad():
            a = model(*inputs)['situation_logits']
            b = silent(*inputs)['situation_logits']
        assert (not torch.allclose(a, b)) == changed, name
    # A fresh model starts without the skip (zero weights): it adds nothing until trained.
    assert not _model('gated').situation_evidence.weight.any()


TOKEN_CONFIG = tiny_model_config(spec=dataclasses.replace(
    CONFIG.spec, text=dataclasses.replace(CONFIG.spec.text, tokens=True, max_tokens=8)))


@pytest.mark.parametrize('strategy', STRATEGIES)
def test_token_state_text_scripts_learns_and_is_ignored_when_absent(strategy):
    torch.manual_seed(0)
    model = build_model(strategy, TOKEN_CONFIG).eval()
    mask = _mask('mixed', 3)
    inputs = random_inputs(TOKEN_CONFIG, 3, mask=mask)
    assert inputs[2].shape == (3, 8, 384)
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(model), buffer)
    buffer.seek(0)
    loaded = torch.jit.load(buffer)
    other = list(inputs)
    other[2] = torch.where(mask[:, 2, None, None], inputs[2], torch.full_like(inputs[2], 5.0))
    with torch.no_grad():
        eager, scripted, swapped = model(*inputs), loaded(*inputs), model(*other)
    for key in output_keys(TOKEN_CONFIG):
        torch.testing.assert_close(scripted[key], eager[key], atol=1e-5, rtol=1e-5, msg=key)
        torch.testing.assert_close(swapped[key], eager[key], msg=key)
    model.train()
    out = model(*random_inputs(TOKEN_CONFIG, 4))
    sum((v.float() ** 2).mean() for k, v in out.items() if k != 'modality_weights').backward()
    for weight in (model.text_encoder.sentence.weight, model.text_encoder.project.weight,
                   model.text_encoder.pool.queries):
        assert weight.grad is not None and weight.grad.abs().sum() > 0
