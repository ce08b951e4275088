# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""One synchronised set, as the synchroniser hands it to the inference worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

import numpy as np

from multimodal_fusion.spec import MODALITIES
from multimodal_fusion.spec import SensorFrames


@dataclass(frozen=True, eq=False)
class SyncedSet:
    """The windows ending at one camera frame's stamp, with what is present.

    Attributes:
        stamp_ns: the set's stamp: the anchor (camera) frame's stamp. Outputs computed from
            the set carry it.
        anchor: what the node attached to the camera frame (e.g. its header), untouched.
        frames: the windows; ``None`` for an absent modality (see :class:`SensorFrames`).
        presence: ``(5,)`` bool, in ``MODALITIES`` order (equal to ``frames.presence()``).
        stamps_ns: per modality, the stamp of its newest data at or before ``stamp_ns``
            (touch and proprio: the oldest of their streams' newest), None when there is
            none. Given for absent modalities too, to tell "stale" from "never seen".
        ages_ns: per modality, ``stamp_ns - stamps_ns[m]``, None where the stamp is None.
        matched_ns: per synchronised stream (anchor and required streams), the stamp of the
            message the ApproximateTime policy matched.
    """

    stamp_ns: int
    anchor: Any
    frames: SensorFrames
    presence: np.ndarray
    stamps_ns: Mapping[str, Optional[int]]
    ages_ns: Mapping[str, Optional[int]]
    matched_ns: Mapping[str, int]

    def is_present(self, modality: str) -> bool:
        """Whether ``modality`` (a name in ``MODALITIES``) is present in this set."""
        return bool(self.presence[MODALITIES.index(modality)])

    def age_s(self, modality: str) -> Optional[float]:
        """Age of ``modality``'s newest data at the set's stamp, in seconds, or None."""
        age = self.ages_ns[modality]
        return None if age is None else age / 1e9
