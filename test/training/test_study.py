# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The strategy study: its protocol pieces, its verdicts, and every strategy for one step."""

import hashlib
import json
import math
import shutil

import pytest
import torch

from multimodal_fusion.export.model_file import load_model
from multimodal_fusion.inference import default_model_path
from multimodal_fusion.models.build import build_model
from multimodal_fusion.modules.fusion import FUSION_BUILDERS
from multimodal_fusion.spec import MODALITIES
from multimodal_fusion.training import study
from multimodal_fusion.training.dataset import load_split
from multimodal_fusion.training.frozen import assemble
from multimodal_fusion.training.frozen import cache_detections
from multimodal_fusion.training.frozen import encode_split
from multimodal_fusion.training.frozen import fit_tail
from multimodal_fusion.training.frozen import tail_runner
from multimodal_fusion.training.testing import TRAIN_SIZE
from multimodal_fusion.training.train import model_config
from multimodal_fusion.training.train import TrainSettings


def test_fit_tail_ends_on_the_weights_of_its_best_validation_check(dataset_root):
    split = load_split('train', TRAIN_SIZE, root=dataset_root)
    config = model_config(TrainSettings(strategy='gated'))
    source = build_model('gated', config, pretrained_camera=False)
    encoded = encode_split(source, split, range(TRAIN_SIZE), batch_size=8)
    model = assemble('gated', config, source.state_dict())
    scores = iter([0.2, 0.9, 0.1, 0.3])
    seen = []

    def validate():
        seen.append({k: v.clone() for k, v in model.state_dict().items()
                     if k.startswith('fusion.')})
        return next(scores)

    fit = fit_tail(model, encoded, split, steps=8, batch_size=8, lr=3e-3,
                   validate=validate, validate_every=2)
    assert [step for step, _ in fit.checks] == [2, 4, 6, 8]
    assert fit.best_step == 4
    for key, value in seen[1].items():
        assert torch.equal(model.state_dict()[key], value), key
    assert not all(torch.equal(seen[1][k], seen[3][k]) for k in seen[1])
    with pytest.raises(ValueError, match='steps'):
        fit_tail(model, encoded, split, steps=0)


def test_cached_detections_give_the_outputs_of_the_camera_map(dataset_root):
    split = load_split('train', TRAIN_SIZE, root=dataset_root)
    config = model_config(TrainSettings(strategy='gated'))
    source = build_model('gated', config, pretrained_camera=False).eval()
    encoded = encode_split(source, split, range(TRAIN_SIZE), batch_size=8)
    cached = cache_detections(source, encoded)
    assert cached.spatial.numel() == 0 and cached.detection.objectness.dtype == torch.float16
    indices = list(range(TRAIN_SIZE))

    def no_camera(mask):
        return mask & torch.tensor([False, True, True, True, True])

    for mask_fn in (None, no_camera):
        want = tail_runner(source, encoded, mask_fn)(indices)
        got = tail_runner(source, cached, mask_fn)(indices)
        for key, value in want.items():
            torch.testing.assert_close(got[key], value, atol=2e-2, rtol=1e-2, msg=key)
    # Training on it: only with the detection head frozen, which it then leaves untouched.
    model = assemble('gated', config, source.state_dict())
    with pytest.raises(ValueError, match='frozen detection head'):
        fit_tail(model, cached, split, steps=2, batch_size=8)
    model.detection_head.requires_grad_(False)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    fit = fit_tail(model, cached, split, steps=4, batch_size=8, lr=3e-3)
    assert fit.best_step == 4 and all(math.isfinite(loss) for loss in fit.epoch_losses)
    after = model.state_dict()
    assert all(torch.equal(after[k], before[k]) for k in before if k.startswith('detection'))
    assert not all(torch.equal(after[k], before[k]) for k in before if k.startswith('fusion'))


def _row(strategy, score, drops, latency=5.0, std=0.01):
    return {'strategy': strategy, 'rate': 0.3, 'score': (score, std), 'latency_ms': latency,
            'drop': {m: (d, 0.0) for m, d in zip(MODALITIES, [0.0] + list(drops))}}


def test_each_claim_is_decided_by_the_figures():
    rows = [_row('cross_modal_attention', 0.80, [0.05] * 4, latency=9.0),
            _row('attention_bottleneck', 0.795, [0.05] * 4, latency=5.0),
            _row('token_early', 0.90, [0.10] * 4),
            _row('decision_average', 0.70, [0.01] * 4),
            _row('gated', 0.75, [0.02] * 4), _row('feature_concat', 0.74, [0.04] * 4)]
    text = '\n'.join(study.claims(rows, 0.3))
    assert '**Cross-modal attention fuses best**: not supported' in text
    assert '**Decision-level fusion degrades most gracefully**: supported' in text
    assert '**Bottlenecks cut cost at equal accuracy**: supported' in text
    assert '**Gating learns which sensor to trust**: supported' in text
    # A cheaper bottleneck that is also more accurate supports the claim (it failed before).
    rows[1]['score'] = (0.85, 0.007)
    assert 'at equal accuracy**: supported' in '\n'.join(study.claims(rows, 0.3))
    rows[1]['score'] = (0.78, 0.007)
    assert 'at equal accuracy**: not supported' in '\n'.join(study.claims(rows, 0.3))
    rows[0]['score'] = (0.91, 0.01)
    assert 'fuses best**: supported' in '\n'.join(study.claims(rows, 0.3))
    assert study.claims(rows, 0.0) == []


