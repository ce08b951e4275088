# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The node fed from the committed bags (test/data/bags/) by the bag player, over DDS.

One node process for the whole module, started as a user would (``ros2 run``'s executable
from a colcon install space, with that install's ``--params-file config/fusion.yaml`` and
``use_sim_time:=true``; from the source tree where colcon is missing), follows each bag's
recorded ``/clock``. Everything runs once per sync backend (``message_filters`` only where
it is installed). The
bags start at different simulated times (1000 s, 2000 s, 3000 s), so playing them in turn
moves time forward only: the one backwards jump the node sees is the one inside
``time_jump``. A recorder in this process keeps the outputs by camera stamp and the bags'
ground truth (``/sim/ground_truth``, played from the bag).
"""

import json
import os
from pathlib import Path
import signal
import time

import pytest
import rclpy
from rclpy.serialization import deserialize_message
from std_msgs.msg import String

from multimodal_fusion.ros.bag_io import read_messages
from multimodal_fusion.ros.bag_recorder import read_plan
from multimodal_fusion.ros.processes import isolated_ros_env
from multimodal_fusion.ros.processes import node_args
from multimodal_fusion.ros.processes import signal_and_wait
from multimodal_fusion.ros.processes import start_command
from multimodal_fusion.ros.processes import start_process
from multimodal_fusion.ros.processes import stop_process
from multimodal_fusion.ros.processes import wait_for
from multimodal_fusion.ros.recorder import RecorderThread
from multimodal_fusion.ros.recorder import Recording
from multimodal_fusion.ros.recorder import score
from multimodal_fusion.ros.sim_messages import CAMERA_FRAME
from multimodal_fusion.ros.testing import colcon_install
from multimodal_fusion.ros.testing import installed_env

pytestmark = [pytest.mark.dds, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BAGS = ROOT / 'test' / 'data' / 'bags'
PARAMS = ROOT / 'config' / 'fusion.yaml'
NODE = 'fusion_node'
PRESENT_TOUCH = f'{NODE}: inference/present/touch'
TIME_JUMPS = f'{NODE}: inputs/time_jumps'
CRASH_SIGNS = ('Traceback', 'terminate called', 'Segmentation fault', 'Aborted')


class Session:
    """The node, the recorder and the DDS environment the tests share."""

    def __init__(self, tmp: Path, backend: str) -> None:
        self.tmp = tmp
        self.env = isolated_ros_env(int(os.environ['ROS_DOMAIN_ID']))
        self.recorder = RecorderThread()
        ros_args = ['-p', 'use_sim_time:=true', '-p', f'sync.implementation:={backend}']
        try:
            # As `ros2 run multimodal_fusion fusion_node` starts it: the executable and the
            # params file of a colcon install space.
            install = colcon_install(ROOT, tmp)
        except FileNotFoundError:
            install = None
        if install is not None:
            share = install / 'multimodal_fusion' / 'share' / 'multimodal_fusion'
            self.node = start_command(
                [str(install / 'multimodal_fusion' / 'lib' / 'multimodal_fusion' /
                     'fusion_node'), '--ros-args', '--params-file',
                 str(share / 'config' / 'fusion.yaml'), *ros_args],
                installed_env(install, self.env), tmp / 'node.log')
        else:
            self.node = start_process(
                node_args() + ['--params-file', str(PARAMS), *ros_args], self.env,
                tmp / 'node.log')
        self.players = []
        self.logs = 0

    def log(self, name: str) -> str:
        return (self.tmp / name).read_text(errors='replace')

    def start_player(self, bag: str, *extra: str):
        """The bag player on ``bag``; its log is ``self.player_log(player)``."""
        self.logs += 1
        player = start_process(
            ['-m', 'multimodal_fusion.ros.bag_player', str(BAGS / bag),
             '--wait-for-subscribers', '10', *extra], self.env,
            self.tmp / f'player{self.logs}.log')
        self.players.append(player)
        return player

    def play(self, bag: str) -> Recording:
        """Play ``bag`` to its end, let the last outputs arrive, return this bag's part."""
        player = self.start_player(bag)
        assert player.wait(timeout=60) == 0, self.log(f'player{self.logs}.log')
        frames = camera_stamps(bag)
        wait_for(lambda: max(self.recorder.node.snapshot().outputs, default=0)
                 >= max(frames), timeout=5)
        time.sleep(1.0)
        return self.part(frames)

    def part(self, frames: set) -> Recording:
        """The outputs and truths of the frames ``frames`` (one bag's camera stamps)."""
        rec = self.recorder.node.snapshot()
        return Recording(outputs={s: o for s, o in rec.outputs.items() if s in frames},
                         truth={s: t for s, t in rec.truth.items() if s in frames},
                         diagnostics=rec.diagnostics, label_info=rec.label_info)

    def close(self) -> None:
        for proc in [*self.players, self.node]:
            stop_process(proc)
        self.recorder.close()


def camera_stamps(bag: str) -> set:
    """The header stamps of the bag's camera frames (from its ground truth records)."""
    return {json.loads(deserialize_message(m.data, String).data)['stamp_ns']
            for m in read_messages(BAGS / bag, ['/sim/ground_truth'])}


def diagnostics_since(rec: Recording, since_ns: int) -> list:
    return [values for received, values in rec.diagnostics if received >= since_ns]


