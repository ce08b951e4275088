# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Auxiliary training terms: InfoNCE alignment, expert balance, and where they plug in."""

import numpy as np
import pytest
import torch

from multimodal_fusion.models.build import build_model
from multimodal_fusion.models.testing import random_inputs
from multimodal_fusion.training.auxiliary import auxiliary_losses
from multimodal_fusion.training.auxiliary import AuxiliaryWeights
from multimodal_fusion.training.auxiliary import expert_utilisation
from multimodal_fusion.training.auxiliary import FusionTap
from multimodal_fusion.training.auxiliary import info_nce
from multimodal_fusion.training.dataset import load_split
from multimodal_fusion.training.frozen import assemble
from multimodal_fusion.training.frozen import encode_split
from multimodal_fusion.training.frozen import expert_usage
from multimodal_fusion.training.frozen import train_tail
from multimodal_fusion.training.testing import TRAIN_SIZE
from multimodal_fusion.training.train import model_config
from multimodal_fusion.training.train import TrainSettings

NAMES = ('a', 'b', 'c')


def _tokens(aligned: bool, b: int = 16, d: int = 32):
    generator = torch.Generator().manual_seed(0)
    shared = torch.randn(b, 1, d, generator=generator)
    tokens = {}
    for name in NAMES:
        noise = torch.randn(b, 2, d, generator=generator)
        tokens[name] = shared + 0.1 * noise if aligned else noise
    return tokens


def test_info_nce_is_low_when_each_sample_s_modalities_agree_and_high_when_not():
    mask = torch.ones(16, 3, dtype=torch.bool)
    aligned = float(info_nce(_tokens(True), mask, NAMES))
    unrelated = float(info_nce(_tokens(False), mask, NAMES))
    assert aligned < 0.1 < np.log(16) * 0.8 < unrelated


def test_info_nce_counts_only_samples_holding_both_modalities():
    tokens = _tokens(False)
    mask = torch.ones(16, 3, dtype=torch.bool)
    mask[:, 2] = False
    mask[0, 2] = True  # one sample with 'c': no pair with 'c' to contrast
    only_ab = info_nce({k: tokens[k] for k in NAMES[:2]}, mask[:, :2], NAMES[:2])
    assert float(info_nce(tokens, mask, NAMES)) == pytest.approx(float(only_ab))
    # Garbage in an absent modality's tokens changes nothing.
    tokens['c'][1:] = float('nan')
    assert float(info_nce(tokens, mask, NAMES)) == pytest.approx(float(only_ab))
    none = info_nce(tokens, torch.zeros(16, 3, dtype=torch.bool), NAMES)
    assert float(none) == 0.0 and none.requires_grad is False


def _model(strategy):
    config = model_config(TrainSettings(strategy=strategy))
    return build_model(strategy, config, pretrained_camera=False), config


def test_the_tap_feeds_both_terms_and_their_gradients_reach_gate_and_encoders():
    model, config = _model('mixture_of_experts')
    model.train()
    tap = FusionTap(model.fusion)
    weights = AuxiliaryWeights(contrastive=1.0, balance=1.0)
    with pytest.raises(RuntimeError, match='no forward'):
        auxiliary_losses(tap, weights)
    model(*random_inputs(config, 4))
    losses = auxiliary_losses(tap, weights)
    assert set(losses) == {'contrastive', 'balance', 'total'}
    # The balance term is >= 0 and zero only for equal mean gates.
    assert float(losses['balance'].detach()) >= -1e-6
    losses['total'].backward()
    assert model.fusion.gate.fc1.weight.grad.abs().sum() > 0
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in model.text_encoder.parameters())
    tap.close()
    model(*random_inputs(config, 2))
    assert tap.tokens is None  # closed: nothing recorded any more


def test_other_fusions_have_no_balance_term():
    model, config = _model('gated')
    tap = FusionTap(model.fusion)
    model(*random_inputs(config, 3))
    assert set(auxiliary_losses(tap, AuxiliaryWeights(balance=1.0))) == {'total'}


def test_bad_weights_are_refused():
    for kwargs in ({'contrastive': -1.0}, {'balance': -0.1}, {'temperature': 0.0}):
        with pytest.raises(ValueError):
            AuxiliaryWeights(**kwargs)
    with pytest.raises(ValueError):
        TrainSettings(contrastive=-1.0)
    assert TrainSettings(balance=0.01).auxiliary == AuxiliaryWeights(balance=0.01)


def test_expert_utilisation_is_the_mean_gate():
    gates = [torch.tensor([[1.0, 0.0], [0.5, 0.5]]), torch.tensor([[0.0, 1.0], [0.5, 0.5]])]
    assert expert_utilisation(gates) == [0.5, 0.5]
    assert expert_utilisation([]) is None


def test_balance_training_on_frozen_encoders_spreads_the_experts(dataset_root):
    # The same mixture, trained with and without a strong balance term, ends closer to
    # equal use with it. Seeded throughout: the result does not depend on test order.
    split = load_split('train', TRAIN_SIZE, root=dataset_root)
    torch.manual_seed(0)
    source, config = _model('mixture_of_experts')
    encoded = encode_split(source, split, range(TRAIN_SIZE), batch_size=8)
    imbalance = {}
    for weight in (0.0, 5.0):
        torch.manual_seed(1)
        model = assemble('mixture_of_experts', config, source.state_dict())
        losses = train_tail(model, encoded, split, epochs=3, batch_size=8, lr=3e-3,
                            auxiliary=AuxiliaryWeights(balance=weight))
        assert all(np.isfinite(losses))
        usage = expert_usage(model, encoded)
        assert len(usage) == config.fusion.num_experts
        assert sum(usage) == pytest.approx(1.0, abs=1e-3)
        # The balance statistic: 1 for equal use, up to the number of experts.
        imbalance[weight] = len(usage) * sum(u * u for u in usage)
    assert imbalance[5.0] < imbalance[0.0]
    assert expert_usage(assemble('gated', config, source.state_dict()), encoded) is None
    with pytest.raises(ValueError, match='frozen'):
        train_tail(assemble('gated', config, source.state_dict()), encoded, split, epochs=1,
                   auxiliary=AuxiliaryWeights(contrastive=1.0))
