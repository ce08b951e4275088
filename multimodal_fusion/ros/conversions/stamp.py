# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Header stamps as integer nanoseconds or float seconds.

Integer nanoseconds are the lossless form (the synchroniser keys on them); float seconds
lose sub-microsecond precision after about 2**53 ns (104 days of epoch time is fine,
wall-clock epochs are not), so use them only for display and coarse arithmetic.
"""

from __future__ import annotations

from typing import Union

from builtin_interfaces.msg import Time
from std_msgs.msg import Header

from multimodal_fusion.ros.conversions.errors import MessageFormatError

NS_PER_S = 1_000_000_000
_INT32_MAX = 2**31 - 1


def _as_time(stamp: Union[Header, Time]) -> Time:
    return stamp.stamp if hasattr(stamp, 'stamp') else stamp


def stamp_to_ns(stamp: Union[Header, Time]) -> int:
    """Nanoseconds since the clock's epoch.

    Args:
        stamp: a ``builtin_interfaces/Time`` or a ``std_msgs/Header`` (its stamp is used).

    Raises:
        MessageFormatError: ``Time.nanosec`` not below one second.
    """
    time = _as_time(stamp)
    if time.nanosec >= NS_PER_S:
        raise MessageFormatError('Time.nanosec', f'< {NS_PER_S}', time.nanosec)
    return time.sec * NS_PER_S + time.nanosec


def header_stamp_ns(header: Header, message_type: str) -> int:
    """A sensor message's stamp, refusing one a driver did not set.

    A zero stamp is a header left empty (or a dying driver's last word), a negative one a
    corrupted field; either would move the stream's timeline by decades.

    Args:
        header: the message's header.
        message_type: for the error's field, e.g. ``'Image'``.

    Raises:
        MessageFormatError: field ``'<message_type>.header.stamp'`` when the stamp is not
            after the epoch, or any ``stamp_to_ns`` error.
    """
    ns = stamp_to_ns(header)
    if ns <= 0:
        raise MessageFormatError(f'{message_type}.header.stamp',
                                 'a stamp after the epoch (a driver that sets it)',
                                 f'{header.stamp.sec} s {header.stamp.nanosec} ns')
    return ns


def stamp_to_sec(stamp: Union[Header, Time]) -> float:
    """Seconds since the clock's epoch, as a float (see the module note on precision)."""
    return stamp_to_ns(stamp) / NS_PER_S


def ns_to_stamp(ns: int) -> Time:
    """A ``builtin_interfaces/Time`` for integer nanoseconds.

    Raises:
        ValueError: the seconds do not fit ``Time.sec`` (int32).
    """
    sec, nanosec = divmod(int(ns), NS_PER_S)
    if not -_INT32_MAX - 1 <= sec <= _INT32_MAX:
        raise ValueError(f'stamp {ns} ns does not fit builtin_interfaces/Time.sec (int32)')
    return Time(sec=sec, nanosec=nanosec)


def sec_to_stamp(seconds: float) -> Time:
    """A ``builtin_interfaces/Time`` for float seconds, rounded to the nearest nanosecond."""
    return ns_to_stamp(round(seconds * NS_PER_S))


def make_header(stamp_ns: int = 0, frame_id: str = '') -> Header:
    """A ``std_msgs/Header`` from integer nanoseconds and a frame id."""
    return Header(stamp=ns_to_stamp(stamp_ns), frame_id=frame_id)
