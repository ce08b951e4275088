# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Label files a person writes by hand or a script writes: YAML (everything) and CSV.

The format is described, with examples, in ``docs/labels.md``. Both readers keep the line
every value came from, so :class:`~multimodal_fusion.labels.label_set.LabelError` names
the line to fix. YAML lines come from PyYAML's composer (each node's ``start_mark``).

Times are given one way per file, declared by its ``times`` field:

* ``relative_s``: seconds (any number) after the bag's start (its first message's receive
  time, ``starting_time`` in ``metadata.yaml``): what a person reads off a player.
* ``absolute_ns``: integer stamps in nanoseconds, the camera frames' header stamps: what a
  script that reads the bag writes.

The same interval records, with ``absolute_ns`` times, are what a bag's ``/labels`` topic
carries (:mod:`multimodal_fusion.ros.bag_labels`): :func:`interval_record` and
:func:`interval_from_record` convert them.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any
from typing import Mapping
from typing import Optional
from typing import Union

import yaml

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
YAML_SUFFIXES = ('.yaml', '.yml')
CSV_SUFFIX = '.csv'
# CSV: one interval per row; the referred box is one cell, 'x0 y0 x1 y1'.
CSV_COLUMNS: tuple[str, ...] = ('start', 'end', 'situation', 'action', 'referred_object',
                                'referred_stamp', 'referred_box')
CSV_REQUIRED: tuple[str, ...] = ('start', 'end', 'situation')
# '# key: value' lines before the CSV header that declare the file's names and times.
CSV_DECLARATIONS: tuple[str, ...] = ('format', 'version', 'times') + NAME_KINDS

_TOP_KEYS = ('format', 'version', 'times', 'bag', 'description') + NAME_KINDS + ('intervals',)
_INTERVAL_KEYS = ('start', 'end', 'situation', 'action', 'referred', 'boxes')
_REFERRED_KEYS = ('object', 'stamp', 'box')
_FRAME_KEYS = ('stamp', 'objects')
_BOX_KEYS = ('class', 'box', 'id')

PathLike = Union[str, Path]


class _Map(dict):
    """A YAML mapping with the line of each key."""

    line: Optional[int] = None
    key_lines: dict


class _Seq(list):
    """A YAML sequence with the line of each item."""

    line: Optional[int] = None
    item_lines: list


def _line(container, key, default: Optional[int]) -> Optional[int]:
    """The line of ``container[key]`` when known (YAML), else ``default`` (CSV, JSON)."""
    if isinstance(container, _Map):
        return container.key_lines.get(key, container.line)
    if isinstance(container, _Seq):
        return container.item_lines[key] if 0 <= key < len(container) else container.line
    return default


def _own_line(value, default: Optional[int]) -> Optional[int]:
    return value.line if isinstance(value, (_Map, _Seq)) else default


def _type_name(value) -> str:
    if value is None:
        return 'nothing'
    return {bool: 'true/false', int: 'an integer', float: 'a number', str: 'text',
            _Map: 'a mapping', dict: 'a mapping', _Seq: 'a list', list: 'a list'}.get(
                type(value), type(value).__name__)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Times:
    """Converts a file's times to nanoseconds on the bag's clock and back."""

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


def _times(kind, source: str, line: Optional[int], time_range: Optional[TimeRange],
           origin_ns: Optional[int]) -> _Times:
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
    return _Times(kind, origin)


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


def _parse_interval(data, times: _Times, source: str, line: Optional[int]) -> Interval:
    fields = _Fields(data, 'interval', source, line, _INTERVAL_KEYS, CSV_REQUIRED)
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


def _parse_referred(data, times: _Times, source: str, line: Optional[int]) -> Referred:
    fields = _Fields(data, 'referred', source, line, _REFERRED_KEYS, ())
    stamp = box = None
    if fields.get('stamp') is not None:
        stamp = times.to_ns(fields.get('stamp'), source, fields.line_of('stamp'),
                            'referred stamp')
    if fields.get('box') is not None:
        box = _box_values(fields.get('box'), source, fields.line_of('box'), 'referred box')
    return Referred(object_id=_object_id(fields.get('object'), source, fields.line_of('object')),
                    stamp_ns=stamp, box=box, line=line)


