# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Labels in and beside rosbag2 bags: the ``/labels`` topic and label files.

A bag's labels are either a file in its folder (``labels.yaml``, ``labels.yml`` or
``labels.csv``, beside ``metadata.yaml``: rosbag2 ignores files it does not list) or a
``/labels`` topic inside it. The topic needs no message type of its own: each message is a
``std_msgs/String`` holding one JSON object,

    {"format": "multimodal_fusion/labels", "version": 1,
     "names": {"situations": [...], "actions": [...], "object_classes": [...]},
     "interval": {"start": ..., "end": ..., "situation": ..., ...}}

one per interval, received at the interval's start (the interval record is the one a YAML
file holds, with ``absolute_ns`` times). Every message declares the names, so a subscriber
that joins late can read any of them; a label set without intervals is one message with
``"interval": null`` at the bag's start. The topic is offered reliable and transient local,
like the simulator's ground truth. MCAP orders messages by receive time whatever order they
were written in, so a recorder may write an interval once it has ended.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional
from typing import Sequence

from rclpy.qos import DurabilityPolicy
from rclpy.qos import QoSProfile
from rclpy.qos import ReliabilityPolicy
from rclpy.serialization import deserialize_message
from rosbags.rosbag2 import Reader
from std_msgs.msg import String

from multimodal_fusion.labels.label_files import read_labels
from multimodal_fusion.labels.label_records import FORMAT
from multimodal_fusion.labels.label_records import FORMAT_VERSION
from multimodal_fusion.labels.label_records import interval_from_record
from multimodal_fusion.labels.label_records import interval_record
from multimodal_fusion.labels.label_records import names_from_record
from multimodal_fusion.labels.label_set import LabelError
from multimodal_fusion.labels.label_set import LabelNames
from multimodal_fusion.labels.label_set import LabelSet
from multimodal_fusion.labels.label_set import TimeRange
from multimodal_fusion.ros.bag_io import BagWriter
from multimodal_fusion.ros.bag_io import read_messages

LABELS_TOPIC = '/labels'
LABELS_TYPE = 'std_msgs/msg/String'
LABELS_QOS = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE,
                        durability=DurabilityPolicy.TRANSIENT_LOCAL)
# Label files looked for in a bag's folder, in this order.
LABEL_FILES: tuple[str, ...] = ('labels.yaml', 'labels.yml', 'labels.csv')
_KEYS = ('format', 'version', 'names', 'interval')
# Label stamps are header stamps, the bag's range receive times: a camera stamps a frame
# when it is exposed, tens of milliseconds before it is received (and recorded).
STAMP_SLACK_NS = 500_000_000


def bag_time_range(path: Path, slack_ns: int = STAMP_SLACK_NS) -> TimeRange:
    """``[first receive time, last receive time + 1 ns)`` of the bag at ``path``.

    Label stamps within ``slack_ns`` outside it still count as inside.

    Raises:
        ValueError: the bag has no messages.
    """
    with Reader(Path(path)) as reader:
        if not reader.message_count:
            raise ValueError(f'{path}: the bag has no messages, so no time range')
        return TimeRange(reader.start_time, reader.end_time, slack_ns)


def label_message(names: LabelNames, interval=None) -> String:
    """The ``/labels`` message of one interval (``None``: the names alone)."""
    record = {'format': FORMAT, 'version': FORMAT_VERSION, 'names': names.as_dict(),
              'interval': interval_record(interval) if interval is not None else None}
    return String(data=json.dumps(record, separators=(',', ':')))


def write_labels_topic(bag: BagWriter, labels: LabelSet, *, topic: str = LABELS_TOPIC,
                       names_at_ns: Optional[int] = None) -> int:
    """Add ``topic`` to an open bag and write ``labels`` on it; returns the message count.

    Args:
        bag: the bag being written.
        labels: what to write (each interval at its start).
        topic: the topic's name.
        names_at_ns: when a label set without intervals sends its names (default: its
            range's start).

    Raises:
        ValueError: a label set without intervals and without a time to send the names.
    """
    bag.add_topic(topic, String, LABELS_QOS)
    if not labels.intervals:
        at = names_at_ns if names_at_ns is not None else (
            labels.time_range.start_ns if labels.time_range is not None else None)
        if at is None:
            raise ValueError('labels without intervals: give names_at_ns, when to send the '
                             'names')
        bag.write(topic, label_message(labels.names), at)
        return 1
    for interval in labels.intervals:
        bag.write(topic, label_message(labels.names, interval), interval.start_ns)
    return len(labels.intervals)


def read_labels_topic(path: Path, *, topic: str = LABELS_TOPIC) -> Optional[LabelSet]:
    """The labels on ``topic`` of the bag at ``path``; ``None`` when it has no such topic.

    They are checked against the bag's time range. Errors name ``<bag>#<topic>`` and the
    message's number (1-based, in receive order) as the line.

    Raises:
        LabelError: a message that is not a label record, names that differ between
            messages, or labels that fail validation.
    """
    path = Path(path)
    source = f'{path}#{topic}'
    with Reader(path) as reader:
        connections = [c for c in reader.connections if c.topic == topic]
    if not connections:
        return None
    for connection in connections:
        if connection.msgtype != LABELS_TYPE:
            raise LabelError(source, None, f'type {connection.msgtype}; expected {LABELS_TYPE}')
    names: Optional[LabelNames] = None
    intervals = []
    for number, message in enumerate(read_messages(path, [topic]), start=1):
        text = deserialize_message(message.data, String).data
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LabelError(source, number, f'not JSON: {exc.msg}') from None
        if not isinstance(record, dict) or set(record) != set(_KEYS):
            got = sorted(record) if isinstance(record, dict) else type(record).__name__
            raise LabelError(source, number, f'expected an object with keys {list(_KEYS)}, '
                                             f'got {got}')
        if record['format'] != FORMAT or record['version'] != FORMAT_VERSION:
            raise LabelError(source, number, f'format {record["format"]!r} version '
                                             f'{record["version"]!r}; expected {FORMAT!r} '
                                             f'version {FORMAT_VERSION}')
        declared = names_from_record(record['names'], source, number)
        if names is not None and declared != names:
            raise LabelError(source, number, f'names {declared.as_dict()} differ from the '
                                             f"first message's {names.as_dict()}")
        names = declared
        if record['interval'] is not None:
            intervals.append(interval_from_record(record['interval'], source, number))
    if names is None:
        raise LabelError(source, None, 'no messages: no names declared')
    return LabelSet(names, intervals, source=source, time_range=bag_time_range(path))


def label_file_beside(path: Path, names: Sequence[str] = LABEL_FILES) -> Optional[Path]:
    """The first of ``names`` in the bag folder ``path``; ``None`` when there is none."""
    return next((Path(path) / n for n in names if (Path(path) / n).is_file()), None)


def bag_labels(path: Path) -> Optional[LabelSet]:
    """A bag's labels: its label file when it has one, else its ``/labels`` topic.

    Both are checked against the bag's time range; relative times count from its start.
    Returns ``None`` for a bag with neither.

    Raises:
        LabelError: labels that fail validation (file and line in the message).
    """
    path = Path(path)
    beside = label_file_beside(path)
    if beside is not None:
        return read_labels(beside, time_range=bag_time_range(path))
    return read_labels_topic(path)
