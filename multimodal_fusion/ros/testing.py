# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Test helpers for the node: a synthetic sensor driver, the node's log, its controls.

Not used by the node itself. :class:`SensorDriver` publishes valid, cheap sensor streams at
robot-like rates from a thread (so a test can inject bad messages beside them and pause a
stream), :class:`NodeLog` reads what the node process logged, :class:`NodeControl` does what
the lifecycle and parameter CLIs do, and :class:`Feeder` hands valid messages straight to
the callbacks of a node in the test's own process.
"""

from __future__ import annotations

import itertools
import pathlib
import re
import threading
import time
from typing import Optional

from audio_common_msgs.msg import AudioDataStamped
from audio_common_msgs.msg import AudioInfo
from geometry_msgs.msg import WrenchStamped
import numpy as np
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy
from rclpy.qos import QoSProfile
from rclpy.qos import ReliabilityPolicy
from sensor_msgs.msg import CompressedImage
from sensor_msgs.msg import Image
from sensor_msgs.msg import Imu
from sensor_msgs.msg import JointState
from std_msgs.msg import String

from multimodal_fusion.ros.conversions import array_to_audio
from multimodal_fusion.ros.conversions import array_to_image
from multimodal_fusion.ros.conversions import array_to_imu
from multimodal_fusion.ros.conversions import array_to_wrench
from multimodal_fusion.ros.conversions import arrays_to_joint_state
from multimodal_fusion.ros.conversions import make_audio_info
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.conversions import rgb_to_compressed
from multimodal_fusion.ros.conversions import rgb_to_yuv_image
from multimodal_fusion.spec import JOINT_NAMES

RELIABLE = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)
LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
# The node's default input topics (relative: they follow the namespace).
TOPICS = {
    'camera': ('camera/image_raw', Image),
    'audio': ('audio/audio_stamped', AudioDataStamped),
    'audio_info': ('audio/audio_info', AudioInfo),
    'text': ('speech/text', String),
    'touch/left': ('wrist/left/wrench', WrenchStamped),
    'touch/right': ('wrist/right/wrench', WrenchStamped),
    'proprio/joints': ('joint_states', JointState),
    'proprio/imu': ('imu/data', Imu),
}


def spin_in_background(node: Node) -> SingleThreadedExecutor:
    """Spin ``node`` on its own executor in a daemon thread; call ``shutdown()`` when done."""
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    threading.Thread(target=executor.spin, daemon=True).start()
    return executor


class SensorDriver:
    """Valid sensor messages on every input topic of the node, stamped with the wall clock.

    Rates are modest (camera 15 Hz at 320x240, wrenches, joints and IMU 50 Hz, audio in
    20 ms chunks) so the driver, the node and the test share two cores. ``pause(stream)``
    stops one stream (a dead driver); ``publish(stream, msg)`` sends one message of the
    test's on the stream's topic, through the same reliable publisher.

    Args:
        node: an rclpy node of the test process (spun elsewhere or not at all).
        latch_audio_info: publish the AudioInfo once, transient local, as audio_capture
            does (otherwise it is not sent at all).
        camera: ``'rgb8'``, a YUV encoding such as ``'yuv422_yuy2'`` (``sensor_msgs/Image``
            on ``camera/image_raw``), or ``'jpeg'``/``'png'`` (``sensor_msgs/CompressedImage``
            on ``camera/image_raw/compressed``, as image_transport names it).
        joint_topics: the robot's joint states as ``(topic, joint names, rate Hz)``, one
            JointState per topic and tick; None for one ``joint_states`` topic with the
            model's own names at ``ROBOT_HZ``.
    """

    CAMERA_HZ = 15.0
    ROBOT_HZ = 50.0
    AUDIO_CHUNK_S = 0.02

    def __init__(self, node: Node, *, latch_audio_info: bool = True, camera: str = 'rgb8',
                 joint_topics: Optional[list] = None) -> None:
        self.node = node
        topics = dict(TOPICS)
        self.camera_format = camera
        if camera in ('jpeg', 'png'):
            topics['camera'] = ('camera/image_raw/compressed', CompressedImage)
        self.pubs = {stream: node.create_publisher(
            msg_type, topic, LATCHED if stream == 'audio_info' else RELIABLE)
            for stream, (topic, msg_type) in topics.items()}
        self.joint_topics = [(node.create_publisher(JointState, topic, RELIABLE), list(names),
                              rate) for topic, names, rate in joint_topics or []]
        self.info = make_audio_info(sample_rate=16000)
        self.paused: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._image = np.zeros((240, 320, 3), np.uint8)
        self._image[60:180, 100:220] = (200, 40, 40)
        self.camera_stamps: list[int] = []
        if latch_audio_info:
            self.pubs['audio_info'].publish(self.info)
        self._thread = threading.Thread(target=self._run, name='sensor_driver', daemon=True)

    def start(self) -> 'SensorDriver':
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)

    def pause(self, stream: str) -> None:
        with self._lock:
            self.paused.add(stream)

    def resume(self, stream: str) -> None:
        with self._lock:
            self.paused.discard(stream)

    def publish(self, stream: str, msg) -> None:
        with self._lock:
            self.pubs[stream].publish(msg)

    def subscribed(self) -> bool:
        """Whether the node subscribes to every topic the driver publishes."""
        pubs = list(self.pubs.values()) + [p for p, _, _ in self.joint_topics]
        if self.joint_topics:
            pubs.remove(self.pubs['proprio/joints'])
        return all(p.get_subscription_count() > 0 for p in pubs)

    def _frame(self, stamp: int):
        header = make_header(stamp, 'head_camera')
        if self.camera_format in ('jpeg', 'png'):
            return rgb_to_compressed(self._image, self.camera_format, header=header)
        if self.camera_format != 'rgb8':
            return rgb_to_yuv_image(self._image, self.camera_format, header=header)
        return array_to_image(self._image, 'rgb8', header=header)

    def now_ns(self) -> int:
        return time.time_ns()

    def _send(self, stream: str, msg) -> None:
        with self._lock:
            if stream not in self.paused:
                self.pubs[stream].publish(msg)

    def _run(self) -> None:
        period = 1.0 / self.ROBOT_HZ
        next_camera = next_robot = next_audio = time.monotonic()
        next_joints = [next_robot] * len(self.joint_topics)
        audio_stamp = None
        joints = len(JOINT_NAMES)
        imu = np.array([0, 0, 0, 1.0, 0, 0, 0, 0, 0, 9.81])
        silence = np.zeros(int(self.AUDIO_CHUNK_S * 16000))
        while not self._stop.is_set():
            now = time.monotonic()
            stamp = time.time_ns()
            if now >= next_robot:
                next_robot += period
                for wrist in ('left', 'right'):
                    self._send(f'touch/{wrist}', array_to_wrench(
                        np.array([0.2, 0.0, 1.5, 0.0, 0.0, 0.0]),
                        header=make_header(stamp, f'{wrist}_wrist')))
                if not self.joint_topics:
                    self._send('proprio/joints', arrays_to_joint_state(
                        np.full(joints, 0.1), np.zeros(joints),
                        header=make_header(stamp, 'base')))
                self._send('proprio/imu', array_to_imu(imu, header=make_header(stamp, 'imu')))
            for k, (pub, names, rate) in enumerate(self.joint_topics):
                if now >= next_joints[k]:
                    next_joints[k] += 1.0 / rate
                    with self._lock:
                        if 'proprio/joints' not in self.paused:
                            pub.publish(arrays_to_joint_state(
                                np.full(len(names), 0.1), np.zeros(len(names)),
                                joint_names=names, header=make_header(stamp, 'base')))
            if now >= next_audio:
                next_audio += self.AUDIO_CHUNK_S
                # Stamped by sample count, as a sound card's clock would, resynchronised
                # only if the driver fell far behind (not by when it got to publish).
                chunk_ns = int(self.AUDIO_CHUNK_S * 1e9)
                if audio_stamp is None or abs(stamp - chunk_ns - audio_stamp) > 300_000_000:
                    audio_stamp = stamp - chunk_ns
                self._send('audio', array_to_audio(silence, self.info,
                                                   header=make_header(audio_stamp, 'mic')))
                audio_stamp += chunk_ns
            if now >= next_camera:
                next_camera += 1.0 / self.CAMERA_HZ
                if 'camera' not in self.paused:
                    self.camera_stamps.append(stamp)
                self._send('camera', self._frame(stamp))
            wake = min([next_robot, next_audio, next_camera] + next_joints)
            self._stop.wait(max(0.0, wake - time.monotonic()))


class NodeLog:
    """The node process's log file (stdout and stderr), read on demand."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path

    def text(self) -> str:
        return self.path.read_text(errors='replace')

    def lines(self, *fragments: str, since: int = 0) -> list[str]:
        """Lines from character offset ``since`` on that contain every fragment."""
        return [line for line in self.text()[since:].splitlines()
                if all(f in line for f in fragments)]

    def size(self) -> int:
        return len(self.text())

    def tracebacks(self) -> int:
        return len(re.findall(r'^Traceback', self.text(), flags=re.M))


