# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import array

from audio_common_msgs.msg import AudioData
from audio_common_msgs.msg import AudioDataStamped
from audio_common_msgs.msg import AudioInfo
import numpy as np
import pytest

from multimodal_fusion.ros.conversions import array_to_audio
from multimodal_fusion.ros.conversions import audio_to_array
from multimodal_fusion.ros.conversions import audio_to_mono
from multimodal_fusion.ros.conversions import check_audio_info
from multimodal_fusion.ros.conversions import downmix
from multimodal_fusion.ros.conversions import encode_samples
from multimodal_fusion.ros.conversions import make_audio_info
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.conversions import MessageFormatError
from multimodal_fusion.ros.conversions import SAMPLE_FORMATS

FORMATS = ('S16LE', 'S32LE', 'F32LE', 'U8')


def exact_samples(frames, channels, seed=0):
    """Samples every format represents exactly: multiples of 1/128 in [-1, 1)."""
    rng = np.random.default_rng(seed)
    return (rng.integers(-128, 128, (frames, channels)) / 128.0).astype(np.float32)


def raw_chunk(data):
    msg = AudioDataStamped()
    msg.audio.data = array.array('B', bytes(data))
    return msg


def test_table_covers_the_required_formats():
    assert set(SAMPLE_FORMATS) == set(FORMATS)


@pytest.mark.parametrize('sample_format', FORMATS)
@pytest.mark.parametrize('channels', [1, 2, 5])
def test_round_trip_through_serialization(sample_format, channels, wire):
    info = wire(make_audio_info(sample_rate=16000, channels=channels,
                                sample_format=sample_format))
    samples = exact_samples(160, channels)
    header = make_header(42_000_000_123, 'mic')
    msg = wire(array_to_audio(samples, info, header=header))
    assert msg.header == header
    assert len(msg.audio.data) == 160 * channels * np.dtype(
        SAMPLE_FORMATS[sample_format].dtype).itemsize
    out = audio_to_array(msg, info)
    assert out.shape == (160, channels) and out.dtype == np.float32
    np.testing.assert_array_equal(out, samples)
    np.testing.assert_array_equal(audio_to_array(msg.audio, info), samples)


@pytest.mark.parametrize('sample_format, step', [
    ('S16LE', 2.0**-15), ('S32LE', 2.0**-24), ('F32LE', 0.0), ('U8', 2.0**-7)])
def test_arbitrary_samples_round_to_the_nearest_code(sample_format, step, wire):
    info = make_audio_info(sample_rate=8000, sample_format=sample_format)
    samples = np.random.default_rng(1).uniform(-1, 1, 1000).astype(np.float32)
    out = audio_to_mono(wire(array_to_audio(samples, info)), info)
    # Integer formats have one code fewer above zero than below: 1.0 saturates.
    expected = np.minimum(samples, 1.0 - step) if step else samples
    np.testing.assert_allclose(out, expected, rtol=0, atol=step / 2 + 1e-7)


@pytest.mark.parametrize('sample_format, data, expected', [
    ('S16LE', np.array([0, 1, -1, 32767, -32768], '<i2').tobytes(),
     [0, 2**-15, -2**-15, 1 - 2**-15, -1]),
    ('S32LE', np.array([0, -2**31, 2**30], '<i4').tobytes(), [0, -1, 0.5]),
    ('U8', bytes([128, 0, 255, 192]), [0, -1, 127 / 128, 0.5]),
    ('F32LE', np.array([0.25, -0.5, 2.0, -3.0], '<f4').tobytes(), [0.25, -0.5, 1.0, -1.0]),
])
def test_decoding_hand_made_bytes(sample_format, data, expected, wire):
    info = make_audio_info(sample_rate=16000, sample_format=sample_format)
    out = audio_to_array(wire(raw_chunk(data)), info)
    np.testing.assert_array_equal(out, np.array(expected, np.float32)[:, None])


def test_interleaved_channels_become_columns(wire):
    info = make_audio_info(sample_rate=16000, channels=2)
    data = np.array([100, -100, 200, -200, 300, -300], '<i2').tobytes()
    out = audio_to_array(wire(raw_chunk(data)), info)
    np.testing.assert_array_equal(out * 2**15, [[100, -100], [200, -200], [300, -300]])
    np.testing.assert_array_equal(audio_to_mono(raw_chunk(data), info), np.zeros(3))


def test_downmix():
    stereo = np.array([[1.0, 0.0], [0.5, 0.25]], np.float32)
    np.testing.assert_array_equal(downmix(stereo), [0.5, 0.375])
    np.testing.assert_array_equal(downmix(stereo[:, :1]), [1.0, 0.5])
    np.testing.assert_array_equal(downmix(stereo[:, 0]), [1.0, 0.5])
    assert downmix(stereo).dtype == np.float32
    with pytest.raises(ValueError):
        downmix(np.zeros((2, 2, 2)))


