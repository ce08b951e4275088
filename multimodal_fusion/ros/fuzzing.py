# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Seeded mutations of valid sensor messages, for fuzzing the fusion node over DDS.

:class:`Mutator` turns ``(seed, index)`` into one :class:`Mutation`: a stream of the node
(camera, audio, audio_info, text, touch/left, touch/right, proprio/joints, proprio/imu), a
valid message of that stream, and one change to it: a field set to an extreme (NaN, ±Inf,
1e20, a float32 overflow, -0, the largest unsigned value), an array truncated, extended or
emptied, a string garbled (control or invisible characters, 100k characters, unknown
encoding names), a header stamp zeroed, negative, far in the future or backwards, image
dimensions, ``step`` and ``encoding`` made inconsistent, audio rates and channel counts at
their limits, or the serialised CDR bytes themselves broken. The same seed and index give
the same mutation; only the stamps follow the ``now_ns`` they are built at.

Each mutation says what the node should do with it (:data:`EXPECTATIONS`):

* ``reject``: malformed by the node's contract (README "Malformed input"): it must be
  refused and counted under ``messages/malformed/<stream>/<field>`` (``field`` is the one
  the conversions name).
* ``suspect``: legal on the wire and not ruled out by the contract, but absurd (a 1e20
  force, a 1 Hz audio rate, a stamp at the epoch): the node may accept or refuse it but must
  survive it and keep its outputs finite.
* ``valid``: unusual but well-formed (padded rows, mono8, -0.0, reordered joints, Unicode
  text): it must be accepted.
* ``wire``: CDR bytes that do not decode; the middleware drops them before the node sees
  them.

