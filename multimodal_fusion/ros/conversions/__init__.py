# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""ROS messages to and from the numpy frames the core works with; numpy and OpenCV, no rclpy.

One module per message family. Every malformed message raises ``MessageFormatError``
naming the field at fault; a bad array handed to a builder raises a plain ``ValueError``.
"""

from multimodal_fusion.ros.conversions.audio import array_to_audio
from multimodal_fusion.ros.conversions.audio import audio_to_array
from multimodal_fusion.ros.conversions.audio import audio_to_mono
from multimodal_fusion.ros.conversions.audio import check_audio_info
from multimodal_fusion.ros.conversions.audio import downmix
from multimodal_fusion.ros.conversions.audio import encode_samples
from multimodal_fusion.ros.conversions.audio import make_audio_info
from multimodal_fusion.ros.conversions.audio import PCM_CODING_FORMATS
from multimodal_fusion.ros.conversions.audio import SAMPLE_FORMATS
from multimodal_fusion.ros.conversions.compressed import CODECS
from multimodal_fusion.ros.conversions.compressed import compressed_to_rgb
from multimodal_fusion.ros.conversions.compressed import MAX_COMPRESSED_PIXELS
from multimodal_fusion.ros.conversions.compressed import rgb_to_compressed
from multimodal_fusion.ros.conversions.errors import MessageFormatError
from multimodal_fusion.ros.conversions.image import array_to_image
from multimodal_fusion.ros.conversions.image import COLOR_ENCODINGS
from multimodal_fusion.ros.conversions.image import ENCODINGS
from multimodal_fusion.ros.conversions.image import image_to_array
from multimodal_fusion.ros.conversions.image import image_to_rgb
from multimodal_fusion.ros.conversions.image import rgb_to_yuv_image
from multimodal_fusion.ros.conversions.image import YUV_ENCODINGS
from multimodal_fusion.ros.conversions.robot_state import array_to_imu
from multimodal_fusion.ros.conversions.robot_state import array_to_wrench
from multimodal_fusion.ros.conversions.robot_state import arrays_to_joint_state
from multimodal_fusion.ros.conversions.robot_state import imu_to_array
from multimodal_fusion.ros.conversions.robot_state import joint_state_to_arrays
from multimodal_fusion.ros.conversions.robot_state import JointStateArrays
from multimodal_fusion.ros.conversions.robot_state import wrench_to_array
from multimodal_fusion.ros.conversions.stamp import header_stamp_ns
from multimodal_fusion.ros.conversions.stamp import make_header
from multimodal_fusion.ros.conversions.stamp import ns_to_stamp
from multimodal_fusion.ros.conversions.stamp import sec_to_stamp
from multimodal_fusion.ros.conversions.stamp import stamp_to_ns
from multimodal_fusion.ros.conversions.stamp import stamp_to_sec
from multimodal_fusion.ros.conversions.text import MAX_TEXT_CHARS
from multimodal_fusion.ros.conversions.text import string_to_text
from multimodal_fusion.ros.conversions.text import text_to_string
from multimodal_fusion.ros.conversions.vision import BOX_FORMATS
from multimodal_fusion.ros.conversions.vision import classification_from_msg
from multimodal_fusion.ros.conversions.vision import classification_to_msg
from multimodal_fusion.ros.conversions.vision import Detections
from multimodal_fusion.ros.conversions.vision import detections_from_msg
from multimodal_fusion.ros.conversions.vision import detections_to_msg
from multimodal_fusion.ros.conversions.vision import label_info_from_msg
from multimodal_fusion.ros.conversions.vision import label_info_to_msg
from multimodal_fusion.ros.conversions.vision import REFERRED_ID
from multimodal_fusion.ros.conversions.vision import to_cxcywh
from multimodal_fusion.ros.conversions.vision import to_xyxy

__all__ = [
    'BOX_FORMATS',
    'CODECS',
    'COLOR_ENCODINGS',
    'Detections',
    'ENCODINGS',
    'JointStateArrays',
    'MAX_COMPRESSED_PIXELS',
    'MAX_TEXT_CHARS',
    'MessageFormatError',
    'PCM_CODING_FORMATS',
    'REFERRED_ID',
    'SAMPLE_FORMATS',
    'YUV_ENCODINGS',
    'array_to_audio',
    'array_to_image',
    'array_to_imu',
    'array_to_wrench',
    'arrays_to_joint_state',
    'audio_to_array',
    'audio_to_mono',
    'check_audio_info',
    'classification_from_msg',
    'classification_to_msg',
    'compressed_to_rgb',
    'detections_from_msg',
    'detections_to_msg',
    'downmix',
    'encode_samples',
    'header_stamp_ns',
    'image_to_array',
    'image_to_rgb',
    'imu_to_array',
    'joint_state_to_arrays',
    'label_info_from_msg',
    'label_info_to_msg',
    'make_audio_info',
    'make_header',
    'ns_to_stamp',
    'rgb_to_compressed',
    'rgb_to_yuv_image',
    'sec_to_stamp',
    'stamp_to_ns',
    'stamp_to_sec',
    'string_to_text',
    'text_to_string',
    'to_cxcywh',
    'to_xyxy',
    'wrench_to_array',
]
