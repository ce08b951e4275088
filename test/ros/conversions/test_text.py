# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import pytest
from std_msgs.msg import String

from multimodal_fusion.ros.conversions import MAX_TEXT_CHARS
from multimodal_fusion.ros.conversions import MessageFormatError
from multimodal_fusion.ros.conversions import string_to_text
from multimodal_fusion.ros.conversions import text_to_string


@pytest.mark.parametrize('data, expected', [
    ('pick up the red cup', 'pick up the red cup'),
    ('  pick up\tthe red\n\ncup \r\n', 'pick up the red cup'),
    ('donne-moi la tasse à café ☕', 'donne-moi la tasse à café ☕'),
    ('赤いカップを取って', '赤いカップを取って'),
    ('x' * MAX_TEXT_CHARS, 'x' * MAX_TEXT_CHARS),
])
def test_text_is_whitespace_normalised(data, expected, wire):
    msg = wire(text_to_string(data))
    assert msg.data == data
    assert string_to_text(msg) == expected


@pytest.mark.parametrize('data, expected', [
    ('', 'non-empty text'),
    ('   \n\t ', 'non-empty text'),
    # CDR strings end at NUL, so a NUL cannot arrive; other C0/C1 controls can.
    ('pick\x01up', 'without control characters'),
    ('pick\x85\x9bup', 'without control characters'),
    ('pick up\x1b[31m', 'without control characters'),
    ('cup\x7f', 'without control characters'),
    ('x' * (MAX_TEXT_CHARS + 1), f'at most {MAX_TEXT_CHARS} characters'),
])
def test_bad_text_is_rejected(data, expected, wire):
    with pytest.raises(MessageFormatError) as info:
        string_to_text(wire(String(data=data)))
    assert info.value.field == 'String.data'
    assert str(info.value).startswith('String.data: expected')
    assert expected in info.value.expected


def test_max_chars_is_adjustable():
    assert string_to_text(String(data='abc'), max_chars=3) == 'abc'
    with pytest.raises(MessageFormatError):
        string_to_text(String(data='abcd'), max_chars=3)


@pytest.mark.parametrize('data', ['\u200b', '\u200b\u200c\u200d\ufeff' * 10, '\u2060 \u200b'])
def test_invisible_text_is_not_a_command(data):
    with pytest.raises(MessageFormatError) as info:
        string_to_text(String(data=data))
    assert info.value.field == 'String.data'
    assert info.value.expected == 'at least one visible character'


@pytest.mark.parametrize('data', ['go', '7', '¿qué?', '拿起红色的杯子', 'pick\u200bup'])
def test_visible_text_in_any_script_is_kept(data):
    assert string_to_text(String(data=data)) == data