def _parse_frame(data, times: _Times, source: str, line: Optional[int]) -> FrameBoxes:
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
        values = _box_values(box.get('box'), source, box.line_of('box'), 'box')
        # Checked here too: the coordinates' own line is more precise than the box's.
        check_box(values, source, box.line_of('box'))
        boxes.append(Box(class_name=box.text('class', 'class'), box=values,
                         object_id=_object_id(box.get('id'), source, box.line_of('id')),
                         line=box.line))
    return FrameBoxes(stamp_ns=stamp, boxes=tuple(boxes), line=fields.line)


def _check_format(fmt, fmt_line: Optional[int], version, version_line: Optional[int],
                  source: str) -> None:
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
    _check_format(fields.get('format'), fields.line_of('format'), fields.get('version'),
                  fields.line_of('version'), source)
    for key in ('bag', 'description'):
        fields.text(key, key)
    names = LabelNames(**{kind: _names(fields.get(kind), kind, source, fields.line_of(kind))
                          for kind in NAME_KINDS})
    if not names.situations:
        raise LabelError(source, fields.line_of('situations'),
                         'situations: declare at least one situation name')
    times = _times(fields.get('times'), source, fields.line_of('times'), time_range, origin_ns)
    raw = fields.get('intervals')
    if not isinstance(raw, list):
        raise LabelError(source, fields.line_of('intervals'),
                         f'intervals: expected a list, got {_type_name(raw)}')
    intervals = [_parse_interval(item, times, source, _line(raw, i, fields.line))
                 for i, item in enumerate(raw)]
    return LabelSet(names, intervals, source=source, time_range=time_range)


# -- YAML ----------------------------------------------------------------------------------

def _plain(node, constructor: yaml.constructor.SafeConstructor, source: str):
    """The node's value with the line of every key and item (1-based)."""
    if isinstance(node, yaml.MappingNode):
        out = _Map()
        out.line, out.key_lines = node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise LabelError(source, key_line, 'a key must be a name')
            key = constructor.construct_object(key_node)
            if key in out:
                raise LabelError(source, key_line,
                                 f'{key!r} given twice (also line {out.key_lines[key]})')
            out[key] = _plain(value_node, constructor, source)
            out.key_lines[key] = key_line
        return out
    if isinstance(node, yaml.SequenceNode):
        out = _Seq(_plain(item, constructor, source) for item in node.value)
        out.line = node.start_mark.line + 1
        out.item_lines = [item.start_mark.line + 1 for item in node.value]
        return out
    try:
        return constructor.construct_object(node)
    except yaml.constructor.ConstructorError as exc:
        raise LabelError(source, node.start_mark.line + 1, f'unreadable value: {exc.problem}')


