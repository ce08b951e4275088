# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import array

import numpy as np
import pytest
from sensor_msgs.msg import Image

from multimodal_fusion.ros.conversions import array_to_image
from multimodal_fusion.ros.conversions import COLOR_ENCODINGS
from multimodal_fusion.ros.conversions import ENCODINGS
from multimodal_fusion.ros.conversions import image_to_array
from multimodal_fusion.ros.conversions import image_to_rgb
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.conversions import MessageFormatError
from multimodal_fusion.ros.conversions import rgb_to_yuv_image
from multimodal_fusion.ros.conversions import YUV_ENCODINGS

HEIGHT, WIDTH = 5, 7
# (numpy dtype, channels) per encoding, written out independently of the module's table.
EXPECTED = {
    'rgb8': ('u1', 3), 'bgr8': ('u1', 3), 'rgba8': ('u1', 4), 'bgra8': ('u1', 4),
    'mono8': ('u1', 1), 'mono16': ('u2', 1), '16UC1': ('u2', 1), '32FC1': ('f4', 1),
}


def random_pixels(encoding, seed=0, height=HEIGHT, width=WIDTH):
    rng = np.random.default_rng(seed)
    dtype, channels = EXPECTED[encoding]
    shape = (height, width) if channels == 1 else (height, width, channels)
    if dtype == 'f4':
        return rng.standard_normal(shape).astype(np.float32)
    return rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)


def raw_image(encoding, height, width, step, data, is_bigendian=0):
    msg = Image(height=height, width=width, encoding=encoding, step=step,
                is_bigendian=is_bigendian)
    msg.data = array.array('B', bytes(data))
    return msg


def test_table_covers_the_required_encodings():
    assert set(ENCODINGS) == set(EXPECTED)


@pytest.mark.parametrize('encoding', sorted(EXPECTED))
@pytest.mark.parametrize('extra_step', [0, 1, 6])
@pytest.mark.parametrize('is_bigendian', [False, True])
def test_round_trip_through_serialization(encoding, extra_step, is_bigendian, wire):
    pixels = random_pixels(encoding)
    row_bytes = WIDTH * np.dtype(EXPECTED[encoding][0]).itemsize * EXPECTED[encoding][1]
    header = make_header(1_234_000_000_005, 'cam')
    msg = wire(array_to_image(pixels, encoding, header=header, step=row_bytes + extra_step,
                              is_bigendian=is_bigendian))
    assert (msg.height, msg.width, msg.step) == (HEIGHT, WIDTH, row_bytes + extra_step)
    assert msg.header == header
    assert msg.is_bigendian == int(is_bigendian)
    out = image_to_array(msg)
    assert out.shape == pixels.shape
    assert out.dtype == pixels.dtype and out.dtype.isnative
    np.testing.assert_array_equal(out, pixels)


def test_padding_bytes_are_ignored(wire):
    pixels = random_pixels('rgb8')
    msg = array_to_image(pixels, 'rgb8', step=WIDTH * 3 + 4)
    rows = np.frombuffer(msg.data, np.uint8).reshape(HEIGHT, -1)
    rows[:, WIDTH * 3:] = 0xEE
    np.testing.assert_array_equal(image_to_array(wire(msg)), pixels)
    np.testing.assert_array_equal(image_to_rgb(wire(msg)), pixels)


@pytest.mark.parametrize('is_bigendian, data, expected', [
    (1, [0x01, 0x02, 0xff, 0x00], [0x0102, 0xff00]),
    (0, [0x01, 0x02, 0xff, 0x00], [0x0201, 0x00ff]),
])
@pytest.mark.parametrize('encoding', ['mono16', '16UC1'])
def test_16_bit_byte_order_from_hand_made_bytes(encoding, is_bigendian, data, expected, wire):
    msg = wire(raw_image(encoding, 1, 2, 4, data, is_bigendian))
    out = image_to_array(msg)
    assert out.dtype == np.uint16 and out.dtype.isnative
    np.testing.assert_array_equal(out, [expected])


def test_32fc1_big_endian_with_odd_padding(wire):
    # Rows of 2 floats padded by 3 bytes, so rows start at unaligned offsets.
    values = np.array([[1.5, -2.25], [np.nan, 1e-3]], dtype='>f4')
    data = b''.join(row.tobytes() + b'\xaa\xbb\xcc' for row in values)
    out = image_to_array(wire(raw_image('32FC1', 2, 2, 11, data, 1)))
    assert out.dtype == np.float32 and out.dtype.isnative
    np.testing.assert_array_equal(out, values.astype(np.float32))