:class:`FuzzPublisher` publishes them on the node's default topics with reliable QoS (which
the node's best-effort sensor subscriptions match).
"""

from __future__ import annotations

import array
import dataclasses
from typing import Callable, Optional, Union

from audio_common_msgs.msg import AudioDataStamped
from audio_common_msgs.msg import AudioInfo
from geometry_msgs.msg import WrenchStamped
import numpy as np
from rclpy.node import Node
from rclpy.qos import QoSProfile
from rclpy.qos import ReliabilityPolicy
from rclpy.serialization import serialize_message
from sensor_msgs.msg import Image
from sensor_msgs.msg import Imu
from sensor_msgs.msg import JointState
from std_msgs.msg import String

from multimodal_fusion.ros.conversions import array_to_image
from multimodal_fusion.ros.conversions import array_to_imu
from multimodal_fusion.ros.conversions import array_to_wrench
from multimodal_fusion.ros.conversions import arrays_to_joint_state
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.conversions.robot_state import IMU_FIELDS
from multimodal_fusion.ros.conversions.robot_state import WRENCH_FIELDS
from multimodal_fusion.spec import JOINT_NAMES

REJECT = 'reject'
SUSPECT = 'suspect'
VALID = 'valid'
WIRE = 'wire'
EXPECTATIONS: tuple[str, ...] = (REJECT, SUSPECT, VALID, WIRE)

# Stream (as the node names it in /diagnostics) -> (message type, default topic).
STREAM_TOPICS: dict[str, tuple[type, str]] = {
    'camera': (Image, 'camera/image_raw'),
    'audio': (AudioDataStamped, 'audio/audio_stamped'),
    'audio_info': (AudioInfo, 'audio/audio_info'),
    'text': (String, 'speech/text'),
    'touch/left': (WrenchStamped, 'wrist/left/wrench'),
    'touch/right': (WrenchStamped, 'wrist/right/wrench'),
    'proprio/joints': (JointState, 'joint_states'),
    'proprio/imu': (Imu, 'imu/data'),
}
STREAMS: tuple[str, ...] = tuple(STREAM_TOPICS)

# What the simulator publisher (and audio_common's capture node) sends.
IMAGE_SIZE = (240, 320)
AUDIO_RATE = 16000
AUDIO_CHUNK_SAMPLES = 320
COMMANDS = ('pick up the small red cube on the left', 'hand me the blue ball',
            'stop', 'put the green cylinder down', 'come here please')

_INT32_MIN = -2**31
_INT32_MAX = 2**31 - 1
_UINT32_MAX = 2**32 - 1
_NS_PER_S = 1_000_000_000
_HUGE = (1e20, -1e20, 1e30, 3.0e38, -3.0e38)  # finite in float32, absurd for a sensor
_FLOAT32_OVERFLOW = (1e39, -1e39, 1e300, -1.7e308)  # finite float64, inf in float32
_INVALID_UTF8 = b'\xff\xfe\xc0\x80'


@dataclasses.dataclass(frozen=True)
class Mutation:
    """One mutated message and what the node should do with it.

    Attributes:
        index: position in the seeded sequence.
        stream: the node's name of the input stream (see ``STREAM_TOPICS``).
        kind: the mutation, e.g. ``'wrench.value=nan'`` (a few dozen kinds per stream).
        detail: what exactly changed in this message, e.g. ``'torque.y=nan'``.
        expect: one of ``EXPECTATIONS``.
        field: for ``reject``, the field the node should count it under (as the
            conversions name it, e.g. ``'WrenchStamped.wrench.torque.y'``); else None.
        message: the message, or its serialised CDR bytes for wire-level mutations.
    """

    index: int
    stream: str
    kind: str
    detail: str
    expect: str
    field: Optional[str]
    message: Union[object, bytes]

    @property
    def topic(self) -> str:
        return STREAM_TOPICS[self.stream][1]


@dataclasses.dataclass
class _Ctx:
    """What an operator needs: randomness, the clock, and valid messages to start from."""

    rng: np.random.Generator
    now_ns: int
    base: '_BaseData'
    stream: str

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]


# An operator: ``ctx -> (message or CDR bytes, detail, field or None)``.
_Apply = Callable[[_Ctx], tuple]


@dataclasses.dataclass(frozen=True)
class _Op:
    kind: str
    expect: str
    apply: _Apply


class _BaseData:
    """Valid payloads of every stream, drawn once per seed."""

    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng([seed, 0xF022])
        h, w = IMAGE_SIZE
        ramp = np.linspace(0, 255, w, dtype=np.float64)[None, :, None]
        noise = rng.integers(0, 48, size=(h, w, 3))
        self.rgb = np.clip(ramp + noise, 0, 255).astype(np.uint8)
        t = np.arange(AUDIO_CHUNK_SAMPLES) / AUDIO_RATE
        self.audio = (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float64)
        self.wrench = rng.normal(0.0, 2.0, size=6)
        self.positions = rng.normal(0.0, 0.4, size=len(JOINT_NAMES))
        self.velocities = rng.normal(0.0, 0.2, size=len(JOINT_NAMES))
        self.imu = np.array([0.0, 0.0, 0.0, 1.0, 0.01, -0.02, 0.0, 0.1, 0.0, 9.81])


# -- valid messages ----------------------------------------------------------------------------

def _image(ctx: _Ctx, pixels: Optional[np.ndarray] = None, encoding: str = 'rgb8',
           step: Optional[int] = None) -> Image:
    pixels = ctx.base.rgb if pixels is None else pixels
    return array_to_image(pixels, encoding, header=make_header(ctx.now_ns, 'head_camera'),
                          step=step)


def _audio_bytes(samples: np.ndarray) -> bytes:
    return np.round(np.clip(samples, -1, 1) * 32767).astype('<i2').tobytes()


def _audio(ctx: _Ctx, data: Optional[bytes] = None) -> AudioDataStamped:
    msg = AudioDataStamped(header=make_header(ctx.now_ns, 'microphone'))
    msg.audio.data = array.array('B', _audio_bytes(ctx.base.audio) if data is None else data)
    return msg


def _audio_info() -> AudioInfo:
    return AudioInfo(channels=1, sample_rate=AUDIO_RATE, sample_format='S16LE', bitrate=0,
                     coding_format='wave')


def _wrench(ctx: _Ctx) -> WrenchStamped:
    wrist = ctx.stream.split('/')[1]
    return array_to_wrench(ctx.base.wrench, header=make_header(ctx.now_ns, f'{wrist}_wrist'))


def _joints(ctx: _Ctx) -> JointState:
    return arrays_to_joint_state(ctx.base.positions, ctx.base.velocities,
                                 joint_names=JOINT_NAMES,
                                 header=make_header(ctx.now_ns, 'base_link'))


def _imu(ctx: _Ctx) -> Imu:
    return array_to_imu(ctx.base.imu, header=make_header(ctx.now_ns, 'imu_link'))


_VALID: dict[str, Callable[[_Ctx], object]] = {
    'camera': _image,
    'audio': _audio,
    'audio_info': lambda ctx: _audio_info(),
    'text': lambda ctx: String(data=ctx.pick(COMMANDS)),
    'touch/left': _wrench,
    'touch/right': _wrench,
    'proprio/joints': _joints,
    'proprio/imu': _imu,
}


def valid_message(stream: str, now_ns: int, seed: int = 0) -> object:
    """A well-formed message of ``stream`` stamped ``now_ns`` (what the mutations start from)."""
    ctx = _Ctx(np.random.default_rng([seed, 1]), now_ns, _BaseData(seed), stream)
    return _VALID[stream](ctx)


# -- garbled strings ---------------------------------------------------------------------------

_GARBLED = (
    ('control', 'a\x07b\x1b[2Jc\x7fd\x85e\x9b'),
    ('invisible', '\u200b\u2060\ufeff\u200e\u202e\u00ad'),
    ('100k', 'x' * 100_000),
    ('unicode', '\U0001f916 \u628a\u7ea2\u8272 n\u0303\u0303 \u0671\u0644\u0652 \U0010fffd'),
    ('format', '%s%n%x{0}{}${HOME}\\x00'),
    ('whitespace', ' \t\r\n\u3000 '),
)


def _garbled(ctx: _Ctx, *, blank: bool = True) -> tuple[str, str]:
    """A garbled string and its label; ``blank=False`` leaves out whitespace-only text."""
    options = _GARBLED if blank else tuple(g for g in _GARBLED if g[0] != 'whitespace')
    return ctx.pick(options)


# -- wire-level (CDR) mutations ----------------------------------------------------------------

def _truncated(ctx: _Ctx, msg) -> tuple:
    raw = serialize_message(msg)
    cut = int(ctx.rng.integers(0, max(1, len(raw) - 8)))
    return raw[:cut], f'{cut} of {len(raw)} bytes'


def _with_invalid_utf8(msg, marker: str) -> bytes:
    """``msg`` serialised with the string field holding ``marker`` made invalid UTF-8.

    The marker is replaced by bytes that are not UTF-8, of the same length, so the CDR stays
    consistent.
    """
    raw = serialize_message(msg)
    bad = (_INVALID_UTF8 * len(marker))[:len(marker)]
    return raw.replace(marker.encode(), bad, 1)


# -- operators shared by every stamped stream --------------------------------------------------

def _restamp(msg, sec: int, nanosec: int = 0):
    msg.header.stamp.sec = int(sec)
    msg.header.stamp.nanosec = int(nanosec)
    return msg


def _header_ops(valid: Callable[[_Ctx], object]) -> list[_Op]:
    def zero(ctx):
        return _restamp(valid(ctx), 0, 0), 'sec=0 nanosec=0', None

    def negative(ctx):
        sec = ctx.pick((-1, _INT32_MIN, -int(ctx.rng.integers(2, 2**31))))
        return _restamp(valid(ctx), sec, 0), f'sec={sec}', None

    def far_future(ctx):
        sec = ctx.pick((_INT32_MAX, ctx.now_ns // _NS_PER_S + 10**6))
        return _restamp(valid(ctx), sec, 999_999_999), f'sec={sec}', None

    def backwards(ctx):
        back_s = float(ctx.pick((1.5, 10.0, 3600.0, float(ctx.rng.uniform(1.1, 100.0)))))
        sec, nanosec = divmod(ctx.now_ns - int(back_s * _NS_PER_S), _NS_PER_S)
        return _restamp(valid(ctx), sec, nanosec), f'{back_s:.2f} s back', None

    def slightly_back(ctx):
        back_s = float(ctx.rng.uniform(0.01, 0.5))
        sec, nanosec = divmod(ctx.now_ns - int(back_s * _NS_PER_S), _NS_PER_S)
        return _restamp(valid(ctx), sec, nanosec), f'{back_s * 1e3:.0f} ms back', None

    def nanosec_overflow(ctx):
        msg = valid(ctx)
        nanosec = ctx.pick((_NS_PER_S, _UINT32_MAX))
        msg.header.stamp.nanosec = nanosec
        return msg, f'nanosec={nanosec}', 'Time.nanosec'

    def frame_id(ctx):
        msg = valid(ctx)
        msg.header.frame_id, label = _garbled(ctx)
        return msg, label, None

    def frame_id_utf8(ctx):
        msg = valid(ctx)
        msg.header.frame_id = 'QZQZQZ'
        return _with_invalid_utf8(msg, 'QZQZQZ'), 'frame_id not UTF-8', None

    return [
        _Op('stamp=zero', SUSPECT, zero),
        _Op('stamp=negative', SUSPECT, negative),
        _Op('stamp=far_future', SUSPECT, far_future),
        _Op('stamp=backwards', SUSPECT, backwards),
        _Op('stamp=slightly_back', VALID, slightly_back),
        _Op('stamp.nanosec>=1e9', REJECT, nanosec_overflow),
        _Op('frame_id=garbled', VALID, frame_id),
        _Op('frame_id.cdr=invalid_utf8', VALID, frame_id_utf8),
        _Op('cdr=truncated', WIRE, lambda ctx: (*_truncated(ctx, valid(ctx)), None)),
    ]


# -- camera ------------------------------------------------------------------------------------

def _set(msg, **fields):
    for name, value in fields.items():
        setattr(msg, name, value)
    return msg


def _camera_ops() -> list[_Op]:
    def field(name, value, field_name):
        return lambda ctx: (_set(_image(ctx), **{name: value}), f'{name}={value}', field_name)

    def short_step(ctx):
        step = int(ctx.rng.integers(0, IMAGE_SIZE[1] * 3))
        return _set(_image(ctx), step=step), f'step={step}', 'Image.step'

    def padded(ctx):
        step = IMAGE_SIZE[1] * 3 + int(ctx.rng.integers(1, 64))
        return _image(ctx, step=step), f'step={step}', None

    def data(ctx, how):
        msg = _image(ctx)
        size = len(msg.data)
        if how == 'truncated':
            cut = int(ctx.rng.integers(0, size))
            msg.data = msg.data[:cut]
            detail = f'{cut} of {size} bytes'
        elif how == 'extended':
            extra = int(ctx.rng.integers(1, 4096))
            msg.data.extend(array.array('B', bytes(extra)))
            detail = f'{size + extra} bytes for {size}'
        else:
            msg.data = array.array('B')
            detail = '0 bytes'
        return msg, detail, 'Image.data'

    def unknown_encoding(ctx):
        names = ('', 'RGB8', 'rgb16', 'nv24', '8UC3', 'bayer_rggb8', 'jpeg')
        encoding = ctx.pick(names + (_garbled(ctx)[1],))
        return (_set(_image(ctx), encoding=encoding), f'encoding={encoding[:20]!r}',
                'Image.encoding')

    def depth_encoding(ctx):
        encoding = ctx.pick(('16UC1', '32FC1', 'mono16'))
        return _set(_image(ctx), encoding=encoding), f'encoding={encoding}', 'Image.encoding'

    def other_colour(ctx):
        encoding = ctx.pick(('bgr8', 'rgba8', 'bgra8', 'mono8'))
        rgb = ctx.base.rgb
        pixels = {'bgr8': rgb[:, :, ::-1],
                  'rgba8': np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]),
                  'bgra8': np.dstack([rgb[:, :, ::-1], np.zeros(rgb.shape[:2], np.uint8)]),
                  'mono8': rgb[:, :, 1]}[encoding]
        return _image(ctx, pixels, encoding), f'encoding={encoding}', None

    def size(ctx, shapes):
        h, w = ctx.pick(shapes)
        pixels = np.resize(ctx.base.rgb, (h, w, 3))
        return _image(ctx, pixels), f'{w}x{h}', None

    def extreme_pixels(ctx):
        value = ctx.pick((0, 255))
        return _image(ctx, np.full_like(ctx.base.rgb, value)), f'all {value}', None

    def encoding_utf8(ctx):
        msg = _set(_image(ctx), encoding='QZQZ')
        return _with_invalid_utf8(msg, 'QZQZ'), 'encoding not UTF-8', 'Image.encoding'

    h, w = IMAGE_SIZE
    return [
        _Op('image.height=0', REJECT, field('height', 0, 'Image.height')),
        _Op('image.width=0', REJECT, field('width', 0, 'Image.width')),
        _Op('image.height=max', REJECT, field('height', _UINT32_MAX, 'Image.data')),
        _Op('image.width=max', REJECT, field('width', _UINT32_MAX, 'Image.step')),
        _Op('image.height=double', REJECT, field('height', 2 * h, 'Image.data')),
        _Op('image.width=double', REJECT, field('width', 2 * w, 'Image.step')),
        _Op('image.step=short', REJECT, short_step),
        _Op('image.step=max', REJECT, field('step', _UINT32_MAX, 'Image.data')),
        _Op('image.step=padded', VALID, padded),
        _Op('image.data=truncated', REJECT, lambda ctx: data(ctx, 'truncated')),
        _Op('image.data=extended', REJECT, lambda ctx: data(ctx, 'extended')),
        _Op('image.data=empty', REJECT, lambda ctx: data(ctx, 'empty')),
        _Op('image.encoding=unknown', REJECT, unknown_encoding),
        _Op('image.encoding=depth', REJECT, depth_encoding),
        _Op('image.encoding=rgba8_label_on_rgb8', REJECT,
            field('encoding', 'rgba8', 'Image.step')),
        _Op('image.encoding=mono8_label_on_rgb8', VALID, field('encoding', 'mono8', None)),
        _Op('image.encoding=other_colour', VALID, other_colour),
        _Op('image.is_bigendian=set', VALID, field('is_bigendian', 255, None)),
        _Op('image.size=tiny', VALID, lambda ctx: size(ctx, ((1, 1), (2, 3), (1, 320)))),
        _Op('image.size=extreme_aspect', SUSPECT,
            lambda ctx: size(ctx, ((1, 4096), (4096, 1), (8, 2048)))),
        _Op('image.size=vga', VALID, lambda ctx: size(ctx, ((480, 640),))),
        _Op('image.pixels=extreme', VALID, extreme_pixels),
        _Op('image.encoding.cdr=invalid_utf8', REJECT, encoding_utf8),
    ] + _header_ops(_image)


# -- audio -------------------------------------------------------------------------------------

def _audio_ops() -> list[_Op]:
    def odd(ctx):
        size = ctx.pick((1, 3, 2 * AUDIO_CHUNK_SAMPLES - 1, 2 * AUDIO_CHUNK_SAMPLES + 1))
        data = (_audio_bytes(ctx.base.audio) * 2)[:size]
        return _audio(ctx, data), f'{size} bytes', 'AudioData.data'

    def long(ctx):
        seconds = ctx.pick((1, 10))
        data = _audio_bytes(np.resize(ctx.base.audio, seconds * AUDIO_RATE))
        return _audio(ctx, data), f'{seconds} s in one chunk', None

    def full_scale(ctx):
        samples = np.tile([1.0, -1.0], AUDIO_CHUNK_SAMPLES // 2)
        data = np.where(samples > 0, 32767, -32768).astype('<i2').tobytes()
        return _audio(ctx, data), 'alternating +-full scale', None

    return [
        _Op('audio.data=odd_bytes', REJECT, odd),
        _Op('audio.data=empty', SUSPECT, lambda ctx: (_audio(ctx, b''), '0 bytes', None)),
        _Op('audio.data=long', SUSPECT, long),
        _Op('audio.samples=full_scale', VALID, full_scale),
    ] + _header_ops(_audio)


def _audio_info_ops() -> list[_Op]:
    def info(name, value, expect_field):
        def apply(ctx):
            v = value(ctx) if callable(value) else value
            return _set(_audio_info(), **{name: v}), f'{name}={str(v)[:20]!r}', expect_field
        return apply

    def garbled(ctx):
        return _garbled(ctx, blank=False)[1]

    return [
        _Op('audio_info.channels=0', REJECT, info('channels', 0, 'AudioInfo.channels')),
        _Op('audio_info.channels=255', SUSPECT, info('channels', 255, None)),
        _Op('audio_info.channels=2', VALID, info('channels', 2, None)),
        _Op('audio_info.sample_rate=0', REJECT,
            info('sample_rate', 0, 'AudioInfo.sample_rate')),
        _Op('audio_info.sample_rate=1', SUSPECT, info('sample_rate', 1, None)),
        _Op('audio_info.sample_rate=max', SUSPECT, info('sample_rate', _UINT32_MAX, None)),
        _Op('audio_info.sample_rate=other', VALID,
            info('sample_rate', lambda ctx: ctx.pick((8000, 44100, 48000)), None)),
        _Op('audio_info.sample_format=unknown', REJECT,
            info('sample_format',
                 lambda ctx: ctx.pick(('S24LE', '', 's16le', 'S16BE', 'FLOAT', garbled(ctx))),
                 'AudioInfo.sample_format')),
        _Op('audio_info.sample_format=other', VALID,
            info('sample_format', lambda ctx: ctx.pick(('U8', 'S32LE', 'F32LE')), None)),
        _Op('audio_info.coding_format=compressed', REJECT,
            info('coding_format', lambda ctx: ctx.pick(('mp3', 'opus', 'flac', garbled(ctx))),
                 'AudioInfo.coding_format')),
        _Op('audio_info.coding_format=pcm_spelling', VALID,
            info('coding_format', lambda ctx: ctx.pick(('', 'WAV', ' raw ', 'PCM')), None)),
        _Op('audio_info.bitrate=max', VALID, info('bitrate', _UINT32_MAX, None)),
        _Op('cdr=truncated', WIRE, lambda ctx: (*_truncated(ctx, _audio_info()), None)),
    ]


# -- text --------------------------------------------------------------------------------------

def _text_ops() -> list[_Op]:
    def text(value, detail=None, field=None):
        def apply(ctx):
            v = value(ctx) if callable(value) else value
            return String(data=v), detail or repr(v[:30]), field
        return apply

    def too_long(ctx):
        n = ctx.pick((2001, 20_000, 100_000))
        return String(data='a' * n), f'{n} chars', 'String.data'

    def utf8(ctx):
        raw = _with_invalid_utf8(String(data='QZQZ' + ctx.pick(COMMANDS)), 'QZQZ')
        return raw, 'not UTF-8', None

    return [
        _Op('text=empty', REJECT, text('', "''", 'String.data')),
        _Op('text=whitespace', REJECT, text(' \t\r\n ', 'whitespace', 'String.data')),
        _Op('text=control', REJECT,
            text(lambda ctx: ctx.pick(('stop\x07', '\x1b[31mstop', 'go\x7f', 'pick\x91up',
                                       'hand\x9bme')), field='String.data')),
        _Op('text=nul', SUSPECT, text('stop\x00 and drop everything', 'embedded NUL')),
        _Op('text=too_long', REJECT, too_long),
        _Op('text=max_length', VALID,
            text(lambda ctx: ('stop ' * 400)[:2000], '2000 chars')),
        _Op('text=invisible', SUSPECT, text('\u200b\u2060\ufeff\u200e', 'invisible only')),
        _Op('text=unicode', VALID,
            text(lambda ctx: ctx.pick(COMMANDS) + ' ' + _GARBLED[3][1], 'Unicode')),
        _Op('text=format_string', VALID, text(_GARBLED[4][1], 'format string')),
        _Op('text.cdr=invalid_utf8', SUSPECT, utf8),
        _Op('cdr=truncated', WIRE,
            lambda ctx: (*_truncated(ctx, String(data=ctx.pick(COMMANDS))), None)),
    ]


# -- wrenches and IMU --------------------------------------------------------------------------

def _vector_ops(prefix: str, valid: Callable[[_Ctx], object], fields: tuple[str, ...],
                field_prefix: str, attribute: Callable[[object], object]) -> list[_Op]:
    """Operators on one float component of a wrench or an IMU sample.

    ``attribute`` is ``msg.wrench`` for a wrench, ``msg`` for an IMU sample.
    """
    def component(values, expect):
        def apply(ctx):
            msg = valid(ctx)
            name = ctx.pick(fields)
            value = float(ctx.pick(values))
            part, axis = name.split('.')
            setattr(getattr(attribute(msg), part), axis, value)
            return msg, f'{name}={value!r}', field_prefix + name if expect == REJECT else None
        return apply

    return [
        _Op(f'{prefix}.value=nan', REJECT, component((float('nan'),), REJECT)),
        _Op(f'{prefix}.value=inf', REJECT, component((float('inf'), float('-inf')), REJECT)),
        _Op(f'{prefix}.value=float32_overflow', REJECT, component(_FLOAT32_OVERFLOW, REJECT)),
        _Op(f'{prefix}.value=huge', SUSPECT, component(_HUGE, SUSPECT)),
        _Op(f'{prefix}.value=tiny', VALID, component((5e-324, 1e-45, -0.0), VALID)),
    ]


def _wrench_ops() -> list[_Op]:
    def zero(ctx):
        return array_to_wrench(np.zeros(6), header=_wrench(ctx).header), 'all 0', None

    return _vector_ops('wrench', _wrench, WRENCH_FIELDS, 'WrenchStamped.wrench.',
                       lambda msg: msg.wrench) + [
        _Op('wrench.value=all_zero', VALID, zero),
    ] + _header_ops(_wrench)


def _imu_ops() -> list[_Op]:
    def orientation_zero(ctx):
        msg = _imu(ctx)
        msg.orientation.x = msg.orientation.y = msg.orientation.z = msg.orientation.w = 0.0
        return msg, 'quaternion 0', None

    def covariance(ctx, value):
        msg = _imu(ctx)
        msg.orientation_covariance[0] = value
        msg.linear_acceleration_covariance[4] = value
        return msg, f'covariance={value}', None

    return _vector_ops('imu', _imu, IMU_FIELDS, 'Imu.', lambda msg: msg) + [
        _Op('imu.orientation=zero', VALID, orientation_zero),
        _Op('imu.covariance=nan', VALID, lambda ctx: covariance(ctx, float('nan'))),
        _Op('imu.covariance=unknown', VALID, lambda ctx: covariance(ctx, -1.0)),
    ] + _header_ops(_imu)


# -- joint states ------------------------------------------------------------------------------

def _joint_ops() -> list[_Op]:
    n = len(JOINT_NAMES)

    def joints(ctx, names=None, position=None, velocity=None, effort=None):
        msg = _joints(ctx)
        if names is not None:
            msg.name = list(names)
        if position is not None:
            msg.position = array.array('d', position)
        if velocity is not None:
            msg.velocity = array.array('d', velocity)
        if effort is not None:
            msg.effort = array.array('d', effort)
        return msg

    def resized(array_name, field):
        def apply(ctx):
            size = ctx.pick((0, 1, n - 1, n + 1, 4 * n)) if array_name == 'position' \
                else ctx.pick((1, n - 1, n + 1))
            values = np.resize(ctx.base.positions, size)
            msg = joints(ctx, **{array_name: values})
            return msg, f'{size} {array_name} values for {n} names', field
        return apply

    def names(how):
        def apply(ctx):
            names = list(JOINT_NAMES)
            i = int(ctx.rng.integers(n))
            position, velocity = ctx.base.positions, ctx.base.velocities
            if how == 'missing':
                names.pop(i)
                position, velocity = np.delete(position, i), np.delete(velocity, i)
                detail = f'without {JOINT_NAMES[i]}'
            elif how == 'duplicate':
                names[i] = names[(i + 1) % n]
                detail = f'{names[i]} twice'
            elif how == 'blank':
                names[i] = ''
                detail = f'index {i} empty'
            else:
                names[i], label = _garbled(ctx)
                detail = f'{JOINT_NAMES[i]} -> {label}'
            field = 'JointState.name' if how in ('duplicate', 'blank') else None
            return joints(ctx, names, position, velocity), detail, field
        return apply

    def empty(ctx):
        return joints(ctx, [], [], []), 'no joints', 'JointState.name'

    def reordered(ctx):
        order = ctx.rng.permutation(n)
        return (joints(ctx, [JOINT_NAMES[i] for i in order], ctx.base.positions[order],
                       ctx.base.velocities[order]), 'permuted', None)

    def extra(ctx, count):
        names = list(JOINT_NAMES) + [f'extra_{k}' for k in range(count)]
        junk = np.resize([float('nan'), 1e300, -float('inf')], count)
        return (joints(ctx, names, np.concatenate([ctx.base.positions, junk]),
                       np.concatenate([ctx.base.velocities, junk])),
                f'{count} extra joints with non-finite values', None)

    def value(array_name, values, field):
        def apply(ctx):
            base = ctx.base.positions if array_name == 'position' else ctx.base.velocities
            data = np.array(base, dtype=np.float64)
            i = int(ctx.rng.integers(n))
            data[i] = float(ctx.pick(values))
            msg = joints(ctx, **{array_name: data})
            return msg, f'{JOINT_NAMES[i]} {array_name}={data[i]!r}', field
        return apply

    def name_utf8(ctx):
        names = list(JOINT_NAMES)
        i = int(ctx.rng.integers(n))
        names[i] = 'QZ' * (len(names[i]) // 2) + 'Q' * (len(names[i]) % 2)
        raw = _with_invalid_utf8(joints(ctx, names), names[i])
        return raw, f'{JOINT_NAMES[i]} not UTF-8', None

    nan_inf = (float('nan'), float('inf'), float('-inf'))
    return [
        _Op('joints.name=empty', REJECT, empty),
        _Op('joints.position=resized', REJECT, resized('position', 'JointState.position')),
        _Op('joints.velocity=resized', REJECT, resized('velocity', 'JointState.velocity')),
        _Op('joints.velocity=empty', VALID,
            lambda ctx: (joints(ctx, velocity=[]), 'no velocities', None)),
        _Op('joints.effort=resized', REJECT, resized('effort', 'JointState.effort')),
        _Op('joints.effort=nan', VALID,
            lambda ctx: (joints(ctx, effort=[float('nan')] * n), 'effort all NaN', None)),
        # A JointState without some model joints is refused by a node that wants every
        # joint in one message, and merged by one that reads several controllers' topics.
        _Op('joints.name=missing', SUSPECT, names('missing')),
        _Op('joints.name=duplicate', REJECT, names('duplicate')),
        _Op('joints.name=blank', REJECT, names('blank')),
        _Op('joints.name=garbled', SUSPECT, names('garbled')),
        _Op('joints.name=reordered', VALID, reordered),
        _Op('joints.name=extra', VALID, lambda ctx: extra(ctx, 3)),
        _Op('joints.name=10k_extra', SUSPECT, lambda ctx: extra(ctx, 10_000)),
        _Op('joints.position=nan_inf', REJECT,
            value('position', nan_inf, 'JointState.position')),
        _Op('joints.velocity=nan_inf', REJECT,
            value('velocity', nan_inf, 'JointState.velocity')),
        _Op('joints.position=float32_overflow', REJECT,
            value('position', _FLOAT32_OVERFLOW, 'JointState.position')),
        _Op('joints.position=huge', SUSPECT, value('position', _HUGE, None)),
        _Op('joints.velocity=huge', SUSPECT, value('velocity', _HUGE, None)),
        _Op('joints.position=tiny', VALID, value('position', (5e-324, -0.0), None)),
        _Op('joints.name.cdr=invalid_utf8', SUSPECT, name_utf8),
    ] + _header_ops(_joints)


OPERATORS: dict[str, tuple[_Op, ...]] = {
    'camera': tuple(_camera_ops()),
    'audio': tuple(_audio_ops()),
    'audio_info': tuple(_audio_info_ops()),
    'text': tuple(_text_ops()),
    'touch/left': tuple(_wrench_ops()),
    'touch/right': tuple(_wrench_ops()),
    'proprio/joints': tuple(_joint_ops()),
    'proprio/imu': tuple(_imu_ops()),
}


def kinds(stream: Optional[str] = None) -> list[tuple[str, str, str]]:
    """``(stream, kind, expect)`` of every mutation, or of one stream's."""
    return [(s, op.kind, op.expect) for s, ops in OPERATORS.items()
            if stream in (None, s) for op in ops]


