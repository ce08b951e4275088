# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Label records: the one parser and writer behind label files and the ``/labels`` topic.

A record is plain data (mappings, lists, numbers, text): a YAML file's content, a CSV row
turned into the same shape, or one ``/labels`` message's JSON. :func:`labels_from_data`
and :func:`parse_interval` turn records into checked labels; :func:`labels_to_data` and
:func:`interval_record` turn labels back into records. Records read from YAML carry the
line of every key and item (:class:`LineMap`, :class:`LineList`), so an error names the
line to fix; others give one line for the whole record (a CSV row, a message number).

Times are given one way per record set, declared by its ``times`` field:

* ``relative_s``: seconds (any number) after the bag's start (its first message's receive
  time, ``starting_time`` in ``metadata.yaml``): what a person reads off a player.
* ``absolute_ns``: integer stamps in nanoseconds, the camera frames' header stamps: what a
  script that reads the bag writes, and what the ``/labels`` topic carries.
"""

from __future__ import annotations

import math
from typing import Any
from typing import Mapping
from typing import Optional

from multimodal_fusion.labels.label_set import Box
from multimodal_fusion.labels.label_set import check_box
from multimodal_fusion.labels.label_set import check_names
from multimodal_fusion.labels.label_set import FrameBoxes
from multimodal_fusion.labels.label_set import Interval
from multimodal_fusion.labels.label_set import LabelError
from multimodal_fusion.labels.label_set import LabelNames
from multimodal_fusion.labels.label_set import LabelSet
from multimodal_fusion.labels.label_set import NAME_KINDS
from multimodal_fusion.labels.label_set import NS_PER_S
from multimodal_fusion.labels.label_set import Referred
from multimodal_fusion.labels.label_set import TimeRange

FORMAT = 'multimodal_fusion/labels'
FORMAT_VERSION = 1
RELATIVE = 'relative_s'
ABSOLUTE = 'absolute_ns'
TIMES: tuple[str, ...] = (RELATIVE, ABSOLUTE)
# The fields every interval needs.
INTERVAL_REQUIRED: tuple[str, ...] = ('start', 'end', 'situation')

_TOP_KEYS = ('format', 'version', 'times', 'bag', 'description') + NAME_KINDS + ('intervals',)
_INTERVAL_KEYS = ('start', 'end', 'situation', 'action', 'referred', 'boxes')
_REFERRED_KEYS = ('object', 'stamp', 'box')
_FRAME_KEYS = ('stamp', 'objects')
_BOX_KEYS = ('class', 'box', 'id')


class LineMap(dict):
    """A YAML mapping with its own line (``line``) and each key's (``key_lines``)."""

    line: Optional[int] = None
    key_lines: dict


class LineList(list):
    """A YAML sequence with its own line (``line``) and each item's (``item_lines``)."""

    line: Optional[int] = None
    item_lines: list


def _line(container, key, default: Optional[int]) -> Optional[int]:
    """The line of ``container[key]`` when known (YAML), else ``default`` (CSV, JSON)."""
    if isinstance(container, LineMap):
        return container.key_lines.get(key, container.line)
    if isinstance(container, LineList):
        return container.item_lines[key] if 0 <= key < len(container) else container.line
    return default


def _own_line(value, default: Optional[int]) -> Optional[int]:
    return value.line if isinstance(value, (LineMap, LineList)) else default


def _type_name(value) -> str:
    if value is None:
        return 'nothing'
    return {bool: 'true/false', int: 'an integer', float: 'a number', str: 'text',
            LineMap: 'a mapping', dict: 'a mapping', LineList: 'a list', list: 'a list'}.get(
                type(value), type(value).__name__)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class TimeBase:
    """Converts a record's times to nanoseconds on the bag's clock and back.

    Args:
        kind: ``relative_s`` or ``absolute_ns``.
        origin_ns: the bag's start (relative times count from it).
    """

    def __init__(self, kind: str, origin_ns: Optional[int]) -> None:
        self.kind = kind
        self.origin_ns = origin_ns

    def to_ns(self, value, source: str, line: Optional[int], what: str) -> int:
        if self.kind == ABSOLUTE:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise LabelError(source, line, f'{what} {value!r}: expected a stamp in '
                                               'nanoseconds (an integer >= 0; times: '
                                               'absolute_ns)')
            return value
        if not _is_number(value) or not math.isfinite(value):
            raise LabelError(source, line, f'{what} {value!r}: expected seconds after the '
                                           "bag's start (a number; times: relative_s)")
        return self.origin_ns + int(round(value * NS_PER_S))

    def from_ns(self, stamp_ns: int):
        if self.kind == ABSOLUTE:
            return int(stamp_ns)
        return (stamp_ns - self.origin_ns) / NS_PER_S


