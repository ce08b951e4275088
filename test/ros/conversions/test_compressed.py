# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import array
import struct

import cv2
import numpy as np
import pytest
from sensor_msgs.msg import CompressedImage

from multimodal_fusion.ros.conversions import CODECS
from multimodal_fusion.ros.conversions import compressed as compressed_module
from multimodal_fusion.ros.conversions import compressed_to_rgb
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.conversions import MessageFormatError
from multimodal_fusion.ros.conversions import rgb_to_compressed

HEIGHT, WIDTH = 48, 64


def smooth_rgb(height=HEIGHT, width=WIDTH):
    """Gradients, which JPEG keeps within a few levels (noise it would not)."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // (width - 1), y * 255 // (height - 1),
                     255 - (x + y) * 255 // (width + height - 2)], axis=-1).astype(np.uint8)


def compressed(fmt, data):
    msg = CompressedImage(format=fmt)
    msg.data = array.array('B', bytes(data))
    return msg


def encode(image, ext='.png'):
    """What a publisher compressed: OpenCV's bytes for ``image`` as it stands (BGR order)."""
    ok, data = cv2.imencode(ext, image)
    assert ok
    return data.tobytes()


def assert_close_to(out, expected, codec):
    assert out.shape == expected.shape and out.dtype == np.uint8
    assert out.flags.c_contiguous
    if codec == 'png':
        np.testing.assert_array_equal(out, expected)
    else:
        error = np.abs(out.astype(np.int16) - expected)
        assert error.mean() < 2.0 and error.max() <= 16


@pytest.mark.parametrize('codec', CODECS)
@pytest.mark.parametrize('mono', [False, True])
def test_round_trip_through_serialization(codec, mono, wire):
    rgb = smooth_rgb()
    pixels = rgb[:, :, 1] if mono else rgb
    header = make_header(1_234_000_000_005, 'cam')
    msg = wire(rgb_to_compressed(pixels, codec, header=header))
    assert msg.header == header
    out = compressed_to_rgb(msg)
    assert_close_to(out, np.stack([pixels] * 3, axis=-1) if mono else rgb, codec)


@pytest.mark.parametrize('pixels, codec, expected', [
    (smooth_rgb(), 'jpeg', 'rgb8; jpeg compressed bgr8'),
    (smooth_rgb(), 'png', 'rgb8; png compressed bgr8'),
    (smooth_rgb()[:, :, 0], 'jpeg', 'mono8; jpeg compressed mono8'),
    (smooth_rgb()[:, :, 0], 'png', 'mono8; png compressed '),
])
def test_builder_writes_image_transports_format(pixels, codec, expected):
    assert rgb_to_compressed(pixels, codec).format == expected


def test_builder_stores_bgr_like_image_transport():
    red = np.zeros((8, 8, 3), np.uint8)
    red[:, :, 0] = 255
    payload = np.frombuffer(rgb_to_compressed(red, 'png').data, np.uint8)
    # A plain OpenCV decode (what image_transport's subscriber does) sees BGR.
    np.testing.assert_array_equal(cv2.imdecode(payload, cv2.IMREAD_COLOR)[0, 0], [0, 0, 255])
    np.testing.assert_array_equal(compressed_to_rgb(rgb_to_compressed(red, 'png'))[0, 0],
                                  [255, 0, 0])


def test_jpeg_quality_is_used():
    rgb = np.random.default_rng(0).integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    assert len(rgb_to_compressed(rgb, quality=30).data) < len(
        rgb_to_compressed(rgb, quality=95).data)


