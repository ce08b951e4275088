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


# When a parameter's value takes effect.
START = 'start'  # read once when the process starts (read-only)
CONFIGURE = 'configure'  # read at configure: settable only while unconfigured
LIVE = 'live'  # applied at once, in any state
APPLIES = (START, CONFIGURE, LIVE)


@dataclass(frozen=True)
class Param:
    """One parameter: its default fixes its type (bool, int, float, str or list of str).

    ``applies`` says when a new value takes effect (``START``, ``CONFIGURE`` or ``LIVE``);
    the node refuses a change it would not honour, with the transition that applies it.
    """

    name: str
    default: Any
    description: str
    low: Optional[float] = None
    high: Optional[float] = None
    choices: tuple[str, ...] = ()
    applies: str = START
    # Each list entry must be one of these (string-array parameters).
    item_choices: tuple[str, ...] = ()

    @property
    def read_only(self) -> bool:
        return self.applies == START


_QOS_CHOICES = ('sensor_data', 'reliable', 'best_effort')

PARAMS: tuple[Param, ...] = (
    # First: it decides the values of the others.
    Param('overrides', [],
          "'name=value' entries that take precedence over the params file (the launch file's "
          'arguments model_path, device, ... arrive here); an empty value is ignored.'),
    Param('autostart', True,
          'Configure and activate on start-up (a lifecycle manager may do it instead).'),
    Param('executor', 'events',
          "rclpy executor: 'single_threaded' (rclpy's Python executor) or 'events' (its C++ "
          'EventsExecutor: far less CPU per message; speech text is then stamped when its '
          'callback runs, not when the middleware received it).',
          choices=('single_threaded', 'events')),
    Param('model.path', '',
          'TorchScript fusion model (with its .sha256 beside it); empty: the shipped default. '
          'Read at configure: cleanup, set it, configure to swap models.', applies=CONFIGURE),
    Param('model.device', 'auto',
          "'auto' (CUDA when available, else CPU with a warning), 'cpu', 'cuda' or 'cuda:N'.",
          applies=CONFIGURE),
    Param('model.fp16', False,
          'Run the model in half precision (CUDA only; configure fails on a CPU).',
          applies=CONFIGURE),
    Param('model.torch_threads', 1,
          'torch intra-op threads; keep low so inference does not starve the executor.',
          low=1, high=64),
    Param('model.warmup_iterations', 3,
          'Inference calls at configure time; the first TorchScript calls are slow.',
          low=0, high=100, applies=CONFIGURE),
    Param('budget.latency_ms', 0.0,
          "A set's latency budget in ms, from its camera frame's arrival in the node to its "
          'outputs (the monotonic clock): when the median of the last budget.window sets is '
          'over it, budget.fallback_model runs instead of model.path until model.path fits '
          'again; 0: no budget.', low=0.0, high=600000.0, applies=CONFIGURE),
    Param('budget.fallback_model', '',
          'The lighter TorchScript model file (same labels and modalities as model.path, its '
          '.sha256 beside it) run while over budget; needed when budget.latency_ms > 0.',
          applies=CONFIGURE),
    Param('budget.window', 10,
          'Sets whose median latency is compared with budget.latency_ms.',
          low=1, high=1000, applies=CONFIGURE),
    Param('budget.probe_period', 2.0,
          'While the fallback runs, one set this often (s) runs model.path to see whether it '
          'fits again.', low=0.05, high=3600.0, applies=CONFIGURE),
    Param('budget.probes', 3,
          'Probes in a row, each within budget.recover_ratio of the budget, before model.path '
          'takes over again.', low=1, high=100, applies=CONFIGURE),
    Param('budget.recover_ratio', 0.6,
          'A probe fits when its latency is at most this fraction of the budget (below 1: '
          'hysteresis; a probe skips the wait for the mailbox that steady running adds).',
          low=0.05, high=0.95, applies=CONFIGURE),
    Param('text_encoder.path', '',
          'Traced sentence encoder for speech text; empty: the one built by setup.',
          applies=CONFIGURE),
    Param('topics.camera', 'camera/image_raw',
          'Camera input: sensor_msgs/Image (raw), or its <topic>/compressed '
          'sensor_msgs/CompressedImage (topics.camera_transport compressed).'),
    Param('topics.camera_transport', 'raw',
          "'raw' (sensor_msgs/Image) or 'compressed' (sensor_msgs/CompressedImage, jpeg/png, "
          'on <topics.camera>/compressed as image_transport names it).',
          choices=('raw', 'compressed')),
    Param('topics.audio', 'audio/audio_stamped',
          'audio_common_msgs/AudioDataStamped input (audio_capture in namespace audio).'),
    Param('topics.audio_info', 'audio/audio_info', 'audio_common_msgs/AudioInfo input.'),
    Param('topics.speech_text', 'speech/text', 'std_msgs/String speech recogniser output.'),
    Param('topics.wrenches', ['wrist/left/wrench', 'wrist/right/wrench'],
          'geometry_msgs/WrenchStamped inputs, one per wrist, in model order (left, right).'),
    Param('topics.joint_states', ['joint_states'],
          'sensor_msgs/JointState inputs; several (e.g. one per limb controller) are merged '
          'by joint name.'),
    Param('topics.imu', 'imu/data', "sensor_msgs/Imu input; '' to run without an IMU."),
    Param('joints.map', [],
          "The robot's name for model joints whose names differ, as 'model_joint=robot_joint' "
          'entries; unlisted model joints keep their own names (ros2 param describe lists '
          'them in the startup log).', applies=CONFIGURE),
    Param('joints.zero_missing', False,
          'A model joint no JointState provides: false marks proprioception absent, true '
          'fills it with zeros.', applies=CONFIGURE),
    Param('qos.sensors', 'sensor_data',
          'QoS of sensor subscriptions: sensor_data (best effort, volatile), reliable or '
          'best_effort.', choices=_QOS_CHOICES),
    Param('qos.depth', 10, 'History depth of sensor subscriptions.', low=1, high=1000),
    Param('sync.implementation', 'builtin',
          "'builtin' (the package's ApproximateTime policy) or 'message_filters' (its "
          'ApproximateTimeSynchronizer, when importable).',
          choices=('builtin', 'message_filters')),
    Param('sync.queue_size', 10, 'Messages kept per synchronised input.', low=1, high=1000,
          applies=LIVE),
    Param('sync.slop', 0.05, 'Largest stamp spread (s) of a synchronised set.', low=0.0,
          high=5.0, applies=LIVE),
    Param('sync.required', ['camera'],
          'Modalities a set waits for; the others are marked absent when stale.',
          item_choices=MODALITIES, applies=CONFIGURE),
    Param('sync.max_age.audio', 0.25, 'Audio older than this (s) at the set stamp: absent.',
          low=0.0, high=60.0, applies=LIVE),
    Param('sync.max_age.touch', 0.1, 'Wrenches older than this (s): touch absent.', low=0.0,
          high=60.0, applies=LIVE),
    Param('sync.max_age.proprio', 0.1, 'Joint states older than this (s): absent.', low=0.0,
          high=60.0, applies=LIVE),
    Param('sync.max_age.text', 4.0, 'A command is current for this long (s) after it arrived.',
          low=0.0, high=600.0, applies=LIVE),
    Param('sync.window_wait', 0.1,
          'How long (s) a matched set waits for its fresh audio, touch and proprioception '
          'streams to reach its stamp before its windows are cut anyway (counted as late); '
          'raise it for drivers that deliver in large or delayed chunks.', low=0.0, high=5.0,
          applies=CONFIGURE),
    Param('sync.time_jump_threshold', 1.0,
          'A camera stamp this much (s) older than the newest restarts every buffer; on '
          'another stream, that stream alone.', low=0.0, high=3600.0, applies=CONFIGURE),
    Param('detection.score_threshold', 0.3, 'Detections below this score are not published.',
          low=0.0, high=1.0, applies=LIVE),
    Param('detection.iou_threshold', 0.5, 'Non-maximum suppression IoU.', low=0.0, high=1.0,
          applies=LIVE),
    Param('detection.max_detections', 20, 'Most detections per image.', low=1, high=1000,
          applies=LIVE),
    Param('publish.debug_image', False, 'Publish ~/debug_image with boxes and labels drawn.',
          applies=LIVE),
    Param('diagnostics.period', 1.0, 'Seconds between /diagnostics messages.', low=0.1,
          high=60.0, applies=LIVE),
    Param('diagnostics.stall_timeout', 1.0,
          'Camera frames arriving without an output for this long (s) is reported as ERROR.',
          low=0.1, high=600.0, applies=LIVE),
    Param('diagnostics.expected_rates', [],
          "Expected input rates as 'stream=Hz' (streams: camera, audio, touch/left, "
          'touch/right, proprio/joints, proprio/imu); outside the tolerance: WARN.',
          applies=LIVE),
    Param('diagnostics.rate_tolerance', 0.25,
          'Relative deviation from an expected rate accepted as OK.', low=0.0, high=10.0,
          applies=LIVE),
    Param('diagnostics.max_stamp_age', 1.0,
          "A stream whose newest stamp is older than this (s) against the node's clock, or "
          'that far in its future: WARN.', low=0.0, high=3600.0, applies=LIVE),
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
    if name in ('topics.wrenches', 'topics.joint_states') and not value:
        return f'{name} must name at least one topic'
    if name == 'joints.map':
        bad = [e for e in value if e.count('=') != 1 or not all(e.split('='))]
        if bad:
            return f"joints.map entries must be 'model_joint=robot_joint', got {bad}"
    if name == 'diagnostics.expected_rates':
        bad = [e for e in value if not _rate_entry_ok(e)]
        if bad:
            return f"diagnostics.expected_rates entries must be 'stream=Hz', got {bad}"
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
    if values.get('sync.implementation') == 'message_filters' and values.get('sync.slop') == 0:
        # Its ApproximateTimeSynchronizer keeps only sets whose span is strictly below the
        # slop: with 0 it would never emit one.
        problems.append('sync.slop must be > 0 with sync.implementation message_filters '
                        '(it matches only sets whose stamp span is strictly below the slop)')
    if values.get('budget.latency_ms', 0) > 0 and not values.get('budget.fallback_model'):
        problems.append('budget.latency_ms is set but budget.fallback_model is empty: name the '
                        'lighter model file to switch to, or set budget.latency_ms: 0')
    return problems


def _rate_entry_ok(entry: str) -> bool:
    stream, _, rate = entry.partition('=')
    try:
        return bool(stream) and float(rate) > 0
    except ValueError:
        return False


def parse_pairs(entries) -> dict[str, str]:
    """``['a=b', ...]`` (``joints.map``, ``diagnostics.expected_rates``) as a dict."""
    return dict(entry.split('=', 1) for entry in entries)


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
    from rclpy.exceptions import ParameterUninitializedException
    from rclpy.parameter import Parameter

    values = {}
    overrides: dict[str, str] = {}
    for param in PARAMS:
        when = {START: 'read at start', CONFIGURE: 'applies at configure',
                LIVE: 'applies at once'}[param.applies]
        # An empty list needs a set_parameters after declaring (below), which read-only
        # refuses: the node's own callback refuses later changes of such a parameter.
        empty_list = isinstance(param.default, list) and not param.default
        descriptor = ParameterDescriptor(description=f'{param.description} ({when})',
                                         read_only=param.read_only and not empty_list)
        if param.choices:
            descriptor.additional_constraints = f'one of {list(param.choices)}'
        if param.low is not None and isinstance(param.default, float):
            descriptor.floating_point_range = [FloatingPointRange(
                from_value=float(param.low), to_value=float(param.high), step=0.0)]
        elif param.low is not None:
            descriptor.integer_range = [IntegerRange(
                from_value=int(param.low), to_value=int(param.high), step=1)]
        if param.name in overrides:
            # Over whatever the params file says.
            node.declare_parameter(param.name, value_from_text(param, overrides[param.name]),
                                   descriptor, ignore_override=True)
        elif isinstance(param.default, list) and not param.default:
            # rclpy cannot tell the type of [], so declare the type, then give the empty
            # list unless the params file or command line already set a value.
            node.declare_parameter(param.name, Parameter.Type.STRING_ARRAY, descriptor)
            try:
                node.get_parameter(param.name)
            except ParameterUninitializedException:
                node.set_parameters([Parameter(param.name, Parameter.Type.STRING_ARRAY, [])])
        elif isinstance(param.default, list):
            node.declare_parameter(param.name, param.default, descriptor)
        else:
            node.declare_parameter(param.name, param.default, descriptor)
        values[param.name] = plain_value(node.get_parameter(param.name).value)
        if param.name == 'overrides':
            overrides = parse_overrides(values['overrides'])
    return values


def parse_overrides(entries) -> dict[str, str]:
    from rclpy.exceptions import InvalidParameterValueException

    out = {}
    for entry in entries:
        name, sep, text = entry.partition('=')
        if not sep or name not in BY_NAME or name == 'overrides':
            raise InvalidParameterValueException(
                'overrides', entry, "each entry must be 'name=value' naming a parameter")
        if text != '':
            out[name] = text
    return out


def value_from_text(param: Param, text: str) -> Any:
    """A launch argument's text as the parameter's type."""
    from rclpy.exceptions import InvalidParameterValueException

    default = param.default
    try:
        if isinstance(default, bool):
            if text.lower() not in ('true', 'false'):
                raise ValueError('expected true or false')
            return text.lower() == 'true'
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, list):
            return [t.strip() for t in text.strip('[]').split(',') if t.strip()]
        return text
    except ValueError as error:
        raise InvalidParameterValueException(param.name, text, str(error)) from None


