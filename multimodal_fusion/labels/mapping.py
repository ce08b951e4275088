# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Map one set of label names onto another: rename, merge, drop.

A team's labels rarely match the simulator's: it may call ``object_grasped`` and
``handover`` both ``holding``, have no ``look_at`` action, or not care about ``ring``
boxes. A :class:`LabelMapping` says so once::

    LabelMapping(situations={'object_grasped': 'holding', 'handover': 'holding'},
                 actions={'look_at': 'none', 'point_at': None})

Names it does not mention keep their name. A name mapped to ``None`` is dropped: a
situation's intervals become unlabelled, an action becomes unlabelled (``None``), an object
class's boxes disappear.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Mapping
from typing import Optional
from typing import Sequence

from multimodal_fusion.labels.label_set import Box
from multimodal_fusion.labels.label_set import FrameBoxes
from multimodal_fusion.labels.label_set import Interval
from multimodal_fusion.labels.label_set import LabelNames
from multimodal_fusion.labels.label_set import LabelSet
from multimodal_fusion.labels.label_set import NAME_KINDS


@dataclass(frozen=True)
class LabelMapping:
    """Old name -> new name (``None``: dropped), per kind of name.

    Attributes:
        situations: renames of situations.
        actions: renames of actions.
        object_classes: renames of object classes.
        order: the new names of each kind in output order (a kind left out: first
            appearance among the mapped old names).
    """

    situations: Mapping[str, Optional[str]] = field(default_factory=dict)
    actions: Mapping[str, Optional[str]] = field(default_factory=dict)
    object_classes: Mapping[str, Optional[str]] = field(default_factory=dict)
    order: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.order) - set(NAME_KINDS))
        if unknown:
            raise ValueError(f'order has unknown kinds {unknown}; expected {NAME_KINDS}')

    def map_name(self, kind: str, name: Optional[str]) -> Optional[str]:
        """The new name of ``name`` (a ``kind`` name); ``None`` stays ``None``."""
        if name is None:
            return None
        return getattr(self, kind).get(name, name)

    def map_names(self, names: LabelNames) -> LabelNames:
        """The names a label set has after mapping one that declares ``names``.

        Raises:
            ValueError: the mapping renames a name ``names`` does not declare, or an
                ``order`` that is not exactly the mapped names.
        """
        out = {}
        for kind in NAME_KINDS:
            old = getattr(names, kind)
            stray = sorted(set(getattr(self, kind)) - set(old))
            if stray:
                raise ValueError(f'the mapping renames {kind} {stray} that the labels do not '
                                 f'declare; declared: {list(old)}')
            mapped = [self.map_name(kind, n) for n in old]
            new = list(dict.fromkeys(n for n in mapped if n is not None))
            if kind in self.order:
                wanted = list(self.order[kind])
                if sorted(wanted) != sorted(new) or len(set(wanted)) != len(wanted):
                    raise ValueError(f'order[{kind!r}] = {wanted}; expected each of the '
                                     f'mapped names {sorted(new)} once')
                new = wanted
            out[kind] = tuple(new)
        return LabelNames(**out)

    def map_interval(self, interval: Interval) -> Optional[Interval]:
        """The interval with new names; ``None`` when its situation is dropped."""
        situation = self.map_name('situations', interval.situation)
        if situation is None:
            return None
        frames = tuple(
            FrameBoxes(stamp_ns=frame.stamp_ns, line=frame.line, boxes=tuple(
                Box(class_name=new, box=box.box, object_id=box.object_id, line=box.line)
                for box in frame.boxes
                for new in [self.map_name('object_classes', box.class_name)]
                if new is not None))
            for frame in interval.frames)
        return replace(interval, situation=situation,
                       action=self.map_name('actions', interval.action), frames=frames)

    def apply(self, labels: LabelSet) -> LabelSet:
        """``labels`` with new names.

        Intervals that touch (one ends where the next starts) and end up with the same
        situation, action and referred object become one: ``object_grasped`` then
        ``handover`` is one ``holding`` interval.

        Raises:
            ValueError: see :meth:`map_names`.
        """
        names = self.map_names(labels.names)
        merged: list[Interval] = []
        for interval in labels.intervals:
            mapped = self.map_interval(interval)
            if mapped is None:
                continue
            last = merged[-1] if merged else None
            if (last is not None and last.end_ns == mapped.start_ns
                    and (last.situation, last.action, last.referred)
                    == (mapped.situation, mapped.action, mapped.referred)):
                merged[-1] = replace(last, end_ns=mapped.end_ns,
                                     frames=last.frames + mapped.frames)
            else:
                merged.append(mapped)
        return LabelSet(names, merged, source=labels.source, time_range=labels.time_range)