class NodeControl:
    """What ``ros2 lifecycle set`` and ``ros2 param set`` do, for a test without the CLI.

    Args:
        node: an rclpy node of the test process, spun by an executor in another thread.
        target: the fusion node's full name, e.g. ``'/fusion_node'``.
        rediscover_s: how long a client may wait to see its service before it is replaced
            by a new one. Fast DDS on a loaded machine has been seen never to match one
            client of a node whose other services it had matched (CI, a lifecycle
            ``change_state`` still unseen after 120 s); a new client runs discovery again.
        fresh_participant_s: how long a service may stay unseen, replaced clients and all,
            before the clients move to a node of a context of their own: a new DDS
            participant, whose discovery starts over (CI again: ``change_state`` unseen
            through seven replaced clients in 120 s while ``set_parameters`` answered).
            :meth:`close` ends that context.
        answer_s: how long one request waits for its answer before it is taken as lost and
            sent again from a new client (CI: a ``change_state`` request to a service the
            client saw went unanswered for 120 s; a server drops a response when it has not
            yet matched the client's response reader). A lost ``change_state`` is not sent
            twice when the node's state shows the transition was made.
    """

    # The state each transition leads to, by which a lost answer is told from a lost request.
    _GOAL = {'configure': 'inactive', 'activate': 'active', 'deactivate': 'inactive',
             'cleanup': 'unconfigured'}
    _START = {'configure': 'unconfigured', 'activate': 'inactive', 'deactivate': 'active',
              'cleanup': 'inactive'}
    RESEND = object()  # what ``after_silence`` returns for a request to be sent again

    def __init__(self, node: Node, target: str = '/fusion_node',
                 rediscover_s: float = 15.0, fresh_participant_s: float = 40.0,
                 answer_s: float = 20.0) -> None:
        from lifecycle_msgs.srv import ChangeState
        from lifecycle_msgs.srv import GetState
        from rcl_interfaces.srv import SetParameters

        self._node = node
        self._rediscover_s = rediscover_s
        self._services = {'change_state': ChangeState, 'get_state': GetState,
                          'set_parameters': SetParameters}
        self._target = target
        self._clients = {name: node.create_client(kind, f'{target}/{name}')
                         for name, kind in self._services.items()}
        self.recreated = 0  # clients replaced because their service stayed unseen
        self._answer_s = answer_s
        self.unanswered = 0  # requests whose answer never came within answer_s
        self._fresh_participant_s = fresh_participant_s
        self.fresh_participants = 0  # times the clients moved to a new participant
        self._own: Optional[tuple] = None  # (context, node, executor, thread) of that move

    def _move_to_fresh_participant(self) -> None:
        import rclpy
        from rclpy.context import Context

        if self._own is None:
            for client in self._clients.values():
                self._node.destroy_client(client)
        else:
            self.close()  # its node, and the clients on it, go with it
        context = Context()
        rclpy.init(context=context)
        node = rclpy.create_node(f'node_control_{self.fresh_participants}', context=context)
        # The clients exist before the executor first waits, so its wait set holds them.
        self._clients = {name: node.create_client(kind, f'{self._target}/{name}')
                         for name, kind in self._services.items()}
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(node)
        thread = threading.Thread(target=executor.spin, daemon=True)
        thread.start()
        self._own = (context, node, executor, thread)
        self._node = node
        self.fresh_participants += 1

    def close(self) -> None:
        """End the context of a move to a fresh participant (nothing without one)."""
        if self._own is None:
            return
        import rclpy

        context, node, executor, thread = self._own
        self._own = None
        executor.shutdown()
        thread.join(timeout=10.0)
        node.destroy_node()
        rclpy.try_shutdown(context=context)

    def _ready_client(self, name: str, deadline: float):
        # Polled here rather than with wait_for_service, which gives up at once when it
        # finds the service not ready in one quick look on a loaded machine.
        client = self._clients[name]
        started = since = time.monotonic()
        moved = False
        while not client.service_is_ready():
            now = time.monotonic()
            if now > deadline:
                raise TimeoutError(f'service {client.srv_name} not available '
                                   f'(context ok: {client.context.ok()}; '
                                   f'clients replaced: {self.recreated}; '
                                   f'fresh participants: {self.fresh_participants})')
            if not moved and now - started > self._fresh_participant_s:
                self._move_to_fresh_participant()
                client = self._clients[name]
                moved = True
                since = now
            elif now - since > self._rediscover_s:
                self._node.destroy_client(client)
                client = self._node.create_client(self._services[name],
                                                  f'{self._target}/{name}')
                self._clients[name] = client
                self.recreated += 1
                since = now
            time.sleep(0.1)
        return client

    def _call(self, name: str, request, timeout: float, after_silence=None):
        """Send ``request``; again from a new client each time its answer is late.

        Earlier requests stay pending, and the first answer to any of them is returned.
        ``after_silence`` is asked each time the answers are late: it returns a response
        (the request took effect, only its answer was lost), ``RESEND``, or None to wait on.
        """
        deadline = time.monotonic() + timeout
        pending = []  # (node, client, future) of every request sent by this call
        try:
            while True:
                client = self._ready_client(name, deadline)
                pending.append((self._node, client, client.call_async(request)))
                verdict = None
                while verdict is not self.RESEND:
                    look = min(deadline, time.monotonic() + self._answer_s)
                    while time.monotonic() < look:
                        for _, _, future in pending:
                            if future.done():
                                return future.result()
                        time.sleep(0.02)
                    self.unanswered += 1
                    if time.monotonic() >= deadline:
                        raise TimeoutError(
                            f'no answer from {client.srv_name} ({len(pending)} requests, '
                            f'{self.unanswered} waits of {self._answer_s:g} s unanswered, '
                            f'clients replaced: {self.recreated}, '
                            f'fresh participants: {self.fresh_participants})')
                    verdict = after_silence() if after_silence is not None else self.RESEND
                    if verdict not in (None, self.RESEND):
                        return verdict
                # A new client, with a new response reader for the server to discover.
                self._clients[name] = self._node.create_client(self._services[name],
                                                               f'{self._target}/{name}')
                self.recreated += 1
        finally:
            for node, old, _ in pending:
                if old is not self._clients[name]:
                    node.destroy_client(old)

    def transition(self, label: str, timeout: float = 120.0) -> bool:
        """Trigger ``configure``, ``activate``, ``deactivate``, ``cleanup``; True on success."""
        from lifecycle_msgs.msg import Transition
        from lifecycle_msgs.srv import ChangeState

        ids = {'configure': Transition.TRANSITION_CONFIGURE,
               'activate': Transition.TRANSITION_ACTIVATE,
               'deactivate': Transition.TRANSITION_DEACTIVATE,
               'cleanup': Transition.TRANSITION_CLEANUP}
        request = ChangeState.Request()
        request.transition.id = ids[label]

        def after_silence():
            # The node's state tells a lost answer (the goal reached) from a lost request
            # (still where it was); no state, or one in between, and the call waits on.
            try:
                reached = self.state(timeout=2 * self._answer_s)
            except TimeoutError:
                return None
            if reached == self._GOAL[label]:
                return ChangeState.Response(success=True)
            return self.RESEND if reached == before else None

        before = self._START[label]
        return bool(self._call('change_state', request, timeout, after_silence).success)

    def state(self, timeout: float = 10.0) -> str:
        from lifecycle_msgs.srv import GetState
        return self._call('get_state', GetState.Request(), timeout).current_state.label

    def set_parameters(self, timeout: float = 10.0, **values) -> list[tuple[bool, str]]:
        """Set parameters; one ``(successful, reason)`` per parameter.

        Keys are the names with ``__`` for the dots: ``detection__score_threshold=0.9``.
        """
        from rcl_interfaces.srv import SetParameters
        from rclpy.parameter import Parameter

        request = SetParameters.Request()
        request.parameters = [Parameter(k.replace('__', '.'), value=v).to_parameter_msg()
                              for k, v in values.items()]
        results = self._call('set_parameters', request, timeout).results
        return [(r.successful, r.reason) for r in results]


