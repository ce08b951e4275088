# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Every parameter of the fusion node, declared once.

The table below is the single source of names, defaults, descriptions and ranges:
``declare_parameters`` turns it into ``ParameterDescriptor``s, ``validate`` checks values at
configure time and on every live change, and a test keeps ``config/fusion.yaml`` equal to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from multimodal_fusion.spec import MODALITIES


@dataclass(frozen=True)
class Param:
    """One parameter: its default fixes its type (bool, int, float, str or list of str)."""

    name: str
    default: Any
    description: str
    low: Optional[float] = None
    high: Optional[float] = None
    choices: tuple[str, ...] = ()
    read_only: bool = False
    # Each list entry must be one of these (string-array parameters).
    item_choices: tuple[str, ...] = ()


_QOS_CHOICES = ('sensor_data', 'reliable', 'best_effort')

PARAMS: tuple[Param, ...] = (
    Param('autostart', True,
          'Configure and activate on start-up (a lifecycle manager may do it instead).',
          read_only=True),
    Param('model.path', '',
          'TorchScript fusion model (with its .sha256 beside it); empty: the shipped default.',
          read_only=True),
    Param('model.device', 'auto',
          "'auto' (CUDA when available, else CPU with a warning), 'cpu', 'cuda' or 'cuda:N'.",
          read_only=True),
    Param('model.torch_threads', 1,
          'torch intra-op threads; keep low so inference does not starve the executor.',
          low=1, high=64, read_only=True),
    Param('model.warmup_iterations', 3,
          'Inference calls at configure time; the first TorchScript calls are slow.',
          low=0, high=100, read_only=True),
    Param('text_encoder.path', '',
          'Traced sentence encoder for speech text; empty: the one built by setup.',
          read_only=True),
    Param('topics.camera', 'camera/image_raw', 'sensor_msgs/Image input.', read_only=True),
    Param('topics.audio', 'audio/audio_stamped',
          'audio_common_msgs/AudioDataStamped input (audio_capture in namespace audio).',
          read_only=True),
    Param('topics.audio_info', 'audio/audio_info', 'audio_common_msgs/AudioInfo input.',
          read_only=True),
    Param('topics.speech_text', 'speech/text', 'std_msgs/String speech recogniser output.',
          read_only=True),
    Param('topics.wrenches', ['wrist/left/wrench', 'wrist/right/wrench'],
          'geometry_msgs/WrenchStamped inputs, one per wrist, in model order (left, right).',
          read_only=True),
    Param('topics.joint_states', 'joint_states', 'sensor_msgs/JointState input.',
          read_only=True),
    Param('topics.imu', 'imu/data', "sensor_msgs/Imu input; '' to run without an IMU.",
          read_only=True),
    Param('qos.sensors', 'sensor_data',
          'QoS of sensor subscriptions: sensor_data (best effort, volatile), reliable or '
          'best_effort.', choices=_QOS_CHOICES, read_only=True),
    Param('qos.depth', 10, 'History depth of sensor subscriptions.', low=1, high=1000,
          read_only=True),
    Param('sync.implementation', 'builtin',
          "'builtin' (the package's ApproximateTime policy) or 'message_filters' (its "
          'ApproximateTimeSynchronizer, when importable).',
          choices=('builtin', 'message_filters'), read_only=True),
    Param('sync.queue_size', 10, 'Messages kept per synchronised input.', low=1, high=1000),
    Param('sync.slop', 0.05, 'Largest stamp spread (s) of a synchronised set.', low=0.0,
          high=5.0),
    Param('sync.required', ['camera'],
          'Modalities a set waits for; the others are marked absent when stale.',
          item_choices=MODALITIES),
    Param('sync.max_age.audio', 0.25, 'Audio older than this (s) at the set stamp: absent.',
          low=0.0, high=60.0),
    Param('sync.max_age.touch', 0.1, 'Wrenches older than this (s): touch absent.', low=0.0,
          high=60.0),
    Param('sync.max_age.proprio', 0.1, 'Joint states older than this (s): absent.', low=0.0,
          high=60.0),
    Param('sync.max_age.text', 4.0, 'A command is current for this long (s) after it arrived.',
          low=0.0, high=600.0),
    Param('sync.time_jump_threshold', 1.0,
          'A stamp this much (s) older than the newest seen clears all buffers.', low=0.0,
          high=3600.0),
    Param('detection.score_threshold', 0.3, 'Detections below this score are not published.',
          low=0.0, high=1.0),
    Param('detection.iou_threshold', 0.5, 'Non-maximum suppression IoU.', low=0.0, high=1.0),
    Param('detection.max_detections', 20, 'Most detections per image.', low=1, high=1000),
    Param('publish.debug_image', False, 'Publish ~/debug_image with boxes and labels drawn.'),
    Param('diagnostics.period', 1.0, 'Seconds between /diagnostics messages.', low=0.1,
          high=60.0),
    Param('diagnostics.stall_timeout', 1.0,
          'Camera frames arriving without an output for this long (s) is reported as ERROR.',
          low=0.1, high=600.0),
)

