# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""rosbag2 files (MCAP) written and read with the pure-Python ``rosbags``, no rosbag2_py.

What ``ros2 bag record`` writes, the writer here writes too: an MCAP file with every
message type's definition embedded (schema encoding ``ros2msg``), a ``metadata.yaml``
(version 9, as Jazzy and Kilted write it) that ``ros2 bag info`` and ``ros2 bag play``
read, and per topic the QoS profile it was offered with (``offered_qos_profiles``), so a
player can offer the same reliability and durability. Chunks are zstd-compressed inside
the MCAP file (rosbag2's storage-level compression: ``compression_mode`` stays empty).

Messages are rclpy messages. They are converted field by field into ``rosbags`` message
objects and serialised by ``rosbags``, not by rclpy: rclpy leaves CDR padding bytes
uninitialised (the same message would give different files) and writes a ``JointState``
with an empty trailing array that ``rosbags``' reader refuses ('CDR message size
mismatch'). The bytes read back are plain CDR that ``rclpy.serialization`` and a raw
publisher accept.

The types known are the standard ones of Kilted (``rosbags``' store) and the project's
``vision_msgs`` and ``audio_common_msgs`` definitions, registered from their ``.msg`` text:
``dev_interfaces/`` in a source tree, or the installed ``share/<package>/msg/`` of an
ament prefix (a robot's distro packages).
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
import importlib
import os
from pathlib import Path
import sys
from typing import Iterator
from typing import Optional
from typing import Sequence

import numpy as np
from rclpy.duration import Duration
from rclpy.qos import DurabilityPolicy
from rclpy.qos import HistoryPolicy
from rclpy.qos import LivelinessPolicy
from rclpy.qos import QoSProfile
from rclpy.qos import ReliabilityPolicy
from rosbags.interfaces import Nodetype
from rosbags.interfaces import Qos
from rosbags.interfaces import QosDurability
from rosbags.interfaces import QosHistory
from rosbags.interfaces import QosLiveliness
from rosbags.interfaces import QosReliability
from rosbags.interfaces import QosTime
from rosbags.rosbag2 import Reader
from rosbags.rosbag2 import StoragePlugin
from rosbags.rosbag2 import Writer
from rosbags.rosbag2.enums import CompressionFormat
from rosbags.rosbag2.enums import CompressionMode
from rosbags.typesys import get_types_from_msg
from rosbags.typesys import get_typestore
from rosbags.typesys import Stores
from rosbags.typesys.store import Typestore
from ruamel.yaml import YAML

# The packages the project defines in dev_interfaces/ (not in rosbags' standard store).
PROJECT_INTERFACES = ('vision_msgs', 'audio_common_msgs')
SOURCE_INTERFACES_DIR = Path(__file__).resolve().parents[2] / 'dev_interfaces'
# How rosbag2 records a duration policy left at its default (RMW_DURATION_INFINITE).
INFINITE = QosTime(sec=9223372036, nsec=854775807)
# Depth offered when a bag does not record one (rosbag2 records none: DDS does not
# announce a writer's history).
DEFAULT_DEPTH = 10

_DTYPES = {
    'bool': np.bool_, 'byte': np.uint8, 'char': np.uint8, 'octet': np.uint8,
    'int8': np.int8, 'uint8': np.uint8, 'int16': np.int16, 'uint16': np.uint16,
    'int32': np.int32, 'uint32': np.uint32, 'int64': np.int64, 'uint64': np.uint64,
    'float32': np.float32, 'float64': np.float64,
}


def _interface_roots() -> list[Path]:
    roots = [SOURCE_INTERFACES_DIR]
    prefixes = [p for p in os.environ.get('AMENT_PREFIX_PATH', '').split(os.pathsep) if p]
    roots += [Path(p) / 'share' for p in prefixes + [sys.prefix]]
    return roots


def interface_definitions(packages: Sequence[str] = PROJECT_INTERFACES) -> dict[str, str]:
    """``{'pkg/msg/Type': .msg text}`` of every message of ``packages``.

    Each package is taken from the first place that has it: the source tree's
    ``dev_interfaces/``, then ``share/<package>/msg`` under each ``AMENT_PREFIX_PATH``
    entry and this Python's prefix.

    Raises:
        FileNotFoundError: a package was found nowhere.
    """
    roots = _interface_roots()
    found = {}
    for package in packages:
        folder = next((root / package / 'msg' for root in roots
                       if (root / package / 'msg').is_dir()), None)
        if folder is None:
            raise FileNotFoundError(
                f'no .msg definitions of {package} in {[str(r) for r in roots]}; install '
                f'ros-$ROS_DISTRO-{package.replace("_", "-")} or run from a source tree')
        for path in sorted(folder.glob('*.msg')):
            found[f'{package}/msg/{path.stem}'] = path.read_text(encoding='utf-8')
    return found


@functools.lru_cache(maxsize=1)
def project_typestore() -> Typestore:
    """``rosbags``' Kilted store plus the project's ``vision_msgs``/``audio_common_msgs``."""
    store = get_typestore(Stores.ROS2_KILTED)
    types = {}
    for name, text in interface_definitions().items():
        types.update(get_types_from_msg(text, name))
    store.register(types)
    return store


def ros_type_name(msg_type: type) -> str:
    """``'sensor_msgs/msg/Image'`` for rclpy's ``sensor_msgs.msg.Image`` class."""
    package, kind = msg_type.__module__.split('.')[:2]
    return f'{package}/{kind}/{msg_type.__name__}'


def message_type(type_name: str) -> type:
    """The rclpy message class of ``'pkg/msg/Type'``.

    Raises:
        ValueError: the name is not of that form.
        ImportError: the package is not installed.
    """
    parts = type_name.split('/')
    if len(parts) != 3 or not all(parts):
        raise ValueError(f'message type {type_name!r}; expected package/msg/Type')
    package, kind, name = parts
    return getattr(importlib.import_module(f'{package}.{kind}'), name)


def _field_value(value, node: tuple, store: Typestore):
    nodetype, detail = node
    if nodetype == Nodetype.BASE:
        if isinstance(value, (bytes, bytearray)):  # rclpy's byte fields: b'\x01'
            return value[0]
        return value
    if nodetype == Nodetype.NAME:
        return _to_rosbags(value, detail, store)
    element, _ = detail
    if element[0] == Nodetype.BASE and element[1][0] in _DTYPES:
        dtype = _DTYPES[element[1][0]]
        if isinstance(value, (bytes, bytearray)):
            return np.frombuffer(value, dtype=dtype).copy()
        return np.array(value, dtype=dtype)
    return [_field_value(v, element, store) for v in value]


def _to_rosbags(msg, type_name: str, store: Typestore):
    _, fields = store.fielddefs[type_name]
    return store.types[type_name](
        **{name: _field_value(getattr(msg, name), node, store) for name, node in fields})


def to_rosbags(msg, store: Optional[Typestore] = None):
    """The ``rosbags`` message object with the same fields as rclpy message ``msg``."""
    store = store if store is not None else project_typestore()
    return _to_rosbags(msg, ros_type_name(type(msg)), store)


def serialize(msg, store: Optional[Typestore] = None) -> bytes:
    """``msg`` (an rclpy message) as CDR bytes, serialised by ``rosbags``."""
    store = store if store is not None else project_typestore()
    return bytes(store.serialize_cdr(to_rosbags(msg, store), ros_type_name(type(msg))))


def _duration_to_bag(duration: Duration) -> QosTime:
    ns = duration.nanoseconds
    return INFINITE if ns <= 0 else QosTime(sec=ns // 10**9, nsec=ns % 10**9)


def _duration_from_bag(time: QosTime) -> Duration:
    if time == INFINITE or (time.sec <= 0 and time.nsec <= 0):
        return Duration()
    return Duration(seconds=time.sec, nanoseconds=time.nsec)


def qos_to_bag(qos: QoSProfile) -> Qos:
    """The profile as rosbag2 records an offered QoS (default durations as infinite)."""
    return Qos(
        history=(QosHistory.KEEP_LAST if qos.history == HistoryPolicy.SYSTEM_DEFAULT
                 else QosHistory[qos.history.name]),
        depth=int(qos.depth),
        reliability=QosReliability[qos.reliability.name],
        durability=QosDurability[qos.durability.name],
        deadline=_duration_to_bag(qos.deadline),
        lifespan=_duration_to_bag(qos.lifespan),
        # A default liveliness is automatic in every DDS, and recorded so.
        liveliness=(QosLiveliness.AUTOMATIC
                    if qos.liveliness == LivelinessPolicy.SYSTEM_DEFAULT
                    else QosLiveliness[qos.liveliness.name]),
        liveliness_lease_duration=_duration_to_bag(qos.liveliness_lease_duration),
        avoid_ros_namespace_conventions=bool(qos.avoid_ros_namespace_conventions),
    )


def qos_from_bag(offers: Sequence[Qos]) -> QoSProfile:
    """The profile to offer when replaying a topic recorded with ``offers``.

    As rosbag2's player decides: reliable only when every recorded publisher was
    reliable, transient local only when every one was; with no offers recorded, reliable
    and volatile. The depth is the largest recorded (``DEFAULT_DEPTH`` when none is), so a
    latched topic keeps as many samples as its publisher did; deadline, lifespan and
    liveliness are taken when every publisher agrees.
    """
    offers = list(offers)
    reliable = all(q.reliability == QosReliability.RELIABLE for q in offers)
    latched = bool(offers) and all(q.durability == QosDurability.TRANSIENT_LOCAL
                                   for q in offers)
    depth = max([q.depth for q in offers if q.history == QosHistory.KEEP_LAST] or [0])
    profile = QoSProfile(
        history=HistoryPolicy.KEEP_LAST, depth=depth or DEFAULT_DEPTH,
        reliability=ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT,
        durability=(DurabilityPolicy.TRANSIENT_LOCAL if latched
                    else DurabilityPolicy.VOLATILE))
    if offers and len({(q.deadline, q.lifespan, q.liveliness, q.liveliness_lease_duration)
                       for q in offers}) == 1:
        first = offers[0]
        profile.deadline = _duration_from_bag(first.deadline)
        profile.lifespan = _duration_from_bag(first.lifespan)
        profile.liveliness_lease_duration = _duration_from_bag(
            first.liveliness_lease_duration)
        if first.liveliness.name in LivelinessPolicy.__members__:
            profile.liveliness = LivelinessPolicy[first.liveliness.name]
    return profile


class BagWriter:
    """Writes rclpy messages into a new rosbag2 MCAP bag (a context manager).

    Args:
        path: the bag's folder (must not exist yet); it will hold ``metadata.yaml`` and
            ``<name>.mcap``.
        compress: zstd-compress the MCAP chunks.
        custom_data: strings stored under ``custom_data`` in ``metadata.yaml`` (how the
            bag was made).
    """

    def __init__(self, path: Path, *, compress: bool = True,
                 custom_data: Optional[dict[str, str]] = None) -> None:
        self.path = Path(path)
        self.store = project_typestore()
        self._writer = Writer(self.path, version=Writer.VERSION_LATEST,
                              storage_plugin=StoragePlugin.MCAP)
        if compress:
            self._writer.set_compression(CompressionMode.STORAGE, CompressionFormat.ZSTD)
        for key, value in (custom_data or {}).items():
            self._writer.set_custom_data(key, str(value))
        self._writer.open()
        self._connections: dict = {}
        self.counts: dict[str, int] = {}

    def add_topic(self, topic: str, msg_type: type, qos: QoSProfile) -> None:
        """Declare ``topic`` (absolute name) with its rclpy type and offered QoS."""
        self._connections[topic] = self._writer.add_connection(
            topic, ros_type_name(msg_type), typestore=self.store,
            offered_qos_profiles=[qos_to_bag(qos)])
        self.counts[topic] = 0

    def write(self, topic: str, msg, log_time_ns: int) -> None:
        """Append ``msg`` on ``topic`` (declared before), received at ``log_time_ns``."""
        self._writer.write(self._connections[topic], int(log_time_ns),
                           serialize(msg, self.store))
        self.counts[topic] += 1

    def close(self) -> None:
        """Finish the MCAP file and write ``metadata.yaml``."""
        self._writer.close()

    def __enter__(self) -> BagWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self._writer.abort()


@dataclass(frozen=True)
class BagTopic:
    """One topic of a bag, as its metadata describes it.

    Attributes:
        name: absolute topic name.
        type_name: ``'pkg/msg/Type'``.
        offers: the QoS profiles its publishers offered.
        count: how many messages it has.
    """

    name: str
    type_name: str
    offers: tuple
    count: int

    @property
    def latched(self) -> bool:
        """Every recorded publisher offered transient local durability."""
        return bool(self.offers) and all(q.durability == QosDurability.TRANSIENT_LOCAL
                                         for q in self.offers)


@dataclass(frozen=True)
class BagMessage:
    """One message of a bag: its topic, its receive time and its CDR bytes."""

    topic: str
    type_name: str
    log_time_ns: int
    data: bytes


def bag_topics(path: Path) -> list[BagTopic]:
    """Every topic of the bag at ``path``, in the order they were added."""
    with Reader(Path(path)) as reader:
        return [BagTopic(c.topic, c.msgtype, tuple(c.ext.offered_qos_profiles), c.msgcount)
                for c in reader.connections]


def bag_custom_data(path: Path) -> dict[str, str]:
    """The ``custom_data`` strings of the bag's ``metadata.yaml`` (empty when none)."""
    text = (Path(path) / 'metadata.yaml').read_text(encoding='utf-8')
    info = YAML(typ='safe').load(text)['rosbag2_bagfile_information']
    return dict(info.get('custom_data') or {})


def bag_start_ns(path: Path) -> int:
    """Receive time of the bag's first message (its ``starting_time``)."""
    with Reader(Path(path)) as reader:
        return reader.start_time


def read_messages(path: Path, topics: Optional[Sequence[str]] = None,
                  start_ns: Optional[int] = None) -> Iterator[BagMessage]:
    """The bag's messages in receive-time order (written order among equal times).

    Args:
        path: the bag's folder.
        topics: only these topics (all when ``None``).
        start_ns: only messages received at or after this time.
    """
    with Reader(Path(path)) as reader:
        connections = [c for c in reader.connections if topics is None or c.topic in topics]
        if not connections:
            return
        for connection, log_time, data in reader.messages(connections, start=start_ns):
            yield BagMessage(connection.topic, connection.msgtype, log_time, bytes(data))