@pytest.mark.parametrize('encoding', ['rgb8', 'bgr8', 'rgba8', 'bgra8', 'mono8'])
@pytest.mark.parametrize('extra_step', [0, 3])
def test_image_to_rgb(encoding, extra_step, wire):
    rgb = random_pixels('rgb8', seed=3)
    if encoding == 'rgb8':
        pixels = rgb
    elif encoding == 'bgr8':
        pixels = np.stack([rgb[..., 2], rgb[..., 1], rgb[..., 0]], axis=-1)
    elif encoding == 'rgba8':
        pixels = np.concatenate([rgb, np.full((HEIGHT, WIDTH, 1), 7, np.uint8)], axis=-1)
    elif encoding == 'bgra8':
        pixels = np.stack([rgb[..., 2], rgb[..., 1], rgb[..., 0], rgb[..., 0] ^ 0x55], -1)
    else:
        pixels = rgb[..., 1]
        rgb = np.stack([pixels] * 3, axis=-1)
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    msg = wire(array_to_image(pixels, encoding, step=WIDTH * channels + extra_step))
    out = image_to_rgb(msg)
    assert out.shape == (HEIGHT, WIDTH, 3) and out.dtype == np.uint8
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(out, rgb)


@pytest.mark.parametrize('encoding', ['mono16', '16UC1', '32FC1'])
def test_image_to_rgb_refuses_depth(encoding):
    msg = array_to_image(random_pixels(encoding), encoding)
    with pytest.raises(MessageFormatError, match='Image.encoding') as info:
        image_to_rgb(msg)
    assert info.value.field == 'Image.encoding'


def test_unpadded_native_image_is_a_view_unless_copied():
    msg = array_to_image(random_pixels('rgb8'), 'rgb8')
    buffer = np.frombuffer(msg.data, np.uint8)
    assert np.shares_memory(image_to_array(msg), buffer)
    assert np.shares_memory(image_to_rgb(msg), buffer)
    copied = image_to_array(msg, copy=True)
    assert not np.shares_memory(copied, buffer) and copied.flags.c_contiguous
    padded = array_to_image(random_pixels('rgb8'), 'rgb8', step=WIDTH * 3 + 2)
    assert np.shares_memory(image_to_array(padded), np.frombuffer(padded.data, np.uint8))


def test_single_channel_array_with_trailing_axis_is_accepted():
    pixels = random_pixels('mono8')
    np.testing.assert_array_equal(
        image_to_array(array_to_image(pixels[..., None], 'mono8')), pixels)


@pytest.mark.parametrize('encoding, height, width, step, size, field, expected', [
    ('nv24', 2, 2, 4, 8, 'Image.encoding', 'one of rgb8'),
    ('', 2, 2, 6, 12, 'Image.encoding', 'one of rgb8'),
    ('rgb8', 2, 2, 5, 10, 'Image.step', '>= width * 3 = 6'),
    ('mono16', 2, 3, 5, 10, 'Image.step', '>= width * 2 = 6'),
    ('32FC1', 1, 2, 7, 7, 'Image.step', '>= width * 4 = 8'),
    ('rgb8', 2, 2, 6, 11, 'Image.data', 'height * step = 12 bytes'),
    ('rgb8', 2, 2, 8, 14, 'Image.data', 'height * step = 16 bytes'),
    ('rgb8', 2, 2, 6, 13, 'Image.data', 'height * step = 12 bytes'),
    ('mono8', 0, 2, 2, 0, 'Image.height', '> 0'),
    ('mono8', 2, 0, 0, 0, 'Image.width', '> 0'),
])
def test_malformed_images_are_rejected(encoding, height, width, step, size, field, expected,
                                       wire):
    msg = wire(raw_image(encoding, height, width, step, bytes(size)))
    # image_to_rgb refuses depth encodings before it looks at the geometry.
    converters = [image_to_array] + ([image_to_rgb] if encoding not in ('mono16', '32FC1')
                                     else [])
    for convert in converters:
        with pytest.raises(MessageFormatError) as info:
            convert(msg)
        assert info.value.field == field
        assert str(info.value).startswith(field + ': expected')
        assert expected in info.value.expected


@pytest.mark.parametrize('pixels, encoding, step, match', [
    (np.zeros((2, 2, 3), np.uint8), 'yuv422', None, 'unknown encoding'),
    (np.zeros((2, 2), np.uint8), 'rgb8', None, 'shape'),
    (np.zeros((2, 2, 4), np.uint8), 'rgb8', None, 'shape'),
    (np.zeros((2, 2, 3), np.uint16), 'rgb8', None, 'uint8'),
    (np.zeros((2, 2), np.float64), '32FC1', None, 'float32'),
    (np.zeros((2, 2, 3), np.uint8), 'rgb8', 5, 'step'),
])
def test_array_to_image_refuses_bad_input(pixels, encoding, step, match):
    with pytest.raises(ValueError, match=match):
        array_to_image(pixels, encoding, step=step)


