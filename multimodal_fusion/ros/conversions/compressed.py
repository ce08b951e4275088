# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""``sensor_msgs/CompressedImage`` (JPEG, PNG) to and from the model's RGB camera input.

Shape legend: ``h``/``w`` image height/width.

``format`` is what image_transport's ``compressed`` plugin writes:
``'<raw encoding>; <codec> compressed <payload encoding>'``, e.g.
``'rgb8; jpeg compressed bgr8'``, ``'mono8; jpeg compressed mono8'`` or
``'mono8; png compressed '`` (older releases leave the payload encoding empty for mono).
Colour is compressed from a BGR image and mono from a grey one, so a decoded colour payload
is reordered to RGB and a grey one replicated to three channels. Drivers that compress on
their own (MJPEG cameras) often write only ``'jpeg'``; that is accepted too.
"""

from __future__ import annotations

import array
from typing import NamedTuple
from typing import Optional

import cv2
import numpy as np
from sensor_msgs.msg import CompressedImage
from std_msgs.msg import Header

from multimodal_fusion.ros.conversions.errors import MessageFormatError
from multimodal_fusion.ros.conversions.image import COLOR_ENCODINGS

CODECS: tuple[str, ...] = ('jpeg', 'png')
# A 1 kB file can declare a frame of gigabytes, which imdecode would allocate before it
# finds out the data is short; larger frames are refused from the header (8K UHD fits).
MAX_COMPRESSED_PIXELS = 1 << 25

_CODEC_ALIASES = {'jpeg': 'jpeg', 'jpg': 'jpeg', 'png': 'png'}
# Payload encodings that decode to 8-bit colour or grey; an rgb8 payload (not written by
# image_transport, but by some hand-made publishers) is kept in its order.
_PAYLOADS = ('', 'bgr8', 'bgra8', 'mono8', 'rgb8')
_FORMAT_RULE = ("'jpeg', 'png' or '<encoding>; jpeg|png compressed [bgr8|bgra8|mono8]' "
                f"with <encoding> one of {', '.join(COLOR_ENCODINGS)}")
_JPEG_MAGIC = b'\xff\xd8\xff'
_PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic): all but C4
# (Huffman tables), C8 (reserved) and CC (arithmetic conditioning).
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field: TEM and the restart markers.
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
_READ_FLAGS = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
# OpenCV 4.10+ decodes straight to RGB; the distros' python3-opencv (4.5, 4.6) does not.
_READ_RGB = getattr(cv2, 'IMREAD_COLOR_RGB', None)


class _Format(NamedTuple):
    codec: str
    payload_is_rgb: bool


def _parse_format(text: str) -> _Format:
    raw, sep, rest = text.partition(';')
    if not sep:
        codec = _CODEC_ALIASES.get(text.strip().lower())
        if codec is None:
            raise MessageFormatError('CompressedImage.format', _FORMAT_RULE, repr(text))
        return _Format(codec, False)
    tokens = rest.split()
    raw = raw.strip()
    codec = _CODEC_ALIASES.get(tokens[0].lower()) if tokens else None
    payload = tokens[2] if len(tokens) == 3 else ''
    if (raw not in COLOR_ENCODINGS or codec is None or len(tokens) not in (2, 3)
            or tokens[1] != 'compressed' or payload not in _PAYLOADS):
        raise MessageFormatError('CompressedImage.format', _FORMAT_RULE, repr(text))
    return _Format(codec, payload == 'rgb8')


def _declared_pixels(data: np.ndarray, codec: str) -> Optional[int]:
    """Width times height from a PNG or JPEG header, ``None`` where it cannot be read."""
    if codec == 'png':
        if data.size < 24:
            return None
        return int(data[16:20].view('>u4')[0]) * int(data[20:24].view('>u4')[0])
    i = 2
    # Walk the marker segments up to the frame header; entropy-coded data comes after it.
    while i + 4 <= data.size:
        if data[i] != 0xFF:
            return None
        marker = int(data[i + 1])
        if marker == 0xFF:
            i += 1
        elif marker in _JPEG_STANDALONE:
            i += 2
        elif marker in _JPEG_SOF:
            if i + 9 > data.size:
                return None
            height = (int(data[i + 5]) << 8) | int(data[i + 6])
            width = (int(data[i + 7]) << 8) | int(data[i + 8])
            return height * width
        elif marker == 0xDA:
            return None
        else:
            length = (int(data[i + 2]) << 8) | int(data[i + 3])
            if length < 2:
                return None
            i += 2 + length
    return None


def compressed_to_rgb(msg: CompressedImage, *,
                      max_pixels: int = MAX_COMPRESSED_PIXELS) -> np.ndarray:
    """The compressed image as the model's camera input: ``(h, w, 3)`` uint8 RGB.

    The codec is taken from the data's signature (a PNG labelled ``jpeg`` still decodes);
    EXIF orientation is ignored, as the header's frame describes the sensor.

    Args:
        msg: the image; ``format`` as image_transport writes it (see the module docstring),
            or just ``'jpeg'``/``'png'``.
        max_pixels: refuse frames whose header declares more pixels than this.

    Returns:
        A fresh C-contiguous array.

    Raises:
        MessageFormatError: ``CompressedImage.format`` for a codec other than JPEG/PNG
            (``h264``, ``compressedDepth``, ``tiff``, empty), a raw encoding outside
            ``COLOR_ENCODINGS`` (depth, 16-bit, Bayer) or a 16-bit payload;
            ``CompressedImage.data`` when the data is empty, is not a JPEG/PNG, declares
            more than ``max_pixels`` or does not decode.
    """
    fmt = _parse_format(msg.format)
    data = np.frombuffer(msg.data, dtype=np.uint8)
    expected = 'a decodable jpeg/png image'
    if data.size == 0:
        raise MessageFormatError('CompressedImage.data', expected, '0 bytes')
    head = data[:8].tobytes()
    if head.startswith(_JPEG_MAGIC):
        codec = 'jpeg'
    elif head.startswith(_PNG_MAGIC):
        codec = 'png'
    else:
        raise MessageFormatError(
            'CompressedImage.data', expected, f'{data.size} bytes starting with {head.hex()}')
    pixels = _declared_pixels(data, codec)
    if pixels is not None and pixels > max_pixels:
        raise MessageFormatError(
            'CompressedImage.data', f'{expected} of at most {max_pixels} pixels',
            f'a {codec} header declaring {pixels} pixels')
    if fmt.payload_is_rgb:
        # OpenCV hands back the matrix in the order it was compressed from.
        flags, swap = _READ_FLAGS, False
    elif _READ_RGB is not None:
        flags, swap = _READ_RGB | cv2.IMREAD_IGNORE_ORIENTATION, False
    else:
        flags, swap = _READ_FLAGS, True
    try:
        image = cv2.imdecode(data, flags)
    except cv2.error as exc:
        raise MessageFormatError(
            'CompressedImage.data', expected, f'{codec} data OpenCV refused: {exc}') from None
    if image is None:
        raise MessageFormatError(
            'CompressedImage.data', expected, f'{data.size} bytes of {codec} that do not '
            'decode')
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if swap else image


def rgb_to_compressed(
    pixels: np.ndarray,
    fmt: str = 'jpeg',
    *,
    header: Optional[Header] = None,
    quality: int = 90,
    png_level: int = 3,
) -> CompressedImage:
    """Compress pixels into a message as image_transport's ``compressed`` plugin would.

    For tests, simulators and bag writers: the ``format`` string and the payload (BGR for
    colour, grey for mono) are those a ``compressed`` republisher writes for an ``rgb8``
    or ``mono8`` image.

    Args:
        pixels: ``(h, w, 3)`` uint8 RGB, or ``(h, w)`` uint8 grey (``mono8``).
        fmt: ``'jpeg'`` or ``'png'``.
        header: stamp and frame; an empty header when omitted.
        quality: JPEG quality, 1 to 100 (image_transport's ``jpeg_quality``).
        png_level: PNG compression level, 0 to 9 (image_transport's ``png_level``).

    Raises:
        ValueError: unknown ``fmt``, pixels of the wrong shape or dtype, ``quality`` or
            ``png_level`` out of range.
    """
    if fmt not in CODECS:
        raise ValueError(f'unknown compression format {fmt!r}; expected one of {CODECS}')
    if not 1 <= quality <= 100:
        raise ValueError(f'quality must be in 1..100, got {quality}')
    if not 0 <= png_level <= 9:
        raise ValueError(f'png_level must be in 0..9, got {png_level}')
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8 or not (
            pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] == 3)):
        raise ValueError(
            f'pixels must be (h, w, 3) or (h, w) uint8, got {pixels.shape} {pixels.dtype}')
    if pixels.ndim == 3:
        raw, payload, image = 'rgb8', 'bgr8', cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    else:
        # image_transport names the mono payload for JPEG only.
        raw, payload, image = 'mono8', 'mono8' if fmt == 'jpeg' else '', pixels
    if fmt == 'jpeg':
        params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    else:
        params = [cv2.IMWRITE_PNG_COMPRESSION, int(png_level)]
    ok, encoded = cv2.imencode('.jpg' if fmt == 'jpeg' else '.png', image, params)
    if not ok:
        raise ValueError(f'OpenCV could not encode {pixels.shape} pixels as {fmt}')
    msg = CompressedImage(
        header=header if header is not None else Header(),
        format=f'{raw}; {fmt} compressed {payload}',
    )
    msg.data = array.array('B', encoded.tobytes())
    return msg