_S = 1_000_000_000
_MS = 1_000_000
FEED_IMAGE = np.full((240, 320, 3), 90, np.uint8)
FEED_IMU = np.array([0, 0, 0, 1.0, 0, 0, 0, 0, 0, 9.81])
_SAMPLES = itertools.count(1)


def msg_info():
    """The MessageInfo a subscription callback gets, for one new sample."""
    n = next(_SAMPLES)
    return {'source_timestamp': n, 'received_timestamp': n, 'publication_sequence_number': n,
            'reception_sequence_number': n, 'publisher_gid': None}


class Feeder:
    """Valid sensor messages on one timeline, handed to an active node's callbacks.

    What DDS would call, without DDS: for tests of the node in the test's own process.
    """

    def __init__(self, node, start_ns=1_700_000_000 * _S):
        self.node = node
        self.t = start_ns
        self.info = make_audio_info(sample_rate=16000)

    def camera(self, stamp=None):
        self.node.inputs.camera(array_to_image(FEED_IMAGE, 'rgb8',
                                               header=make_header(stamp or self.t, 'cam')))

    def step(self, seconds=1 / 30, wrench=True, joints=True, audio=True):
        """Advance the timeline, sending what the sensors would in that time, then a frame."""
        end = self.t + int(seconds * _S)
        while self.t < end:
            self.t += 10 * _MS
            if wrench:
                for wrist in ('left', 'right'):
                    self.node.inputs.wrench(wrist, array_to_wrench(
                        np.array([0.5, 0, 2.0, 0, 0, 0]), header=make_header(self.t, wrist)))
            if joints:
                self.node.inputs.joint_state(arrays_to_joint_state(
                    np.zeros(len(JOINT_NAMES)), np.zeros(len(JOINT_NAMES)),
                    header=make_header(self.t, 'base')))
                self.node.inputs.imu(array_to_imu(FEED_IMU, header=make_header(self.t, 'imu')))
            if audio and (self.t // (10 * _MS)) % 2 == 0:
                header = make_header(self.t - 20 * _MS, 'mic')
                self.node.inputs.audio(array_to_audio(np.zeros(320), self.info, header=header))
        self.camera()

    def run(self, frames, **kwargs):
        for _ in range(frames):
            self.step(**kwargs)
            time.sleep(0.01)  # leave the worker its time slices

    def run_until(self, predicate, timeout=60.0, **kwargs) -> bool:
        """Keep the streams going until ``predicate()`` holds.

        A loaded machine may need more frames than an idle one.
        """
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                return False
            self.run(1, **kwargs)
        return True


def colcon_install(source: pathlib.Path, work: pathlib.Path) -> pathlib.Path:
    """``colcon build`` the package in ``source`` into ``work/install``; return that path.

    Raises:
        FileNotFoundError: colcon is not installed beside this Python.
        RuntimeError: the build failed (its output in the message).
    """
    import subprocess
    import sys

    colcon = pathlib.Path(sys.executable).with_name('colcon')
    if not colcon.exists():
        raise FileNotFoundError(f'colcon is not installed ({colcon})')
    result = subprocess.run(
        [str(colcon), '--log-base', str(work / 'log'), 'build', '--base-paths', str(source),
         '--build-base', str(work / 'build'), '--install-base', str(work / 'install')],
        cwd=work, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:] + result.stderr[-3000:])
    return work / 'install'


