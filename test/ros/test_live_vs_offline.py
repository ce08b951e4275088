# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Live against offline: the node's input path builds the training windows, frame by frame."""

import dataclasses

import pytest

from multimodal_fusion.ros.live_vs_offline import align
from multimodal_fusion.ros.live_vs_offline import compare
from multimodal_fusion.ros.live_vs_offline import default_node_config
from multimodal_fusion.ros.live_vs_offline import make_engine
from multimodal_fusion.ros.live_vs_offline import played_frames
from multimodal_fusion.ros.live_vs_offline import replay
from multimodal_fusion.ros.live_vs_offline import report_lines
from multimodal_fusion.ros.live_vs_offline import window_differences
from multimodal_fusion.ros.recorder import output_from_prediction
from multimodal_fusion.ros.recorder import Recording
from multimodal_fusion.ros.sim_messages import ground_truth_record
from multimodal_fusion.sim import ScenarioSimulator

SEED = 20261122
BASE = 1_800_000_000 * 1_000_000_000


@pytest.fixture(scope='module')
def engine():
    return make_engine(default_node_config())


def test_the_node_input_path_builds_the_training_windows(engine):
    # The publisher's messages through the node's conversions and synchroniser, each at
    # its stamp: every frame's windows are Episode.window's (audio to its 16-bit rounding).
    simulator = ScenarioSimulator(SEED)
    episodes = range(2)
    built = replay(simulator, episodes, default_node_config(), engine, separate=True)
    frames = played_frames(simulator, episodes, separate=True)
    assert len(built) == len(frames) > 300
    for frame in frames:
        window = frame.episode.window(frame.t).frames
        where = (frame.episode_index, frame.t)
        assert window_differences(built[frame.at_ns], window) == [], where


@pytest.mark.parametrize('latency_s, late', [
    # The sensors' messages reach the node 80 ms after the frames of the same instant: the
    # sets wait for them (sync.window_wait_s, 0.1 s) and their windows are complete.
    ({'audio': 0.08, 'touch': 0.08, 'proprio': 0.08}, None),
    # Audio 150 ms late is more than a set waits: its windows end early.
    ({'audio': 0.15}, 'audio'),
])
def test_sets_wait_a_bounded_time_for_late_sensor_messages(engine, latency_s, late):
    simulator = ScenarioSimulator(SEED)
    built = replay(simulator, range(1), default_node_config(), engine, separate=True,
                   latency_s=latency_s)
    frames = played_frames(simulator, range(1), separate=True)[::10]
    differ = [window_differences(built[f.at_ns], f.episode.window(f.t).frames)
              for f in frames]
    if late is None:
        assert differ == [[]] * len(frames)
    else:
        assert sum(d == [late] for d in differ) > len(frames) / 2


def test_back_to_back_episodes_leak_into_the_next_ones_windows(engine):
    # Why the demo separates its episodes: played back to back, the first second of an
    # episode has the previous one's sensors in its windows.
    simulator = ScenarioSimulator(SEED)
    built = replay(simulator, range(2), default_node_config(), engine, separate=False)
    second = [f for f in played_frames(simulator, range(2), separate=False)
              if f.episode_index == 1][:15]
    assert all(window_differences(built[f.at_ns], f.episode.window(f.t).frames)
               for f in second[1:])


def test_align_finds_the_frames_by_the_publishers_stamp_base():
    frames = played_frames(ScenarioSimulator(SEED), range(1), separate=True)
    stamps = [BASE + f.at_ns for f in frames[3:]]  # the first few were missed
    aligned = align(stamps, frames, BASE)
    assert [aligned[s] for s in stamps] == frames[3:]
    with pytest.raises(ValueError):
        align(stamps, frames, BASE + 1)


def test_compare_tells_live_from_offline_and_says_why(engine):
    simulator = ScenarioSimulator(SEED)
    frames = played_frames(simulator, range(1), separate=True)
    truth = {}
    for f in frames:
        truth[BASE + f.at_ns] = ground_truth_record(
            BASE + f.at_ns, f.episode.truth(f.t, f.episode.frame(f.t)))
    # A "live" run that published the offline outputs, but a wrong situation on 3 frames
    # and nothing for the last 10.
    offline = dict(zip(sorted(truth), _offline_outputs(engine, frames)))
    outputs = dict(list(offline.items())[:-10])
    stamps = sorted(outputs)[50:53]
    for s in stamps:
        wrong = 'idle' if outputs[s].situation != 'idle' else 'walking'
        outputs[s] = dataclasses.replace(outputs[s], situation=wrong)
    c = compare(Recording(outputs=outputs, truth=truth), seed=SEED, episodes=range(1),
                separate=True, stamp_base_ns=BASE, log=lambda _: None)
    assert c.frames == len(frames) - 10
    assert c.offline_all_frames['frames_with_output'] == len(frames)
    assert c.live_differs == 3 and c.replay_differs == 0 and c.unexplained == 3
    assert c.window_differences == {}
    assert c.offline['action_accuracy'] == c.live['action_accuracy']
    assert c.live['situation_accuracy'] < c.offline['situation_accuracy']
    assert c.replay == c.offline
    text = '\n'.join(report_lines(c))
    assert '| situation_accuracy |' in text and 'on 3 the replayed windows equal' in text


def _offline_outputs(engine, frames):
    names = list(engine.labels['object_classes'])
    return [output_from_prediction(BASE + f.at_ns,
                                   engine.infer(f.episode.window(f.t).frames).prediction, names)
            for f in frames]