BY_NAME = {p.name: p for p in PARAMS}


def validate(name: str, value: Any) -> Optional[str]:
    """Return why ``value`` is not acceptable for parameter ``name``, or None if it is."""
    param = BY_NAME.get(name)
    if param is None:
        return f'unknown parameter {name!r}'
    default = param.default
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif isinstance(default, str):
        ok = isinstance(value, str)
    else:
        ok = isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
    if not ok:
        return f'{name} must be a {type(default).__name__}, got {value!r}'
    if param.low is not None and value < param.low:
        return f'{name} must be >= {param.low}, got {value!r}'
    if param.high is not None and value > param.high:
        return f'{name} must be <= {param.high}, got {value!r}'
    if param.choices and value not in param.choices:
        return f'{name} must be one of {list(param.choices)}, got {value!r}'
    if param.item_choices:
        bad = [v for v in value if v not in param.item_choices]
        if bad:
            return f'{name} entries must be in {list(param.item_choices)}, got {bad}'
    if name == 'topics.wrenches' and not value:
        return 'topics.wrenches must name at least one WrenchStamped topic'
    if name == 'model.device' and not _valid_device(value):
        return f"model.device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {value!r}"
    return None


def validate_all(values: dict) -> list[str]:
    """Every problem in a full set of values, including rules across parameters."""
    problems = [p for p in (validate(k, v) for k, v in values.items()) if p]
    required = values.get('sync.required', [])
    if 'camera' not in required:
        # Outputs carry the camera frame's header and detections need its pixels.
        problems.append('sync.required must include camera, the set anchor')
    return problems


def _valid_device(value: str) -> bool:
    if value in ('auto', 'cpu', 'cuda'):
        return True
    head, _, index = value.partition(':')
    return head == 'cuda' and index.isdigit()


def declare_parameters(node) -> dict:
    """Declare every parameter on ``node`` with a descriptor; return name -> value."""
    from rcl_interfaces.msg import FloatingPointRange
    from rcl_interfaces.msg import IntegerRange
    from rcl_interfaces.msg import ParameterDescriptor
    from rclpy.parameter import Parameter

    values = {}
    for param in PARAMS:
        descriptor = ParameterDescriptor(description=param.description,
                                         read_only=param.read_only)
        if param.choices:
            descriptor.additional_constraints = f'one of {list(param.choices)}'
        if param.low is not None and isinstance(param.default, float):
            descriptor.floating_point_range = [FloatingPointRange(
                from_value=float(param.low), to_value=float(param.high), step=0.0)]
        elif param.low is not None:
            descriptor.integer_range = [IntegerRange(
                from_value=int(param.low), to_value=int(param.high), step=1)]
        if isinstance(param.default, list):
            default = Parameter.Type.STRING_ARRAY if not param.default else param.default
            node.declare_parameter(param.name, default, descriptor)
        else:
            node.declare_parameter(param.name, param.default, descriptor)
        values[param.name] = plain_value(node.get_parameter(param.name).value)
    return values


def plain_value(value: Any) -> Any:
    """A parameter value with string arrays as lists (rclpy hands back array-likes)."""
    if isinstance(value, (str, bytes, bool, int, float)) or value is None:
        return value
    return list(value)