def installed_env(install: pathlib.Path, env: dict) -> dict:
    """``env`` with a colcon install space first, as sourcing its ``setup.bash`` would."""
    import os

    pkg = install / 'multimodal_fusion'
    site = next(pkg.glob('lib/python3*/site-packages'))
    env = dict(env)
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(site), env.get('PYTHONPATH')]))
    env['AMENT_PREFIX_PATH'] = os.pathsep.join(
        filter(None, [str(pkg), env.get('AMENT_PREFIX_PATH')]))
    return env


def publish_frames(width: int, height: int, count: int, rate_hz: float = 30.0,
                   topic: str = 'camera/image_raw', wait_s: float = 30.0) -> int:
    """Publish ``count`` rgb8 frames of one size, reliable, once a subscriber matched.

    Run in a process of its own (``python -m multimodal_fusion.ros.testing frames ...``) so
    the Fast DDS profile in its environment applies: for large frames it is the publishing
    process that needs the shared-memory segment. Returns how many frames were sent.
    """
    from multimodal_fusion.ros.shutdown import init_ros
    from multimodal_fusion.ros.shutdown import shutdown_ros
    from multimodal_fusion.ros.shutdown import StopSignal

    init_ros()
    stop = StopSignal()
    node = Node('frame_publisher')
    pub = node.create_publisher(Image, topic, QoSProfile(depth=10,
                                                         reliability=ReliabilityPolicy.RELIABLE))
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[height // 4:height // 2, width // 4:width // 2] = (200, 40, 40)
    sent = 0
    try:
        deadline = time.monotonic() + wait_s
        while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
            if stop.wait(0.05):
                return 0
        time.sleep(0.5)  # discovery of the reverse direction
        for _ in range(count):
            if stop.is_set():
                break
            pub.publish(array_to_image(pixels, 'rgb8',
                                       header=make_header(time.time_ns(), 'head_camera')))
            sent += 1
            stop.wait(1.0 / rate_hz)
        stop.wait(0.5)  # reliable repairs still in flight
    finally:
        node.destroy_node()
        shutdown_ros()
        stop.restore()
    print(f'sent {sent}', flush=True)
    return sent


if __name__ == '__main__':
    import argparse

    parser = argparse.ArgumentParser(description='test publishers')
    parser.add_argument('what', choices=['frames'])
    parser.add_argument('--width', type=int, default=1280)
    parser.add_argument('--height', type=int, default=720)
    parser.add_argument('--count', type=int, default=60)
    parser.add_argument('--rate', type=float, default=30.0)
    args = parser.parse_args()
    publish_frames(args.width, args.height, args.count, args.rate)
