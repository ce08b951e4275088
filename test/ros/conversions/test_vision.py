# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest
from vision_msgs.msg import Detection2D
from vision_msgs.msg import LabelInfo
from vision_msgs.msg import ObjectHypothesis
from vision_msgs.msg import ObjectHypothesisWithPose
from vision_msgs.msg import VisionClass

from multimodal_fusion.ros.conversions import classification_from_msg
from multimodal_fusion.ros.conversions import classification_to_msg
from multimodal_fusion.ros.conversions import detections_from_msg
from multimodal_fusion.ros.conversions import detections_to_msg
from multimodal_fusion.ros.conversions import label_info_from_msg
from multimodal_fusion.ros.conversions import label_info_to_msg
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.conversions import MessageFormatError
from multimodal_fusion.ros.conversions import REFERRED_ID
from multimodal_fusion.ros.conversions import to_cxcywh
from multimodal_fusion.ros.conversions import to_xyxy

XYXY = np.array([[10.0, 20.0, 50.0, 80.0], [0.0, 0.0, 640.0, 480.0], [5.5, 6.5, 7.5, 8.5]])
CXCYWH = np.array([[30.0, 50.0, 40.0, 60.0], [320.0, 240.0, 640.0, 480.0],
                   [6.5, 7.5, 2.0, 2.0]])
LABELS = ['cup', 'table', 'apple']
SCORES = np.array([0.9, 0.75, 0.125])


def test_box_layouts_convert_both_ways():
    np.testing.assert_array_equal(to_cxcywh(XYXY), CXCYWH)
    np.testing.assert_array_equal(to_xyxy(CXCYWH), XYXY)


@pytest.mark.parametrize('box_format, boxes', [('xyxy', XYXY), ('cxcywh', CXCYWH)])
@pytest.mark.parametrize('referred_index', [None, 0, 2])
def test_detections_round_trip(box_format, boxes, referred_index, wire):
    header = make_header(99_000_000_001, 'head_camera_optical')
    msg = wire(detections_to_msg(boxes, LABELS, SCORES, header=header,
                                 referred_index=referred_index, box_format=box_format))
    assert msg.header == header
    assert all(det.header == header for det in msg.detections)
    first = msg.detections[0]
    assert (first.bbox.center.position.x, first.bbox.center.position.y,
            first.bbox.size_x, first.bbox.size_y, first.bbox.center.theta) == \
        (30.0, 50.0, 40.0, 60.0, 0.0)
    assert first.results[0].hypothesis.class_id == 'cup'
    ids = [det.id for det in msg.detections]
    expected_ids = ['0', '1', '2']
    if referred_index is not None:
        expected_ids[referred_index] = REFERRED_ID
    assert ids == expected_ids
    for layout, expected in (('xyxy', XYXY), ('cxcywh', CXCYWH)):
        out = detections_from_msg(msg, box_format=layout)
        np.testing.assert_array_equal(out.boxes, expected)
        assert out.class_ids == LABELS
        np.testing.assert_array_equal(out.scores, SCORES)
        assert out.ids == expected_ids
        assert out.referred_index == referred_index


def test_custom_ids_keep_their_value_except_the_referred_one(wire):
    msg = wire(detections_to_msg(XYXY, LABELS, SCORES, ids=['t7', 't8', 't9'],
                                 referred_index=1))
    assert [det.id for det in msg.detections] == ['t7', REFERRED_ID, 't9']


def test_no_detections(wire):
    msg = wire(detections_to_msg(np.zeros((0, 4)), [], np.zeros(0)))
    assert len(msg.detections) == 0
    out = detections_from_msg(msg)
    assert out.boxes.shape == (0, 4) and out.scores.shape == (0,)
    assert out.referred_index is None
    assert len(detections_to_msg([], [], []).detections) == 0


@pytest.mark.parametrize('kwargs, match', [
    ({'boxes': XYXY[:2]}, 'boxes'),
    ({'scores': SCORES[:2]}, 'scores'),
    ({'boxes': np.where(XYXY == 50.0, np.nan, XYXY)}, 'finite'),
    ({'scores': np.array([0.1, np.inf, 0.2])}, 'finite'),
    ({'boxes': XYXY[:, [2, 1, 0, 3]]}, 'negative'),
    ({'ids': ['a', 'b']}, 'ids'),
    ({'ids': ['a', REFERRED_ID, 'b']}, 'reserved'),
    ({'referred_index': 3}, 'referred_index'),
    ({'box_format': 'xywh'}, 'box_format'),
])
def test_detections_to_msg_refuses_bad_input(kwargs, match):
    args = {'boxes': XYXY, 'class_ids': LABELS, 'scores': SCORES}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        detections_to_msg(**args)


