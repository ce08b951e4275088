# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The node's input callbacks without a node: what the synchroniser gets from them."""

import logging

import numpy as np
from std_msgs.msg import String

from multimodal_fusion.ros.conversions import array_to_image
from multimodal_fusion.ros.conversions import make_audio_info
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.node.inputs import InputHandlers
from multimodal_fusion.ros.node.inputs import TwinCopies
from multimodal_fusion.ros.node.stats import NodeStats
from multimodal_fusion.spec import DEFAULT_SPEC
from multimodal_fusion.sync import FusionSynchronizer

S = 1_000_000_000
MS = 1_000_000
NOW = 1_700_000_000 * S
IMAGE = np.zeros((4, 6, 3), dtype=np.uint8)


def handlers(sets, wall_ns):
    return InputHandlers(
        sync=FusionSynchronizer(), stats=NodeStats(), logger=logging.getLogger('test'),
        deliver=sets.extend, now_ns=lambda: NOW, model_joints=DEFAULT_SPEC.joint_names,
        joint_sources=DEFAULT_SPEC.joint_names, joint_topics=['joint_states'],
        audio_info_topic='audio/audio_info', proprio_max_age_s=0.1,
        zero_missing_joints=False, time_jump_threshold_s=1.0, wall_ns=wall_ns)


def frame(inputs, stamp):
    inputs.camera(array_to_image(IMAGE, 'rgb8', header=make_header(stamp, 'camera')))


def test_text_is_stamped_when_it_was_received_not_when_its_callback_ran():
    # The command was received 30 ms before its callback ran (a busy executor took a camera
    # frame sent 10 ms after it first): that frame has the command, as it was sent with it.
    sets = []
    inputs = handlers(sets, wall_ns=lambda: 5_000 * S)
    inputs.text(String(data='come here'), {'received_timestamp': 5_000 * S - 30 * MS})
    frame(inputs, NOW - 20 * MS)
    assert sets[-1].frames.text == 'come here'
    assert sets[-1].stamps_ns['text'] == NOW - 30 * MS


def test_text_without_a_believable_reception_time_is_stamped_on_arrival():
    for info in (None, {}, {'received_timestamp': 0},
                 # From another clock: in the future, or seconds ago.
                 {'received_timestamp': 5_000 * S + 5 * MS},
                 {'received_timestamp': 5_000 * S - 3 * S}):
        sets = []
        inputs = handlers(sets, wall_ns=lambda: 5_000 * S)
        inputs.text(String(data='stop'), info)
        frame(inputs, NOW - 1)
        assert sets[-1].frames.text is None, info
        frame(inputs, NOW)
        assert sets[-1].frames.text == 'stop', info


def test_twin_copies_pair_a_sample_with_its_copy_from_the_other_subscription():
    copies = TwinCopies(window_s=1.0)
    assert not copies.is_copy(0, b'info-a', 10.0)
    assert copies.is_copy(1, b'info-a', 10.01)
    # Paired once: the same bytes again are a new sample (a driver re-sending it).
    assert not copies.is_copy(1, b'info-a', 10.5)
    assert copies.is_copy(0, b'info-a', 10.51)
    # Repeats on one subscription, other content and late copies are new samples.
    copies = TwinCopies(window_s=1.0)
    assert not copies.is_copy(1, b'info-a', 0.0)
    assert not copies.is_copy(1, b'info-a', 0.1)
    assert not copies.is_copy(0, b'info-b', 0.2)
    assert not copies.is_copy(0, b'info-a', 5.0)
    assert copies.is_copy(1, b'info-a', 5.1)


def test_an_audio_info_through_both_subscriptions_without_message_info_counts_once(wire):
    # The events executor passes no MessageInfo: the copy is told by its bytes.
    inputs = handlers([], wall_ns=lambda: 5_000 * S)
    bad = make_audio_info(sample_rate=16000)
    bad.sample_rate = 0
    inputs.audio_info_msg(wire(bad), None, 0)
    inputs.audio_info_msg(wire(bad), None, 1)
    assert sum(inputs.stats.snapshot(0.0)['rejected'].values()) == 1
    # Sent again later by the driver: counted again.
    inputs.audio_info_msg(wire(bad), None, 1)
    assert sum(inputs.stats.snapshot(0.0)['rejected'].values()) == 2