def parse_yaml(text: str, source: str = '<yaml>', *, time_range: Optional[TimeRange] = None,
               origin_ns: Optional[int] = None) -> LabelSet:
    """A label set from YAML text (see :func:`labels_from_data` for the arguments)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise LabelError(source, mark.line + 1 if mark else None,
                         f'not valid YAML: {exc.problem or exc.context}') from None
    except yaml.YAMLError as exc:
        raise LabelError(source, None, f'not valid YAML: {exc}') from None
    if node is None:
        raise LabelError(source, 1, 'empty file; expected the label file mapping')
    data = _plain(node, yaml.constructor.SafeConstructor(), source)
    return labels_from_data(data, source, time_range=time_range, origin_ns=origin_ns, line=1)


# -- CSV -----------------------------------------------------------------------------------

def _csv_number(cell: str, source: str, line: int, column: str):
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        return float(cell)
    except ValueError:
        raise LabelError(source, line, f'{column} {cell!r}: expected a number') from None


def _csv_record(row: dict, source: str, line: int) -> dict:
    """A CSV row as the interval record the YAML form writes."""
    cells = {k: v.strip() for k, v in row.items() if v is not None and v.strip()}
    record: dict[str, Any] = {}
    for key in ('start', 'end'):
        if key in cells:
            record[key] = _csv_number(cells[key], source, line, key)
    for key in ('situation', 'action'):
        if key in cells:
            record[key] = cells[key]
    referred: dict[str, Any] = {}
    if 'referred_object' in cells:
        referred['object'] = cells['referred_object']
    if 'referred_stamp' in cells:
        referred['stamp'] = _csv_number(cells['referred_stamp'], source, line,
                                        'referred_stamp')
    if 'referred_box' in cells:
        referred['box'] = [_csv_number(v, source, line, 'referred_box')
                           for v in cells['referred_box'].split()]
    if referred:
        record['referred'] = referred
    return record


def parse_csv(text: str, source: str = '<csv>', *, time_range: Optional[TimeRange] = None,
              origin_ns: Optional[int] = None) -> LabelSet:
    """A label set from CSV text: ``# key: value`` declarations, a header, one row per interval.

    See :func:`labels_from_data` for the arguments.
    """
    declared: dict[str, Any] = {}
    declared_lines: dict[str, int] = {}
    header: Optional[list[str]] = None
    header_line = 0
    records = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped.startswith('#'):
            key, sep, value = stripped[1:].partition(':')
            key = key.strip()
            if header is None and sep and key in CSV_DECLARATIONS:
                if key in declared:
                    raise LabelError(source, number, f'{key!r} declared twice (also line '
                                                     f'{declared_lines[key]})')
                value = value.strip()
                if key in NAME_KINDS:
                    declared[key] = [n.strip() for n in value.split(',')] if value else []
                elif key == 'version':
                    declared[key] = _csv_number(value, source, number, key)
                else:
                    declared[key] = value
                declared_lines[key] = number
            continue
        cells = next(csv.reader([raw]))
        if header is None:
            header, header_line = [c.strip() for c in cells], number
            for column in header:
                if column not in CSV_COLUMNS:
                    raise LabelError(source, number, f'unknown column {column!r}; expected '
                                                     f'columns from {list(CSV_COLUMNS)}')
                if header.count(column) > 1:
                    raise LabelError(source, number, f'column {column!r} twice')
            missing = [c for c in CSV_REQUIRED if c not in header]
            if missing:
                raise LabelError(source, number, f'missing columns {missing}; the header '
                                                 f'needs {list(CSV_REQUIRED)}')
            continue
        if len(cells) != len(header):
            raise LabelError(source, number, f'{len(cells)} cells for {len(header)} columns '
                                             f'{header}')
        records.append((number, _csv_record(dict(zip(header, cells)), source, number)))
    if header is None:
        raise LabelError(source, None, f'no header row; expected a row of columns from '
                                       f'{list(CSV_COLUMNS)} after the # declarations')
    for key, line in (('times', header_line), ('situations', header_line)):
        if key not in declared:
            raise LabelError(source, line, f'missing declaration "# {key}: ..." before the '
                                           'header')
    _check_format(declared.get('format'), declared_lines.get('format'),
                  declared.get('version'), declared_lines.get('version'), source)
    names = LabelNames(**{kind: check_names(kind, declared.get(kind, []), source,
                                            lambda i, k=kind: declared_lines.get(k))
                          for kind in NAME_KINDS})
    if not names.situations:
        raise LabelError(source, declared_lines['situations'],
                         'situations: declare at least one situation name')
    times = _times(declared['times'], source, declared_lines['times'], time_range, origin_ns)
    intervals = [_parse_interval(record, times, source, number) for number, record in records]
    return LabelSet(names, intervals, source=source, time_range=time_range)


# -- files ---------------------------------------------------------------------------------

def read_labels(path: PathLike, *, time_range: Optional[TimeRange] = None,
                origin_ns: Optional[int] = None) -> LabelSet:
    """The label file at ``path`` (``.yaml``/``.yml`` or ``.csv``), validated.

    Args:
        path: the file.
        time_range: the bag's range (see :func:`labels_from_data`).
        origin_ns: the bag's start, for relative times without a range.

    Raises:
        LabelError: with the file, line and reason.
        FileNotFoundError: no such file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in YAML_SUFFIXES + (CSV_SUFFIX,):
        raise LabelError(str(path), None, f'unknown label file type {path.suffix!r}; expected '
                                          f'{list(YAML_SUFFIXES + (CSV_SUFFIX,))}')
    try:
        text = path.read_text(encoding='utf-8')
    except UnicodeDecodeError as exc:
        raise LabelError(str(path), None, f'not UTF-8 text ({exc.reason})') from None
    parse = parse_csv if suffix == CSV_SUFFIX else parse_yaml
    return parse(text, str(path), time_range=time_range, origin_ns=origin_ns)


