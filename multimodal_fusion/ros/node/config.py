# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The node's parameters as one frozen, typed object, built once per configure.

``parameters.py`` declares and checks each parameter; :meth:`NodeConfig.from_values` turns a
full set of values into typed settings (and checks what spans several parameters), so the
node body reads ``config.sync.slop_s`` instead of ``values['sync.slop']``. Live changes make
a new object with :func:`dataclasses.replace`.
"""

from __future__ import annotations

from dataclasses import dataclass
import pathlib
from typing import Optional

from multimodal_fusion.inference.budget import BudgetSettings
from multimodal_fusion.ros.node.parameters import BY_NAME
from multimodal_fusion.ros.node.parameters import flatten_tree
from multimodal_fusion.ros.node.parameters import PARAMS
from multimodal_fusion.ros.node.parameters import parse_overrides
from multimodal_fusion.ros.node.parameters import parse_pairs
from multimodal_fusion.ros.node.parameters import validate_all
from multimodal_fusion.ros.node.parameters import value_from_text


@dataclass(frozen=True)
class ModelSettings:
    """``model.*`` and ``text_encoder.path``; ``path`` None for the shipped default."""

    path: Optional[pathlib.Path]
    device: str
    fp16: bool
    torch_threads: int
    warmup_iterations: int
    text_encoder: Optional[pathlib.Path]


@dataclass(frozen=True)
class BudgetParams:
    """``budget.*``: ``settings`` None when there is no budget (``budget.latency_ms: 0``)."""

    settings: Optional[BudgetSettings]
    fallback_model: Optional[pathlib.Path]


@dataclass(frozen=True)
class TopicSettings:
    """``topics.*``: relative names follow the node's namespace; ``imu`` None for none."""

    camera: str
    camera_transport: str
    audio: str
    audio_info: str
    speech_text: str
    wrenches: tuple[str, ...]
    joint_states: tuple[str, ...]
    imu: Optional[str]

    @property
    def camera_subscription(self) -> str:
        """The topic subscribed for the camera (image_transport's name when compressed)."""
        if self.camera_transport == 'compressed':
            return f'{self.camera.rstrip("/")}/compressed'
        return self.camera


@dataclass(frozen=True)
class SyncSettings:
    """``sync.*`` (ages and slop in seconds)."""

    implementation: str
    queue_size: int
    slop_s: float
    required: frozenset
    max_age_audio_s: float
    max_age_touch_s: float
    max_age_proprio_s: float
    max_age_text_s: float
    window_wait_s: float
    time_jump_threshold_s: float


@dataclass(frozen=True)
class DetectionSettings:
    """``detection.*``."""

    score_threshold: float
    iou_threshold: float
    max_detections: int


@dataclass(frozen=True)
class DiagnosticsSettings:
    """``diagnostics.*``; ``expected_rates`` maps a stream to its expected Hz."""

    period_s: float
    stall_timeout_s: float
    expected_rates: dict
    rate_tolerance: float
    max_stamp_age_s: float


@dataclass(frozen=True)
class JointSettings:
    """``joints.*``: ``mapping`` (``joints.map``) from model joint name to the robot's name."""

    mapping: dict
    zero_missing: bool


