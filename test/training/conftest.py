# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Tiny simulated splits shared by the training tests.

The sentence encoder is replaced by a deterministic hash embedding so these tests need no
exported MiniLM and stay fast; the real embedder is exercised by the shipped-model test.
"""

import pytest

from multimodal_fusion.training.dataset import generate_split
from multimodal_fusion.training.dataset import SPLIT_SEEDS
from multimodal_fusion.training.testing import fake_embed
from multimodal_fusion.training.testing import TRAIN_SIZE
from multimodal_fusion.training.testing import VAL_SIZE


@pytest.fixture(scope='session')
def dataset_root(tmp_path_factory):
    """A cache root holding the train and val splits of sizes TRAIN_SIZE and VAL_SIZE."""
    root = tmp_path_factory.mktemp('datasets')
    for name, count in (('train', TRAIN_SIZE), ('val', VAL_SIZE)):
        generate_split(SPLIT_SEEDS[name], count, root=root, workers=0,
                       text_embedder=fake_embed, progress=False)
    return root
