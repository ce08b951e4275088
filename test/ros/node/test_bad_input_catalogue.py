# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The bad-input catalogue: the node in its own process over real DDS, one bad thing at a time.

One node runs for the whole module, fed valid streams by a synthetic driver
(``ros/testing.py``). Each case publishes its bad message(s) beside them and asserts that
the node

* stays alive,
* counted exactly what was sent under the field at fault (``/diagnostics``),
* logged it once, naming the field and what was expected,
* went on publishing (an output for a camera frame after the case, within a bound),

and, over the whole catalogue, never published a NaN. Timing and clock faults, dead
streams and AudioInfo faults follow the malformed messages. ``docs/reliability.md`` lists
the cases. Nothing here asserts on wall-clock durations beyond generous bounds for things
to happen at all.
"""

from __future__ import annotations

import array
import dataclasses
import os
import time
from typing import Callable

from audio_common_msgs.msg import AudioInfo
import numpy as np
import pytest
import rclpy
from rclpy.node import Node
from std_msgs.msg import String

from multimodal_fusion.ros.conversions import array_to_audio
from multimodal_fusion.ros.conversions import array_to_image
from multimodal_fusion.ros.conversions import array_to_imu
from multimodal_fusion.ros.conversions import array_to_wrench
from multimodal_fusion.ros.conversions import arrays_to_joint_state
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.processes import isolated_ros_env
from multimodal_fusion.ros.processes import node_args
from multimodal_fusion.ros.processes import start_process
from multimodal_fusion.ros.processes import stop_process
from multimodal_fusion.ros.processes import wait_for
from multimodal_fusion.ros.recorder import RecorderThread
from multimodal_fusion.ros.testing import NodeLog
from multimodal_fusion.ros.testing import SensorDriver
from multimodal_fusion.spec import JOINT_NAMES

pytestmark = [pytest.mark.dds, pytest.mark.slow]

DIAG_PERIOD_S = 0.25
NODE = 'fusion_node'
S = 1_000_000_000
# An output for a camera frame stamped after a case must arrive within this (s): the driver
# sends frames at 15 Hz, so this is dozens of frames.
RESUME_BOUND_S = 5.0


@dataclasses.dataclass
class Live:
    node: object
    log: NodeLog
    driver: SensorDriver
    recorder: RecorderThread

    def diagnostics(self) -> dict:
        return self.recorder.node.latest_diagnostics()

    def value(self, key: str) -> str:
        return self.diagnostics().get(f'{NODE}: {key}', '0')

    def count(self, key: str) -> int:
        return int(self.value(key))

    def fresh_diagnostics(self) -> dict:
        """Diagnostics published after this call (so they include what happened before)."""
        seen = len(self.recorder.node.snapshot().diagnostics)
        wait_for(lambda: len(self.recorder.node.snapshot().diagnostics) >= seen + 2,
                 timeout=10)
        return self.diagnostics()

    def outputs_after(self, stamp_ns: int) -> list[int]:
        return [s for s in self.recorder.node.snapshot().outputs if s > stamp_ns]

    def resumed_after(self, stamp_ns: int) -> bool:
        return wait_for(lambda: len(self.outputs_after(stamp_ns)) >= 3, RESUME_BOUND_S)


@pytest.fixture(scope='module')
def live(tmp_path_factory):
    out = tmp_path_factory.mktemp('catalogue')
    env = isolated_ros_env(int(os.environ['ROS_DOMAIN_ID']))
    rclpy.init()
    recorder = RecorderThread()
    proc = start_process(node_args(f'diagnostics.period:={DIAG_PERIOD_S}',
                                   'model.warmup_iterations:=1'), env, out / 'node.log')
    helper = Node('catalogue_driver')
    driver = SensorDriver(helper)
    try:
        assert wait_for(lambda: recorder.node.snapshot().label_info is not None
                        or proc.poll() is not None, timeout=180), 'node never configured'
        assert proc.poll() is None, (out / 'node.log').read_text()
        assert wait_for(driver.subscribed, timeout=30)
        driver.start()
        assert wait_for(lambda: len(recorder.node.snapshot().outputs) >= 10, timeout=60)
        yield Live(node=proc, log=NodeLog(out / 'node.log'), driver=driver,
                   recorder=recorder)
    finally:
        driver.close()
        code = stop_process(proc)
        helper.destroy_node()
        recorder.close()
        rclpy.try_shutdown()
    assert code == 0, (out / 'node.log').read_text()[-3000:]


# -- message builders --------------------------------------------------------------------------

IMAGE = np.zeros((240, 320, 3), np.uint8)
J = len(JOINT_NAMES)
IMU_OK = np.array([0, 0, 0, 1.0, 0.01, 0, 0, 0, 0, 9.81])


def image(stamp, **fields):
    msg = array_to_image(IMAGE, 'rgb8', header=make_header(stamp, 'head_camera'))
    for name, value in fields.items():
        setattr(msg, name, value)
    return msg


def image_bytes(stamp, nbytes):
    msg = image(stamp)
    msg.data = array.array('B', bytes(nbytes))
    return msg


def wrench(stamp, index=None, value=0.0, frame='left_wrist'):
    values = np.array([0.2, 0.0, 1.5, 0.0, 0.0, 0.0])
    msg = array_to_wrench(values, header=make_header(stamp, frame))
    if index is not None:
        part, axis = divmod(index, 3)
        setattr(getattr(msg.wrench, ('force', 'torque')[part]), 'xyz'[axis], value)
    return msg


def raw_stamp(msg, sec, nanosec=0):
    msg.header.stamp.sec, msg.header.stamp.nanosec = sec, nanosec
    return msg


def joints(stamp, **fields):
    msg = arrays_to_joint_state(np.full(J, 0.1), np.zeros(J), header=make_header(stamp, 'b'))
    for name, value in fields.items():
        setattr(msg, name, value)
    return msg


def imu(stamp, index=None, value=0.0):
    values = IMU_OK.copy()
    msg = array_to_imu(values, header=make_header(stamp, 'imu'))
    if index is not None:
        group, axis = [('orientation', 'x'), ('angular_velocity', 'z'),
                       ('linear_acceleration', 'x'), ('orientation', 'w')][index]
        setattr(getattr(msg, group), axis, value)
    return msg


def audio(stamp, nbytes=640):
    msg = array_to_audio(np.zeros(1), info(), header=make_header(stamp))
    msg.audio.data = array.array('B', bytes(nbytes))
    return msg


def info(**fields):
    values = {'channels': 1, 'sample_rate': 16000, 'sample_format': 'S16LE', 'bitrate': 0,
              'coding_format': 'wave'}
    values.update(fields)
    return AudioInfo(**values)


@dataclasses.dataclass(frozen=True)
class Case:
    """One malformed input: what to send, where it must be counted, what the log says."""

    name: str
    stream: str
    field: str
    expected: str  # a fragment of the expected value the log line must quote
    make: Callable[[int], list]  # stamp (ns) -> messages (stream, msg) to publish


def _on(stream, make):
    return lambda t: [(stream, m) for m in make(t)]


W, R, JS, IM, CAM, AU, AI, TX = ('touch/left', 'touch/right', 'proprio/joints', 'proprio/imu',
                                 'camera', 'audio', 'audio_info', 'text')
NAN, INF = float('nan'), float('inf')

CASES = [
    # camera
    Case('image-height-0', CAM, 'Image.height', '> 0', _on(CAM, lambda t: [image(t, height=0)])),
    Case('image-width-0', CAM, 'Image.width', '> 0', _on(CAM, lambda t: [image(t, width=0)])),
    Case('image-step-short', CAM, 'Image.step', '>= width * 3',
         _on(CAM, lambda t: [image(t, step=100)])),
    Case('image-data-short', CAM, 'Image.data', 'height * step',
         _on(CAM, lambda t: [image_bytes(t, 1000)])),
    Case('image-data-long', CAM, 'Image.data', 'height * step',
         _on(CAM, lambda t: [image_bytes(t, 240 * 960 + 7)])),
    Case('image-claims-huge', CAM, 'Image.data', 'height * step',
         _on(CAM, lambda t: [image(t, height=100_000, width=100_000, step=300_000)])),
    Case('image-encoding-depth', CAM, 'Image.encoding', 'rgb8',
         _on(CAM, lambda t: [image(t, encoding='16UC1')])),
    Case('image-encoding-unknown', CAM, 'Image.encoding', 'rgb8',
         _on(CAM, lambda t: [image(t, encoding='abc99')])),
    Case('image-encoding-empty', CAM, 'Image.encoding', 'rgb8',
         _on(CAM, lambda t: [image(t, encoding='')])),
    Case('image-stamp-zero', CAM, 'Image.header.stamp', 'after the epoch',
         _on(CAM, lambda t: [image(0)])),
    Case('image-nanosec-overflow', CAM, 'Time.nanosec', '< 1000000000',
         _on(CAM, lambda t: [raw_stamp(image(t), 1_700_000_000, 2_000_000_000)])),
    # wrist wrenches
    Case('wrench-nan-force-x', W, 'WrenchStamped.wrench.force.x', 'within +-10000 N',
         _on(W, lambda t: [wrench(t, 0, NAN)])),
    Case('wrench-inf-torque-z', W, 'WrenchStamped.wrench.torque.z', 'within +-1000 N m',
         _on(W, lambda t: [wrench(t, 5, INF)])),
    Case('wrench-1e20-force-y', W, 'WrenchStamped.wrench.force.y', 'within +-10000 N',
         _on(W, lambda t: [wrench(t, 1, 1e20)])),
    Case('wrench-neg-1e20-torque-x', W, 'WrenchStamped.wrench.torque.x', 'within +-1000 N m',
         _on(W, lambda t: [wrench(t, 3, -1e20)])),
    Case('wrench-1e5-force-z', W, 'WrenchStamped.wrench.force.z', 'within +-10000 N',
         _on(W, lambda t: [wrench(t, 2, 1e5)])),
    Case('wrench-overflow-float32', W, 'WrenchStamped.wrench.force.x', 'within +-10000 N',
         _on(W, lambda t: [wrench(t, 0, 1e300)])),
    Case('wrench-stamp-zero', W, 'WrenchStamped.header.stamp', 'after the epoch',
         _on(W, lambda t: [wrench(0)])),
    Case('wrench-stamp-negative', W, 'WrenchStamped.header.stamp', 'after the epoch',
         _on(W, lambda t: [raw_stamp(wrench(t), -5)])),
    Case('wrench-right-nan-three', R, 'WrenchStamped.wrench.force.z', 'within +-10000 N',
         _on(R, lambda t: [wrench(t + k, 2, NAN, 'right_wrist') for k in range(3)])),
    Case('wrench-right-1e20-torque-y', R, 'WrenchStamped.wrench.torque.y', 'within +-1000 N m',
         _on(R, lambda t: [wrench(t, 4, 1e20, 'right_wrist')])),
    # joint states
    Case('joints-position-short', JS, 'JointState.position', 'one per name',
         _on(JS, lambda t: [joints(t, position=[0.0] * (J - 2))])),
    Case('joints-velocity-short', JS, 'JointState.velocity', 'none, or one per name',
         _on(JS, lambda t: [joints(t, velocity=[0.0] * 3)])),
    Case('joints-effort-long', JS, 'JointState.effort', 'none, or one per name',
         _on(JS, lambda t: [joints(t, effort=[0.0] * (J + 4))])),
    Case('joints-duplicate-name', JS, 'JointState.name', 'unique joint names',
         _on(JS, lambda t: [joints(t, name=list(JOINT_NAMES[:-1]) + [JOINT_NAMES[0]])])),
    Case('joints-empty-name', JS, 'JointState.name', 'non-empty joint names',
         _on(JS, lambda t: [joints(t, name=list(JOINT_NAMES[:-1]) + [''])])),
    Case('joints-empty-message', JS, 'JointState.name', 'at least one joint name',
         _on(JS, lambda t: [joints(t, name=[], position=[], velocity=[])])),
    Case('joints-nan-position', JS, 'JointState.position', 'within +-1000',
         _on(JS, lambda t: [joints(t, position=[NAN] + [0.0] * (J - 1))])),
    Case('joints-1e20-velocity', JS, 'JointState.velocity', 'within +-1000',
         _on(JS, lambda t: [joints(t, velocity=[0.0] * (J - 1) + [1e20])])),
    Case('joints-stamp-zero', JS, 'JointState.header.stamp', 'after the epoch',
         _on(JS, lambda t: [joints(0)])),
    # IMU
    Case('imu-nan-orientation', IM, 'Imu.orientation.x', 'within +-1.01',
         _on(IM, lambda t: [imu(t, 0, NAN)])),
    Case('imu-1e20-gyro', IM, 'Imu.angular_velocity.z', 'within +-200 rad/s',
         _on(IM, lambda t: [imu(t, 1, 1e20)])),
    Case('imu-inf-accel', IM, 'Imu.linear_acceleration.x', 'within +-2000',
         _on(IM, lambda t: [imu(t, 2, -INF)])),
    Case('imu-quaternion-2', IM, 'Imu.orientation.w', 'within +-1.01',
         _on(IM, lambda t: [imu(t, 3, 2.0)])),
    Case('imu-stamp-zero', IM, 'Imu.header.stamp', 'after the epoch',
         _on(IM, lambda t: [imu(0)])),
    Case('imu-stamp-negative', IM, 'Imu.header.stamp', 'after the epoch',
         _on(IM, lambda t: [raw_stamp(imu(t), -1, 5)])),
    # audio chunks (the stream's AudioInfo is S16LE mono 16 kHz)
    Case('audio-odd-bytes', AU, 'AudioData.data', 'a multiple of 2 bytes',
         _on(AU, lambda t: [audio(t, 641)])),
    Case('audio-10s-chunk', AU, 'AudioData.data', 'at most 1 s of audio per chunk',
         _on(AU, lambda t: [audio(t, 320_000)])),
    Case('audio-stamp-zero', AU, 'AudioDataStamped.header.stamp', 'after the epoch',
         _on(AU, lambda t: [audio(0)])),
    Case('audio-stamp-negative', AU, 'AudioDataStamped.header.stamp', 'after the epoch',
         _on(AU, lambda t: [raw_stamp(audio(t), -100)])),
    # AudioInfo (refused; the last good description stays in force)
    Case('info-rate-0', AI, 'AudioInfo.sample_rate', '1000 to 384000 Hz',
         _on(AI, lambda t: [info(sample_rate=0)])),
    Case('info-rate-1', AI, 'AudioInfo.sample_rate', '1000 to 384000 Hz',
         _on(AI, lambda t: [info(sample_rate=1)])),
    Case('info-rate-10MHz', AI, 'AudioInfo.sample_rate', '1000 to 384000 Hz',
         _on(AI, lambda t: [info(sample_rate=10_000_000)])),
    Case('info-rate-uint32-max', AI, 'AudioInfo.sample_rate', '1000 to 384000 Hz',
         _on(AI, lambda t: [info(sample_rate=2**32 - 1)])),
    Case('info-channels-0', AI, 'AudioInfo.channels', '1 to 64',
         _on(AI, lambda t: [info(channels=0)])),
    Case('info-channels-255', AI, 'AudioInfo.channels', '1 to 64',
         _on(AI, lambda t: [info(channels=255)])),
    Case('info-format-s24', AI, 'AudioInfo.sample_format', 'S16LE',
         _on(AI, lambda t: [info(sample_format='S24LE')])),
    Case('info-mp3', AI, 'AudioInfo.coding_format', 'uncompressed PCM',
         _on(AI, lambda t: [info(coding_format='mp3')])),
    # speech text
    Case('text-empty', TX, 'String.data', 'non-empty text', _on(TX, lambda t: [String()])),
    Case('text-whitespace', TX, 'String.data', 'non-empty text',
         _on(TX, lambda t: [String(data=' \t\n ')])),
    Case('text-control-char', TX, 'String.data', 'without control characters',
         _on(TX, lambda t: [String(data='pick up\x07 the cup')])),
    Case('text-invisible', TX, 'String.data', 'at least one visible character',
         _on(TX, lambda t: [String(data='\u200b\u200c\ufeff')])),
    Case('text-too-long', TX, 'String.data', 'at most 2000 characters',
         _on(TX, lambda t: [String(data='pick up the cup ' * 200)])),
]

_FIRST_OF_KEY = {}
SENT: dict[str, int] = {}  # case id -> malformed messages it sent (the cases that ran)
for _case in CASES:
    _FIRST_OF_KEY.setdefault((_case.stream, _case.field), _case.name)


@pytest.mark.parametrize('case', CASES, ids=[c.name for c in CASES])
def test_malformed_input_is_refused_counted_logged_once_and_survived(live, case):
    key = f'drops/messages/malformed/{case.stream}/{case.field}'
    before = live.fresh_diagnostics()
    n0 = int(before.get(f'{NODE}: {key}', '0'))
    log_from = live.log.size()
    t0 = live.driver.now_ns()
    messages = case.make(t0)
    for stream, msg in messages:
        live.driver.publish(stream, msg)
    SENT[case.name] = len(messages)
    # Counted exactly: the count reaches n0 + sent and stays there.
    assert wait_for(lambda: live.count(key) >= n0 + len(messages), timeout=15), \
        f'{key}: {live.value(key)} after sending {len(messages)} (was {n0})'
    live.fresh_diagnostics()
    assert live.count(key) == n0 + len(messages)
    # Outputs go on.
    assert live.resumed_after(live.driver.now_ns()), 'no output after the case'
    assert live.node.poll() is None
    # Logged once per stream and field, naming both the field and what was expected.
    lines = live.log.lines(f'rejected a {case.stream} message', case.field, since=log_from)
    if _FIRST_OF_KEY[(case.stream, case.field)] == case.name:
        assert len(lines) == 1, live.log.text()[log_from:][-2000:]
        assert case.expected in lines[0], lines[0]
    else:
        assert not lines, lines


def test_no_valid_message_was_counted_malformed_and_no_nan_was_published(live):
    values = live.fresh_diagnostics()
    malformed = {k: v for k, v in values.items() if '/messages/malformed/' in k}
    counted = sum(int(v) for v in malformed.values())
    assert counted == sum(SENT.values()), malformed
    assert live.recorder.node.snapshot().non_finite_scores == 0
    assert live.log.tracebacks() == 0


# -- timing, clocks and dead streams -----------------------------------------------------------


def test_a_wrist_stamping_with_its_boot_clock_does_not_stop_the_outputs(live):
    jumps0 = live.count('inputs/clock_jumps/touch/left')
    live.driver.pause(W)
    t0 = live.driver.now_ns()
    for k in range(20):  # the driver restarts and stamps 12 s since boot
        live.driver.publish(W, wrench(12 * S + k * 20_000_000))
        time.sleep(0.02)
    assert live.resumed_after(t0)
    assert wait_for(lambda: live.count('inputs/clock_jumps/touch/left') == jumps0 + 1, 10)
    values = live.fresh_diagnostics()
    assert values[f'{NODE}: inference/present/touch'] == 'False'  # not silently present
    assert values[f'{NODE}: inference/present/proprio'] == 'True'
    assert values[f'{NODE}: inputs/level'] >= 1 and 'touch/left' in \
        values[f'{NODE}: inputs/message']
    live.driver.resume(W)  # current stamps again: a forward step, accepted
    assert wait_for(lambda: live.diagnostics().get(f'{NODE}: inference/present/touch')
                    == 'True', timeout=10)


@pytest.mark.parametrize('offset_s', [-30.0, 3600.0], ids=['camera-30s-back', 'camera-1h-ahead'])
def test_one_camera_frame_off_the_clock_restarts_the_timeline_once(live, offset_s):
    jumps0 = live.count('inputs/time_jumps')
    t0 = live.driver.now_ns()
    live.driver.publish(CAM, image(t0 + int(offset_s * S)))
    assert wait_for(lambda: live.count('inputs/time_jumps') == jumps0 + 1, timeout=10)
    assert live.resumed_after(live.driver.now_ns())
    live.fresh_diagnostics()
    assert live.count('inputs/time_jumps') == jumps0 + 1


def test_out_of_order_and_duplicate_frames_are_counted_not_used(live):
    t0 = live.driver.now_ns()
    old = live.count('drops/messages/out_of_order/camera')
    live.driver.publish(CAM, image(t0 - 300_000_000))  # 0.3 s late: out of order
    assert wait_for(lambda: live.count('drops/messages/out_of_order/camera') == old + 1, 10)
    assert live.resumed_after(live.driver.now_ns())


def test_a_dead_stream_is_reported_absent_then_present_again(live):
    live.driver.pause(JS)
    live.driver.pause(IM)
    try:
        assert wait_for(lambda: live.diagnostics().get(f'{NODE}: inference/present/proprio')
                        == 'False', timeout=10)
        assert wait_for(lambda: 'no messages on proprio/joints' in live.diagnostics().get(
            f'{NODE}: inputs/message', ''), timeout=10)
        assert live.resumed_after(live.driver.now_ns())  # outputs go on without it
    finally:
        live.driver.resume(JS)
        live.driver.resume(IM)
    assert wait_for(lambda: live.diagnostics().get(f'{NODE}: inference/present/proprio')
                    == 'True', timeout=10)


def test_an_audio_info_that_does_not_fit_the_chunks_makes_audio_absent_not_wrong(live):
    key = 'drops/messages/malformed/audio/AudioInfo.sample_rate'
    live.driver.publish(AI, info(sample_rate=48000))  # the chunks stay 16 kHz mono
    try:
        assert wait_for(lambda: live.count(key) >= 10, timeout=10)
        assert wait_for(lambda: live.diagnostics().get(f'{NODE}: inference/present/audio')
                        == 'False', timeout=10)
        assert live.log.lines('audio format changed', '48000 Hz')
    finally:
        live.driver.publish(AI, live.driver.info)
    assert wait_for(lambda: live.diagnostics().get(f'{NODE}: inference/present/audio')
                    == 'True', timeout=10)
    live.fresh_diagnostics()
    settled = live.count(key)
    time.sleep(1.0)
    live.fresh_diagnostics()
    assert live.count(key) == settled  # the right description ends the refusals


def test_a_burst_of_frames_is_absorbed(live):
    t0 = live.driver.now_ns()
    superseded0 = live.count('drops/sets/superseded/slot')
    for k in range(60):
        live.driver.publish(CAM, image(t0 + k * 1_000_000))
    assert live.resumed_after(t0 + 60 * 1_000_000)
    live.fresh_diagnostics()
    assert live.count('drops/sets/superseded/slot') >= superseded0
    assert live.node.poll() is None


def test_valid_but_unusual_messages_are_used(live):
    before = live.fresh_diagnostics()
    malformed0 = sum(int(v) for k, v in before.items() if '/messages/malformed/' in k)
    t0 = live.driver.now_ns()
    # A joint state with 30 joints, shuffled, the model's among them; velocities omitted.
    names = list(JOINT_NAMES) + [f'finger_{i}' for i in range(13)]
    order = np.random.default_rng(0).permutation(len(names))
    live.driver.publish(JS, arrays_to_joint_state(
        np.zeros(len(names))[order], joint_names=[names[i] for i in order],
        header=make_header(t0)))
    # An IMU without an orientation estimate (all-zero quaternion), a padded bgr8 frame, a
    # mono8 frame, a command in another script.
    live.driver.publish(IM, array_to_imu(np.array([0, 0, 0, 0, 0.1, 0, 0, 0, 0, 9.8]),
                                         header=make_header(t0)))
    live.driver.publish(CAM, array_to_image(IMAGE, 'bgr8', header=make_header(t0 + 1),
                                            step=320 * 3 + 64))
    live.driver.publish(CAM, array_to_image(IMAGE[:, :, 0], 'mono8',
                                            header=make_header(t0 + 2)))
    live.driver.publish(TX, String(data='¿Puedes darme la taza roja?'))
    # One limb controller's JointState: some of the model's joints, and joints it does not
    # read (one without an encoder, NaN): merged by name, never malformed.
    limb = arrays_to_joint_state(np.zeros(4), joint_names=list(JOINT_NAMES[3:6]) + ['toe'],
                                 header=make_header(t0))
    limb.position[3] = float('nan')
    live.driver.publish(JS, limb)
    assert live.resumed_after(t0 + 2)
    after = live.fresh_diagnostics()
    assert sum(int(v) for k, v in after.items() if '/messages/malformed/' in k) == malformed0
