# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""``audio_common_msgs/AudioDataStamped`` (+ ``AudioInfo``) to and from float samples.

Shape legend: ``n`` frames (one sample per channel), ``c`` channels.

Samples are float32 in [-1, 1] with channels as columns, ``(n, c)``, whatever the wire
format; ``downmix`` turns them into the mono signal the model reads. Only uncompressed PCM
is understood: upstream audio_common publishes ``coding_format='wave'`` with
``sample_format='S16LE'``; compressed streams (``'mp3'``...) are refused, not guessed at.
"""

from __future__ import annotations

import array
from typing import NamedTuple
from typing import Optional
from typing import Union

from audio_common_msgs.msg import AudioData
from audio_common_msgs.msg import AudioDataStamped
from audio_common_msgs.msg import AudioInfo
import numpy as np
from std_msgs.msg import Header

from multimodal_fusion.ros.conversions.errors import MessageFormatError


class _SampleFormat(NamedTuple):
    dtype: np.dtype
    # Integer formats map [-scale, scale) around ``offset`` onto [-1, 1); floats have 0.
    scale: float
    offset: float


SAMPLE_FORMATS: dict[str, _SampleFormat] = {
    'S16LE': _SampleFormat(np.dtype('<i2'), 2.0**15, 0.0),
    'S32LE': _SampleFormat(np.dtype('<i4'), 2.0**31, 0.0),
    'F32LE': _SampleFormat(np.dtype('<f4'), 0.0, 0.0),
    'U8': _SampleFormat(np.dtype('u1'), 2.0**7, 2.0**7),
}
# Ranges a real audio stream falls in. Outside them the description is a driver fault: a
# 1 Hz "rate" would resample every 20 ms chunk to millions of samples on the executor
# thread, and a multi-second chunk would move the stream's timeline by seconds at once.
SAMPLE_RATE_RANGE_HZ: tuple[int, int] = (1000, 384000)
MAX_CHANNELS = 64
MAX_CHUNK_S = 1.0
# Values of ``AudioInfo.coding_format`` that mean raw PCM in practice (compared lower-case,
# stripped); drivers disagree on the spelling, and an empty string is common.
PCM_CODING_FORMATS: tuple[str, ...] = ('', 'wave', 'wav', 'raw', 'pcm')


def check_audio_info(info: AudioInfo) -> None:
    """Make sure a stream description is one this module can decode.

    Raises:
        MessageFormatError: ``channels`` outside 1..``MAX_CHANNELS``, ``sample_rate``
            outside ``SAMPLE_RATE_RANGE_HZ``, ``sample_format`` not in ``SAMPLE_FORMATS``,
            ``coding_format`` not in ``PCM_CODING_FORMATS``.
    """
    if not 1 <= info.channels <= MAX_CHANNELS:
        raise MessageFormatError('AudioInfo.channels', f'1 to {MAX_CHANNELS}', info.channels)
    low, high = SAMPLE_RATE_RANGE_HZ
    if not low <= info.sample_rate <= high:
        raise MessageFormatError('AudioInfo.sample_rate', f'{low} to {high} Hz',
                                 info.sample_rate)
    if info.sample_format not in SAMPLE_FORMATS:
        raise MessageFormatError(
            'AudioInfo.sample_format', 'one of ' + ', '.join(SAMPLE_FORMATS),
            repr(info.sample_format))
    if info.coding_format.strip().lower() not in PCM_CODING_FORMATS:
        raise MessageFormatError(
            'AudioInfo.coding_format',
            'uncompressed PCM (audio_capture: format:=wave): one of '
            + ', '.join(repr(f) for f in PCM_CODING_FORMATS),
            repr(info.coding_format))


def make_audio_info(
    *,
    sample_rate: int,
    channels: int = 1,
    sample_format: str = 'S16LE',
    coding_format: str = 'wave',
    bitrate: int = 0,
) -> AudioInfo:
    """An ``AudioInfo`` describing a PCM stream, as audio_common's capture node sends it.

    Raises:
        MessageFormatError: a description ``check_audio_info`` would refuse.
    """
    info = AudioInfo(
        channels=int(channels),
        sample_rate=int(sample_rate),
        sample_format=sample_format,
        bitrate=int(bitrate),
        coding_format=coding_format,
    )
    check_audio_info(info)
    return info


def audio_to_array(msg: Union[AudioDataStamped, AudioData], info: AudioInfo) -> np.ndarray:
    """Decode one audio chunk to float samples.

    Args:
        msg: the chunk, stamped or not.
        info: the stream description the chunk belongs to.

    Returns:
        ``(n, c)`` float32 in [-1, 1], a fresh array. Integer formats are scaled by their
        full range (S16LE by 2**15, S32LE by 2**31, U8 around 128); F32LE is clipped to
        [-1, 1], as a DAC would.

    Raises:
        MessageFormatError: any ``check_audio_info`` error; ``AudioData.data`` not a whole
            number of frames or longer than ``MAX_CHUNK_S``; non-finite F32LE samples.
    """
    check_audio_info(info)
    fmt = SAMPLE_FORMATS[info.sample_format]
    data = msg.audio.data if hasattr(msg, 'audio') else msg.data
    raw = np.frombuffer(data, dtype=np.uint8)
    frame_bytes = fmt.dtype.itemsize * info.channels
    if raw.size % frame_bytes:
        raise MessageFormatError(
            'AudioData.data',
            f'a multiple of {frame_bytes} bytes ({info.channels} channel(s) of '
            f'{info.sample_format})',
            f'{raw.size} bytes')
    frames = raw.size // frame_bytes
    if frames > MAX_CHUNK_S * info.sample_rate:
        raise MessageFormatError(
            'AudioData.data', f'at most {MAX_CHUNK_S:g} s of audio per chunk',
            f'{frames / info.sample_rate:.2f} s ({frames} frames at {info.sample_rate} Hz)')
    values = raw.view(fmt.dtype).reshape(-1, info.channels)
    if fmt.scale == 0.0:
        samples = values.astype(np.float32)
        if not np.isfinite(samples).all():
            raise MessageFormatError('AudioData.data', 'finite F32LE samples', 'NaN or Inf')
        return np.clip(samples, -1.0, 1.0, out=samples)
    samples = values.astype(np.float32)
    if fmt.offset:
        samples -= np.float32(fmt.offset)
    # A power-of-two scale keeps int16/uint8 samples exact in float32.
    samples *= np.float32(1.0 / fmt.scale)
    return samples


def downmix(samples: np.ndarray) -> np.ndarray:
    """Average the channels of ``(n, c)`` samples into ``(n,)`` float32 mono.

    A ``(n,)`` input is returned as float32 unchanged.
    """
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        return samples
    if samples.ndim != 2:
        raise ValueError(f'expected (n,) or (n, c) samples, got shape {samples.shape}')
    if samples.shape[1] == 1:
        return samples[:, 0].copy()
    return samples.mean(axis=1, dtype=np.float32)


def audio_to_mono(msg: Union[AudioDataStamped, AudioData], info: AudioInfo) -> np.ndarray:
    """``downmix(audio_to_array(msg, info))``: ``(n,)`` float32 in [-1, 1]."""
    return downmix(audio_to_array(msg, info))


def encode_samples(samples: np.ndarray, info: AudioInfo) -> bytes:
    """Float samples as the bytes of ``AudioData.data`` in ``info``'s format.

    Args:
        samples: ``(n, c)`` with ``c == info.channels``, or ``(n,)`` for mono; values are
            clipped to [-1, 1] and integer formats round to the nearest code.

    Raises:
        MessageFormatError: ``info`` is not decodable (see ``check_audio_info``).
        ValueError: samples of the wrong shape or not finite.
    """
    check_audio_info(info)
    fmt = SAMPLE_FORMATS[info.sample_format]
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim == 1 and info.channels == 1:
        samples = samples[:, None]
    if samples.ndim != 2 or samples.shape[1] != info.channels:
        raise ValueError(
            f'expected samples of shape (n, {info.channels}), got {samples.shape}')
    if not np.isfinite(samples).all():
        raise ValueError('audio samples must be finite')
    samples = np.clip(samples, -1.0, 1.0)
    if fmt.scale == 0.0:
        values = samples.astype(fmt.dtype)
    else:
        info_range = np.iinfo(fmt.dtype)
        codes = np.round(samples * fmt.scale + fmt.offset)
        values = np.clip(codes, info_range.min, info_range.max).astype(fmt.dtype)
    return values.tobytes()


def array_to_audio(
    samples: np.ndarray,
    info: AudioInfo,
    *,
    header: Optional[Header] = None,
) -> AudioDataStamped:
    """Build an ``AudioDataStamped`` chunk (simulators, bag writers, tests).

    Args:
        samples: as for ``encode_samples``.
        info: the stream description; the message does not carry it, so publish it too.
        header: stamp and frame of the chunk; empty when omitted.

    Raises:
        MessageFormatError: ``info`` is not decodable.
        ValueError: samples of the wrong shape or not finite.
    """
    msg = AudioDataStamped(header=header if header is not None else Header())
    msg.audio.data = array.array('B', encode_samples(samples, info))
    return msg