# Formats publishers write for a colour payload compressed from BGR, and for a grey one.
@pytest.mark.parametrize('fmt', [
    'jpeg', 'png', 'JPEG', 'jpg', ' png ',
    'rgb8; jpeg compressed bgr8', 'bgr8; png compressed bgr8',
    'rgba8; png compressed bgra8', 'bgra8; jpeg compressed bgr8',
    'yuv422; jpeg compressed bgr8', 'nv12; png compressed bgr8', 'uyvy; jpeg compressed bgr8',
])
@pytest.mark.parametrize('codec', CODECS)
def test_colour_payloads_are_bgr(fmt, codec, wire):
    rgb = smooth_rgb()
    data = encode(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), '.jpg' if codec == 'jpeg' else '.png')
    # The codec comes from the data, so a mislabelled PNG/JPEG still decodes.
    assert_close_to(compressed_to_rgb(wire(compressed(fmt, data))), rgb, codec)


@pytest.mark.parametrize('fmt', [
    'mono8; jpeg compressed ', 'mono8; jpeg compressed mono8', 'mono8; png compressed ',
    'jpeg', 'png',
])
def test_grey_payloads_become_three_equal_channels(fmt):
    grey = smooth_rgb()[:, :, 2]
    out = compressed_to_rgb(compressed(fmt, encode(grey)))
    np.testing.assert_array_equal(out, np.stack([grey] * 3, axis=-1))


def test_an_rgb_ordered_payload_keeps_its_order():
    rgb = smooth_rgb()
    out = compressed_to_rgb(compressed('rgb8; png compressed rgb8', encode(rgb)))
    np.testing.assert_array_equal(out, rgb)


def test_alpha_is_dropped():
    rgb = smooth_rgb()
    bgra = np.concatenate([cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                           np.full((HEIGHT, WIDTH, 1), 9, np.uint8)], axis=-1)
    out = compressed_to_rgb(compressed('rgba8; png compressed bgra8', encode(bgra)))
    np.testing.assert_array_equal(out, rgb)


def exif_orientation_segment(orientation):
    """A JPEG APP1 segment holding only an EXIF orientation tag (big-endian TIFF)."""
    tiff = b'MM\x00\x2a' + struct.pack('>I', 8) + struct.pack('>H', 1)
    tiff += struct.pack('>HHIHH', 0x0112, 3, 1, orientation, 0) + struct.pack('>I', 0)
    body = b'Exif\x00\x00' + tiff
    return b'\xff\xe1' + struct.pack('>H', len(body) + 2) + body


def test_exif_orientation_is_ignored():
    rgb = smooth_rgb(16, 32)
    jpeg = encode(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), '.jpg')
    rotated = jpeg[:2] + exif_orientation_segment(6) + jpeg[2:]
    # OpenCV's default would turn it into 32x16; the camera's frame says 16x32.
    assert cv2.imdecode(np.frombuffer(rotated, np.uint8), cv2.IMREAD_COLOR).shape[:2] == (32, 16)
    assert_close_to(compressed_to_rgb(compressed('jpeg', rotated)), rgb, 'jpeg')


@pytest.mark.parametrize('fmt', [
    '', ' ', 'h264', 'tiff', 'bgr8', 'jpeg compressed bgr8',
    'rgb8; tiff compressed ',
    '16UC1; compressedDepth png', '32FC1; compressedDepth', '16UC1; jpeg compressed mono8',
    'mono16; png compressed ', 'bgr16; png compressed bgr16', 'rgb8; png compressed bgr16',
    'bayer_rggb8; jpeg compressed ', 'nv24; jpeg compressed bgr8',
    '; jpeg compressed bgr8', 'rgb8; jpeg', 'rgb8; jpeg bgr8', 'rgb8;',
    'rgb8; jpeg compressed bgr8 extra', 'rgb8; jpeg compressed yuv422',
])
def test_formats_it_cannot_decode_are_refused(fmt, wire):
    msg = wire(compressed(fmt, encode(smooth_rgb())))
    with pytest.raises(MessageFormatError) as info:
        compressed_to_rgb(msg)
    assert info.value.field == 'CompressedImage.format'
    assert info.value.got == repr(fmt)
    assert "'jpeg', 'png'" in info.value.expected


