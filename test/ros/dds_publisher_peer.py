# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The far end of the two-process DDS test: publishes one message per type, then waits.

Run as ``python dds_publisher_peer.py --seed N --prefix /some_ns``. Every payload is a pure
function of the seed (``build_payloads``), so the test, which imports this file, knows
exactly what must arrive. Publishers are reliable and transient-local, so a subscriber that
joins late still gets the sample; the process stays up until it is signalled or
``--timeout`` runs out.
"""

import argparse
import os
import sys
import time

import numpy as np

from multimodal_fusion.spec import JOINT_NAMES

NODE_NAME_PREFIX = 'dds_publisher_peer_'
IMAGE_HEIGHT, IMAGE_WIDTH, IMAGE_PADDING = 24, 32, 4
AUDIO_FRAMES, AUDIO_CHANNELS, AUDIO_RATE = 320, 2, 16000
EXTRA_JOINT = 'gripper'
WORDS = ('pick', 'up', 'the', 'red', 'blue', 'cup', 'ball', 'on', 'left', 'table', 'à', 'café')
LABELS = ('cup', 'ball', 'table', 'hand')


def build_payloads(seed: int) -> dict:
    """The arrays and strings every message is built from; a pure function of ``seed``."""
    rng = np.random.default_rng(seed)
    quaternion = rng.standard_normal(4)
    boxes = rng.integers(0, IMAGE_WIDTH // 2, (3, 2))
    return {
        'stamp_ns': int(rng.integers(1, 2**40)),
        'image': rng.integers(0, 256, (IMAGE_HEIGHT, IMAGE_WIDTH, 3), dtype=np.uint8),
        # Multiples of 2**-15 survive S16LE exactly.
        'audio': (rng.integers(-2**15, 2**15, (AUDIO_FRAMES, AUDIO_CHANNELS)) / 2**15
                  ).astype(np.float32),
        'text': ' '.join(rng.choice(WORDS, 6)),
        'wrench': rng.standard_normal(6),
        'joint_positions': rng.standard_normal(len(JOINT_NAMES)),
        'joint_velocities': rng.standard_normal(len(JOINT_NAMES)),
        'joint_order': rng.permutation(len(JOINT_NAMES) + 1),
        'imu': np.concatenate([quaternion / np.linalg.norm(quaternion),
                               rng.standard_normal(6)]),
        # Integer corners keep the xyxy -> centre/size -> xyxy round trip exact.
        'boxes': np.concatenate([boxes, boxes + rng.integers(1, 16, (3, 2))], axis=1
                                ).astype(np.float64),
        'labels': [str(label) for label in rng.choice(LABELS, 3)],
        'scores': rng.integers(1, 64, 3) / 64.0,
        'referred_index': int(rng.integers(0, 3)),
    }


def build_messages(seed: int) -> dict:
    """``{topic suffix: message}`` for every type the test checks."""
    from multimodal_fusion.ros import conversions as conv
    from sensor_msgs.msg import JointState

    p = build_payloads(seed)
    header = conv.make_header(p['stamp_ns'], 'peer_frame')
    info = conv.make_audio_info(sample_rate=AUDIO_RATE, channels=AUDIO_CHANNELS,
                                sample_format='S16LE', coding_format='wave')
    # The JointState lists the joints shuffled, with one the model does not read.
    names = list(JOINT_NAMES) + [EXTRA_JOINT]
    positions = np.append(p['joint_positions'], 0.5)
    velocities = np.append(p['joint_velocities'], -0.5)
    order = p['joint_order']
    joints = JointState(header=header, name=[names[i] for i in order],
                        position=positions[order].tolist(),
                        velocity=velocities[order].tolist())
    return {
        'image': conv.array_to_image(p['image'], 'rgb8', header=header,
                                     step=IMAGE_WIDTH * 3 + IMAGE_PADDING),
        'audio': conv.array_to_audio(p['audio'], info, header=header),
        'audio_info': info,
        'text': conv.text_to_string(p['text']),
        'wrench': conv.array_to_wrench(p['wrench'], header=header),
        'joint_states': joints,
        'imu': conv.array_to_imu(p['imu'], header=header),
        'detections': conv.detections_to_msg(
            p['boxes'], p['labels'], p['scores'], header=header,
            referred_index=p['referred_index']),
    }


def reliable_latched_qos():
    """Reliable, transient-local, depth 1: a late subscriber still gets the one sample."""
    from rclpy.qos import DurabilityPolicy
    from rclpy.qos import HistoryPolicy
    from rclpy.qos import QoSProfile
    from rclpy.qos import ReliabilityPolicy
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1,
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.TRANSIENT_LOCAL)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--seed', type=int, required=True)
    parser.add_argument('--prefix', required=True, help='topic namespace, e.g. /test_ab12')
    parser.add_argument('--timeout', type=float, default=120.0)
    args = parser.parse_args(argv)

    import rclpy
    from rclpy.context import Context

    context = Context()
    rclpy.init(context=context)
    node = rclpy.create_node(f'{NODE_NAME_PREFIX}{os.getpid()}', context=context)
    qos = reliable_latched_qos()
    publishers = []
    for suffix, msg in build_messages(args.seed).items():
        publisher = node.create_publisher(type(msg), f'{args.prefix}/{suffix}', qos)
        publisher.publish(msg)
        publishers.append(publisher)
    print('published', len(publishers), flush=True)
    deadline = time.monotonic() + args.timeout
    try:
        # Fast DDS serves late subscribers from its own threads; nothing to spin here.
        while context.ok() and time.monotonic() < deadline:
            time.sleep(0.05)
    except KeyboardInterrupt:
        pass
    finally:
        node.destroy_node()
        if context.ok():
            rclpy.shutdown(context=context)
    return 0


if __name__ == '__main__':
    sys.exit(main())
