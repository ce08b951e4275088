# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Simulated splits, preprocessed once and stored as memory-mappable numpy files.

Shape legend: ``N`` samples, ``k`` boxes per sample (padded), other letters as in
:class:`~multimodal_fusion.preprocessing.ModelInputs`.

A split is ``ScenarioSimulator(seed, config).sample(i)`` for ``i < count``, run through the
node's :class:`~multimodal_fusion.preprocessing.Preprocessor` (so training sees exactly the
tensors the node builds), in worker processes. Workers do not load the sentence encoder:
they record each utterance, and the parent embeds the unique ones in batches afterwards.

A split lives in ``<root>/<key>/`` where ``key`` hashes everything the data depends on (sim
config, modality spec, seed, count, :data:`DATASET_FORMAT_VERSION`), one ``.npy`` per field
plus ``meta.json``, written to a temporary folder and renamed when complete, so a split is
either absent or whole and is generated only once per machine.

Seeds (distinct, so no evaluation sample was ever trained on):

* ``train`` 1, ``val`` 2, ``test`` 3 (the evaluation report),
* ``ci`` 4 (``test/training/test_shipped_model_accuracy.py``; never used by training).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
import hashlib
import json
import multiprocessing
import os
import pathlib
import shutil
import tempfile
from typing import Callable
from typing import Iterator
from typing import Optional
from typing import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.models.losses import Annotation
from multimodal_fusion.models.losses import encode_targets
from multimodal_fusion.models.losses import REFERENCE_WORDS
from multimodal_fusion.preprocessing.batch import Preprocessor
from multimodal_fusion.preprocessing.text_adapter import TextAdapter
from multimodal_fusion.sim.config import SimConfig
from multimodal_fusion.sim.referring import Reference
from multimodal_fusion.sim.vocab import COLORS
from multimodal_fusion.sim.vocab import SIZES
from multimodal_fusion.spec import MODALITIES
from multimodal_fusion.spec import TextSpec

# Bump when the stored fields or their meaning change, or the simulator draws different
# data for the same config (3: issue 12's phrasings, voices, backgrounds, sensors; 4: more
# training phrasings per action): old caches then get a new key.
DATASET_FORMAT_VERSION = 5
SPLIT_SEEDS: dict[str, int] = {'train': 1, 'val': 2, 'test': 3, 'ci': 4, 'robustness': 5,
                               'robustness_ci': 6}
CACHE_ENV = 'MMF_CACHE_DIR'
META_FILE = 'meta.json'
# Samples a worker simulates and preprocesses per task: small enough to balance two
# workers and show progress, large enough that task overhead does not matter.
CHUNK = 32

INPUT_FIELDS: tuple[str, ...] = ('camera', 'audio', 'text', 'touch', 'proprio', 'mask')
TRUTH_FIELDS: tuple[str, ...] = (
    'image_hw', 'situation', 'action', 'target', 'target_location', 'boxes', 'classes',
    'colors', 'sizes', 'num_boxes', 'reference')
# Padded per-box fields and their fill value.
_PADDED: dict[str, int] = {'boxes': 0, 'classes': -1, 'colors': -1, 'sizes': -1}


def default_dataset_root() -> pathlib.Path:
    """``$MMF_CACHE_DIR/datasets``, else ``~/.cache/multimodal_fusion/datasets``."""
    env = os.environ.get(CACHE_ENV)
    base = pathlib.Path(env).expanduser() if env else (
        pathlib.Path.home() / '.cache' / 'multimodal_fusion')
    return base / 'datasets'


def dataset_key(config: SimConfig, seed: int, count: int) -> str:
    """Hash of everything a split's contents depend on (not where speech is cached)."""
    fields = dataclasses.asdict(dataclasses.replace(config, cache_dir=None))
    fields['spec'] = config.spec.to_dict()
    payload = json.dumps({'config': fields, 'seed': int(seed), 'count': int(count),
                          'format': DATASET_FORMAT_VERSION}, sort_keys=True, default=list)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class _Chunk:
    """What a worker returns: preprocessed inputs, utterances still to embed, truth."""

    start: int
    inputs: dict[str, np.ndarray]
    utterances: list[Optional[str]]
    truth: dict[str, np.ndarray]


class _DeferredText:
    """A stand-in text embedder that only records what it was asked to embed.

    The Preprocessor then decides presence exactly as in the node (non-blank text), and the
    parent fills the embeddings in one batch per split.
    """

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape
        self.seen: list[str] = []

    def __call__(self, utterance: str) -> np.ndarray:
        self.seen.append(utterance)
        return np.zeros(self.shape, dtype=np.float32)


_WORKER_SIM = None


