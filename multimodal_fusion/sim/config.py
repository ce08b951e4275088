# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Configuration of the scenario simulator."""

from __future__ import annotations

from dataclasses import dataclass
import os
from pathlib import Path
from typing import Optional

from multimodal_fusion.sim.vocab import SITUATIONS
from multimodal_fusion.spec import DEFAULT_SPEC
from multimodal_fusion.spec import ModalitySpec

CACHE_ENV = 'MMF_CACHE_DIR'

# Factors of variation whose values are split, by construction, into a training pool and a
# held-out pool that training never draws from: command phrasings and words, speaking voices,
# camera backgrounds, and sensor noise/bias/drift profiles. ``SimConfig.held_out`` names the
# factors a simulator draws from their held-out pools (the robustness report's conditions).
HELD_OUT_FACTORS: tuple[str, ...] = ('phrasing', 'voice', 'background', 'sensor')
# The two pools every factor is drawn from (what ``SimConfig.pool`` returns).
POOLS: tuple[str, ...] = ('train', 'held_out')


def check_pool(pool: str, factor: str) -> str:
    """``pool`` if it names a pool.

    Raises:
        ValueError: naming the factor, for anything not in ``POOLS``.
    """
    if pool not in POOLS:
        raise ValueError(f'unknown {factor} pool {pool!r}; expected one of {POOLS}')
    return pool


def default_cache_dir() -> Path:
    """Where synthesized speech is cached: ``$MMF_CACHE_DIR`` or ``~/.cache/multimodal_fusion``.

    The cache lives outside the repository so that generated data never ends up in git and
    several checkouts (and parallel dataset workers) share one copy.
    """
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / '.cache' / 'multimodal_fusion'


@dataclass(frozen=True)
class SimConfig:
    """What a simulator produces; everything random is drawn per ``(seed, index)``.

    Args:
        image_width: camera source width in pixels (the model resizes).
        image_height: camera source height in pixels.
        spec: rates and windows of every modality; the simulator follows it exactly.
        asr_error_rate: probability per word that the recognised text differs from what
            was said. Most errors preserve the meaning (homophones, inflections, dropped
            function words); a few replace a content word by another real word (see
            ``speech.recognise``). Labels stay what was said: the audio still carries it.
        situations: names of the situations to generate, cycled by sample index.
        min_objects: fewest tabletop objects in a scene.
        max_objects: most tabletop objects in a scene.
        episode_s: shortest and longest episode length in seconds.
        random_instant_fraction: share of samples taken at a random labelled instant of
            their episode instead of its anchor. Anchors show each situation's own cue
            clearly; a node sees every instant, including the ones before and after it
            (a stale 'give' command while holding an object with nobody in view), and a
            model trained on anchors alone learns shortcuts those instants break.
        cache_dir: speech cache directory; ``None`` means ``default_cache_dir()``.
        held_out: factors (from ``HELD_OUT_FACTORS``) drawn from their held-out pools
            instead of their training pools. Training always uses ``()``.
        relations: some referring commands name their object by a relation to another one
            ('the cube left of the green ball'). Off by default (a pooled sentence vector
            cannot tell the object from the anchor); the shipped model reads token states
            and is trained and scored with it (docs/training.md, 'Relations to another
            object').
    """

    image_width: int = 320
    image_height: int = 240
    spec: ModalitySpec = DEFAULT_SPEC
    asr_error_rate: float = 0.03
    situations: tuple[str, ...] = SITUATIONS
    min_objects: int = 3
    max_objects: int = 5
    episode_s: tuple[float, float] = (6.0, 8.0)
    random_instant_fraction: float = 0.0
    cache_dir: Optional[str] = None
    held_out: tuple[str, ...] = ()
    relations: bool = False

    def __post_init__(self) -> None:
        if not (96 <= self.image_width <= 1920 and 72 <= self.image_height <= 1080):
            raise ValueError(
                f'image size {self.image_width}x{self.image_height} out of range; expected '
                'a width in [96, 1920] and a height in [72, 1080]')
        aspect = self.image_width / self.image_height
        if not 1.0 <= aspect <= 2.0:
            raise ValueError(
                f'image aspect ratio {aspect:.2f} unsupported; expected width/height in '
                '[1.0, 2.0] so the table scene fits')
        if not 0.0 <= self.asr_error_rate <= 0.3:
            raise ValueError(
                f'asr_error_rate={self.asr_error_rate} out of range; expected [0, 0.3]')
        if not self.situations:
            raise ValueError('situations is empty; expected at least one name')
        unknown = [s for s in self.situations if s not in SITUATIONS]
        if unknown:
            raise ValueError(f'unknown situations {unknown}; expected names from {SITUATIONS}')
        if not 2 <= self.min_objects <= self.max_objects <= 6:
            raise ValueError(
                f'objects range [{self.min_objects}, {self.max_objects}] invalid; expected '
                '2 <= min_objects <= max_objects <= 6')
        low, high = self.episode_s
        if not 5.0 <= low <= high <= 30.0:
            raise ValueError(
                f'episode_s={self.episode_s} invalid; expected 5 <= low <= high <= 30 so a '
                'stale command (up to 4 s old) fits after its utterance')
        if not 0.0 <= self.random_instant_fraction <= 1.0:
            raise ValueError(f'random_instant_fraction={self.random_instant_fraction} out of '
                             'range; expected [0, 1]')
        unknown = [f for f in self.held_out if f not in HELD_OUT_FACTORS]
        if unknown:
            raise ValueError(f'unknown held_out factors {unknown}; expected names from '
                             f'{HELD_OUT_FACTORS}')
        if self.spec.camera.rate_hz <= 0:
            raise ValueError('camera rate must be positive')

    def pool(self, factor: str) -> str:
        """``'held_out'`` if ``factor`` is drawn from its held-out pool, else ``'train'``.

        Raises:
            ValueError: for a factor not in ``HELD_OUT_FACTORS``.
        """
        if factor not in HELD_OUT_FACTORS:
            raise ValueError(f'unknown factor {factor!r}; expected one of {HELD_OUT_FACTORS}')
        return 'held_out' if factor in self.held_out else 'train'

    @property
    def resolved_cache_dir(self) -> Path:
        return Path(self.cache_dir).expanduser() if self.cache_dir else default_cache_dir()
