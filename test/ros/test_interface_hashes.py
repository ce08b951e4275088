# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The development copies of vision_msgs and audio_common_msgs are wire-identical upstream.

rosidl hashes the field names and types of each message (RIHS01); a subscriber built against
the distro's packages only matches our publisher if the hashes agree. The expected values
below are the upstream ones (vision_msgs 4.x, ros-drivers/audio_common).
"""

import importlib
import json
from pathlib import Path
import sys
import uuid

import pytest

UPSTREAM_HASHES = {
    'vision_msgs/msg/Point2D':
        'RIHS01_eab0e83f44ab4de92ceaf76dd7d0e7638f2bdd1d16ffbe16c7a136c48e407247',
    'vision_msgs/msg/Pose2D':
        'RIHS01_b0b5d1d7b4c20dd4fcde3ed1d4b289a919290572007d67a97043814db25d3648',
    'vision_msgs/msg/BoundingBox2D':
        'RIHS01_008eacbb0cf8f26e83795547bed013eec3675485ef386ec056d80eaaf1c1ce2f',
    'vision_msgs/msg/ObjectHypothesis':
        'RIHS01_51da43cec11c01957a64d1e05a24acd18aae7745ec30b74348ad5f6d634f7f90',
    'vision_msgs/msg/ObjectHypothesisWithPose':
        'RIHS01_41c12344c0396c48b81df12467c192d99b2a0eb1463c5c37194e4223251c80bc',
    'vision_msgs/msg/Detection2D':
        'RIHS01_0d12b69df5c593b3455b7346fac8205437a7d4bcb09b9e0e0b2dde787ded38ea',
    'vision_msgs/msg/Detection2DArray':
        'RIHS01_214274120007f4a683866481336b70310268cfa107aebe9d594a6acf75bda968',
    'vision_msgs/msg/Classification':
        'RIHS01_f74db28d0eaef3afb78f48bf2161cd709a1383a0309d3454383b25be11345143',
    'vision_msgs/msg/VisionClass':
        'RIHS01_1e4a11f0fed50b5623cb8ff26ca0e37952a48a9c074d16f804b44e9164c2037a',
    'vision_msgs/msg/LabelInfo':
        'RIHS01_3d37df4015cdf660cc851c51897f2acd957e1ca6205ba0a99aebffb9406b0783',
    'audio_common_msgs/msg/AudioData':
        'RIHS01_a9742fba1567e649bbdba6ae034a72c7ef129b97c7a4da50fd2f3e1bfd8ffa86',
    'audio_common_msgs/msg/AudioDataStamped':
        'RIHS01_6fc679d5a868ed68e4d301f1ef42abecc86140afb57d255656ff2d9e476ea9e3',
    'audio_common_msgs/msg/AudioInfo':
        'RIHS01_b3494d204e513d2cceefae1888e5be3da7c8c8ca31eb277f7b5b62f364bcb1fb',
}


def share_dir(package: str) -> Path:
    """The package's share folder: from the ament index if it is set up, else the venv's."""
    try:
        from ament_index_python.packages import get_package_share_directory
        return Path(get_package_share_directory(package))
    except (ImportError, LookupError, OSError):
        # Without a sourced workspace AMENT_PREFIX_PATH is unset; the shim is installed
        # into the interpreter's prefix.
        return Path(sys.prefix) / 'share' / package


@pytest.mark.parametrize('type_name', sorted(UPSTREAM_HASHES))
def test_generated_type_hash_matches_upstream(type_name):
    package, _, message = type_name.split('/')
    description = share_dir(package) / 'msg' / f'{message}.json'
    assert description.is_file(), f'{description} missing: is the {package} shim installed?'
    hashes = json.loads(description.read_text())['type_hashes']
    assert hashes[0]['type_name'] == type_name
    assert hashes[0]['hash_string'] == UPSTREAM_HASHES[type_name]


@pytest.fixture(scope='module')
def node():
    import rclpy
    from rclpy.context import Context
    context = Context()
    rclpy.init(context=context)
    node = rclpy.create_node(f'hash_probe_{uuid.uuid4().hex[:8]}', context=context)
    try:
        yield node
    finally:
        node.destroy_node()
        rclpy.shutdown(context=context)


@pytest.mark.parametrize('type_name', sorted(UPSTREAM_HASHES))
def test_publisher_announces_the_upstream_hash(type_name, node):
    # What a remote subscriber compares is the hash in the publisher's discovery data,
    # which comes from the compiled type support rather than from the JSON file.
    package, _, message = type_name.split('/')
    msg_type = getattr(importlib.import_module(f'{package}.msg'), message)
    topic = f'/hash_probe_{uuid.uuid4().hex}'
    publisher = node.create_publisher(msg_type, topic, 1)
    try:
        infos = node.get_publishers_info_by_topic(topic)
        assert [str(info.topic_type_hash) for info in infos] == [UPSTREAM_HASHES[type_name]]
    finally:
        node.destroy_publisher(publisher)
