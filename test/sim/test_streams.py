# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Episode streams: samples are exact windows of them, at the spec's rates."""

import numpy as np
import pytest

from multimodal_fusion.sim import SITUATIONS
from multimodal_fusion.sim.vocab import UNLABELLED


def _slice(stream, first_stamp, rate, t, count):
    end = int(np.floor(t * rate + 1e-6)) - int(round(first_stamp * rate))
    return stream[end - count + 1:end + 1]


@pytest.mark.parametrize('index', range(len(SITUATIONS)))
def test_sample_is_a_window_of_the_streams(simulator, index):
    episode = simulator.episode(index)
    streams = episode.streams()
    sample = simulator.sample(index)
    t = sample.stamp
    assert t == episode.anchor
    np.testing.assert_array_equal(
        _slice(streams.audio, streams.audio_start, streams.audio_rate, t, 16000),
        sample.frames.audio)
    np.testing.assert_allclose(
        _slice(streams.touch, streams.touch_stamps[0], 200, t, 100), sample.frames.touch,
        rtol=0, atol=1e-5)
    np.testing.assert_allclose(
        _slice(streams.proprio, streams.proprio_stamps[0], 100, t, 100), sample.frames.proprio,
        rtol=0, atol=1e-5)
    frame = episode.frame(t)
    np.testing.assert_array_equal(frame.image, sample.frames.camera)
    at_anchor = np.flatnonzero(np.isclose(streams.camera_stamps, t))
    assert at_anchor.size == 1
    assert streams.situations[at_anchor[0]] == sample.truth.situation == index


def test_stream_clocks_follow_the_spec(simulator):
    episode = simulator.episode(12)
    streams = episode.streams()
    assert streams.audio_rate == 16000
    for stamps, rate in ((streams.touch_stamps, 200.0), (streams.proprio_stamps, 100.0),
                         (streams.camera_stamps, 30.0)):
        np.testing.assert_allclose(np.diff(stamps), 1.0 / rate)
        assert stamps[-1] <= episode.duration + 1e-9
    duration = streams.camera_stamps[-1] - streams.camera_stamps[0]
    assert abs(streams.audio.size / 16000 - duration) < 0.1
    assert streams.touch.shape == (streams.touch_stamps.size, 12)
    assert streams.proprio.shape == (streams.proprio_stamps.size, 44)
    assert 5.0 <= episode.duration <= 8.0
    # A command is published once, when its speech ends.
    if episode.plan.command is not None:
        (stamp, text), = streams.text_events
        assert stamp == episode.plan.command_end and text == episode.plan.recognised
        onset, end = streams.command_speech
        assert streams.audio_start < onset < end == stamp
    else:
        assert streams.text_events == () and streams.command_speech is None


def test_streams_are_mostly_labelled_and_frames_render(simulator):
    episode = simulator.episode(3)
    streams = episode.streams()
    labelled = streams.situations != UNLABELLED
    assert labelled.mean() > 0.5
    frames = episode.camera_frames()
    for _ in range(3):
        t, frame, truth = next(frames)
        assert frame.image.shape == (240, 320, 3)
        assert truth.boxes.shape == frame.boxes.shape