def _init_worker(seed: int, config: SimConfig) -> None:
    global _WORKER_SIM
    from multimodal_fusion.sim.scenario import ScenarioSimulator

    # Two workers on two cores: intra-op threads would only oversubscribe.
    torch.set_num_threads(1)
    _WORKER_SIM = ScenarioSimulator(seed, config)


def _simulate_chunk(bounds: tuple[int, int]) -> _Chunk:
    sim = _WORKER_SIM
    start, stop = bounds
    spec = sim.config.spec
    samples = [sim.sample(i) for i in range(start, stop)]
    deferred = _DeferredText(spec.text.tensor_shape)
    batch = Preprocessor(spec=spec, text_embedder=deferred)([s.frames for s in samples])
    utterances: list[Optional[str]] = []
    seen = iter(deferred.seen)
    for present in batch.mask[:, MODALITIES.index('text')].tolist():
        utterances.append(next(seen) if present else None)
    inputs = {name: tensor.numpy() for name, tensor in zip(INPUT_FIELDS, batch.tensors())}
    n = len(samples)
    k = max([len(s.truth.boxes) for s in samples] + [1])
    boxes = np.zeros((n, k, 4), dtype=np.float32)
    per_box = {name: np.full((n, k), -1, dtype=np.int64)
               for name in ('classes', 'colors', 'sizes')}
    for j, s in enumerate(samples):
        boxes[j, :len(s.truth.boxes)] = s.truth.boxes
        for name, values in per_box.items():
            values[j, :len(s.truth.boxes)] = getattr(s.truth, name)
    truth = {
        'image_hw': np.array(batch.image_sizes, dtype=np.int64),
        'situation': np.array([s.truth.situation for s in samples], dtype=np.int64),
        'action': np.array([s.truth.action for s in samples], dtype=np.int64),
        'target': np.array([s.truth.target for s in samples], dtype=np.int64),
        'target_location': np.array([s.truth.target_location for s in samples],
                                    dtype=np.float32),
        'boxes': boxes,
        **per_box,
        'num_boxes': np.array([len(s.truth.boxes) for s in samples], dtype=np.int64),
        'reference': np.array([_reference_words(s.truth.reference) for s in samples],
                              dtype=np.int64).reshape(n, REFERENCE_WORDS),
    }
    return _Chunk(start=start, inputs=inputs, utterances=utterances, truth=truth)


def _reference_words(reference: Optional[Reference]) -> tuple[int, ...]:
    """:meth:`Reference.word_indices`, all -1 for no reference.

    The position indexes ``heads.POSITION_ORDER``, which is the simulator's ``POSITIONS``.
    """
    return (-1,) * REFERENCE_WORDS if reference is None else reference.word_indices()


def _chunks(count: int) -> list[tuple[int, int]]:
    return [(start, min(start + CHUNK, count)) for start in range(0, count, CHUNK)]


def generate_split(seed: int, count: int, *, config: SimConfig = SimConfig(),
                   root: Optional[os.PathLike | str] = None, workers: int = 2,
                   text_embedder: Optional[Callable[[Sequence[str]], np.ndarray]] = None,
                   progress: bool = True) -> pathlib.Path:
    """Generate (or find) the split ``(seed, count)`` and return its folder.

    Args:
        seed: simulator seed (see :data:`SPLIT_SEEDS`).
        count: number of samples.
        config: simulator configuration (its ``spec`` is the model's).
        root: cache root; defaults to :func:`default_dataset_root`.
        workers: simulation processes; 0 simulates in this process (tests, debugging).
        text_embedder: ``utterances -> (b,) + spec.text.tensor_shape`` embeddings;
            defaults to ``TextEmbedder.for_spec(spec.text).embed_batch``.
        progress: show a tqdm bar.

    Raises:
        ValueError: on a negative seed, ``count < 1`` or ``workers < 0``.
    """
    if seed < 0 or count < 1 or workers < 0:
        raise ValueError(f'need seed >= 0, count >= 1 and workers >= 0, '
                         f'got {seed}, {count}, {workers}')
    root = pathlib.Path(root) if root is not None else default_dataset_root()
    folder = root / dataset_key(config, seed, count)
    return write_once(folder, lambda tmp: _write_split(tmp, seed, count, config, workers,
                                                       text_embedder, progress))