@pytest.fixture(scope='module', params=['builtin', 'message_filters'])
def session(tmp_path_factory, request):
    if request.param == 'message_filters':
        pytest.importorskip('message_filters', reason='message_filters is not installed (a '
                            'ROS 2 install has it; the builtin backend runs here)')
    tmp = tmp_path_factory.mktemp('bags')
    rclpy.init()
    s = Session(tmp, request.param)
    try:
        assert wait_for(lambda: s.recorder.node.snapshot().label_info is not None
                        or s.node.poll() is not None, timeout=120), 'node never activated'
        assert s.node.poll() is None, s.log('node.log')
        yield s
    finally:
        s.close()
        rclpy.try_shutdown()


def test_outputs_carry_the_bag_headers_and_match_its_ground_truth(session):
    rec = session.play('normal_command')
    frames = camera_stamps('normal_command')
    # Every output topic with a header (scores, detections) answered (nearly) every frame
    # with that frame's header. The last frame may still wait for its set to complete.
    complete = [o for o in rec.outputs.values()
                if o.situation is not None and o.action is not None
                and o.detections is not None]
    assert len(complete) >= len(frames) - 1, (len(complete), len(frames))
    assert all(o.frame_id == CAMERA_FRAME for o in rec.outputs.values())
    assert set(rec.outputs) <= frames
    assert len(rec.truth) == len(frames)
    result = score(rec)
    # 10 frames (the command comes 1.4 s in, so most of them have a referred object); on so
    # few frames the thresholds leave room for a few misses. Live on the simulator the
    # shipped model gives 0.95 / 1.00 (docs/demo/summary.md).
    assert result['grounding_frames'] >= 5, result
    assert result['action_accuracy'] >= 0.7, result
    assert result['grounding_accuracy'] >= 0.6, result
    assert result['detection_recall'] >= 0.8, result


@pytest.mark.xfail(strict=True, reason=(
    'the shipped model (15 epochs, relations, 2026-12-01) reads the object held after give '
    'as a handover with nobody in view: 4 of the 7 labelled frames right offline '
    '(python -m multimodal_fusion.ros.replay test/data/bags/normal_command), 3-4 live; the '
    '20-epoch model of 2026-11-30 read them all'))
def test_situations_on_the_bag_match_its_ground_truth(session):
    # The model before the detector-evidence path read the held object in this scene as a
    # handover on 8 of the 10 frames (a faint 'person', score 0.47, on a round teal blob of
    # the wall clutter); the rank-64 model before the adapter soup read 3 of the 7 grasp
    # frames as a handover; the 20-epoch soup model read all of them right. The shipped
    # model reads the three grasp frames after 'give' as a handover without any person
    # detected (the text pulls it there); 8 of 10 is the target, strict so that a model
    # that reaches it again turns this red until the mark goes.
    result = score(session.play('normal_command'))
    assert result['situation_accuracy'] >= 0.8, result


def test_a_sensor_that_dies_is_marked_absent_while_outputs_go_on(session):
    plan = read_plan(BAGS / 'touch_dies')
    started = session.recorder.node.get_clock().now().nanoseconds
    rec = session.play('touch_dies')
    frames = sorted(camera_stamps('touch_dies'))
    # Touch stops mid-bag; frames come at 1 Hz. Every frame after it has outputs.
    died = plan.origin_ns + int(plan.stops['touch'] * 1e9)
    after = [s for s in frames if s > died]
    assert len(after) >= 2
    assert all(s in rec.outputs for s in after[:-1]), (sorted(rec.outputs), after)
    present = [d[PRESENT_TOUCH] for d in diagnostics_since(rec, started)
               if PRESENT_TOUCH in d and d[PRESENT_TOUCH] != '']
    assert 'True' in present, present
    assert present[-1] == 'False', present
    assert present.index('False') > present.index('True'), present


def test_a_backwards_time_jump_resets_and_outputs_resume(session):
    plan = read_plan(BAGS / 'time_jump')
    before = session.recorder.node.latest_diagnostics().get(TIME_JUMPS, '0')
    started = session.recorder.node.get_clock().now().nanoseconds
    rec = session.play('time_jump')
    frames = camera_stamps('time_jump')
    # After the jump the stamps are earlier than the bag's start (it jumps back further
    # than it ran), so the frames on either side are told apart by their stamps.
    assert plan.jump_back_s > plan.jump_at_s
    jumped = sorted(s for s in frames if s < plan.origin_ns)
    kept = sorted(s for s in frames if s >= plan.origin_ns)
    assert len(jumped) >= 2 and len(kept) >= 2
    assert any(s in rec.outputs for s in kept)
    assert jumped[0] in rec.outputs, (sorted(rec.outputs), jumped)
    jumps = [int(d[TIME_JUMPS]) for d in diagnostics_since(rec, started) if TIME_JUMPS in d]
    assert jumps and jumps[-1] == int(before) + 1, (before, jumps)


def test_sigint_ends_player_and_node_with_exit_code_0(session):
    mark = session.recorder.node.get_clock().now().nanoseconds

    def fresh_outputs():
        # Stamps repeat (the bag was played before): count what arrived since the mark.
        return sum(o.received_ns > mark
                   for o in session.recorder.node.snapshot().outputs.values())

    player = session.start_player('normal_command', '--loop')
    assert wait_for(lambda: fresh_outputs() >= 3 or player.poll() is not None, timeout=30)
    assert player.poll() is None, session.log(f'player{session.logs}.log')
    # Both while busy: the player mid-bag, the node with frames arriving.
    assert signal_and_wait(session.node, signal.SIGINT, timeout=10) == 0
    assert signal_and_wait(player, signal.SIGINT, timeout=10) == 0
    for path in sorted(session.tmp.glob('*.log')):
        log = path.read_text(errors='replace')
        name = path.name
        assert not [s for s in CRASH_SIGNS if s in log], f'{name}:\n{log[-3000:]}'