class Mutator:
    """The seeded sequence of mutations.

    Args:
        seed: the sequence; ``mutation(i, now_ns)`` is a function of ``(seed, i)`` and the
            stamps of ``now_ns`` only.
        streams: streams to mutate (default all), chosen with equal probability.
        only_kinds: if given, only mutations whose kind contains one of these substrings (e.g.
            ``['value=huge', 'stamp=']``) are drawn; streams without any are left out.

    Raises:
        ValueError: an unknown stream, or a filter that leaves nothing to draw.
    """

    def __init__(self, seed: int, *, streams: Optional[tuple[str, ...]] = None,
                 only_kinds: Optional[tuple[str, ...]] = None) -> None:
        unknown = sorted(set(streams or ()) - set(STREAMS))
        if unknown:
            raise ValueError(f'unknown streams {unknown}; expected some of {STREAMS}')
        self.seed = int(seed)
        self._base = _BaseData(self.seed)
        self._ops: dict[str, tuple[_Op, ...]] = {}
        for stream in streams or STREAMS:
            ops = tuple(op for op in OPERATORS[stream]
                        if not only_kinds or any(k in op.kind for k in only_kinds))
            if ops:
                self._ops[stream] = ops
        if not self._ops:
            raise ValueError(f'no mutation kind matches {only_kinds} on streams {streams}')
        self.streams: tuple[str, ...] = tuple(self._ops)

    def mutation(self, index: int, now_ns: int) -> Mutation:
        """Mutation number ``index``, with stamps relative to ``now_ns``."""
        rng = np.random.default_rng([self.seed, int(index)])
        stream = self.streams[int(rng.integers(len(self.streams)))]
        ops = self._ops[stream]
        op = ops[int(rng.integers(len(ops)))]
        message, detail, field = op.apply(_Ctx(rng, int(now_ns), self._base, stream))
        return Mutation(index=int(index), stream=stream, kind=op.kind, detail=detail,
                        expect=op.expect, field=field, message=message)


class FuzzPublisher:
    """Reliable publishers on the node's default input topics (relative names).

    Args:
        node: the rclpy node that owns the publishers.
        depth: history depth of each publisher.
    """

    def __init__(self, node: Node, depth: int = 50) -> None:
        profile = QoSProfile(depth=depth, reliability=ReliabilityPolicy.RELIABLE)
        self._publishers = {stream: node.create_publisher(msg_type, topic, profile)
                            for stream, (msg_type, topic) in STREAM_TOPICS.items()}

    def matched(self) -> bool:
        """Whether every topic has a subscriber (the node's)."""
        return all(p.get_subscription_count() > 0 for p in self._publishers.values())

    def publish(self, mutation: Mutation) -> None:
        self._publishers[mutation.stream].publish(mutation.message)

    def restore(self) -> None:
        """Send the stream description the simulator uses, undoing a mutated AudioInfo."""
        self._publishers['audio_info'].publish(_audio_info())
