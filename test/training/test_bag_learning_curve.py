# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The learning-curve command refuses sizes it cannot train, before recording anything."""

import pytest

from multimodal_fusion.training import bag_learning_curve


@pytest.mark.parametrize('args', [['--sizes', '0', '2'], ['--val-bags', '0']])
def test_a_curve_without_bags_is_refused_before_any_work(tmp_path, capsys, args):
    work = tmp_path / 'curve'
    with pytest.raises(SystemExit) as refused:
        bag_learning_curve.main(['--work', str(work), *args])
    assert refused.value.code == 2
    assert 'at least one bag' in capsys.readouterr().err
    assert not work.exists()
