# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Labels of a recording: the user's own names and time intervals on the bag's clock.

A :class:`LabelSet` holds the names a team declared (situations, actions, object classes)
and intervals ``[start, end)`` in nanoseconds on the bag's clock (the camera frames' header
stamps), each with a situation, an optional action, an optional referred object and
optional per-frame boxes. :meth:`LabelSet.at` answers what a camera frame stamp is labelled
with. Construction validates everything and refuses with a :class:`LabelError` naming the
file, the line and the reason; the readers (:mod:`multimodal_fusion.labels.label_files`)
pass the line each value came from, so a refusal points at the right line.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from dataclasses import field
import math
import numbers
from typing import Callable
from typing import Iterable
from typing import Mapping
from typing import Optional
from typing import Sequence

NS_PER_S = 1_000_000_000
# A per-frame box list or a referred box belongs to the camera frame within this of its
# stamp: hand-written seconds ('2.033') rarely hit a 30 Hz stamp to the nanosecond.
DEFAULT_FRAME_TOLERANCE_NS = 1_000_000
NAME_KINDS: tuple[str, ...] = ('situations', 'actions', 'object_classes')


class LabelError(ValueError):
    """Labels that must not be used, with where and why.

    Attributes:
        file: the label file (or ``'<bag>#/labels'`` for a bag topic).
        line: 1-based line (message number for a topic), ``None`` when unknown.
        reason: what is wrong and what was expected.
    """

    def __init__(self, file: str, line: Optional[int], reason: str) -> None:
        self.file = str(file)
        self.line = line
        self.reason = reason
        where = self.file if line is None else f'{self.file}:{line}'
        super().__init__(f'{where}: {reason}')

    def __reduce__(self):
        return (type(self), (self.file, self.line, self.reason))


@dataclass(frozen=True)
class TimeRange:
    """A bag's time range ``[start_ns, end_ns)`` (end exclusive: last message + 1 ns).

    Attributes:
        start_ns: the bag's start (relative label times count from it).
        end_ns: its last message's receive time + 1 ns.
        slack_ns: stamps this far outside still count as inside: the range is of receive
            times, and a camera stamps its frames before they are received.
    """

    start_ns: int
    end_ns: int
    slack_ns: int = 0

    def __post_init__(self) -> None:
        if self.end_ns <= self.start_ns or self.slack_ns < 0:
            raise ValueError(f'time range [{self.start_ns}, {self.end_ns}) with slack '
                             f'{self.slack_ns} ns; expected start < end and slack >= 0')

    def contains(self, stamp_ns: int) -> bool:
        """Whether ``stamp_ns`` lies in the range, give or take the slack."""
        return self.start_ns - self.slack_ns <= stamp_ns < self.end_ns + self.slack_ns


@dataclass(frozen=True)
class LabelNames:
    """The names a label set may use, in the order a model's outputs take.

    Attributes:
        situations: situation names (at least one).
        actions: action names (empty: intervals carry no action).
        object_classes: classes of boxes (empty: no boxes).
    """

    situations: tuple[str, ...]
    actions: tuple[str, ...] = ()
    object_classes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for kind in NAME_KINDS:
            object.__setattr__(self, kind, tuple(getattr(self, kind)))

    def as_dict(self) -> dict[str, list[str]]:
        """``{'situations': [...], 'actions': [...], 'object_classes': [...]}``.

        The form a model file's ``labels`` metadata takes.
        """
        return {kind: list(getattr(self, kind)) for kind in NAME_KINDS}


@dataclass(frozen=True)
class Box:
    """One object in a camera frame.

    Attributes:
        class_name: one of the declared ``object_classes``.
        box: ``(x0, y0, x1, y1)`` in source-image pixels, ``x1 > x0 >= 0``, ``y1 > y0 >= 0``.
        object_id: names the same object in other frames (``None``: not tracked).
        line: where it was written (not compared).
    """

    class_name: str
    box: tuple[float, float, float, float]
    object_id: Optional[str] = None
    line: Optional[int] = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, 'box', tuple(self.box))


@dataclass(frozen=True)
class FrameBoxes:
    """Every labelled object of one camera frame (an empty tuple: nothing in view)."""

    stamp_ns: int
    boxes: tuple[Box, ...]
    line: Optional[int] = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, 'boxes', tuple(self.boxes))


