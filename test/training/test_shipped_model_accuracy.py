# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The shipped model meets its accuracy targets on data it has never seen.

The split has seed ``SPLIT_SEEDS['ci']``, which no training run uses; it is generated (and
cached) on first use, through the node's preprocessing, and scored through the node's
decoding (``evaluate_split`` decodes as ``FusionEngine`` does, with its default settings).
"""

import numpy as np
import pytest

from multimodal_fusion.inference.engine import default_model_path
from multimodal_fusion.inference.engine import FusionEngine
from multimodal_fusion.spec import MODALITIES
from multimodal_fusion.training.dataset import load_split
from multimodal_fusion.training.dataset import split_config
from multimodal_fusion.training.evaluation import evaluate_split
from multimodal_fusion.training.evaluation import keep_only
from multimodal_fusion.training.robustness import REFERENCE_KINDS
from multimodal_fusion.training.robustness import reference_kinds

CI_SAMPLES = 440  # 40 per situation
MAX_FILE_BYTES = 20 * 1000 * 1000  # the house limit on a shipped model file

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def scores():
    engine = FusionEngine(default_model_path())
    split = load_split('ci', CI_SAMPLES, progress=False, text_adapter=engine.text_adapter,
                       config=split_config(engine.config))
    full = evaluate_split(engine.module, split, batch_size=110)
    single = {name: evaluate_split(engine.module, split, batch_size=110,
                                   mask_fn=lambda m, n=name: keep_only(m, [n]))
              for name in MODALITIES}
    return full, single, split


def test_all_modalities_meet_the_action_and_grounding_targets(scores):
    full = scores[0]
    assert full.action_accuracy >= 0.97, full.summary()
    assert full.grounding >= 0.90, full.summary()


def test_relational_references_are_grounded(scores):
    # 'the cube left of the ball' with two cubes in view. The shipped model grounds 13 of the
    # 20 relational references of this split (attributes 68 of 68, position 27 of 28); the
    # pooled model before it, which has no relation words, grounds 8 of them.
    full, _, split = scores
    kinds = reference_kinds(split.truth['reference'])
    hits = np.asarray(full.grounding_hits)
    relational = (hits >= 0) & (kinds == REFERENCE_KINDS.index('relation'))
    assert relational.sum() >= 15
    assert hits[relational].mean() >= 0.6, hits[relational]


def test_situation_meets_the_target(scores):
    # 0.980 on this split with the shipped model (action 1.000, grounding 0.931).
    full = scores[0]
    assert full.situation_f1 >= 0.95, full.summary()


@pytest.mark.parametrize('modality', MODALITIES)
def test_one_modality_alone_is_far_worse(scores, modality):
    full, single = scores[:2]
    alone = single[modality].situation_f1
    assert alone <= full.situation_f1 - 0.20, (modality, alone, full.situation_f1)


def test_the_shipped_file_stays_within_the_size_limit():
    # The text adapter's low-rank factors travel inside the file (rank 64: 10.8 MB).
    size = default_model_path().stat().st_size
    assert size <= MAX_FILE_BYTES, f'{size / 1e6:.1f} MB'
