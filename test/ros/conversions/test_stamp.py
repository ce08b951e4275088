# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
from builtin_interfaces.msg import Time
import pytest
from std_msgs.msg import Header

from multimodal_fusion.ros.conversions import header_stamp_ns
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.conversions import MessageFormatError
from multimodal_fusion.ros.conversions import ns_to_stamp
from multimodal_fusion.ros.conversions import sec_to_stamp
from multimodal_fusion.ros.conversions import stamp_to_ns
from multimodal_fusion.ros.conversions import stamp_to_sec


@pytest.mark.parametrize('ns', [0, 1, 999_999_999, 1_700_000_000_123_456_789, -1, -1_500_000_000])
def test_ns_round_trip(ns, wire):
    stamp = wire(ns_to_stamp(ns))
    assert 0 <= stamp.nanosec < 1_000_000_000
    assert stamp_to_ns(stamp) == ns


def test_header_and_seconds(wire):
    header = wire(make_header(12_500_000_000, 'camera_optical'))
    assert header.frame_id == 'camera_optical'
    assert (header.stamp.sec, header.stamp.nanosec) == (12, 500_000_000)
    assert stamp_to_ns(header) == 12_500_000_000
    assert stamp_to_sec(header) == 12.5
    assert stamp_to_ns(sec_to_stamp(12.5)) == 12_500_000_000


def test_nanosec_out_of_range_is_rejected():
    with pytest.raises(MessageFormatError, match='Time.nanosec') as info:
        stamp_to_ns(Time(sec=1, nanosec=1_000_000_000))
    assert info.value.field == 'Time.nanosec'


def test_seconds_beyond_int32_are_refused():
    with pytest.raises(ValueError, match='int32'):
        ns_to_stamp(2**31 * 1_000_000_000)


@pytest.mark.parametrize('sec, nanosec', [(0, 0), (-5, 0), (-1, 999_999_999)])
def test_an_unset_or_negative_stamp_is_refused(sec, nanosec):
    header = Header()
    header.stamp.sec, header.stamp.nanosec = sec, nanosec
    with pytest.raises(MessageFormatError) as info:
        header_stamp_ns(header, 'WrenchStamped')
    assert info.value.field == 'WrenchStamped.header.stamp'
    assert 'after the epoch' in info.value.expected


def test_a_set_stamp_passes():
    assert header_stamp_ns(make_header(1), 'Image') == 1