def write_once(folder: pathlib.Path, write: Callable[[pathlib.Path], None]) -> pathlib.Path:
    """A cache folder, written by ``write(tmp)`` into a temporary sibling unless complete.

    The folder counts as complete when it holds ``META_FILE`` (written last); the finished
    temporary folder is renamed into place, so a reader never sees half a split. When two
    processes write the same folder, the first rename wins and the other copy (identical)
    is dropped.
    """
    if (folder / META_FILE).is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(dir=folder.parent, prefix=f'.{folder.name}.'))
    try:
        write(tmp)
        try:
            os.replace(tmp, folder)
        except OSError:
            if not (folder / META_FILE).is_file():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _run_chunks(seed: int, count: int, config: SimConfig, workers: int) -> Iterator[_Chunk]:
    bounds = _chunks(count)
    if workers == 0:
        _init_worker(seed, config)
        for b in bounds:
            yield _simulate_chunk(b)
        return
    # spawn, not fork: the parent may already run torch/OpenMP threads, which fork copies
    # in an undefined state.
    context = multiprocessing.get_context('spawn')
    with context.Pool(workers, initializer=_init_worker, initargs=(seed, config)) as pool:
        yield from pool.imap_unordered(_simulate_chunk, bounds)


def embed_utterances(utterances: Sequence[Optional[str]], text: np.ndarray,
                     embed: Callable[[Sequence[str]], np.ndarray]) -> None:
    """Fill ``text[i]`` with the embedding of ``utterances[i]`` (rows without one untouched).

    Each distinct utterance is embedded once, in batches of 256.
    """
    rows = [i for i, u in enumerate(utterances) if u is not None]
    unique = sorted({utterances[i] for i in rows})
    table = {}
    for start in range(0, len(unique), 256):
        part = unique[start:start + 256]
        table.update(zip(part, np.asarray(embed(part), dtype=np.float32)))
    for i in rows:
        text[i] = table[utterances[i]]


def _write_split(folder: pathlib.Path, seed: int, count: int, config: SimConfig, workers: int,
                 text_embedder, progress: bool) -> None:
    from tqdm import tqdm

    spec = config.spec
    shapes = {
        'camera': ((count,) + spec.camera.tensor_shape, np.uint8),
        'audio': ((count,) + spec.audio.tensor_shape, np.float32),
        'text': ((count,) + spec.text.tensor_shape, np.float32),
        'touch': ((count,) + spec.touch.tensor_shape, np.float32),
        'proprio': ((count,) + spec.proprio.tensor_shape, np.float32),
        'mask': ((count, len(MODALITIES)), np.bool_),
    }
    arrays = {name: np.lib.format.open_memmap(folder / f'{name}.npy', mode='w+', dtype=dtype,
                                              shape=shape)
              for name, (shape, dtype) in shapes.items()}
    utterances: list[Optional[str]] = [None] * count
    truth_chunks: dict[int, dict[str, np.ndarray]] = {}
    bar = tqdm(total=count, desc=f'simulate seed {seed}', unit='sample', disable=not progress)
    for chunk in _run_chunks(seed, count, config, workers):
        stop = chunk.start + len(chunk.utterances)
        for name, values in chunk.inputs.items():
            arrays[name][chunk.start:stop] = values
        utterances[chunk.start:stop] = chunk.utterances
        truth_chunks[chunk.start] = chunk.truth
        bar.update(stop - chunk.start)
    bar.close()

    if any(u is not None for u in utterances):
        if text_embedder is None:
            from multimodal_fusion.preprocessing.text_embedder import TextEmbedder

            text_embedder = TextEmbedder.for_spec(spec.text).embed_batch
        embed_utterances(utterances, arrays['text'], text_embedder)
    for array in arrays.values():
        array.flush()
    del arrays

    starts = sorted(truth_chunks)
    k = max(truth_chunks[s]['boxes'].shape[1] for s in starts)
    for name in TRUTH_FIELDS:
        parts = []
        for s in starts:
            part = truth_chunks[s][name]
            if name in _PADDED and part.shape[1] < k:
                pad = [(0, 0), (0, k - part.shape[1])] + [(0, 0)] * (part.ndim - 2)
                part = np.pad(part, pad, constant_values=_PADDED[name])
            parts.append(part)
        np.save(folder / f'{name}.npy', np.concatenate(parts))
    meta = {'seed': int(seed), 'count': int(count), 'format': DATASET_FORMAT_VERSION,
            'key': dataset_key(config, seed, count),
            'config': dataclasses.asdict(dataclasses.replace(config, cache_dir=None)),
            'utterances': utterances}
    (folder / META_FILE).write_text(json.dumps(meta, indent=1, default=list))


