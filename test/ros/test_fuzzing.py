# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The fuzzer's mutations: deterministic per seed, each with the right expectation.

Each expectation matches what the conversions the node runs actually do with the mutation
(no DDS needed).
"""

import numpy as np
import pytest
from rclpy.serialization import deserialize_message
from rclpy.serialization import serialize_message

from multimodal_fusion.ros import fuzzing
from multimodal_fusion.ros.conversions import audio_to_mono
from multimodal_fusion.ros.conversions import check_audio_info
from multimodal_fusion.ros.conversions import image_to_rgb
from multimodal_fusion.ros.conversions import imu_to_array
from multimodal_fusion.ros.conversions import joint_state_to_arrays
from multimodal_fusion.ros.conversions import make_audio_info
from multimodal_fusion.ros.conversions import MessageFormatError
from multimodal_fusion.ros.conversions import stamp_to_ns
from multimodal_fusion.ros.conversions import string_to_text
from multimodal_fusion.ros.conversions import wrench_to_array
from multimodal_fusion.spec import JOINT_NAMES

NOW_NS = 1_767_000_000_123_456_789
INFO = make_audio_info(sample_rate=fuzzing.AUDIO_RATE)


def _node_conversion(stream, msg):
    """What the node's subscription callback does before the synchroniser."""
    if stream == 'camera':
        stamp_to_ns(msg.header)
        image_to_rgb(msg)
    elif stream == 'audio':
        audio_to_mono(msg, INFO)
        stamp_to_ns(msg.header)
    elif stream == 'audio_info':
        check_audio_info(msg)
    elif stream == 'text':
        string_to_text(msg)
    elif stream.startswith('touch/'):
        stamp_to_ns(msg.header)
        wrench_to_array(msg, dtype=np.float32)
    elif stream == 'proprio/joints':
        joint_state_to_arrays(msg, JOINT_NAMES, dtype=np.float32)
        stamp_to_ns(msg.header)
    else:
        stamp_to_ns(msg.header)
        imu_to_array(msg, dtype=np.float32)


def _cases():
    return [pytest.param(stream, op, id=f'{stream}:{op.kind}')
            for stream, ops in fuzzing.OPERATORS.items() for op in ops]


@pytest.mark.parametrize('stream,op', _cases())
def test_each_mutation_does_what_it_expects(stream, op):
    base = fuzzing._BaseData(3)
    msg_type = fuzzing.STREAM_TOPICS[stream][0]
    for draw in range(6):
        ctx = fuzzing._Ctx(np.random.default_rng([3, draw]), NOW_NS, base, stream)
        message, detail, field = op.apply(ctx)
        if op.expect == fuzzing.WIRE:
            assert isinstance(message, bytes)
            try:
                # Fast CDR refuses most cuts; a cut inside a byte array decodes as an
                # empty array (and a stderr line), which the node must then survive.
                message = deserialize_message(message, msg_type)
            except Exception:  # noqa: BLE001 - the middleware drops such a message
                continue
        elif isinstance(message, bytes):
            message = deserialize_message(message, msg_type)
        else:
            # What the node gets: the message after a trip through CDR.
            message = deserialize_message(serialize_message(message), msg_type)
        if op.expect == fuzzing.REJECT:
            with pytest.raises(MessageFormatError) as error:
                _node_conversion(stream, message)
            assert error.value.field == field, detail
        elif op.expect == fuzzing.VALID:
            _node_conversion(stream, message)
        else:
            try:
                _node_conversion(stream, message)
            except MessageFormatError:
                pass  # refusing an absurd value is allowed; any other exception is a bug


def test_the_sequence_is_a_function_of_the_seed():
    def content(mutation):
        # Compared decoded: rclpy leaves CDR padding bytes uninitialised, and repr because
        # NaN != NaN.
        m = mutation.message
        if isinstance(m, bytes):
            try:
                m = deserialize_message(m, fuzzing.STREAM_TOPICS[mutation.stream][0])
            except Exception:  # noqa: BLE001 - undecodable on purpose
                return ('undecodable', len(m))
        return repr(m)

    a = fuzzing.Mutator(5)
    b = fuzzing.Mutator(5)
    c = fuzzing.Mutator(6)
    first = [a.mutation(i, NOW_NS) for i in range(60)]
    again = [b.mutation(i, NOW_NS) for i in reversed(range(60))][::-1]
    assert [(m.stream, m.kind, m.detail) for m in first] == \
        [(m.stream, m.kind, m.detail) for m in again]
    assert [content(m) for m in first] == [content(m) for m in again]
    other = [c.mutation(i, NOW_NS) for i in range(60)]
    assert [m.kind for m in other] != [m.kind for m in first]


def test_every_stream_and_expectation_is_drawn():
    mutator = fuzzing.Mutator(1)
    drawn = [mutator.mutation(i, NOW_NS) for i in range(600)]
    assert {m.stream for m in drawn} == set(fuzzing.STREAMS)
    assert {m.expect for m in drawn} == set(fuzzing.EXPECTATIONS)


def test_filters_restrict_the_draw():
    mutator = fuzzing.Mutator(1, streams=('touch/left', 'camera'), only_kinds=('value=huge',))
    assert mutator.streams == ('touch/left',)
    assert {mutator.mutation(i, NOW_NS).kind for i in range(20)} == {'wrench.value=huge'}
    with pytest.raises(ValueError, match='unknown streams'):
        fuzzing.Mutator(1, streams=('lidar',))
    with pytest.raises(ValueError, match='no mutation kind'):
        fuzzing.Mutator(1, only_kinds=('no-such-kind',))