def time_base(kind, source: str, line: Optional[int], time_range: Optional[TimeRange],
              origin_ns: Optional[int]) -> TimeBase:
    """The time base a ``times`` field declares.

    Raises:
        LabelError: an unknown kind, or relative times without the bag's start
            (``origin_ns``, else ``time_range``'s start).
    """
    if kind not in TIMES:
        raise LabelError(source, line, f'times {kind!r}: expected one of {list(TIMES)} '
                                       "(relative_s: seconds after the bag's start; "
                                       'absolute_ns: header stamps in nanoseconds)')
    origin = origin_ns if origin_ns is not None else (
        time_range.start_ns if time_range is not None else None)
    if kind == RELATIVE and origin is None:
        raise LabelError(source, line, "times: relative_s counts from the bag's start; "
                                       'read the file with the bag (its time range) or '
                                       'write absolute_ns stamps')
    return TimeBase(kind, origin)


class _Fields:
    """Reads the fields of one record (a YAML mapping, a CSV row, a topic message)."""

    def __init__(self, data, what: str, source: str, line: Optional[int],
                 allowed: tuple[str, ...], required: tuple[str, ...]) -> None:
        if not isinstance(data, dict):
            raise LabelError(source, _own_line(data, line),
                             f'{what}: expected a mapping, got {_type_name(data)}')
        self.data, self.source = data, source
        self.line = _own_line(data, line)
        for key in data:
            if key not in allowed:
                raise LabelError(source, self.line_of(key),
                                 f'{what}: unknown field {key!r}; expected {list(allowed)}')
        for key in required:
            if data.get(key) is None:
                raise LabelError(source, self.line, f'{what}: missing field {key!r}')

    def line_of(self, key) -> Optional[int]:
        return _line(self.data, key, self.line)

    def get(self, key):
        return self.data.get(key)

    def text(self, key, what: str) -> Optional[str]:
        value = self.data.get(key)
        if value is not None and not isinstance(value, str):
            raise LabelError(self.source, self.line_of(key),
                             f'{what} {value!r}: expected a name, got {_type_name(value)}')
        return value

    def lines(self) -> dict:
        return {key: self.line_of(key) for key in self.data}