def test_bad_settings_are_refused(tmp_path, capsys):
    for kwargs in ({'strategies': ('nope',)}, {'steps': 0}, {'seeds': ()},
                   {'dropouts': (1.0,)}):
        with pytest.raises(ValueError):
            study.StudySettings(**kwargs)
    assert study.main(['--steps', '0', '--out', str(tmp_path)]) == 2
    assert 'steps' in capsys.readouterr().err


def test_a_file_that_is_not_a_ledger_is_refused(tmp_path):
    assert study.read_ledger(tmp_path / 'none.json', tmp_path / 'out', {}) == 0
    bad = tmp_path / 'ledger.json'
    bad.write_text('[1, 2]')
    with pytest.raises(ValueError, match='not a study ledger'):
        study.read_ledger(bad, tmp_path / 'out', {})


@pytest.mark.slow
def test_a_smoke_study_runs_every_strategy_one_step_and_resumes(tmp_path, monkeypatch,
                                                                capsys):
    out, report = tmp_path / 'out', tmp_path / 'report'
    ledger = tmp_path / 'ledger.json'
    args = ['--smoke', '--out', str(out), '--report', str(report), '--workers', '1',
            '--no-progress']
    assert study.main(args + ['--ledger', str(ledger)], dataset_root=tmp_path / 'datasets') == 0
    results = json.loads((report / 'study.json').read_text())
    assert {r['strategy'] for r in results['runs']} == set(FUSION_BUILDERS)
    assert {r['modality'] for r in results['single']} == set(MODALITIES)
    for record in results['runs']:
        assert record['steps'] == 1 and set(record['missing']) == set(MODALITIES)
        assert all(0.0 <= record['test'][m] <= 1.0 for m in study.METRICS)
    moe = [r for r in results['runs'] if r['strategy'] == 'mixture_of_experts']
    assert len(moe[0]['experts']) == 4 and sum(moe[0]['experts']) == pytest.approx(1, 1e-3)
    text = (report / 'study.md').read_text()
    # The report names the model file whose encoders every run shares, and its strategy.
    shipped = default_model_path()
    assert results['encoders'] == {
        'model_sha256': hashlib.sha256(shipped.read_bytes()).hexdigest(),
        'strategy': load_model(shipped)[1]['strategy']}
    assert results['encoders']['model_sha256'][:16] in text
    for name in FUSION_BUILDERS:
        assert f'| {name} |' in text
    assert '| CUDA ms |' in text
    if not torch.cuda.is_available():
        assert 'no GPU was seen by this run' in text
    assert (report / 'pareto.png').stat().st_size > 0
    # The ledger holds every run: sweep, main and single-modality.
    held = json.loads(ledger.read_text())
    assert {r['key'] for r in held['records']} == {
        r['key'] for r in results['sweep'] + results['runs'] + results['single']}
    # A second run finds every record and trains nothing.
    monkeypatch.setattr(study, 'execute', lambda run: pytest.fail(f'retrained {run.key}'))
    assert study.main(args, dataset_root=tmp_path / 'datasets') == 0
    # So does a run on an empty folder (another machine) given the ledger, with the same
    # figures.
    moved = ['--out', str(tmp_path / 'moved'), '--report', str(tmp_path / 'moved_report')]
    assert study.main(args + moved + ['--ledger', str(ledger)],
                      dataset_root=tmp_path / 'datasets') == 0
    again = json.loads((tmp_path / 'moved_report' / 'study.json').read_text())
    assert again['runs'] == results['runs'] and again['single'] == results['single']
    # A ledger of other settings is refused, naming them.
    capsys.readouterr()
    assert study.main(args + ['--out', str(tmp_path / 'third'), '--ledger', str(ledger),
                              '--strategies', 'gated'], dataset_root=tmp_path / 'datasets') == 2
    assert 'strategies' in capsys.readouterr().err
    # Other settings in the same folder are refused, not mixed with its records.
    assert study.main(args + ['--strategies', 'gated'],
                      dataset_root=tmp_path / 'datasets') == 2
    # So is another model: its encoders would not have made the cached encodings.
    other = tmp_path / 'other.pt'
    shutil.copy(default_model_path(), other)
    with other.open('ab') as f:
        f.write(b'\0')
    assert study.main(args + ['--model', str(other)], dataset_root=tmp_path / 'datasets') == 2
    assert 'model_sha256' in capsys.readouterr().err
