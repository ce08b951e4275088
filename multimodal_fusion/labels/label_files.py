# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Label files a person writes by hand or a script writes: YAML (everything) and CSV.

The format is described, with examples, in ``docs/labels.md``; the records both hold are
parsed by :mod:`multimodal_fusion.labels.label_records`. Both readers keep the line every
value came from, so a :class:`~multimodal_fusion.labels.label_set.LabelError` names the
line to fix. YAML lines come from PyYAML's composer (each node's ``start_mark``); a CSV
row is one interval, its line the row's.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any
from typing import Optional
from typing import Union

import yaml

from multimodal_fusion.labels.label_records import check_format
from multimodal_fusion.labels.label_records import FORMAT
from multimodal_fusion.labels.label_records import FORMAT_VERSION
from multimodal_fusion.labels.label_records import interval_record
from multimodal_fusion.labels.label_records import INTERVAL_REQUIRED
from multimodal_fusion.labels.label_records import labels_from_data
from multimodal_fusion.labels.label_records import labels_to_data
from multimodal_fusion.labels.label_records import LineList
from multimodal_fusion.labels.label_records import LineMap
from multimodal_fusion.labels.label_records import parse_interval
from multimodal_fusion.labels.label_records import time_base
from multimodal_fusion.labels.label_records import writer_time_base
from multimodal_fusion.labels.label_set import check_names
from multimodal_fusion.labels.label_set import LabelError
from multimodal_fusion.labels.label_set import LabelNames
from multimodal_fusion.labels.label_set import LabelSet
from multimodal_fusion.labels.label_set import NAME_KINDS
from multimodal_fusion.labels.label_set import TimeRange

YAML_SUFFIXES = ('.yaml', '.yml')
CSV_SUFFIX = '.csv'
# CSV: one interval per row; the referred box is one cell, 'x0 y0 x1 y1'.
CSV_COLUMNS: tuple[str, ...] = ('start', 'end', 'situation', 'action', 'referred_object',
                                'referred_stamp', 'referred_box')
# '# key: value' lines before the CSV header that declare the file's names and times.
CSV_DECLARATIONS: tuple[str, ...] = ('format', 'version', 'times') + NAME_KINDS

PathLike = Union[str, Path]


# -- YAML ----------------------------------------------------------------------------------

def _plain(node, constructor: yaml.constructor.SafeConstructor, source: str):
    """The node's value with the line of every key and item (1-based)."""
    if isinstance(node, yaml.MappingNode):
        out = LineMap()
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
        out = LineList(_plain(item, constructor, source) for item in node.value)
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
            missing = [c for c in INTERVAL_REQUIRED if c not in header]
            if missing:
                raise LabelError(source, number, f'missing columns {missing}; the header '
                                                 f'needs {list(INTERVAL_REQUIRED)}')
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
    check_format(declared.get('format'), declared_lines.get('format'),
                 declared.get('version'), declared_lines.get('version'), source)
    names = LabelNames(**{kind: check_names(kind, declared.get(kind, []), source,
                                            lambda i, k=kind: declared_lines.get(k))
                          for kind in NAME_KINDS})
    if not names.situations:
        raise LabelError(source, declared_lines['situations'],
                         'situations: declare at least one situation name')
    times = time_base(declared['times'], source, declared_lines['times'], time_range, origin_ns)
    intervals = [parse_interval(record, times, source, number) for number, record in records]
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
    writer_times = writer_time_base(labels, times, origin_ns)
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