def plain_value(value: Any) -> Any:
    """A parameter value with string arrays as lists (rclpy hands back array-likes)."""
    if isinstance(value, (str, bytes, bool, int, float)) or value is None:
        return value
    return list(value)


def parameter_table() -> str:
    """Every parameter with its default, range and when it applies (``fusion_node --help``)."""
    when = {START: 'start', CONFIGURE: 'configure', LIVE: 'live'}
    rows = [('parameter', 'default', 'applies', 'description')]
    for p in PARAMS:
        default = repr(p.default)
        if p.low is not None:
            default += f' [{p.low:g}, {p.high:g}]'
        elif p.choices:
            default += f' {{{"|".join(p.choices)}}}'
        rows.append((p.name, default, when[p.applies], p.description))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    return '\n'.join(f'{r[0]:<{width[0]}}  {r[1]:<{width[1]}}  {r[2]:<{width[2]}}  {r[3]}'
                     for r in rows)


def flatten_tree(tree: dict, prefix: str = '') -> dict:
    """A params file's nested ``ros__parameters`` as ``{dotted name: value}``."""
    out = {}
    for key, value in tree.items():
        name = f'{prefix}{key}'
        if isinstance(value, dict):
            out.update(flatten_tree(value, name + '.'))
        else:
            out[name] = value
    return out
