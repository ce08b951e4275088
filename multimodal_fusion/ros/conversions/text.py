# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""``std_msgs/String`` commands as clean text, and back.

A command is what the tokenizer will read, so it is normalised the way a person would read
it: surrounding whitespace stripped and every run of whitespace (newlines, tabs) made one
space. Control characters other than whitespace mean the publisher sent binary garbage or a
wrong encoding, so they are refused rather than silently removed; so is a command with no
text at all (a command is retired by age in the node, never by an empty string) and one
longer than ``max_chars`` (a guard against unbounded memory, far above what the
tokenizer keeps).
"""

from __future__ import annotations

import re
import unicodedata

from std_msgs.msg import String

from multimodal_fusion.ros.conversions.errors import MessageFormatError

MAX_TEXT_CHARS = 2000
# C0 and C1 control characters; whitespace among them is gone by the time this runs.
_CONTROL = re.compile('[\x00-\x1f\x7f-\x9f]')


def string_to_text(msg: String, *, max_chars: int = MAX_TEXT_CHARS) -> str:
    """The command in ``msg.data``, whitespace-normalised.

    Args:
        msg: the command.
        max_chars: longest accepted command, after normalisation.

    Returns:
        Non-empty text without leading, trailing or repeated whitespace.

    Raises:
        MessageFormatError: field ``'String.data'`` when the text is empty or whitespace
            only, contains a non-whitespace control character, has no visible character
            (only zero-width or other format characters), or is longer than ``max_chars``.
    """
    text = ' '.join(msg.data.split())
    if not text:
        raise MessageFormatError('String.data', 'non-empty text', repr(msg.data[:40]))
    control = _CONTROL.search(text)
    if control is not None:
        raise MessageFormatError(
            'String.data', 'printable text without control characters',
            repr(control.group()))
    # Zero-width spaces, joiners and byte-order marks render as nothing: such a string is no
    # command, however long.
    if not any(unicodedata.category(c)[0] in 'LNPS' for c in text):
        raise MessageFormatError('String.data', 'at least one visible character',
                                 ascii(text[:40]))
    if len(text) > max_chars:
        raise MessageFormatError(
            'String.data', f'at most {max_chars} characters', f'{len(text)} characters')
    return text


def text_to_string(text: str) -> String:
    """A ``std_msgs/String`` carrying ``text`` unchanged."""
    return String(data=text)
