# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The publisher's timeline (as the bags hold it, or with separated episodes) and frame sizes."""

import collections
import json

import numpy as np

from multimodal_fusion.ros.conversions import image_to_rgb
from multimodal_fusion.ros.sim_messages import CAMERA_TOPIC
from multimodal_fusion.ros.sim_messages import SimMessages
from multimodal_fusion.ros.sim_messages import timeline
from multimodal_fusion.ros.sim_publisher import common_period_ns
from multimodal_fusion.ros.sim_publisher import lead_in_s
from multimodal_fusion.ros.sim_publisher import playback_timeline
from multimodal_fusion.ros.sim_publisher import read_stamp_base
from multimodal_fusion.ros.sim_publisher import total_duration_s
from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.spec import DEFAULT_SPEC

SEED = 20261122
EPISODES = range(3)
S = 1_000_000_000


def test_without_separation_the_timeline_is_the_bags():
    simulator = ScenarioSimulator(SEED)
    plain = [(e.at_ns, e.kind) for e in timeline(simulator, EPISODES)]
    played = [(e.at_ns, e.kind) for e in playback_timeline(simulator, EPISODES)]
    assert played == plain


def test_separated_episodes_keep_every_clock_and_let_the_last_command_age_out():
    simulator = ScenarioSimulator(SEED)
    events = list(playback_timeline(simulator, EPISODES, separate=True))
    by_kind = collections.defaultdict(list)
    for event in events:
        by_kind[event.kind].append(event.at_ns)
    # In time order, every stream in stamp order.
    assert [e.at_ns for e in events] == sorted(e.at_ns for e in events)
    # Each stream stays on its own clock across the episodes (a robot's sensors do): every
    # stamp a whole number of periods from the first, the audio in whole 20 ms chunks.
    for kind, period_ns in (('camera', S / 30), ('touch', S / 200), ('proprio', S / 100),
                            ('audio', S / 50)):
        steps = (np.array(by_kind[kind]) - by_kind[kind][0]) / period_ns
        np.testing.assert_allclose(steps, np.round(steps), atol=1e-5)
    assert common_period_ns(DEFAULT_SPEC) == S // 10
    # Before each episode's first frame, its own sensors ran for at least the longest
    # window, so no frame's windows hold the previous episode; a command of the previous
    # episode is too old by then.
    episodes = collections.OrderedDict()
    for event in events:
        episodes.setdefault(id(event.episode), []).append(event)
    texts = []
    for own in episodes.values():
        first_frame = next(e.at_ns for e in own if e.kind == 'camera')
        sensors = [e.at_ns for e in own if e.kind in ('audio', 'touch', 'proprio')]
        longest = max(DEFAULT_SPEC.audio.window_s, DEFAULT_SPEC.touch.window_s,
                      DEFAULT_SPEC.proprio.window_s)
        assert first_frame - min(sensors) >= S * longest
        for stamp in texts:
            assert first_frame - stamp > DEFAULT_SPEC.text.max_age_s * S
        texts = [e.at_ns for e in own if e.kind == 'text']
    # The last frame of an episode has the audio of its instant (a chunk past the last
    # whole one).
    for own in episodes.values():
        last_frame = max(e.at_ns for e in own if e.kind == 'camera')
        assert max(e.at_ns for e in own if e.kind == 'audio') + S // 50 > last_frame
    assert total_duration_s(SEED, len(EPISODES), separate=True) * S >= events[-1].at_ns - S


def test_the_stamp_base_is_read_back_from_the_log():
    assert read_stamp_base('x\n[sim_publisher] stamp base (ns): 1234\ny') == 1234
    assert read_stamp_base('nothing') is None


def test_lead_in_is_the_longest_window_or_until_the_command_is_too_old():
    window = max(DEFAULT_SPEC.audio.window_s, DEFAULT_SPEC.proprio.window_s)
    assert window < lead_in_s(DEFAULT_SPEC) < window + 0.5
    assert lead_in_s(DEFAULT_SPEC, [10.0]) == lead_in_s(DEFAULT_SPEC)
    # Said 1 s before the previous episode ended: current for 3 s more, then a margin.
    assert 3.0 < lead_in_s(DEFAULT_SPEC, [1.0]) < 3.5


def test_frames_resized_for_a_larger_camera_keep_their_ground_truth_on_the_objects():
    simulator = ScenarioSimulator(3)
    event = next(e for e in timeline(simulator, [0]) if e.kind == 'camera')
    (_, small), (_, small_truth) = SimMessages().build(event, 5)
    (topic, big), (_, big_truth) = SimMessages(image_size=(1280, 720)).build(event, 5)
    assert topic == CAMERA_TOPIC and (big.width, big.height) == (1280, 720)
    rgb = image_to_rgb(big)
    assert rgb.shape == (720, 1280, 3)
    sx, sy = 1280 / small.width, 720 / small.height
    boxes = np.array(json.loads(small_truth.data)['boxes']).reshape(-1, 4)
    scaled = np.array(json.loads(big_truth.data)['boxes']).reshape(-1, 4)
    np.testing.assert_allclose(scaled, boxes * [sx, sy, sx, sy])
    # The resized frame is the rendered one, larger: its mean colour barely moves.
    np.testing.assert_allclose(rgb.mean(axis=(0, 1)), image_to_rgb(small).mean(axis=(0, 1)),
                               atol=2.0)
