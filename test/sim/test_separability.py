# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""No single modality tells the situation; all of them together do.

A quick stand-in for the trained fusion model: hand-made per-modality features and a
gradient-boosted classifier. The camera is summarised by what it shows (is a person visible
and how large, how tilted and blurred the view is, a coarse thumbnail), the other sensors by
simple statistics. The thresholds mirror the model's acceptance test with margin.
"""

import numpy as np
import pytest

from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim import SITUATIONS
from multimodal_fusion.sim.proprio import camera_motion
from multimodal_fusion.sim.speech import CONFUSIONS
from multimodal_fusion.sim.speech import grammar_vocabulary
from multimodal_fusion.sim.vocab import PERSON_CLASS

ensemble = pytest.importorskip('sklearn.ensemble')
metrics = pytest.importorskip('sklearn.metrics')

pytestmark = pytest.mark.slow
_PER_SITUATION = 150
_WORDS = sorted(grammar_vocabulary() | set(CONFUSIONS.values()))
_FFT = 512
# Log-spaced bands over FFT bins 2..256 (62 Hz to 8 kHz), each at least one bin wide.
_EDGES = np.unique(np.geomspace(2, _FFT // 2 + 1, 33).astype(int))


def _audio(audio):
    frames = np.lib.stride_tricks.sliding_window_view(audio, _FFT)[::256] * np.hanning(_FFT)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    bands = np.stack([power[:, lo:hi].mean(1) for lo, hi in zip(_EDGES[:-1], _EDGES[1:])],
                     axis=1)
    log = np.log(bands + 1e-10)
    return np.concatenate([np.concatenate([part.mean(0), part.max(0)])
                           for part in np.array_split(log, 2)])


def _text(text):
    counts = np.zeros(len(_WORDS) + 1)
    if text is not None:
        counts[-1] = 1
        for word in text.split():
            if word in _WORDS:
                counts[_WORDS.index(word)] += 1
    return counts


def _series(x):
    d = np.diff(x, axis=0)
    return np.concatenate([x.mean(0), x.std(0), x[-10:].mean(0) - x[:10].mean(0),
                           np.abs(d).max(0), np.abs(np.diff(d, axis=0)).mean(0)])


def _camera(sample, episode):
    truth = sample.truth
    person = truth.classes == PERSON_CLASS
    area = 0.0
    if person.any():
        box = truth.boxes[person][0]
        area = (box[2] - box[0]) * (box[3] - box[1]) / truth.boxes.max() ** 2
    motion = camera_motion(episode.plan.motion, sample.stamp)
    h, w = sample.frames.camera.shape[:2]
    thumb = sample.frames.camera.reshape(3, h // 3, 4, w // 4, 3).mean((1, 3)).ravel() / 255
    return np.concatenate([[person.any(), area, abs(motion.roll_deg), motion.blur,
                            len(truth.boxes)], thumb])


def test_each_single_modality_is_clearly_worse_than_all(sim_config):
    simulator = ScenarioSimulator(101, sim_config)
    features = {m: [] for m in ('camera', 'audio', 'text', 'touch', 'proprio')}
    labels = []
    for i in range(_PER_SITUATION * len(SITUATIONS)):
        episode = simulator.episode(i)
        sample = episode.window(episode.anchor, i)
        features['camera'].append(_camera(sample, episode))
        features['audio'].append(_audio(sample.frames.audio))
        features['text'].append(_text(sample.frames.text))
        features['touch'].append(_series(sample.frames.touch))
        features['proprio'].append(_series(sample.frames.proprio))
        labels.append(sample.truth.situation)
    labels = np.array(labels)
    train = np.arange(labels.size) < int(0.75 * labels.size)

    def score(x):
        model = ensemble.HistGradientBoostingClassifier(max_iter=50, max_leaf_nodes=15,
                                                        early_stopping=False, random_state=0)
        model.fit(x[train], labels[train])
        return metrics.f1_score(labels[~train], model.predict(x[~train]), average='macro')
    arrays = {m: np.asarray(v) for m, v in features.items()}
    together = score(np.concatenate(list(arrays.values()), axis=1))
    alone = {m: score(x) for m, x in arrays.items()}
    print(f'\nsituation macro-F1: all {together:.3f}; ' +
          ', '.join(f'{m} {f:.3f}' for m, f in alone.items()))
    assert together >= 0.9
    for modality, f1 in alone.items():
        assert f1 <= together - 0.2, modality
