# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest

from multimodal_fusion.training import metrics as M


def test_confusion_and_macro_f1_by_hand():
    truth = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([0, 1, 1, 1, 2, 0])
    cm = M.confusion_matrix(truth, pred, 3)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    # Per class F1: 2*1/(2+2)=0.5, 2*2/(2+3)=0.8, 2*1/(2+1)=2/3.
    assert M.macro_f1(truth, pred, 3) == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert M.accuracy(truth, pred) == pytest.approx(4 / 6)


def test_macro_f1_ignores_classes_absent_from_truth_and_is_one_when_perfect():
    truth = np.array([0, 2, 2])
    assert M.macro_f1(truth, truth, 5) == 1.0
    assert M.macro_f1(truth, np.array([0, 2, 1]), 5) == pytest.approx((1.0 + 2 / 3) / 2)


def test_confusion_rejects_out_of_range_labels():
    with pytest.raises(ValueError, match='pred labels'):
        M.confusion_matrix(np.array([0]), np.array([3]), 3)


def test_box_iou_values():
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]])
    np.testing.assert_allclose(M.box_iou(a, b), [[1.0, 50 / 150, 0.0]])


def test_grounding_accuracy_counts_only_referring_samples():
    truth = [np.array([0, 0, 10, 10]), None, np.array([0, 0, 10, 10])]
    preds = [np.array([1, 1, 10, 10]), np.array([0, 0, 1, 1]), np.array([6, 6, 16, 16])]
    assert M.grounding_accuracy(truth, preds) == 0.5
    assert M.grounding_accuracy(truth, [None, None, None]) == 0.0


def test_map_perfect_and_half():
    gt = [M.ImageDetections(np.array([[0, 0, 10, 10], [20, 20, 30, 30]], float),
                            np.array([0, 1]), np.ones(2))]
    assert M.mean_average_precision(gt, gt, 2) == 1.0
    # Class 1 detected at the wrong place with a higher-scored false positive for class 0.
    pred = [M.ImageDetections(np.array([[0, 0, 10, 10], [50, 50, 60, 60], [40, 40, 45, 45]],
                                       float), np.array([0, 0, 1]), np.array([0.5, 0.9, 0.8]))]
    # Class 0: ranked FP then TP -> precision envelope 0.5 at recall 1 -> AP 0.5. Class 1: 0.
    assert M.mean_average_precision(gt, pred, 2) == pytest.approx(0.25)


def test_map_counts_duplicates_as_false_positives():
    gt = [M.ImageDetections(np.array([[0, 0, 10, 10]], float), np.array([0]), np.ones(1))]
    pred = [M.ImageDetections(np.array([[0, 0, 10, 10], [0, 0, 10, 10]], float),
                              np.array([0, 0]), np.array([0.9, 0.8]))]
    # TP then FP: recall reaches 1 at precision 1 -> AP 1.
    assert M.mean_average_precision(gt, pred, 1) == 1.0
    pred_low_first = [M.ImageDetections(np.array([[30, 30, 40, 40], [0, 0, 10, 10]], float),
                                        np.array([0, 0]), np.array([0.9, 0.8]))]
    assert M.mean_average_precision(gt, pred_low_first, 1) == pytest.approx(0.5)
