# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import pickle

import pytest

from multimodal_fusion.ros.conversions import MessageFormatError


def test_is_a_value_error_with_field_and_expected():
    err = MessageFormatError('Image.step', '>= 30', 12)
    assert isinstance(err, ValueError)
    assert (err.field, err.expected, err.got) == ('Image.step', '>= 30', 12)
    assert str(err) == 'Image.step: expected >= 30, got 12'


def test_got_is_optional():
    assert str(MessageFormatError('String.data', 'non-empty text')) == \
        'String.data: expected non-empty text'


def test_survives_pickling():
    err = pickle.loads(pickle.dumps(MessageFormatError('AudioInfo.channels', '>= 1', 0)))
    assert (err.field, err.expected, err.got) == ('AudioInfo.channels', '>= 1', 0)
    with pytest.raises(MessageFormatError, match='AudioInfo.channels'):
        raise err