@dataclass(frozen=True)
class NodeConfig:
    """Every parameter of the node, typed (see ``config/fusion.yaml``)."""

    autostart: bool
    model: ModelSettings
    budget: BudgetParams
    topics: TopicSettings
    qos_sensors: str
    qos_depth: int
    joints: JointSettings
    sync: SyncSettings
    detection: DetectionSettings
    debug_image: bool
    diagnostics: DiagnosticsSettings

    @classmethod
    def from_values(cls, v: dict) -> 'NodeConfig':
        """Build from ``{parameter name: value}``.

        Raises:
            ValueError: every problem found, joined, each naming its parameter.
        """
        problems = validate_all(v)
        if problems:
            raise ValueError('; '.join(problems))
        return cls(
            autostart=v['autostart'],
            model=ModelSettings(
                path=pathlib.Path(v['model.path']) if v['model.path'] else None,
                device=v['model.device'], fp16=v['model.fp16'],
                torch_threads=v['model.torch_threads'],
                warmup_iterations=v['model.warmup_iterations'],
                text_encoder=(pathlib.Path(v['text_encoder.path'])
                              if v['text_encoder.path'] else None)),
            budget=BudgetParams(
                settings=BudgetSettings(
                    latency_ms=v['budget.latency_ms'], recover_ratio=v['budget.recover_ratio'],
                    window=v['budget.window'], probe_period_s=v['budget.probe_period'],
                    probes=v['budget.probes']) if v['budget.latency_ms'] > 0 else None,
                fallback_model=(pathlib.Path(v['budget.fallback_model'])
                                if v['budget.fallback_model'] else None)),
            topics=TopicSettings(
                camera=v['topics.camera'], camera_transport=v['topics.camera_transport'],
                audio=v['topics.audio'], audio_info=v['topics.audio_info'],
                speech_text=v['topics.speech_text'], wrenches=tuple(v['topics.wrenches']),
                joint_states=tuple(v['topics.joint_states']), imu=v['topics.imu'] or None),
            qos_sensors=v['qos.sensors'], qos_depth=v['qos.depth'],
            joints=JointSettings(mapping=parse_pairs(v['joints.map']),
                                 zero_missing=v['joints.zero_missing']),
            sync=SyncSettings(
                implementation=v['sync.implementation'], queue_size=v['sync.queue_size'],
                slop_s=v['sync.slop'], required=frozenset(v['sync.required']),
                max_age_audio_s=v['sync.max_age.audio'],
                max_age_touch_s=v['sync.max_age.touch'],
                max_age_proprio_s=v['sync.max_age.proprio'],
                max_age_text_s=v['sync.max_age.text'],
                window_wait_s=v['sync.window_wait'],
                time_jump_threshold_s=v['sync.time_jump_threshold']),
            detection=DetectionSettings(
                score_threshold=v['detection.score_threshold'],
                iou_threshold=v['detection.iou_threshold'],
                max_detections=v['detection.max_detections']),
            debug_image=v['publish.debug_image'],
            diagnostics=DiagnosticsSettings(
                period_s=v['diagnostics.period'],
                stall_timeout_s=v['diagnostics.stall_timeout'],
                expected_rates={k: float(r) for k, r in
                                parse_pairs(v['diagnostics.expected_rates']).items()},
                rate_tolerance=v['diagnostics.rate_tolerance'],
                max_stamp_age_s=v['diagnostics.max_stamp_age']),
        )

    def joint_sources(self, model_joints) -> tuple[str, ...]:
        """The robot's joint name for each model joint, in model order.

        Raises:
            ValueError: a ``joints.map`` entry names no model joint, or two model joints map
                to one robot joint.
        """
        unknown = sorted(set(self.joints.mapping) - set(model_joints))
        if unknown:
            raise ValueError(f'joints.map names {unknown}, which the model does not read; '
                             f'its joints are {list(model_joints)}')
        sources = tuple(self.joints.mapping.get(j, j) for j in model_joints)
        twice = sorted({s for s in sources if sources.count(s) > 1})
        if twice:
            raise ValueError(f'joints.map gives the robot joint(s) {twice} to more than one '
                             'model joint')
        return sources


# rclpy's own parameters a params file may set for any node; not the fusion node's.
ROS_PARAMETERS = ('use_sim_time', 'start_type_description_service')


def node_config_from_file(path: Optional[pathlib.Path], *,
                          node_name: str = 'fusion_node') -> NodeConfig:
    """The node's configuration from a ROS 2 params file, as the node would read it.

    The file's ``/**`` section and then its section for ``node_name`` (``fusion_node`` or
    ``/fusion_node``) are laid over the defaults; its ``overrides`` entries over those.
    None for every default.

    Raises:
        ValueError: the file is not a params file, names a parameter the node does not
            have, or holds a value the node would refuse; the message names the file.
    """
    from rclpy.exceptions import InvalidParameterValueException
    from ruamel.yaml import YAML

    values = {p.name: p.default for p in PARAMS}
    if path is None:
        return NodeConfig.from_values(values)
    path = pathlib.Path(path)
    try:
        document = YAML(typ='safe').load(path.read_text(encoding='utf-8'))
    except OSError as error:
        raise ValueError(f'cannot read the params file {path}: {error.strerror}') from None
    except Exception as error:  # noqa: BLE001 - ruamel's parser errors have no common base
        raise ValueError(f'{path} is not YAML: {error}') from None
    if not isinstance(document, dict):
        raise ValueError(f'{path}: expected a ROS 2 params file ({{"/**": {{ros__parameters: '
                         '...}}}}), got no mapping')
    sections = [document[key] for key in ('/**', node_name, '/' + node_name)
                if key in document]
    if not sections:
        raise ValueError(f'{path}: no section for /** or {node_name}; its top-level keys are '
                         f'{sorted(document)}')
    for section in sections:
        if not isinstance(section, dict) or 'ros__parameters' not in section:
            raise ValueError(f'{path}: a node section without ros__parameters')
        for name, value in flatten_tree(section['ros__parameters'] or {}).items():
            if name in ROS_PARAMETERS or name.startswith('qos_overrides.'):
                continue
            if name not in BY_NAME:
                raise ValueError(f'{path}: unknown parameter {name!r} (see fusion_node '
                                 '--help for the parameters)')
            values[name] = value
    try:
        for name, text in parse_overrides(values['overrides']).items():
            values[name] = value_from_text(BY_NAME[name], text)
    except InvalidParameterValueException as error:
        raise ValueError(f'{path}: {error}') from None
    try:
        return NodeConfig.from_values(values)
    except ValueError as error:
        raise ValueError(f'{path}: {error}') from None