def test_best_hypothesis_wins(wire):
    msg = detections_to_msg(XYXY[:1], ['cup'], [0.5])
    msg.detections[0].results.append(ObjectHypothesisWithPose(
        hypothesis=ObjectHypothesis(class_id='mug', score=0.8)))
    out = detections_from_msg(wire(msg))
    assert out.class_ids == ['mug'] and out.scores.tolist() == [0.8]


def break_first(change):
    msg = detections_to_msg(XYXY, LABELS, SCORES, referred_index=0)
    change(msg.detections[0])
    return msg


def two_referred():
    msg = detections_to_msg(XYXY, LABELS, SCORES, referred_index=0)
    msg.detections.append(Detection2D(id=REFERRED_ID, results=[ObjectHypothesisWithPose()]))
    return msg


@pytest.mark.parametrize('msg, field, expected', [
    (break_first(lambda d: d.results.clear()), 'Detection2D.results',
     'at least one hypothesis'),
    (break_first(lambda d: setattr(d.bbox, 'size_x', -1.0)), 'Detection2D.bbox',
     'size_x and size_y >= 0'),
    (break_first(lambda d: setattr(d.bbox, 'size_y', float('nan'))), 'Detection2D.bbox',
     'finite values'),
    (break_first(lambda d: setattr(d.bbox.center, 'theta', 0.3)),
     'Detection2D.bbox.center.theta', '0 (axis-aligned box)'),
    (break_first(lambda d: setattr(d.results[0].hypothesis, 'score', float('nan'))),
     'ObjectHypothesis.score', 'a finite score'),
    (two_referred(), 'Detection2D.id', f'at most one {REFERRED_ID!r}'),
])
def test_malformed_detections_are_rejected(msg, field, expected, wire):
    with pytest.raises(MessageFormatError) as info:
        detections_from_msg(wire(msg))
    assert info.value.field == field
    assert str(info.value).startswith(field + ': expected')
    assert expected in info.value.expected


def test_classification_round_trip(wire):
    header = make_header(1, 'cam')
    msg = wire(classification_to_msg(LABELS, SCORES, header=header))
    assert msg.header == header
    assert [(r.class_id, r.score) for r in msg.results] == list(zip(LABELS, SCORES))
    labels, scores = classification_from_msg(msg)
    assert labels == LABELS
    np.testing.assert_array_equal(scores, SCORES)
    with pytest.raises(ValueError):
        classification_to_msg(LABELS, SCORES[:2])


def test_classification_with_non_finite_score_is_rejected(wire):
    msg = classification_to_msg(LABELS, SCORES)
    msg.results[1].score = float('inf')
    with pytest.raises(MessageFormatError, match='ObjectHypothesis.score'):
        classification_from_msg(wire(msg))


def test_label_info_round_trip(wire):
    msg = wire(label_info_to_msg(LABELS, 0.25, header=make_header(2, 'cam')))
    assert [(vc.class_id, vc.class_name) for vc in msg.class_map] == list(enumerate(LABELS))
    assert msg.threshold == 0.25
    assert label_info_from_msg(msg) == (tuple(LABELS), 0.25)


def test_label_info_in_any_order(wire):
    msg = LabelInfo(threshold=0.5, class_map=[
        VisionClass(class_id=1, class_name='b'), VisionClass(class_id=0, class_name='a')])
    assert label_info_from_msg(wire(msg)) == (('a', 'b'), 0.5)


@pytest.mark.parametrize('class_ids', [[0, 2], [1, 1], [1]])
def test_label_info_with_gaps_or_repeats_is_rejected(class_ids, wire):
    msg = LabelInfo(class_map=[VisionClass(class_id=i, class_name=str(i)) for i in class_ids])
    with pytest.raises(MessageFormatError) as info:
        label_info_from_msg(wire(msg))
    assert info.value.field == 'LabelInfo.class_map'


def test_label_info_refuses_bad_input():
    with pytest.raises(ValueError, match='finite'):
        label_info_to_msg(LABELS, float('nan'))
    with pytest.raises(ValueError, match='uint16'):
        label_info_to_msg(['x'] * (2**16 + 1), 0.5)
