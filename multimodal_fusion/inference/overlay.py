# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Draw a prediction onto its camera frame (the node's ~/debug_image, the demo's frames)."""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from multimodal_fusion.decoding.predictions import Prediction

_BOX = (40, 200, 255)
_REFERRED = (255, 60, 60)


def draw_prediction(image: np.ndarray, prediction: Prediction,
                    object_names: Sequence[str]) -> np.ndarray:
    """A copy of the ``(h, w, 3)`` uint8 RGB ``image`` with boxes, labels and the situation.

    The referred object's box is drawn thicker in another colour.
    """
    out = np.ascontiguousarray(image, dtype=np.uint8).copy()
    det = prediction.detections
    scale = max(out.shape[0], out.shape[1]) / 640.0
    font = max(0.35, 0.5 * scale)
    banner_h = int(round(40 * font))
    for i in range(len(det)):
        x0, y0, x1, y1 = (int(round(v)) for v in det.boxes[i])
        referred = bool(det.referred[i])
        colour = _REFERRED if referred else _BOX
        cv2.rectangle(out, (x0, y0), (x1, y1), colour, 3 if referred else 1)
        cid = int(det.class_ids[i])
        name = object_names[cid] if 0 <= cid < len(object_names) else str(cid)
        text = f'{"> " if referred else ""}{name} {det.scores[i]:.2f}'
        cv2.putText(out, text, (x0, max(y0 - 3, 10)), cv2.FONT_HERSHEY_SIMPLEX, font, colour,
                    1, cv2.LINE_AA)
    top = prediction.situations[0]
    act = prediction.actions[0]
    banner = f'{top.name} {top.score:.2f} | {act.name} {act.score:.2f}'
    cv2.rectangle(out, (0, 0), (out.shape[1], banner_h), (0, 0, 0), -1)
    cv2.putText(out, banner, (4, banner_h - int(round(10 * font))), cv2.FONT_HERSHEY_SIMPLEX,
                font, (255, 255, 255), 1, cv2.LINE_AA)
    return out