@dataclass(frozen=True)
class Referred:
    """The object an interval's command names: by id, by its box at one stamp, or both.

    Attributes:
        object_id: the id of its boxes in the per-frame boxes.
        stamp_ns: a frame stamp where ``box`` is the object (with ``box``).
        box: ``(x0, y0, x1, y1)`` at ``stamp_ns``.
        line: where it was written (not compared).
    """

    object_id: Optional[str] = None
    stamp_ns: Optional[int] = None
    box: Optional[tuple[float, float, float, float]] = None
    line: Optional[int] = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.box is not None:
            object.__setattr__(self, 'box', tuple(self.box))


@dataclass(frozen=True)
class Interval:
    """``[start_ns, end_ns)`` labelled with one situation and, optionally, one action.

    Attributes:
        start_ns: first stamp labelled (inclusive).
        end_ns: first stamp no longer labelled (exclusive).
        situation: a declared situation name.
        action: a declared action name, or ``None`` (the action is not labelled).
        referred: the object the command names, or ``None``.
        frames: per-frame boxes, sorted by stamp, every stamp inside the interval.
        line: where the interval starts in its file (not compared).
        lines: the line of each field written on a line of its own (not compared).
    """

    start_ns: int
    end_ns: int
    situation: str
    action: Optional[str] = None
    referred: Optional[Referred] = None
    frames: tuple[FrameBoxes, ...] = ()
    line: Optional[int] = field(default=None, compare=False, repr=False)
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, 'frames', tuple(self.frames))

    def line_of(self, key: str) -> Optional[int]:
        """The line of field ``key``, else the interval's own."""
        return self.lines.get(key, self.line)


@dataclass(frozen=True)
class FrameLabels:
    """What one camera frame is labelled with.

    Attributes:
        stamp_ns: the frame's stamp.
        situation: its situation.
        action: its action (``None``: not labelled).
        referred: the interval's referred object (``None``: none named).
        referred_box: the referred object's box in this frame, when the labels give it
            (its id among this frame's boxes, or its box at this stamp); else ``None``.
        boxes: this frame's boxes; ``None`` when the interval gives none for this frame
            (boxes unlabelled), an empty tuple when it says nothing is in view.
        interval: the interval the frame lies in.
    """

    stamp_ns: int
    situation: str
    action: Optional[str]
    referred: Optional[Referred]
    referred_box: Optional[tuple[float, float, float, float]]
    boxes: Optional[tuple[Box, ...]]
    interval: Interval


def format_stamp(stamp_ns: int, origin_ns: Optional[int] = None) -> str:
    """A stamp as an error message shows it: seconds after ``origin_ns`` when known."""
    if origin_ns is None:
        return f'{stamp_ns} ns'
    return f'{(stamp_ns - origin_ns) / NS_PER_S:g} s ({stamp_ns} ns)'


def check_names(kind: str, names: Sequence[str], source: str,
                line_of: Callable[[int], Optional[int]]) -> tuple[str, ...]:
    """``names`` as a tuple after checking them (non-empty strings, no duplicates).

    Args:
        kind: ``'situations'``, ``'actions'`` or ``'object_classes'``.
        names: the declared names.
        source: the file, for errors.
        line_of: the line of the ``i``-th name.

    Raises:
        LabelError: an empty or non-string name, or a name given twice.
    """
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if not isinstance(name, str) or not name.strip() or name != name.strip():
            raise LabelError(source, line_of(i),
                             f'{kind}: name {name!r} is not a non-empty word')
        if name in seen:
            raise LabelError(source, line_of(i), f'{kind}: {name!r} declared twice (also at '
                                                 f'position {seen[name] + 1})')
        seen[name] = i
    return tuple(names)


def check_box(box: Sequence[float], source: str, line: Optional[int],
              what: str = 'box') -> tuple[float, float, float, float]:
    """``box`` as ``(x0, y0, x1, y1)`` floats after checking it.

    Raises:
        LabelError: not four finite numbers, a negative one, or ``x1 <= x0`` / ``y1 <= y0``.
    """
    values = tuple(box)
    if len(values) != 4 or not all(_is_number(v) and math.isfinite(v) for v in values):
        raise LabelError(source, line,
                         f'{what} {list(values)!r}: expected four numbers [x0, y0, x1, y1]')
    x0, y0, x1, y1 = (float(v) for v in values)
    if min(x0, y0, x1, y1) < 0:
        raise LabelError(source, line, f'{what} {list(values)!r}: negative coordinate; '
                                       'pixels count from 0 at the top left')
    if x1 <= x0 or y1 <= y0:
        raise LabelError(source, line, f'{what} {list(values)!r}: expected x1 > x0 and '
                                       'y1 > y0 (the top-left corner first)')
    return (x0, y0, x1, y1)