def jpeg_frame_header(height, width):
    """SOI and a baseline frame header declaring ``height`` x ``width``, no image data."""
    sof = struct.pack('>BHHB', 8, height, width, 3) + b'\x01\x22\x00\x02\x11\x01\x03\x11\x01'
    return b'\xff\xd8' + b'\xff\xe0\x00\x04\x00\x00' + b'\xff\xc0' + struct.pack(
        '>H', len(sof) + 2) + sof


def png_header(height, width):
    ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + struct.pack('>I', 13) + b'IHDR' + ihdr + b'\x00' * 4


@pytest.mark.parametrize('fmt, data, expected, got', [
    ('jpeg', b'', 'a decodable jpeg/png image', '0 bytes'),
    ('png', b'GIF89a\x01\x00', 'a decodable jpeg/png image', 'starting with 474946'),
    ('rgb8; jpeg compressed bgr8', bytes(100), 'a decodable jpeg/png image', '100 bytes'),
    ('png', b'\x89PNG\r\n\x1a\n' + bytes(30), 'a decodable jpeg/png image', 'png'),
    ('jpeg', b'\xff\xd8\xff\xe0' + bytes(40), 'a decodable jpeg/png image', 'jpeg'),
    # Headers declaring frames of gigabytes are refused before anything is allocated.
    ('jpeg', jpeg_frame_header(60000, 60000), 'of at most', '3600000000 pixels'),
    ('png', png_header(40000, 50000), 'of at most', '2000000000 pixels'),
])
def test_data_it_cannot_decode_is_refused(fmt, data, expected, got, wire):
    with pytest.raises(MessageFormatError) as info:
        compressed_to_rgb(wire(compressed(fmt, data)))
    assert info.value.field == 'CompressedImage.data'
    assert expected in info.value.expected
    assert got in info.value.got


@pytest.mark.parametrize('codec', CODECS)
def test_declared_size_is_read_from_real_files(codec):
    msg = rgb_to_compressed(smooth_rgb(), codec)
    assert compressed_to_rgb(msg, max_pixels=HEIGHT * WIDTH).shape == (HEIGHT, WIDTH, 3)
    with pytest.raises(MessageFormatError, match=f'{HEIGHT * WIDTH} pixels') as info:
        compressed_to_rgb(msg, max_pixels=HEIGHT * WIDTH - 1)
    assert info.value.field == 'CompressedImage.data'


@pytest.mark.parametrize('kwargs, match', [
    ({'fmt': 'tiff'}, 'unknown compression format'),
    ({'fmt': 'jpg'}, 'unknown compression format'),
    ({'quality': 0}, 'quality'),
    ({'quality': 101}, 'quality'),
    ({'fmt': 'png', 'png_level': 10}, 'png_level'),
    ({'pixels': np.zeros((4, 4, 4), np.uint8)}, r'\(h, w, 3\) or \(h, w\) uint8'),
    ({'pixels': np.zeros((4, 4, 3), np.uint16)}, r'\(h, w, 3\) or \(h, w\) uint8'),
    ({'pixels': np.zeros(4, np.uint8)}, r'\(h, w, 3\) or \(h, w\) uint8'),
])
def test_builder_refuses_bad_input(kwargs, match):
    kwargs = {'pixels': smooth_rgb(), **kwargs}
    with pytest.raises(ValueError, match=match):
        rgb_to_compressed(**kwargs)


@pytest.mark.parametrize('fmt', ['rgb8; png compressed bgr8', 'rgb8; png compressed rgb8'])
def test_opencv_without_rgb_decoding(fmt, monkeypatch):
    # The distros' python3-opencv (4.5, 4.6) lacks IMREAD_COLOR_RGB; the swap is then ours.
    rgb = smooth_rgb()
    payload = rgb if fmt.endswith('rgb8') else cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    msg = compressed(fmt, encode(payload))
    monkeypatch.setattr(compressed_module, '_READ_RGB', None)
    np.testing.assert_array_equal(compressed_to_rgb(msg), rgb)