class SimulatedSplit(Dataset):
    """A generated split as a torch Dataset (fields memory-mapped, read lazily).

    Args:
        folder: a folder written by :func:`generate_split`.
        text_adapter: read the utterances through the sentence encoder with this
            fine-tuning instead of the frozen one (embedded once, then cached in the
            folder by the adapter's key).

    ``split[i]`` is ``(camera, audio, text, touch, proprio, mask, index)`` tensors; use
    :meth:`annotations` and :func:`encode_targets` for the matching training targets.
    """

    def __init__(self, folder: os.PathLike | str, *,
                 text_adapter: Optional[TextAdapter] = None) -> None:
        self.folder = pathlib.Path(folder)
        meta_path = self.folder / META_FILE
        if not meta_path.is_file():
            raise FileNotFoundError(f'{meta_path} not found: not a complete split')
        self.meta = json.loads(meta_path.read_text())
        self.arrays = {name: np.load(self.folder / f'{name}.npy', mmap_mode='r')
                       for name in INPUT_FIELDS}
        if text_adapter is not None:
            self.arrays['text'] = self._adapted_text(text_adapter)
        self.truth = {name: np.load(self.folder / f'{name}.npy') for name in TRUTH_FIELDS}

    def __len__(self) -> int:
        return int(self.meta['count'])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        items = tuple(torch.from_numpy(np.array(self.arrays[name][index]))
                      for name in INPUT_FIELDS)
        return items + (torch.tensor(index, dtype=torch.long),)

    def annotation(self, index: int) -> Annotation:
        """The ground truth of sample ``index`` as a loss :class:`Annotation`."""
        t = self.truth
        n = int(t['num_boxes'][index])
        words = tuple(int(v) for v in t['reference'][index])
        return Annotation(image_hw=tuple(int(v) for v in t['image_hw'][index]),
                          boxes=t['boxes'][index, :n], classes=t['classes'][index, :n],
                          colors=t['colors'][index, :n], sizes=t['sizes'][index, :n],
                          referred=int(t['target'][index]),
                          situation=int(t['situation'][index]),
                          action=int(t['action'][index]),
                          reference=None if max(words) < 0 else words)

    def targets(self, indices: Sequence[int], *, grid_hw: tuple[int, int],
                num_object_classes: int, num_colors: int = len(COLORS),
                num_sizes: int = len(SIZES)) -> dict[str, torch.Tensor]:
        """Loss targets of the samples ``indices`` (see :func:`encode_targets`)."""
        return encode_targets([self.annotation(int(i)) for i in indices], grid_hw=grid_hw,
                              num_object_classes=num_object_classes, num_colors=num_colors,
                              num_sizes=num_sizes)

    def referred_box(self, index: int) -> Optional[np.ndarray]:
        """``(4,)`` box of the object the command refers to, or ``None``."""
        target = int(self.truth['target'][index])
        return None if target < 0 else np.asarray(self.truth['boxes'][index, target])

    def utterance(self, index: int) -> Optional[str]:
        return self.meta['utterances'][index]

    def _adapted_text(self, adapter: TextAdapter) -> np.ndarray:
        """The text field embedded by the adapted encoder (``text-<key>.npy``, written once)."""
        path = self.folder / f'text-{adapter.key}.npy'
        if not path.is_file():
            from multimodal_fusion.preprocessing.text_embedder import TextEmbedder

            text = np.array(self.arrays['text'])
            utterances = self.meta['utterances']
            if any(u is not None for u in utterances):
                spec = TextSpec(**self.meta['config']['spec']['text'])
                embedder = TextEmbedder.for_spec(spec, cache_size=0, adapter=adapter)
                embed_utterances(utterances, text, embedder.embed_batch)
            # Written beside and renamed: readers (other ranks) never see half a file.
            handle, tmp = tempfile.mkstemp(dir=self.folder, prefix='.text-', suffix='.npy')
            try:
                with os.fdopen(handle, 'wb') as out:
                    np.save(out, text)
                os.replace(tmp, path)
            except BaseException:
                pathlib.Path(tmp).unlink(missing_ok=True)
                raise
        return np.load(path, mmap_mode='r')


def split_config(model: ModelConfig, **overrides) -> SimConfig:
    """The simulator configuration of the splits ``model`` reads.

    Its spec (the text as a pooled vector or as token states) and, for a model that reads
    them, relational commands. ``overrides``: further :class:`SimConfig` fields
    (``held_out``, ``random_instant_fraction``).
    """
    return SimConfig(**{'spec': model.spec, 'relations': model.relations, **overrides})


def load_split(name: str, count: int, *, config: SimConfig = SimConfig(),
               root: Optional[os.PathLike | str] = None, workers: int = 2,
               progress: bool = True,
               text_adapter: Optional[TextAdapter] = None) -> SimulatedSplit:
    """Generate if needed and open the named split (``train``, ``val``, ``test``, ``ci``).

    ``text_adapter``: see :class:`SimulatedSplit`.

    Raises:
        ValueError: for an unknown split name.
    """
    if name not in SPLIT_SEEDS:
        raise ValueError(f'unknown split {name!r}; expected one of {sorted(SPLIT_SEEDS)}')
    return SimulatedSplit(generate_split(SPLIT_SEEDS[name], count, config=config, root=root,
                                         workers=workers, progress=progress),
                          text_adapter=text_adapter)
