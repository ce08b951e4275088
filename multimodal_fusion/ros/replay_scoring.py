# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""A replay's outputs scored against the labels its bag carries.

The labels are the bag's own (a label file beside it or its ``/labels`` topic, read by
:func:`~multimodal_fusion.ros.bag_labels.bag_labels`; see ``docs/labels.md``), in the
team's names. What the node published for a camera frame is read from the output bag's
``~/situation_scores`` and ``~/action_scores`` (``vision_msgs/Classification``, whose header
is the frame's): the top-scoring class of each. Only frames the labels cover are scored;
the action only where it is labelled. Accuracy and macro-F1 are the evaluation's own
(:mod:`multimodal_fusion.training.metrics`); a published name the labels do not declare
counts as wrong and is listed.
"""

from __future__ import annotations

from dataclasses import dataclass
import pathlib
from typing import Callable, Mapping, Optional, Sequence

import numpy as np
from rclpy.serialization import deserialize_message
from vision_msgs.msg import Classification

from multimodal_fusion.labels import LabelSet
from multimodal_fusion.ros.bag_io import read_messages
from multimodal_fusion.ros.bag_labels import bag_labels
from multimodal_fusion.ros.conversions import stamp_to_ns
from multimodal_fusion.ros.offline_path import NODE_NAME
from multimodal_fusion.ros.offline_path import output_topic
from multimodal_fusion.training.metrics import accuracy
from multimodal_fusion.training.metrics import macro_f1


@dataclass(frozen=True)
class Published:
    """The top situation and action the node published for one camera frame."""

    situation: Optional[str] = None
    action: Optional[str] = None


def published_labels(out: pathlib.Path, *, namespace: str = '/',
                     node_name: str = NODE_NAME) -> dict[int, Published]:
    """``{frame stamp ns: Published}`` from a replay's (or a recording's) output bag."""
    topics = {output_topic(name, namespace=namespace, node_name=node_name): name
              for name in ('situation_scores', 'action_scores')}
    found: dict[int, dict[str, str]] = {}
    for message in read_messages(out, list(topics)):
        msg = deserialize_message(message.data, Classification)
        if not msg.results:
            continue
        top = max(msg.results, key=lambda r: r.score)
        found.setdefault(stamp_to_ns(msg.header), {})[topics[message.topic]] = top.class_id
    return {stamp: Published(d.get('situation_scores'), d.get('action_scores'))
            for stamp, d in sorted(found.items())}


def _scores(truth: Sequence[str], pred: Sequence[Optional[str]],
            names: Sequence[str]) -> tuple[float, float]:
    """Accuracy and macro-F1 of ``pred`` against ``truth``; undeclared names are wrong."""
    index = {name: i for i, name in enumerate(names)}
    other = len(names)  # every published name the labels do not declare
    t = np.array([index[name] for name in truth], dtype=np.int64)
    p = np.array([index.get(name, other) if name is not None else other for name in pred],
                 dtype=np.int64)
    return accuracy(t, p), macro_f1(t, p, other + 1)


def score_published(labels: LabelSet, published: Mapping[int, Published]) -> dict:
    """The published situations and actions against ``labels``.

    Returns:
        ``frames`` (published), ``labelled_frames``, ``situation_accuracy``,
        ``situation_macro_f1``, ``action_frames`` (labelled with an action),
        ``action_accuracy``, ``action_macro_f1`` (``None`` without such frames) and
        ``undeclared`` (published names the labels do not declare, sorted).
    """
    names = labels.names
    situations, actions = [], []
    for stamp, out in published.items():
        frame = labels.at(stamp)
        if frame is None:
            continue
        situations.append((frame.situation, out.situation))
        if frame.action is not None:
            actions.append((frame.action, out.action))
    declared = set(names.situations) | set(names.actions)
    undeclared = sorted({name for out in published.values()
                         for name in (out.situation, out.action)
                         if name is not None and name not in declared})
    result = {'frames': len(published), 'labelled_frames': len(situations),
              'situation_accuracy': None, 'situation_macro_f1': None,
              'action_frames': len(actions), 'action_accuracy': None,
              'action_macro_f1': None, 'undeclared': undeclared}
    if situations:
        acc, f1 = _scores(*zip(*situations), names.situations)
        result.update(situation_accuracy=round(acc, 4), situation_macro_f1=round(f1, 4))
    if actions:
        acc, f1 = _scores(*zip(*actions), names.actions)
        result.update(action_accuracy=round(acc, 4), action_macro_f1=round(f1, 4))
    return result


def label_scorer(*, namespace: str = '/', node_name: str = NODE_NAME
                 ) -> Callable[[pathlib.Path, pathlib.Path], Optional[dict]]:
    """A ``replay_bag`` scorer: the bag's labels against the output bag; None without labels.

    The scorer raises :class:`~multimodal_fusion.labels.LabelError` for labels it cannot
    read (the message names the file or topic, the line and the reason).
    """
    def scorer(bag: pathlib.Path, out: pathlib.Path) -> Optional[dict]:
        labels = bag_labels(bag)
        if labels is None:
            return None
        published = published_labels(out, namespace=namespace, node_name=node_name)
        return score_published(labels, published)

    return scorer