def _names(data, kind: str, source: str, line: Optional[int]) -> tuple[str, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        raise LabelError(source, line, f'{kind}: expected a list of names, got '
                                       f'{_type_name(data)}')
    return check_names(kind, data, source, lambda i: _line(data, i, line))


def _box_values(value, source: str, line: Optional[int], what: str) -> tuple:
    if not isinstance(value, list):
        raise LabelError(source, line, f'{what} {value!r}: expected four numbers '
                                       '[x0, y0, x1, y1]')
    return tuple(value)


def _object_id(value, source: str, line: Optional[int]) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise LabelError(source, line, f'object id {value!r}: expected a name or an integer')
    return str(value)


def parse_interval(data, times: TimeBase, source: str, line: Optional[int]) -> Interval:
    """One interval record as an :class:`Interval` (checked further by :class:`LabelSet`).

    Raises:
        LabelError: missing, unknown or mistyped fields; malformed boxes.
    """
    fields = _Fields(data, 'interval', source, line, _INTERVAL_KEYS, INTERVAL_REQUIRED)
    start = times.to_ns(fields.get('start'), source, fields.line_of('start'), 'start')
    end = times.to_ns(fields.get('end'), source, fields.line_of('end'), 'end')
    situation = fields.text('situation', 'situation')
    action = fields.text('action', 'action')
    referred = None
    if fields.get('referred') is not None:
        referred = _parse_referred(fields.get('referred'), times, source,
                                   fields.line_of('referred'))
    frames = ()
    if fields.get('boxes') is not None:
        raw = fields.get('boxes')
        if not isinstance(raw, list):
            raise LabelError(source, fields.line_of('boxes'),
                             f'boxes: expected a list of frames, got {_type_name(raw)}')
        frames = tuple(_parse_frame(item, times, source, _line(raw, i, fields.line))
                       for i, item in enumerate(raw))
    return Interval(start_ns=start, end_ns=end, situation=situation, action=action,
                    referred=referred, frames=frames, line=fields.line, lines=fields.lines())


def _parse_referred(data, times: TimeBase, source: str, line: Optional[int]) -> Referred:
    fields = _Fields(data, 'referred', source, line, _REFERRED_KEYS, ())
    stamp = box = None
    if fields.get('stamp') is not None:
        stamp = times.to_ns(fields.get('stamp'), source, fields.line_of('stamp'),
                            'referred stamp')
    if fields.get('box') is not None:
        box = check_box(_box_values(fields.get('box'), source, fields.line_of('box'),
                                    'referred box'), source, fields.line_of('box'),
                        'referred box')
    return Referred(object_id=_object_id(fields.get('object'), source, fields.line_of('object')),
                    stamp_ns=stamp, box=box, line=line)


def _parse_frame(data, times: TimeBase, source: str, line: Optional[int]) -> FrameBoxes:
    fields = _Fields(data, 'boxes entry', source, line, _FRAME_KEYS, ('stamp', 'objects'))
    stamp = times.to_ns(fields.get('stamp'), source, fields.line_of('stamp'), 'boxes stamp')
    objects = fields.get('objects')
    if not isinstance(objects, list):
        raise LabelError(source, fields.line_of('objects'),
                         f'objects: expected a list of boxes, got {_type_name(objects)}')
    boxes = []
    for i, item in enumerate(objects):
        box = _Fields(item, 'object', source, _line(objects, i, fields.line), _BOX_KEYS,
                      ('class', 'box'))
        # Checked here (LabelSet checks again): the coordinates' line is the precise one.
        values = check_box(_box_values(box.get('box'), source, box.line_of('box'), 'box'),
                           source, box.line_of('box'))
        boxes.append(Box(class_name=box.text('class', 'class'), box=values,
                         object_id=_object_id(box.get('id'), source, box.line_of('id')),
                         line=box.line))
    return FrameBoxes(stamp_ns=stamp, boxes=tuple(boxes), line=fields.line)


def check_format(fmt, fmt_line: Optional[int], version, version_line: Optional[int],
                 source: str) -> None:
    """Refuse a ``format`` or ``version`` field this reader does not know (absent is fine)."""
    if fmt is not None and fmt != FORMAT:
        raise LabelError(source, fmt_line, f'format {fmt!r}: expected {FORMAT!r}')
    if version is not None and version != FORMAT_VERSION:
        raise LabelError(source, version_line,
                         f'version {version!r}: this reader knows version {FORMAT_VERSION}')


def labels_from_data(data, source: str, *, time_range: Optional[TimeRange] = None,
                     origin_ns: Optional[int] = None, line: Optional[int] = None) -> LabelSet:
    """A label set from a whole file's data (what the YAML reader builds).

    Args:
        data: the top-level mapping (see ``docs/labels.md``).
        source: the file, for errors.
        time_range: the bag's range: stamps are checked against it, and relative times
            count from its start.
        origin_ns: the bag's start, when relative times are read without a range.
        line: the line errors without a better one point to.

    Raises:
        LabelError: anything not as ``docs/labels.md`` describes.
    """
    fields = _Fields(data, 'label file', source, line, _TOP_KEYS,
                     ('times', 'situations', 'intervals'))
    check_format(fields.get('format'), fields.line_of('format'), fields.get('version'),
                 fields.line_of('version'), source)
    for key in ('bag', 'description'):
        fields.text(key, key)
    names = LabelNames(**{kind: _names(fields.get(kind), kind, source, fields.line_of(kind))
                          for kind in NAME_KINDS})
    if not names.situations:
        raise LabelError(source, fields.line_of('situations'),
                         'situations: declare at least one situation name')
    times = time_base(fields.get('times'), source, fields.line_of('times'), time_range, origin_ns)
    raw = fields.get('intervals')
    if not isinstance(raw, list):
        raise LabelError(source, fields.line_of('intervals'),
                         f'intervals: expected a list, got {_type_name(raw)}')
    intervals = [parse_interval(item, times, source, _line(raw, i, fields.line))
                 for i, item in enumerate(raw)]
    return LabelSet(names, intervals, source=source, time_range=time_range)


def _number(value: float):
    """A box coordinate as written: whole numbers without '.0'."""
    return int(value) if float(value).is_integer() else float(value)


def interval_record(interval: Interval, times: Optional[TimeBase] = None) -> dict:
    """One interval as the mapping a YAML file or a ``/labels`` message holds.

    Args:
        interval: the interval.
        times: how to write times (default: ``absolute_ns``, what the topic carries).
    """
    times = times if times is not None else TimeBase(ABSOLUTE, None)
    record: dict[str, Any] = {'start': times.from_ns(interval.start_ns),
                              'end': times.from_ns(interval.end_ns),
                              'situation': interval.situation}
    if interval.action is not None:
        record['action'] = interval.action
    referred = interval.referred
    if referred is not None:
        record['referred'] = {}
        if referred.object_id is not None:
            record['referred']['object'] = referred.object_id
        if referred.stamp_ns is not None:
            record['referred']['stamp'] = times.from_ns(referred.stamp_ns)
            record['referred']['box'] = [_number(v) for v in referred.box]
    if interval.frames:
        record['boxes'] = [
            {'stamp': times.from_ns(frame.stamp_ns),
             'objects': [{'class': b.class_name, 'box': [_number(v) for v in b.box],
                          **({'id': b.object_id} if b.object_id is not None else {})}
                         for b in frame.boxes]}
            for frame in interval.frames]
    return record


def interval_from_record(record: Mapping, source: str, line: Optional[int]) -> Interval:
    """The interval of a record with ``absolute_ns`` times (a ``/labels`` message).

    Raises:
        LabelError: a malformed record, at ``source:line``.
    """
    return parse_interval(record, TimeBase(ABSOLUTE, None), source, line)


def names_from_record(record, source: str, line: Optional[int]) -> LabelNames:
    """:class:`LabelNames` from ``{'situations': [...], 'actions': [...], ...}``.

    Raises:
        LabelError: not such a mapping, or bad names.
    """
    fields = _Fields(record, 'names', source, line, NAME_KINDS, ('situations',))
    return LabelNames(**{kind: _names(fields.get(kind), kind, source, line)
                         for kind in NAME_KINDS})


def writer_time_base(labels: LabelSet, times: Optional[str],
                     origin_ns: Optional[int]) -> TimeBase:
    """The time base to write ``labels`` with (default: relative when the start is known)."""
    if times is None:
        times = RELATIVE if (origin_ns is not None or labels.time_range is not None) else ABSOLUTE
    if times not in TIMES:
        raise ValueError(f'times={times!r}; expected one of {TIMES}')
    return time_base(times, labels.source, None, labels.time_range, origin_ns)


def labels_to_data(labels: LabelSet, *, times: Optional[str] = None,
                   origin_ns: Optional[int] = None) -> dict:
    """The whole label set as the mapping a YAML file holds.

    Args:
        labels: what to write.
        times: ``'relative_s'`` or ``'absolute_ns'`` (default: relative when the bag's start
            is known from ``origin_ns`` or ``labels.time_range``).
        origin_ns: the bag's start for relative times (default: the range's start).
    """
    writer_times = writer_time_base(labels, times, origin_ns)
    data: dict[str, Any] = {'format': FORMAT, 'version': FORMAT_VERSION,
                            'times': writer_times.kind}
    data.update({kind: list(names) for kind, names in labels.names.as_dict().items() if names})
    data['intervals'] = [interval_record(i, writer_times) for i in labels.intervals]
    return data
