# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The one exception every conversion raises for a malformed message."""

from __future__ import annotations

from typing import Optional


class MessageFormatError(ValueError):
    """A message that cannot be converted without guessing.

    The node counts rejected messages by ``field`` (for diagnostics), so every raise site
    names the offending field as ``'<Type>.<field path>'``, e.g. ``'Image.step'`` or
    ``'WrenchStamped.wrench.force.x'``.

    Args:
        field: the message field at fault, ``'<Type>.<field path>'``.
        expected: what a well-formed message has there, in words.
        got: what this message has there, if it helps the reader; shown with ``str``, so
            pass ``repr(value)`` where quotes matter.

    Attributes:
        field: as given.
        expected: as given.
        got: as given, or ``None``.
    """

    def __init__(self, field: str, expected: str, got: Optional[object] = None) -> None:
        self.field = field
        self.expected = expected
        self.got = got
        message = f'{field}: expected {expected}'
        if got is not None:
            message += f', got {got}'
        super().__init__(message)

    def __reduce__(self):
        # The default reduce would call cls(message) and lose field/expected, which breaks
        # the error crossing a process boundary (multiprocessing data loaders, bag tools).
        return (type(self), (self.field, self.expected, self.got))