def _is_number(value) -> bool:
    # numbers.Real: numpy scalars from a script count too.
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class LabelSet:
    """Validated labels of one recording.

    Args:
        names: the declared names.
        intervals: in any order; kept sorted by start.
        source: the file (or topic) they come from, for errors.
        time_range: the bag's range; every stamp must lie inside it (``None``: unchecked).

    Raises:
        LabelError: see :meth:`check` (duplicate or unknown names, ``end <= start``,
            overlapping intervals, stamps outside the bag or their interval, malformed boxes).
    """

    def __init__(self, names: LabelNames, intervals: Iterable[Interval], *,
                 source: str = '<labels>', time_range: Optional[TimeRange] = None) -> None:
        self.names = names
        self.source = str(source)
        self.time_range = time_range
        self.intervals: tuple[Interval, ...] = tuple(
            sorted(intervals, key=lambda i: (i.start_ns, i.end_ns)))
        self.check()
        self._starts = [i.start_ns for i in self.intervals]
        # Per interval, its frames' stamps: a lookup costs two bisections, however long.
        self._frame_stamps = [[f.stamp_ns for f in i.frames] for i in self.intervals]

    def __eq__(self, other) -> bool:
        return (isinstance(other, LabelSet) and self.names == other.names
                and self.intervals == other.intervals)

    def __repr__(self) -> str:
        return (f'LabelSet({self.source!r}, {len(self.intervals)} intervals, '
                f'{len(self.names.situations)} situations, {len(self.names.actions)} actions)')

    def _when(self, stamp_ns: int) -> str:
        origin = self.time_range.start_ns if self.time_range is not None else None
        return format_stamp(stamp_ns, origin)

    def check(self) -> None:
        """Validate names and intervals (the constructor calls it).

        Raises:
            LabelError: at the line of the first problem.
        """
        source = self.source
        for kind in NAME_KINDS:
            check_names(kind, getattr(self.names, kind), source, lambda i: None)
        if not self.names.situations:
            raise LabelError(source, None, 'no situations declared; a label set needs at '
                                           'least one situation name')
        previous: Optional[Interval] = None
        for interval in self.intervals:
            self._check_interval(interval)
            if previous is not None and interval.start_ns < previous.end_ns:
                other = f'line {previous.line}' if previous.line is not None else 'another'
                raise LabelError(
                    source, interval.line,
                    f'interval [{self._when(interval.start_ns)}, {self._when(interval.end_ns)})'
                    f' overlaps the interval at {other} '
                    f'[{self._when(previous.start_ns)}, {self._when(previous.end_ns)}); '
                    'intervals must not overlap')
            previous = interval

    def _bag(self) -> str:
        bag = self.time_range
        slack = f' give or take {bag.slack_ns / NS_PER_S:g} s' if bag.slack_ns else ''
        return f'[{self._when(bag.start_ns)}, {self._when(bag.end_ns)}){slack}'

    def _check_stamp(self, stamp_ns: int, line: Optional[int], what: str) -> None:
        if self.time_range is not None and not self.time_range.contains(stamp_ns):
            raise LabelError(self.source, line,
                             f'{what} {self._when(stamp_ns)} is outside the bag {self._bag()}')

    def _check_interval(self, interval: Interval) -> None:
        source, names = self.source, self.names
        start, end = interval.start_ns, interval.end_ns
        if end <= start:
            raise LabelError(source, interval.line_of('end'),
                             f'end {self._when(end)} is not after start {self._when(start)}')
        self._check_stamp(start, interval.line_of('start'), 'start')
        bag = self.time_range
        if bag is not None and end > bag.end_ns + bag.slack_ns:
            raise LabelError(source, interval.line_of('end'),
                             f'end {self._when(end)} is after the end of the bag {self._bag()}')
        if interval.situation not in names.situations:
            raise LabelError(source, interval.line_of('situation'),
                             f'unknown situation {interval.situation!r}; declared: '
                             f'{list(names.situations)}')
        if interval.action is not None and interval.action not in names.actions:
            raise LabelError(source, interval.line_of('action'),
                             f'unknown action {interval.action!r}; declared: '
                             f'{list(names.actions)}')
        referred = interval.referred
        if referred is not None:
            line = referred.line if referred.line is not None else interval.line_of('referred')
            if (referred.stamp_ns is None) != (referred.box is None):
                raise LabelError(source, line, 'referred: a box needs the stamp it is at, '
                                               'and a stamp needs a box')
            if referred.object_id is None and referred.stamp_ns is None:
                raise LabelError(source, line, 'referred: give an object id, or a stamp and '
                                               'a box, or both')
            if referred.box is not None:
                check_box(referred.box, source, line, 'referred box')
                self._check_inside(interval, referred.stamp_ns, line, 'referred stamp')
        previous: Optional[FrameBoxes] = None
        for frame in interval.frames:
            line = frame.line if frame.line is not None else interval.line_of('boxes')
            self._check_inside(interval, frame.stamp_ns, line, 'boxes stamp')
            if previous is not None and frame.stamp_ns <= previous.stamp_ns:
                raise LabelError(source, line, f'boxes stamp {self._when(frame.stamp_ns)} '
                                               'repeats or goes back; one entry per frame, '
                                               'in time order')
            previous = frame
            ids: set[str] = set()
            for box in frame.boxes:
                box_line = box.line if box.line is not None else line
                if box.class_name not in names.object_classes:
                    raise LabelError(source, box_line,
                                     f'unknown object class {box.class_name!r}; declared: '
                                     f'{list(names.object_classes)}')
                check_box(box.box, source, box_line)
                if box.object_id is not None:
                    if box.object_id in ids:
                        raise LabelError(source, box_line,
                                         f'object id {box.object_id!r} twice in one frame')
                    ids.add(box.object_id)

    def _check_inside(self, interval: Interval, stamp_ns: int, line: Optional[int],
                      what: str) -> None:
        if not interval.start_ns <= stamp_ns < interval.end_ns:
            raise LabelError(self.source, line,
                             f'{what} {self._when(stamp_ns)} is outside its interval '
                             f'[{self._when(interval.start_ns)}, '
                             f'{self._when(interval.end_ns)})')
        self._check_stamp(stamp_ns, line, what)

    def _index_at(self, stamp_ns: int) -> Optional[int]:
        i = bisect.bisect_right(self._starts, stamp_ns) - 1
        return i if i >= 0 and stamp_ns < self.intervals[i].end_ns else None

    def interval_at(self, stamp_ns: int) -> Optional[Interval]:
        """The interval ``stamp_ns`` lies in (start inclusive, end exclusive), or ``None``."""
        i = self._index_at(stamp_ns)
        return None if i is None else self.intervals[i]

    def at(self, stamp_ns: int, *,
           tolerance_ns: int = DEFAULT_FRAME_TOLERANCE_NS) -> Optional[FrameLabels]:
        """The labels of the camera frame stamped ``stamp_ns``; ``None`` when unlabelled.

        Args:
            stamp_ns: the frame's header stamp.
            tolerance_ns: per-frame boxes and a referred box at a stamp belong to this
                frame when their stamp is within this of ``stamp_ns`` (the nearest wins).
        """
        stamp_ns = int(stamp_ns)
        i = self._index_at(stamp_ns)
        if i is None:
            return None
        interval = self.intervals[i]
        boxes = None
        if interval.frames:
            stamps = self._frame_stamps[i]
            j = bisect.bisect_left(stamps, stamp_ns)
            near = [k for k in (j - 1, j) if 0 <= k < len(stamps)
                    and abs(stamps[k] - stamp_ns) <= tolerance_ns]
            if near:
                best = min(near, key=lambda k: abs(stamps[k] - stamp_ns))
                boxes = interval.frames[best].boxes
        referred = interval.referred
        referred_box = None
        if referred is not None:
            if referred.object_id is not None and boxes is not None:
                referred_box = next((b.box for b in boxes if b.object_id == referred.object_id),
                                    None)
            if (referred_box is None and referred.stamp_ns is not None
                    and abs(referred.stamp_ns - stamp_ns) <= tolerance_ns):
                referred_box = referred.box
        return FrameLabels(stamp_ns=stamp_ns, situation=interval.situation,
                           action=interval.action, referred=referred,
                           referred_box=referred_box, boxes=boxes, interval=interval)

    def situation_index(self, name: str) -> int:
        """The output index of situation ``name`` (its place among the declared names)."""
        return self.names.situations.index(name)

    def action_index(self, name: str) -> int:
        """The output index of action ``name`` (its place among the declared names)."""
        return self.names.actions.index(name)
