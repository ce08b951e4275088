# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""LabelSet: the per-frame lookup and the checks of labels built in code."""

import pickle

import pytest

from multimodal_fusion.labels import Box
from multimodal_fusion.labels import FrameBoxes
from multimodal_fusion.labels import Interval
from multimodal_fusion.labels import LabelError
from multimodal_fusion.labels import LabelNames
from multimodal_fusion.labels import LabelSet
from multimodal_fusion.labels import Referred
from multimodal_fusion.labels import TimeRange

S = 1_000_000_000
NAMES = LabelNames(situations=('idle', 'holding'), actions=('none', 'fetch'),
                   object_classes=('mug', 'person'))
MUG = Box('mug', (10.0, 20.0, 30.0, 40.0), object_id='m')


def _labels(*intervals, time_range=None):
    return LabelSet(NAMES, intervals, source='made.yaml', time_range=time_range)


def test_lookup_includes_the_start_and_excludes_the_end():
    labels = _labels(Interval(5 * S, 7 * S, 'holding', 'fetch'), Interval(2 * S, 5 * S, 'idle'))
    assert [i.start_ns for i in labels.intervals] == [2 * S, 5 * S]
    assert labels.at(2 * S - 1) is None
    assert labels.at(2 * S).situation == 'idle'
    assert labels.at(2 * S).action is None
    assert labels.at(5 * S - 1).situation == 'idle'
    frame = labels.at(5 * S)
    assert (frame.situation, frame.action, frame.stamp_ns) == ('holding', 'fetch', 5 * S)
    assert labels.at(7 * S - 1).situation == 'holding'
    assert labels.at(7 * S) is None
    assert labels.interval_at(6 * S) is labels.intervals[1]


def test_boxes_and_the_referred_box_belong_to_the_nearest_frame_within_tolerance():
    frames = (FrameBoxes(1 * S, (MUG, Box('person', (0, 0, 5, 5)))),
              FrameBoxes(1 * S + S // 30, ()),
              FrameBoxes(2 * S, (Box('mug', (11, 21, 31, 41), object_id='m'),)))
    by_id = Interval(1 * S, 3 * S, 'holding', 'fetch', Referred(object_id='m'), frames)
    at_stamp = Interval(3 * S, 4 * S, 'holding', 'fetch',
                        Referred(stamp_ns=3 * S + S // 2, box=(1, 2, 3, 4)))
    labels = _labels(by_id, at_stamp)
    assert labels.at(1 * S).boxes == frames[0].boxes
    assert labels.at(1 * S).referred_box == MUG.box
    # 0.4 ms off a listed frame: still that frame; 2 ms off: boxes unlabelled.
    assert labels.at(2 * S + 400_000).referred_box == (11, 21, 31, 41)
    assert labels.at(2 * S + 2_000_000).boxes is None
    assert labels.at(2 * S + 2_000_000, tolerance_ns=3_000_000).boxes == frames[2].boxes
    # An empty list says nothing is in view, which is not unlabelled.
    nothing = labels.at(1 * S + S // 30)
    assert nothing.boxes == () and nothing.referred_box is None
    assert labels.at(3 * S + S // 2).referred_box == (1, 2, 3, 4)
    assert labels.at(3 * S).referred_box is None
    assert labels.at(3 * S).referred == at_stamp.referred


@pytest.mark.parametrize('intervals, time_range, reason', [
    ([Interval(0, S, 'idle'), Interval(S // 2, 2 * S, 'holding')], None, 'overlaps'),
    ([Interval(S, S, 'idle')], None, 'is not after start'),
    ([Interval(0, S, 'idel')], None, "unknown situation 'idel'"),
    ([Interval(0, S, 'idle', 'stop')], None, "unknown action 'stop'"),
    ([Interval(0, S, 'idle', frames=(FrameBoxes(0, (Box('cup', (0, 0, 1, 1)),)),))], None,
     "unknown object class 'cup'"),
    ([Interval(0, S, 'idle', frames=(FrameBoxes(0, (Box('mug', (2, 0, 1, 1)),)),))], None,
     'x1 > x0'),
    ([Interval(0, S, 'idle', frames=(FrameBoxes(S, ()),))], None, 'outside its interval'),
    ([Interval(0, S, 'idle', frames=(FrameBoxes(5, ()), FrameBoxes(2, ())))], None,
     'repeats or goes back'),
    ([Interval(0, S, 'idle', frames=(FrameBoxes(0, (MUG, MUG)),))], None, "'m' twice"),
    ([Interval(0, S, 'idle', referred=Referred())], None, 'give an object id'),
    ([Interval(0, S, 'idle', referred=Referred(stamp_ns=0))], None, 'a stamp needs a box'),
    ([Interval(S, 2 * S, 'idle')], TimeRange(S + 1, 3 * S), 'outside the bag'),
    ([Interval(S, 3 * S + 1, 'idle')], TimeRange(S, 3 * S), 'after the end of the bag'),
])
def test_labels_built_in_code_are_checked_too(intervals, time_range, reason):
    with pytest.raises(LabelError) as exc:
        _labels(*intervals, time_range=time_range)
    assert reason in exc.value.reason
    assert exc.value.file == 'made.yaml' and exc.value.line is None
    assert str(exc.value) == f'made.yaml: {exc.value.reason}'


def test_names_are_checked_and_map_to_output_indices():
    with pytest.raises(LabelError, match='declared twice'):
        LabelSet(LabelNames(('a', 'b', 'a')), [])
    with pytest.raises(LabelError, match='at least one situation'):
        LabelSet(LabelNames(()), [])
    with pytest.raises(LabelError, match='not a non-empty word'):
        LabelSet(LabelNames(('a', ' b')), [])
    labels = _labels()
    assert labels.situation_index('holding') == 1 and labels.action_index('fetch') == 1
    assert NAMES.as_dict() == {'situations': ['idle', 'holding'], 'actions': ['none', 'fetch'],
                               'object_classes': ['mug', 'person']}


def test_label_error_carries_file_line_and_reason_and_pickles():
    error = LabelError('a.yaml', 3, 'bad')
    assert (error.file, error.line, error.reason, str(error)) == ('a.yaml', 3, 'bad',
                                                                  'a.yaml:3: bad')
    assert isinstance(error, ValueError)
    again = pickle.loads(pickle.dumps(error))
    assert (again.file, again.line, again.reason) == ('a.yaml', 3, 'bad')
    with pytest.raises(ValueError, match='expected start < end'):
        TimeRange(5, 5)


def test_names_and_frames_given_as_lists_compare_as_tuples():
    assert LabelNames(['idle', 'holding'], ['none']) == LabelNames(('idle', 'holding'), ('none',))
    frames = [FrameBoxes(0, (MUG,))]
    assert Interval(0, S, 'idle', frames=frames) == Interval(0, S, 'idle', frames=tuple(frames))


def test_boxes_from_a_script_may_be_lists_of_numpy_numbers():
    np = pytest.importorskip('numpy')
    box = Box('mug', np.array([1, 2, 3, 4], dtype=np.float32).tolist())
    scalar = Box('mug', [np.float32(1), np.float32(2), np.float32(3), np.float32(4)])
    labels = _labels(Interval(0, S, 'idle', referred=Referred(stamp_ns=0, box=[1, 2, 3, 4]),
                              frames=[FrameBoxes(0, [box, scalar])]))
    assert labels.at(0).boxes == (Box('mug', (1, 2, 3, 4)), Box('mug', (1, 2, 3, 4)))
    assert labels.at(0).referred_box == (1, 2, 3, 4)
    assert hash(labels.intervals[0]) == hash(labels.intervals[0])
