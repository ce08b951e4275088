# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""A one-slot, latest-wins mailbox between the sensor callbacks and the inference worker.

A robot wants the model to see the newest set, not a backlog: when inference is slower
than the camera, sets waiting in a queue only add latency. So the slot holds one set; a
new one replaces an untaken one, which is counted as dropped.
"""

from __future__ import annotations

import threading
from typing import Callable, Generic, Optional, TypeVar

T = TypeVar('T')


class LatestSlot(Generic[T]):
    """Thread-safe one-item mailbox: ``put`` never blocks, ``get`` waits for an item.

    Args:
        on_drop: called with each item replaced before it was taken (or put after
            ``close``), outside the lock: the hook for a dropped-set counter.
    """

    def __init__(self, *, on_drop: Optional[Callable[[T], None]] = None) -> None:
        self._cond = threading.Condition()
        self._item: Optional[T] = None
        self._closed = False
        self._on_drop = on_drop
        self._puts = 0
        self._taken = 0
        self._dropped = 0

    def put(self, item: T) -> bool:
        """Offer an item; it replaces any item not yet taken.

        Returns:
            True when an item was dropped: the one replaced, or ``item`` itself when the slot
            is closed.

        Raises:
            ValueError: ``item`` is None (None is what ``get`` returns for "nothing").
        """
        if item is None:
            raise ValueError('LatestSlot cannot hold None')
        with self._cond:
            self._puts += 1
            if self._closed:
                dropped: Optional[T] = item
            else:
                dropped, self._item = self._item, item
                self._cond.notify()
            if dropped is not None:
                self._dropped += 1
        if dropped is not None and self._on_drop is not None:
            self._on_drop(dropped)
        return dropped is not None

    def get(self, timeout: Optional[float] = None) -> Optional[T]:
        """Take the item, waiting up to ``timeout`` seconds (None: forever) for one.

        Returns:
            The newest item, or None on timeout or once the slot is closed.
        """
        with self._cond:
            self._cond.wait_for(lambda: self._item is not None or self._closed, timeout)
            if self._closed or self._item is None:
                return None
            item, self._item = self._item, None
            self._taken += 1
            return item

    def close(self) -> None:
        """Wake every waiting ``get`` (it returns None) and refuse further items.

        An item still in the slot is discarded without counting: shutting down is not a
        sign of an overloaded worker.
        """
        with self._cond:
            self._closed = True
            self._item = None
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def has_item(self) -> bool:
        """Whether an item is waiting (a snapshot: another thread may take it next)."""
        with self._cond:
            return self._item is not None

    @property
    def dropped(self) -> int:
        """Items replaced before being taken, plus items put after ``close``."""
        with self._cond:
            return self._dropped

    @property
    def taken(self) -> int:
        """Items handed out by ``get``."""
        with self._cond:
            return self._taken

    @property
    def puts(self) -> int:
        """Items offered by ``put``."""
        with self._cond:
            return self._puts
