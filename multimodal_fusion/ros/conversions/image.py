# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""``sensor_msgs/Image`` to and from numpy, honouring ``step`` padding and byte order.

Shape legend: ``h``/``w`` image height/width (``Image.height``/``Image.width``).

Decoding never copies pixels when it does not have to: a native-order image becomes a view
of ``Image.data`` (strided when rows are padded). Pass ``copy=True`` where the array must
outlive or stay independent of the message buffer.

Camera drivers also publish YUV: packed 4:2:2 (``uyvy``/``yuv422``, ``yuyv``/``yuv422_yuy2``)
and semi-planar 4:2:0 (``nv12``, ``nv21``). ``image_to_rgb`` turns them into RGB with
OpenCV's BT.601 limited-range conversion, as cv_bridge does; ``rgb_to_yuv_image`` builds
such messages for simulators, tests and benchmarks.
"""

from __future__ import annotations

import array
from typing import NamedTuple
from typing import Optional

import cv2
import numpy as np
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from multimodal_fusion.ros.conversions.errors import MessageFormatError


class _Encoding(NamedTuple):
    dtype: np.dtype
    channels: int


# Keys are the names of sensor_msgs/image_encodings.hpp; values use little-endian dtypes,
# swapped per message when ``is_bigendian`` is set.
ENCODINGS: dict[str, _Encoding] = {
    'rgb8': _Encoding(np.dtype('u1'), 3),
    'bgr8': _Encoding(np.dtype('u1'), 3),
    'rgba8': _Encoding(np.dtype('u1'), 4),
    'bgra8': _Encoding(np.dtype('u1'), 4),
    'mono8': _Encoding(np.dtype('u1'), 1),
    'mono16': _Encoding(np.dtype('<u2'), 1),
    '16UC1': _Encoding(np.dtype('<u2'), 1),
    '32FC1': _Encoding(np.dtype('<f4'), 1),
}


class _Yuv(NamedTuple):
    cv_code: int
    # 4:2:0 halves the chroma rows as well as the columns.
    vertical_subsampling: bool


# The YUV names of sensor_msgs/image_encodings.hpp (Rolling; older distros lack some of the
# names, which changes nothing on the wire), with their byte order:
# - ``yuv422`` is UYVY (U0 Y0 V0 Y1 per pixel pair) and ``yuv422_yuy2`` is YUYV (Y0 U0 Y1 V0).
#   The header marks both deprecated in favour of the fourcc names ``uyvy``/``yuyv``, but
#   drivers still publish them; cv_bridge decodes them with COLOR_YUV2*_UYVY and *_YUY2.
# - ``nv12``/``nv21``: a full-size Y plane, then one interleaved chroma plane of h / 2 rows,
#   U before V for nv12 and V before U for nv21. image_encodings gives them one channel and
#   a height scaling of 1.5, so ``step`` is the Y plane's row stride (>= w), the chroma rows
#   share it and ``data`` holds h * 3 / 2 rows of ``step`` bytes (the rule of
#   common_interfaces#264; the open cv_bridge NV12 pull request checks the same length).
# All are 8-bit, so ``is_bigendian`` does not apply. ``nv24`` (4:4:4) is not decoded.
YUV_ENCODINGS: dict[str, _Yuv] = {
    'uyvy': _Yuv(cv2.COLOR_YUV2RGB_UYVY, False),
    'yuv422': _Yuv(cv2.COLOR_YUV2RGB_UYVY, False),
    'yuyv': _Yuv(cv2.COLOR_YUV2RGB_YUY2, False),
    'yuv422_yuy2': _Yuv(cv2.COLOR_YUV2RGB_YUY2, False),
    'nv12': _Yuv(cv2.COLOR_YUV2RGB_NV12, True),
    'nv21': _Yuv(cv2.COLOR_YUV2RGB_NV21, True),
}
# OpenCV conversions to RGB for the 8-bit encodings that are not RGB already.
_TO_RGB: dict[str, int] = {
    'bgr8': cv2.COLOR_BGR2RGB,
    'rgba8': cv2.COLOR_RGBA2RGB,
    'bgra8': cv2.COLOR_BGRA2RGB,
    'mono8': cv2.COLOR_GRAY2RGB,
}
# Encodings ``image_to_rgb`` can turn into the model's RGB input.
COLOR_ENCODINGS: tuple[str, ...] = ('rgb8', 'bgr8', 'rgba8', 'bgra8', 'mono8', *YUV_ENCODINGS)


def _encoding(name: str) -> _Encoding:
    try:
        return ENCODINGS[name]
    except KeyError:
        raise MessageFormatError(
            'Image.encoding', 'one of ' + ', '.join(ENCODINGS), repr(name)) from None


def _shape(height: int, width: int, channels: int) -> tuple[int, ...]:
    return (height, width) if channels == 1 else (height, width, channels)


def image_to_array(msg: Image, *, copy: bool = False) -> np.ndarray:
    """The pixels of an image in the encoding's natural shape and dtype, native byte order.

    Args:
        msg: the image; ``encoding`` must be one of ``ENCODINGS``.
        copy: return a C-contiguous array that owns its memory. Otherwise the result may be
            a (strided, writable) view of ``msg.data``.

    Returns:
        ``(h, w, c)`` for multi-channel encodings (channels in the encoding's order, e.g.
        BGR for ``bgr8``), ``(h, w)`` for single-channel ones; uint8, uint16 or float32.
        Row padding (``step`` beyond ``w * pixel bytes``) is skipped.

    Raises:
        MessageFormatError: unknown ``encoding``; zero ``height``/``width``; ``step`` too
            small for a row; ``data`` not exactly ``height * step`` bytes.
    """
    enc = _encoding(msg.encoding)
    height, width, step = msg.height, msg.width, msg.step
    if height == 0:
        raise MessageFormatError('Image.height', '> 0', height)
    if width == 0:
        raise MessageFormatError('Image.width', '> 0', width)
    pixel_bytes = enc.dtype.itemsize * enc.channels
    row_bytes = width * pixel_bytes
    if step < row_bytes:
        raise MessageFormatError(
            'Image.step', f'>= width * {pixel_bytes} = {row_bytes} for {msg.encoding}', step)
    buf = np.frombuffer(msg.data, dtype=np.uint8)
    if buf.size != height * step:
        raise MessageFormatError(
            'Image.data', f'height * step = {height * step} bytes', f'{buf.size} bytes')
    dtype = enc.dtype.newbyteorder('>' if msg.is_bigendian else '<')
    shape = _shape(height, width, enc.channels)
    if step == row_bytes:
        pixels = buf.view(dtype).reshape(shape)
    else:
        strides = (step, pixel_bytes, enc.dtype.itemsize)[:len(shape)]
        pixels = np.ndarray(shape, dtype=dtype, buffer=buf, strides=strides)
    if not dtype.isnative:
        return pixels.astype(dtype.newbyteorder('='))
    return np.array(pixels, copy=True, order='C') if copy else pixels


def _yuv_rows(msg: Image, yuv: _Yuv) -> np.ndarray:
    """The message's YUV bytes without row padding, after checking its geometry.

    Returns:
        ``(h, w, 2)`` for packed 4:2:2, ``(h * 3 / 2, w)`` for 4:2:0 (Y rows, then chroma
        rows); uint8, a strided view of ``msg.data`` when rows are padded.
    """
    height, width, step = msg.height, msg.width, msg.step
    if height == 0:
        raise MessageFormatError('Image.height', '> 0', height)
    if width == 0:
        raise MessageFormatError('Image.width', '> 0', width)
    if width % 2:
        raise MessageFormatError(
            'Image.width', f'an even number for {msg.encoding} (pixel pairs share chroma)',
            width)
    if yuv.vertical_subsampling and height % 2:
        raise MessageFormatError(
            'Image.height', f'an even number for {msg.encoding} (row pairs share chroma)',
            height)
    pixel_bytes = 1 if yuv.vertical_subsampling else 2
    row_bytes = width * pixel_bytes
    if step < row_bytes:
        raise MessageFormatError(
            'Image.step', f'>= width * {pixel_bytes} = {row_bytes} for {msg.encoding}', step)
    rows = height * 3 // 2 if yuv.vertical_subsampling else height
    buf = np.frombuffer(msg.data, dtype=np.uint8)
    if buf.size != rows * step:
        rule = 'height * 3 / 2 * step' if yuv.vertical_subsampling else 'height * step'
        raise MessageFormatError(
            'Image.data', f'{rule} = {rows * step} bytes for {msg.encoding}',
            f'{buf.size} bytes')
    # Slicing off the padding keeps a view; OpenCV reads the row stride as it is.
    rows_view = buf.reshape(rows, step)[:, :row_bytes]
    return rows_view if yuv.vertical_subsampling else rows_view.reshape(height, width, 2)


def image_to_rgb(msg: Image) -> np.ndarray:
    """The image as the model's camera input: ``(h, w, 3)`` uint8 RGB.

    BGR is reordered, alpha dropped, mono replicated to three channels and YUV converted
    with BT.601 limited-range coefficients (OpenCV's, which cv_bridge uses). An ``rgb8``
    image without row padding comes back as a view of ``msg.data``; every other case
    returns a fresh C-contiguous array.

    YUV geometry (see ``YUV_ENCODINGS``): 4:2:2 (``uyvy``, ``yuv422``, ``yuyv``,
    ``yuv422_yuy2``) needs an even width, ``step >= 2 * w`` and ``h * step`` bytes of data;
    4:2:0 (``nv12``, ``nv21``) needs an even width and height, ``step >= w`` (the Y plane's
    row stride, which the chroma rows share) and ``h * 3 / 2 * step`` bytes.

    Raises:
        MessageFormatError: an encoding outside ``COLOR_ENCODINGS`` (depth images are not
            camera input); zero, or for YUV odd, ``height``/``width``; ``step`` too small for
            a row; ``data`` of the wrong length.
    """
    if msg.encoding not in COLOR_ENCODINGS:
        raise MessageFormatError(
            'Image.encoding', 'one of ' + ', '.join(COLOR_ENCODINGS), repr(msg.encoding))
    yuv = YUV_ENCODINGS.get(msg.encoding)
    if yuv is not None:
        return cv2.cvtColor(_yuv_rows(msg, yuv), yuv.cv_code)
    pixels = image_to_array(msg)
    if msg.encoding == 'rgb8':
        return pixels if pixels.flags.c_contiguous else np.ascontiguousarray(pixels)
    # OpenCV reads the padded rows in place and reorders about ten times faster than numpy
    # copying one strided channel at a time (0.02 ms against 0.2 ms at 640x480).
    return cv2.cvtColor(pixels, _TO_RGB[msg.encoding])


def array_to_image(
    pixels: np.ndarray,
    encoding: str,
    *,
    header: Optional[Header] = None,
    step: Optional[int] = None,
    is_bigendian: bool = False,
) -> Image:
    """Build an image message from pixels.

    Args:
        pixels: ``(h, w, c)`` or ``(h, w)`` as ``image_to_array`` returns for ``encoding``
            (a trailing channel axis of 1 is accepted for single-channel encodings); the
            dtype must match the encoding's (any byte order).
        encoding: one of ``ENCODINGS``.
        header: stamp and frame; an empty header when omitted.
        step: row length in bytes, at least ``w * pixel bytes``; rows are zero-padded to
            it. Defaults to no padding.
        is_bigendian: write multi-byte pixels big-endian (for tests of that path).

    Raises:
        ValueError: unknown encoding, pixels of the wrong shape or dtype, ``step`` too
            small.
    """
    if encoding not in ENCODINGS:
        raise ValueError(f'unknown encoding {encoding!r}; expected one of {list(ENCODINGS)}')
    enc = ENCODINGS[encoding]
    pixels = np.asarray(pixels)
    if enc.channels == 1 and pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    expected_ndim = 2 if enc.channels == 1 else 3
    if pixels.ndim != expected_ndim or (
            expected_ndim == 3 and pixels.shape[2] != enc.channels):
        wanted = '(h, w)' if enc.channels == 1 else f'(h, w, {enc.channels})'
        raise ValueError(f'{encoding} needs pixels of shape {wanted}, got {pixels.shape}')
    if pixels.dtype.kind != enc.dtype.kind or pixels.dtype.itemsize != enc.dtype.itemsize:
        raise ValueError(f'{encoding} needs {enc.dtype.name} pixels, got {pixels.dtype}')
    height, width = pixels.shape[:2]
    pixel_bytes = enc.dtype.itemsize * enc.channels
    row_bytes = width * pixel_bytes
    step = row_bytes if step is None else int(step)
    if step < row_bytes:
        raise ValueError(f'step {step} is shorter than a row ({row_bytes} bytes)')
    ordered = pixels.astype(enc.dtype.newbyteorder('>' if is_bigendian else '<'), copy=False)
    if step == row_bytes:
        data = np.ascontiguousarray(ordered).reshape(-1).view(np.uint8)
    else:
        rows = np.zeros((height, step), dtype=np.uint8)
        rows[:, :row_bytes] = np.ascontiguousarray(ordered).view(np.uint8).reshape(height, -1)
        data = rows.reshape(-1)
    msg = Image(
        header=header if header is not None else Header(),
        height=height,
        width=width,
        encoding=encoding,
        is_bigendian=int(is_bigendian),
        step=step,
    )
    # An array.array('B') is the field's own type, so the setter stores it without the
    # per-element check it runs on other sequences.
    msg.data = array.array('B', data.tobytes())
    return msg


# BT.601 limited range ("studio swing"), the inverse of what image_to_rgb decodes with:
# rows give Y, U (Cb), V (Cr) from RGB in 0..255.
_RGB_TO_YUV = np.array([
    [65.481, 128.553, 24.966],
    [-37.797, -74.203, 112.0],
    [112.0, -93.786, -18.214],
], dtype=np.float32) / 255.0
_YUV_OFFSET = np.array([16.0, 128.0, 128.0], dtype=np.float32)


def _to_yuv(rgb: np.ndarray, rows: slice = slice(None)) -> np.ndarray:
    yuv = rgb.astype(np.float32) @ _RGB_TO_YUV[rows].T + _YUV_OFFSET[rows]
    return np.clip(np.rint(yuv), 0, 255).astype(np.uint8)


def rgb_to_yuv_image(
    pixels: np.ndarray,
    encoding: str,
    *,
    header: Optional[Header] = None,
    step: Optional[int] = None,
) -> Image:
    """Build a YUV image message from RGB pixels, as a camera driver would publish it.

    Chroma is the mean over the pixels that share it (pairs for 4:2:2, 2x2 blocks for
    4:2:0), so ``image_to_rgb`` gives the pixels back within a few levels where colour
    is constant over those groups.

    Args:
        pixels: ``(h, w, 3)`` uint8 RGB; ``w`` even, and ``h`` even for 4:2:0.
        encoding: one of ``YUV_ENCODINGS``.
        header: stamp and frame; an empty header when omitted.
        step: row stride in bytes, at least ``2 * w`` (4:2:2) or ``w`` (4:2:0, the Y plane's
            stride, shared by the chroma rows); rows are zero-padded to it. Defaults to no
            padding.

    Raises:
        ValueError: unknown encoding, pixels of the wrong shape or dtype, odd sizes, ``step``
            too small.
    """
    if encoding not in YUV_ENCODINGS:
        raise ValueError(
            f'unknown YUV encoding {encoding!r}; expected one of {list(YUV_ENCODINGS)}')
    yuv = YUV_ENCODINGS[encoding]
    pixels = np.asarray(pixels)
    if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
        raise ValueError(
            f'{encoding} needs (h, w, 3) uint8 RGB, got {pixels.shape} {pixels.dtype}')
    height, width = pixels.shape[:2]
    if width % 2 or (yuv.vertical_subsampling and height % 2):
        sizes = 'width and height' if yuv.vertical_subsampling else 'width'
        raise ValueError(f'{encoding} needs an even {sizes}, got {width}x{height}')
    luma = _to_yuv(pixels, slice(0, 1))[:, :, 0]
    if yuv.vertical_subsampling:
        blocks = pixels.reshape(height // 2, 2, width // 2, 2, 3).astype(np.float32)
        chroma = _to_yuv(blocks.mean(axis=(1, 3)), slice(1, 3))
        if encoding == 'nv21':
            chroma = chroma[:, :, ::-1]
        planes = np.concatenate([luma, chroma.reshape(height // 2, width)])
    else:
        pairs = pixels.reshape(height, width // 2, 2, 3).astype(np.float32)
        chroma = _to_yuv(pairs.mean(axis=2), slice(1, 3))
        packed = np.empty((height, width // 2, 4), dtype=np.uint8)
        luma_at, u_at, v_at = ((1, 3), 0, 2) if yuv.cv_code == cv2.COLOR_YUV2RGB_UYVY \
            else ((0, 2), 1, 3)
        packed[:, :, luma_at[0]] = luma[:, 0::2]
        packed[:, :, luma_at[1]] = luma[:, 1::2]
        packed[:, :, u_at] = chroma[:, :, 0]
        packed[:, :, v_at] = chroma[:, :, 1]
        planes = packed.reshape(height, 2 * width)
    row_bytes = planes.shape[1]
    step = row_bytes if step is None else int(step)
    if step < row_bytes:
        raise ValueError(f'step {step} is shorter than a row ({row_bytes} bytes)')
    if step > row_bytes:
        padded = np.zeros((planes.shape[0], step), dtype=np.uint8)
        padded[:, :row_bytes] = planes
        planes = padded
    msg = Image(
        header=header if header is not None else Header(),
        height=height,
        width=width,
        encoding=encoding,
        is_bigendian=0,
        step=step,
    )
    msg.data = array.array('B', planes.tobytes())
    return msg