# YUV: packed 4:2:2 names (UYVY and YUYV byte orders, each under two names) and 4:2:0 NV.
PACKED = ['uyvy', 'yuv422', 'yuyv', 'yuv422_yuy2']
SEMI_PLANAR = ['nv12', 'nv21']
YUV_HEIGHT, YUV_WIDTH = 6, 8


def yuv_friendly_rgb(seed=0, height=YUV_HEIGHT, width=YUV_WIDTH):
    """RGB whose chroma is constant over 2x2 blocks while luma changes at every pixel.

    Adding the same value to R, G and B moves Y only (the U and V rows of BT.601 sum to
    zero), so subsampling loses nothing and a round trip differs by rounding alone.
    """
    rng = np.random.default_rng(seed)
    blocks = rng.integers(40, 216, (height // 2, width // 2, 3))
    grey = rng.integers(-30, 31, (height, width, 1))
    return (blocks.repeat(2, axis=0).repeat(2, axis=1) + grey).astype(np.uint8)


def test_yuv_names_are_those_of_image_encodings():
    assert set(YUV_ENCODINGS) == set(PACKED + SEMI_PLANAR)
    assert set(YUV_ENCODINGS) <= set(COLOR_ENCODINGS)
    assert 'nv24' not in COLOR_ENCODINGS


@pytest.mark.parametrize('encoding', PACKED + SEMI_PLANAR)
@pytest.mark.parametrize('extra_step', [0, 1, 6])
@pytest.mark.parametrize('is_bigendian', [0, 1])
def test_yuv_round_trip_through_serialization(encoding, extra_step, is_bigendian, wire):
    rgb = yuv_friendly_rgb()
    row_bytes = YUV_WIDTH * (1 if encoding in SEMI_PLANAR else 2)
    header = make_header(1_234_000_000_005, 'cam')
    msg = rgb_to_yuv_image(rgb, encoding, header=header, step=row_bytes + extra_step)
    rows = YUV_HEIGHT * 3 // 2 if encoding in SEMI_PLANAR else YUV_HEIGHT
    assert (msg.step, len(msg.data)) == (row_bytes + extra_step, rows * msg.step)
    if extra_step:
        # Whatever a driver leaves in the padding is never read.
        data = np.frombuffer(msg.data, np.uint8).reshape(rows, -1)
        data[:, row_bytes:] = 0xEE
    # 8-bit samples have no byte order: the flag must not change anything.
    msg.is_bigendian = is_bigendian
    msg = wire(msg)
    assert msg.header == header and msg.encoding == encoding
    out = image_to_rgb(msg)
    assert out.shape == (YUV_HEIGHT, YUV_WIDTH, 3) and out.dtype == np.uint8
    assert out.flags.c_contiguous
    np.testing.assert_allclose(out, rgb, atol=3)


# Hand-made bytes for a 2x2 image, written from the V4L2 layouts rather than by the builder:
# left column black (Y 16), right column white (Y 235) with neutral chroma, or all red
# (BT.601: Y 81, U 90, V 240).
BLACK_WHITE = np.array([[[0, 0, 0], [255, 255, 255]]] * 2, np.uint8)
RED = np.full((2, 2, 3), [255, 0, 0], np.uint8)


@pytest.mark.parametrize('encoding, data, expected', [
    ('uyvy', [128, 16, 128, 235] * 2, BLACK_WHITE),
    ('yuv422', [128, 16, 128, 235] * 2, BLACK_WHITE),
    ('yuyv', [16, 128, 235, 128] * 2, BLACK_WHITE),
    ('yuv422_yuy2', [16, 128, 235, 128] * 2, BLACK_WHITE),
    ('uyvy', [90, 81, 240, 81] * 2, RED),
    ('yuv422', [90, 81, 240, 81] * 2, RED),
    ('yuyv', [81, 90, 81, 240] * 2, RED),
    ('yuv422_yuy2', [81, 90, 81, 240] * 2, RED),
    ('nv12', [16, 235, 16, 235, 128, 128], BLACK_WHITE),
    ('nv21', [16, 235, 16, 235, 128, 128], BLACK_WHITE),
    ('nv12', [81, 81, 81, 81, 90, 240], RED),
    ('nv21', [81, 81, 81, 81, 240, 90], RED),
])
def test_yuv_byte_order_from_hand_made_bytes(encoding, data, expected, wire):
    step = 2 if encoding in SEMI_PLANAR else 4
    out = image_to_rgb(wire(raw_image(encoding, 2, 2, step, data)))
    np.testing.assert_allclose(out, expected, atol=2)


@pytest.mark.parametrize('encoding', PACKED + SEMI_PLANAR)
def test_builder_writes_the_hand_made_layout(encoding):
    # The builder agrees with the layouts above, so simulated drivers publish real bytes.
    by_hand = {'uyvy': [90, 81, 240, 81], 'yuyv': [81, 90, 81, 240],
               'nv12': [81, 81, 81, 81, 90, 240], 'nv21': [81, 81, 81, 81, 240, 90]}
    by_hand['yuv422'], by_hand['yuv422_yuy2'] = by_hand['uyvy'], by_hand['yuyv']
    msg = rgb_to_yuv_image(RED, encoding)
    data = list(msg.data)
    assert data == (by_hand[encoding] * 2 if encoding in PACKED else by_hand[encoding])
    assert msg.is_bigendian == 0


def test_packed_4_2_2_allows_an_odd_height():
    rgb = yuv_friendly_rgb(height=6)[:5]
    np.testing.assert_allclose(image_to_rgb(rgb_to_yuv_image(rgb, 'uyvy')), rgb, atol=3)


@pytest.mark.parametrize('encoding, height, width, step, size, field, expected', [
    ('uyvy', 2, 3, 6, 12, 'Image.width', 'an even number for uyvy'),
    ('yuv422_yuy2', 2, 5, 10, 20, 'Image.width', 'an even number for yuv422_yuy2'),
    ('nv12', 2, 3, 3, 9, 'Image.width', 'an even number for nv12'),
    ('nv21', 3, 2, 2, 6, 'Image.height', 'an even number for nv21'),
    ('nv12', 0, 2, 2, 0, 'Image.height', '> 0'),
    ('yuv422', 2, 0, 0, 0, 'Image.width', '> 0'),
    ('yuv422', 2, 2, 3, 6, 'Image.step', '>= width * 2 = 4 for yuv422'),
    ('yuyv', 2, 4, 7, 14, 'Image.step', '>= width * 2 = 8 for yuyv'),
    ('nv12', 2, 4, 3, 9, 'Image.step', '>= width * 1 = 4 for nv12'),
    ('uyvy', 2, 2, 4, 7, 'Image.data', 'height * step = 8 bytes for uyvy'),
    ('uyvy', 2, 2, 4, 9, 'Image.data', 'height * step = 8 bytes for uyvy'),
    ('yuv422', 2, 2, 6, 8, 'Image.data', 'height * step = 12 bytes'),
    # A Y plane alone (h * step bytes) lacks the chroma rows.
    ('nv12', 2, 2, 2, 4, 'Image.data', 'height * 3 / 2 * step = 6 bytes for nv12'),
    ('nv21', 4, 4, 6, 35, 'Image.data', 'height * 3 / 2 * step = 36 bytes for nv21'),
    ('nv21', 4, 4, 6, 37, 'Image.data', 'height * 3 / 2 * step = 36 bytes for nv21'),
])
def test_malformed_yuv_images_are_rejected(encoding, height, width, step, size, field,
                                           expected, wire):
    msg = wire(raw_image(encoding, height, width, step, bytes(size)))
    with pytest.raises(MessageFormatError) as info:
        image_to_rgb(msg)
    assert info.value.field == field
    assert str(info.value).startswith(field + ': expected')
    assert expected in info.value.expected


@pytest.mark.parametrize('encoding', PACKED + SEMI_PLANAR)
def test_yuv_is_camera_input_but_not_an_array_encoding(encoding):
    msg = rgb_to_yuv_image(yuv_friendly_rgb(), encoding)
    with pytest.raises(MessageFormatError) as info:
        image_to_array(msg)
    assert info.value.field == 'Image.encoding'


@pytest.mark.parametrize('pixels, encoding, step, match', [
    (np.zeros((2, 2, 3), np.uint8), 'nv24', None, 'unknown YUV encoding'),
    (np.zeros((2, 2, 3), np.uint8), 'rgb8', None, 'unknown YUV encoding'),
    (np.zeros((2, 2), np.uint8), 'uyvy', None, r'\(h, w, 3\) uint8'),
    (np.zeros((2, 2, 3), np.uint16), 'nv12', None, r'\(h, w, 3\) uint8'),
    (np.zeros((2, 3, 3), np.uint8), 'yuyv', None, 'even width'),
    (np.zeros((3, 2, 3), np.uint8), 'nv12', None, 'even width and height'),
    (np.zeros((2, 2, 3), np.uint8), 'uyvy', 3, 'step'),
    (np.zeros((2, 2, 3), np.uint8), 'nv21', 1, 'step'),
])
def test_rgb_to_yuv_image_refuses_bad_input(pixels, encoding, step, match):
    with pytest.raises(ValueError, match=match):
        rgb_to_yuv_image(pixels, encoding, step=step)