def test_encoding_clips_out_of_range_samples():
    info = make_audio_info(sample_rate=16000)
    data = encode_samples(np.array([1.0, 2.0, -1.0, -5.0]), info)
    np.testing.assert_array_equal(np.frombuffer(data, '<i2'), [32767, 32767, -32768, -32768])


@pytest.mark.parametrize('samples, info_channels, match', [
    (np.zeros((4, 2)), 1, 'shape'),
    (np.zeros(4), 2, 'shape'),
    (np.array([0.0, np.nan]), 1, 'finite'),
])
def test_encoding_refuses_bad_samples(samples, info_channels, match):
    with pytest.raises(ValueError, match=match):
        encode_samples(samples, make_audio_info(sample_rate=16000, channels=info_channels))


def test_empty_chunk_gives_no_frames():
    info = make_audio_info(sample_rate=16000, channels=2)
    assert audio_to_array(raw_chunk(b''), info).shape == (0, 2)


@pytest.mark.parametrize('coding_format', ['wave', 'WAVE', 'wav', 'raw', ' pcm ', ''])
def test_pcm_coding_format_spellings_are_accepted(coding_format, wire):
    info = wire(make_audio_info(sample_rate=16000, coding_format=coding_format))
    check_audio_info(info)
    assert audio_to_array(raw_chunk(b'\x00\x00'), info).shape == (1, 1)


def info_with(**fields):
    values = {'channels': 1, 'sample_rate': 16000, 'sample_format': 'S16LE', 'bitrate': 0,
              'coding_format': 'wave'}
    values.update(fields)
    return AudioInfo(**values)


@pytest.mark.parametrize('info, data, field, expected', [
    (info_with(coding_format='mp3'), b'\x00\x00', 'AudioInfo.coding_format',
     'uncompressed PCM'),
    (info_with(coding_format='opus'), b'\x00\x00', 'AudioInfo.coding_format',
     'uncompressed PCM'),
    (info_with(channels=0), b'\x00\x00', 'AudioInfo.channels', '1 to 64'),
    (info_with(channels=65), b'\x00\x00', 'AudioInfo.channels', '1 to 64'),
    (info_with(sample_rate=0), b'\x00\x00', 'AudioInfo.sample_rate', '1000 to 384000 Hz'),
    # The audit's rates: 1 Hz resampled each 20 ms chunk to millions of samples; the others
    # were accepted silently.
    (info_with(sample_rate=1), b'\x00\x00', 'AudioInfo.sample_rate', '1000 to 384000 Hz'),
    (info_with(sample_rate=10_000_000), b'\x00\x00', 'AudioInfo.sample_rate', '384000 Hz'),
    (info_with(sample_rate=2**32 - 1), b'\x00\x00', 'AudioInfo.sample_rate', '384000 Hz'),
    # A 10 s chunk moved the stream's timeline by 10 s at once.
    (info_with(sample_rate=16000), b'\x00\x00' * 160_000, 'AudioData.data',
     'at most 1 s of audio per chunk'),
    (info_with(sample_format='S24LE'), b'\x00\x00\x00', 'AudioInfo.sample_format', 'S16LE'),
    (info_with(sample_format='s16le'), b'\x00\x00', 'AudioInfo.sample_format', 'S16LE'),
    (info_with(), b'\x00\x00\x00', 'AudioData.data', 'a multiple of 2 bytes'),
    (info_with(channels=2), b'\x00' * 6, 'AudioData.data', 'a multiple of 4 bytes'),
    (info_with(sample_format='S32LE', channels=3), b'\x00' * 8, 'AudioData.data',
     'a multiple of 12 bytes'),
    (info_with(sample_format='F32LE'), b'\x00' * 5, 'AudioData.data', 'a multiple of 4'),
    (info_with(sample_format='F32LE'), np.array([0.0, np.nan], '<f4').tobytes(),
     'AudioData.data', 'finite'),
    (info_with(sample_format='F32LE'), np.array([np.inf], '<f4').tobytes(),
     'AudioData.data', 'finite'),
])
def test_malformed_audio_is_rejected(info, data, field, expected, wire):
    info, msg = wire(info), wire(raw_chunk(data))
    for convert in (audio_to_array, audio_to_mono):
        with pytest.raises(MessageFormatError) as raised:
            convert(msg, info)
        assert raised.value.field == field
        assert str(raised.value).startswith(field + ': expected')
        assert expected in raised.value.expected


def test_unstamped_audio_data_is_accepted():
    info = make_audio_info(sample_rate=16000)
    msg = AudioData()
    msg.data = array.array('B', np.array([16384], '<i2').tobytes())
    np.testing.assert_array_equal(audio_to_array(msg, info), [[0.5]])


def test_make_audio_info_refuses_what_it_cannot_decode():
    with pytest.raises(MessageFormatError, match='AudioInfo.coding_format'):
        make_audio_info(sample_rate=16000, coding_format='mp3')