def _number(value: float):
    """A box coordinate as written: whole numbers without '.0'."""
    return int(value) if float(value).is_integer() else float(value)


def interval_record(interval: Interval, times: Optional[_Times] = None) -> dict:
    """One interval as the mapping a YAML file or a ``/labels`` message holds.

    Args:
        interval: the interval.
        times: how to write times (default: ``absolute_ns``, what the topic carries).
    """
    times = times if times is not None else _Times(ABSOLUTE, None)
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
    return _parse_interval(record, _Times(ABSOLUTE, None), source, line)


def names_from_record(record, source: str, line: Optional[int]) -> LabelNames:
    """:class:`LabelNames` from ``{'situations': [...], 'actions': [...], ...}``.

    Raises:
        LabelError: not such a mapping, or bad names.
    """
    fields = _Fields(record, 'names', source, line, NAME_KINDS, ('situations',))
    return LabelNames(**{kind: _names(fields.get(kind), kind, source, line)
                         for kind in NAME_KINDS})


def _writer_times(labels: LabelSet, times: Optional[str], origin_ns: Optional[int]) -> _Times:
    if times is None:
        times = RELATIVE if (origin_ns is not None or labels.time_range is not None) else ABSOLUTE
    if times not in TIMES:
        raise ValueError(f'times={times!r}; expected one of {TIMES}')
    return _times(times, labels.source, None, labels.time_range, origin_ns)


def labels_to_data(labels: LabelSet, *, times: Optional[str] = None,
                   origin_ns: Optional[int] = None) -> dict:
    """The whole label set as the mapping a YAML file holds.

    Args:
        labels: what to write.
        times: ``'relative_s'`` or ``'absolute_ns'`` (default: relative when the bag's start
            is known from ``origin_ns`` or ``labels.time_range``).
        origin_ns: the bag's start for relative times (default: the range's start).
    """
    writer_times = _writer_times(labels, times, origin_ns)
    data: dict[str, Any] = {'format': FORMAT, 'version': FORMAT_VERSION,
                            'times': writer_times.kind}
    data.update({kind: list(names) for kind, names in labels.names.as_dict().items() if names})
    data['intervals'] = [interval_record(i, writer_times) for i in labels.intervals]
    return data


def write_labels(labels: LabelSet, path: PathLike, *, times: Optional[str] = None,
                 origin_ns: Optional[int] = None) -> Path:
    """Write ``labels`` to ``path`` as YAML or CSV (by its suffix); returns the path.

    Args:
        labels: what to write.
        path: ``.yaml``/``.yml`` or ``.csv``.
        times: see :func:`labels_to_data`.
        origin_ns: see :func:`labels_to_data`.

    Raises:
        ValueError: an unknown suffix, or per-frame boxes for a CSV file (CSV holds none).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in YAML_SUFFIXES:
        data = labels_to_data(labels, times=times, origin_ns=origin_ns)
        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=99)
        path.write_text(f'# Labels ({FORMAT}, docs/labels.md).\n{text}', encoding='utf-8')
        return path
    if suffix != CSV_SUFFIX:
        raise ValueError(f'{path}: expected a {YAML_SUFFIXES} or {CSV_SUFFIX} file')
    if any(i.frames for i in labels.intervals):
        raise ValueError(f'{path}: per-frame boxes do not fit in CSV; write YAML')
    writer_times = _writer_times(labels, times, origin_ns)
    lines = [f'# format: {FORMAT}', f'# version: {FORMAT_VERSION}',
             f'# times: {writer_times.kind}']
    lines += [f'# {kind}: {", ".join(names)}' for kind, names in labels.names.as_dict().items()
              if names]
    rows = []
    for interval in labels.intervals:
        record = interval_record(interval, writer_times)
        referred = record.get('referred', {})
        rows.append([record['start'], record['end'], record['situation'],
                     record.get('action', ''), referred.get('object', ''),
                     referred.get('stamp', ''),
                     ' '.join(str(v) for v in referred.get('box', []))])
    with path.open('w', encoding='utf-8', newline='') as f:
        f.write('\n'.join(lines) + '\n')
        writer = csv.writer(f, lineterminator='\n')
        writer.writerow(CSV_COLUMNS)
        writer.writerows(rows)
    return path
