# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""TextAdapter on a small stand-in encoder; the real MiniLM is in test/training."""

import pytest
import torch
from torch import nn

from multimodal_fusion.preprocessing.text_adapter import average_adapters
from multimodal_fusion.preprocessing.text_adapter import TextAdapter
from multimodal_fusion.preprocessing.text_adapter import TextAdapterError


class _Inner(nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.dense = nn.Linear(4, 3)
        self.norm = nn.LayerNorm(3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.dense(x))


class _Wrapper(nn.Module):
    """Parameters named like the traced encoder's: ``bert.<name>``."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.bert = _Inner()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bert(x)


def _adapter(**summary) -> TextAdapter:
    g = torch.Generator().manual_seed(1)
    return TextAdapter(lora={'dense.weight': (torch.randn(2, 4, generator=g),
                                              torch.randn(3, 2, generator=g))},
                       values={'dense.bias': torch.tensor([1.0, 2.0, 3.0]),
                               'norm.weight': torch.tensor([0.5, 0.5, 2.0])},
                       base_model='stand-in', summary=summary)


@pytest.mark.parametrize('scripted', [False, True])
def test_apply_merges_low_rank_updates_and_replaces_values(scripted):
    adapter = _adapter()
    module = _Wrapper()
    w0 = module.bert.dense.weight.detach().clone()
    if scripted:
        module = torch.jit.script(module)
    adapter.apply_to(module)
    a, b = adapter.lora['dense.weight']
    params = dict(module.named_parameters())
    torch.testing.assert_close(params['bert.dense.weight'], w0 + b @ a)
    torch.testing.assert_close(params['bert.dense.bias'], torch.tensor([1.0, 2.0, 3.0]))
    torch.testing.assert_close(params['bert.norm.weight'], torch.tensor([0.5, 0.5, 2.0]))
    # The forward pass uses the merged weights (a scripted module reads them at call time).
    x = torch.randn(5, 4)
    want = nn.functional.layer_norm(x @ (w0 + b @ a).t() + torch.tensor([1.0, 2.0, 3.0]), (3,),
                                    torch.tensor([0.5, 0.5, 2.0]), params['bert.norm.bias'])
    with torch.no_grad():
        torch.testing.assert_close(module(x), want)


def test_bytes_round_trip_keeps_tensors_summary_and_key():
    adapter = _adapter(epochs=2, note='x', version=torch.__version__)
    again = TextAdapter.from_bytes(adapter.to_bytes())
    assert again.key == adapter.key and len(adapter.key) == 16
    assert again.base_model == 'stand-in'
    assert again.summary == {'epochs': 2, 'note': 'x', 'version': str(torch.__version__)}
    for name, (a, b) in adapter.lora.items():
        torch.testing.assert_close(again.lora[name][0], a)
        torch.testing.assert_close(again.lora[name][1], b)
    assert again.parameter_count == adapter.parameter_count == 2 * 4 + 3 * 2 + 3 + 3
    assert _adapter(epochs=3).key != adapter.key


def test_mismatched_encoder_raises_and_changes_nothing():
    module = _Wrapper()
    before = {k: v.detach().clone() for k, v in module.named_parameters()}
    g = torch.Generator().manual_seed(0)
    wrong_shape = TextAdapter(lora={'dense.weight': (torch.randn(2, 5, generator=g),
                                                     torch.randn(3, 2, generator=g))},
                              values={'dense.bias': torch.zeros(3)}, base_model='x')
    with pytest.raises(TextAdapterError, match=r'bert.dense.weight is \(3, 4\)'):
        wrong_shape.apply_to(module)
    missing = TextAdapter(lora={}, values={'dense.bias': torch.zeros(3),
                                           'pooler.bias': torch.zeros(3)}, base_model='x')
    with pytest.raises(TextAdapterError, match='no parameter bert.pooler.bias'):
        missing.apply_to(module)
    for name, value in module.named_parameters():
        torch.testing.assert_close(value, before[name])


def test_inconsistent_factors_are_refused():
    with pytest.raises(TextAdapterError, match='expected a'):
        TextAdapter(lora={'w': (torch.zeros(2, 4), torch.zeros(3, 5))}, values={},
                    base_model='x')


def test_unreadable_bytes_and_files_raise_clear_errors(tmp_path):
    with pytest.raises(TextAdapterError, match='unreadable text adapter'):
        TextAdapter.from_bytes(b'not an adapter')
    with pytest.raises(TextAdapterError, match='no such text adapter file.*training.text_adapter'):
        TextAdapter.from_file(tmp_path / 'missing.pt')
    bad = tmp_path / 'bad.pt'
    bad.write_bytes(b'\x00' * 10)
    with pytest.raises(TextAdapterError, match=str(bad)):
        TextAdapter.from_file(bad)
    good = tmp_path / 'good.pt'
    good.write_bytes(_adapter().to_bytes())
    assert TextAdapter.from_file(good).key == _adapter().key


def _random_adapter(seed: int, rank: int = 2, base_model: str = 'stand-in') -> TextAdapter:
    g = torch.Generator().manual_seed(seed)
    return TextAdapter(lora={'dense.weight': (torch.randn(rank, 4, generator=g),
                                              torch.randn(3, rank, generator=g))},
                       values={'dense.bias': torch.randn(3, generator=g),
                               'norm.weight': torch.rand(3, generator=g) + 0.5},
                       base_model=base_model)


def test_a_soup_applies_the_mean_update_and_the_mean_values():
    adapters = [_random_adapter(seed) for seed in (1, 2, 3)]
    # Rank 3 holds the whole mean of the 3x4 updates: applying the soup equals averaging
    # the weights each adapter gives.
    soup = average_adapters(adapters, rank=3, summary={'seeds': [1, 2, 3]})
    assert soup.summary == {'seeds': [1, 2, 3]} and soup.base_model == 'stand-in'
    merged = []
    for adapter in adapters + [soup]:
        module = _Wrapper()
        adapter.apply_to(module)
        merged.append({k: v.detach() for k, v in module.named_parameters()})
    for name in merged[0]:
        torch.testing.assert_close(merged[-1][name],
                                   torch.stack([m[name] for m in merged[:-1]]).mean(0))


def test_a_soup_is_stored_at_the_requested_rank_as_its_best_approximation():
    adapters = [_random_adapter(seed) for seed in (1, 2, 3)]
    soup = average_adapters(adapters, rank=1)
    a, b = soup.lora['dense.weight']
    assert a.shape == (1, 4) and b.shape == (3, 1)
    mean = torch.stack([b @ a for a, b in (x.lora['dense.weight'] for x in adapters)]).mean(0)
    s = torch.linalg.svdvals(mean)
    # Eckart-Young: the error of the best rank-1 approximation is the second singular value.
    assert torch.linalg.matrix_norm(mean - b @ a, ord=2).item() == pytest.approx(
        s[1].item(), rel=1e-4)
    # One adapter is its own soup.
    single = average_adapters(adapters[:1], rank=2)
    a1, b1 = adapters[0].lora['dense.weight']
    torch.testing.assert_close(single.lora['dense.weight'][1] @ single.lora['dense.weight'][0],
                               b1 @ a1)


def test_adapters_of_different_encoders_are_not_averaged():
    with pytest.raises(TextAdapterError, match='at least one'):
        average_adapters([], rank=2)
    with pytest.raises(TextAdapterError, match='cannot be averaged'):
        average_adapters([_random_adapter(1), _random_adapter(2, base_model='other')], rank=2)
