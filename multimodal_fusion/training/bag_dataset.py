# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Labelled rosbag2 bags as training splits, cut where the node would cut them.

Shape legend: ``N`` samples, ``k`` boxes per sample (padded), other letters as in
:class:`~multimodal_fusion.preprocessing.ModelInputs`.

A bag is read in receive-time order through the node's own input path
(:class:`~multimodal_fusion.ros.offline_path.OfflinePath`: conversions, synchroniser,
windows, configured from the node's params file), so every sample is a synchronised set the
node would have inferred, at its camera frame. The set's frames go through the engine's
:class:`~multimodal_fusion.preprocessing.Preprocessor` (with the same sentence encoder), and
the frame's labels come from the bag's labels (``LabelSet.at(stamp)``, ``docs/labels.md``).
Frames the labels do not cover are skipped and counted.

Each bag is cached once, in ``<root>/bags/<key>/`` (``root`` as for the simulated splits,
outside the repository), with the fields of a simulated split plus ``det_known`` and
``stamp_ns``; the key hashes the bag's files (names, sizes, modification times), the node
parameters that shape the sets, the modality spec, the sentence encoder and
:data:`BAG_FORMAT_VERSION`. A :class:`BagSplit` joins the caches of several bags and reads
like a :class:`~multimodal_fusion.training.dataset.SimulatedSplit`, so the training loop
and the scoring are the ones the simulator's data goes through.

Splits are made of whole bags (:func:`split_bags`): neighbouring frames of one recording are
nearly the same sample, so a split by frame would score a model on what it trained on.

Reading bags needs rclpy (message deserialisation); it is imported when a bag is read, so
the rest of the training core imports without ROS.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import json
import logging
import os
import pathlib
from typing import Optional
from typing import Sequence

import numpy as np
import torch

from multimodal_fusion.labels.label_set import FrameLabels
from multimodal_fusion.labels.label_set import LabelNames
from multimodal_fusion.models.losses import Annotation
from multimodal_fusion.models.losses import IGNORE_INDEX
from multimodal_fusion.models.losses import REFERENCE_WORDS
from multimodal_fusion.preprocessing.batch import Preprocessor
from multimodal_fusion.preprocessing.text_adapter import TextAdapter
from multimodal_fusion.spec import MODALITIES
from multimodal_fusion.spec import ModalitySpec
from multimodal_fusion.spec import SensorFrames
from multimodal_fusion.spec import TextSpec
from multimodal_fusion.training.dataset import default_dataset_root
from multimodal_fusion.training.dataset import INPUT_FIELDS
from multimodal_fusion.training.dataset import META_FILE
from multimodal_fusion.training.dataset import SimulatedSplit
from multimodal_fusion.training.dataset import TRUTH_FIELDS
from multimodal_fusion.training.dataset import write_once

# Bump when the stored fields or their meaning change: old caches then get a new key.
BAG_FORMAT_VERSION = 1
BAG_TRUTH_FIELDS: tuple[str, ...] = TRUTH_FIELDS + ('det_known', 'stamp_ns')
# Sets preprocessed and written at once.
CHUNK = 64
# ``target`` of a frame whose command names an object the labels do not locate in it.
TARGET_UNLOCATED = -2
_PADDED: dict[str, int] = {'boxes': 0, 'classes': -1, 'colors': -1, 'sizes': -1}
LOG = logging.getLogger('bag_dataset')


class BagDatasetError(ValueError):
    """A bag that cannot become training data; the message names the bag and the reason."""


def bag_files_key(bag: pathlib.Path) -> list[tuple[str, int, int]]:
    """``(name, size, mtime_ns)`` of every file of the bag (a folder, or one file)."""
    bag = pathlib.Path(bag)
    files = sorted(p for p in bag.iterdir() if p.is_file()) if bag.is_dir() else [bag]
    return [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files]


def bag_cache_key(bag: pathlib.Path, *, config, spec: ModalitySpec,
                  text_encoder: Optional[pathlib.Path], namespace: str = '/',
                  text_adapter: Optional[TextAdapter] = None) -> str:
    """Hash of everything a bag's cached samples depend on.

    Args:
        bag: the bag (its files' names, sizes and modification times; labels beside it too).
        config: the node's ``NodeConfig`` (its topics, joints and sync parameters).
        spec: the model's modality spec.
        text_encoder: the sentence encoder's folder (``None``: the default one).
        namespace: the node's namespace.
        text_adapter: the sentence encoder's fine-tuning (``None``: frozen).
    """
    payload = json.dumps({
        'files': bag_files_key(bag), 'path': str(pathlib.Path(bag).resolve()),
        'node': repr((config.topics, config.joints, config.sync)), 'namespace': namespace,
        'spec': spec.to_dict(), 'text_encoder': str(text_encoder),
        'text_adapter': None if text_adapter is None else text_adapter.key,
        'format': BAG_FORMAT_VERSION}, sort_keys=True, default=list)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


class _LazyEmbedder:
    """The engine's sentence encoder, loaded at the first utterance (bags may have none)."""

    def __init__(self, model_dir: Optional[pathlib.Path], spec: TextSpec,
                 adapter: Optional[TextAdapter] = None) -> None:
        self.model_dir = model_dir
        self.spec = spec
        self.adapter = adapter
        self._embedder = None

    def __call__(self, utterance: str) -> np.ndarray:
        if self._embedder is None:
            from multimodal_fusion.preprocessing.text_embedder import TextEmbedder

            self._embedder = TextEmbedder.for_spec(self.spec, model_dir=self.model_dir,
                                                   adapter=self.adapter)
        return self._embedder(utterance)


def frame_truth(labels: FrameLabels, names: LabelNames) -> dict:
    """One labelled frame's truth fields (indices into the label set's ``names``)."""
    boxes = labels.boxes
    known = boxes is not None
    boxes = boxes or ()
    target = -1
    if labels.referred is not None:
        target = TARGET_UNLOCATED
        if labels.referred_box is not None and known:
            target = next((j for j, b in enumerate(boxes)
                           if tuple(b.box) == tuple(labels.referred_box)), TARGET_UNLOCATED)
    return {
        'situation': names.situations.index(labels.situation),
        'action': names.actions.index(labels.action) if labels.action is not None else -1,
        'target': target,
        'boxes': np.array([b.box for b in boxes], dtype=np.float32).reshape(-1, 4),
        'classes': np.array([names.object_classes.index(b.class_name) for b in boxes],
                            dtype=np.int64),
        'det_known': known,
        'stamp_ns': labels.stamp_ns,
    }


@dataclasses.dataclass
class BagCacheStats:
    """What caching one bag found: sets cut, labelled samples, unlabelled frames skipped."""

    sets: int = 0
    samples: int = 0
    unlabelled: int = 0


def cache_bag(bag: os.PathLike | str, *, config=None, spec: Optional[ModalitySpec] = None,
              root: Optional[os.PathLike | str] = None,
              text_encoder: Optional[os.PathLike | str] = None, namespace: str = '/',
              progress: bool = True,
              text_adapter: Optional[TextAdapter] = None) -> pathlib.Path:
    """Cut, preprocess and cache one labelled bag (once); its cache folder.

    Args:
        bag: a rosbag2 folder (or a ``.mcap``/``.db3`` file) with labels (a label file
            beside ``metadata.yaml`` or a ``/labels`` topic).
        config: the node's ``NodeConfig`` (``None``: every parameter's default).
        spec: the model's modality spec (``None``: the package's default spec).
        root: cache root (default: :func:`default_dataset_root`); bags go to ``root/bags``.
        text_encoder: the sentence encoder's folder (``None``: the default one).
        namespace: the node's namespace (relative topics resolve in it).
        progress: show a tqdm bar.
        text_adapter: the sentence encoder's fine-tuning (``None``: frozen).

    Raises:
        BagDatasetError: no such bag, no labels, no camera topic, an input topic of another
            type, or no labelled camera frame.
        LabelError: labels that fail validation (file and line in the message).
    """
    from multimodal_fusion.ros.node.config import node_config_from_file
    from multimodal_fusion.spec import DEFAULT_SPEC

    bag = pathlib.Path(bag)
    config = config if config is not None else node_config_from_file(None)
    spec = spec if spec is not None else DEFAULT_SPEC
    if not bag.exists():
        raise BagDatasetError(f'{bag}: no such bag (expected a rosbag2 folder with '
                              'metadata.yaml, or a .mcap or .db3 file)')
    encoder = pathlib.Path(text_encoder) if text_encoder else None
    root = pathlib.Path(root) if root is not None else default_dataset_root()
    folder = root / 'bags' / bag_cache_key(bag, config=config, spec=spec,
                                           text_encoder=encoder, namespace=namespace,
                                           text_adapter=text_adapter)
    embedder = _LazyEmbedder(encoder, spec.text, text_adapter)
    return write_once(folder, lambda tmp: _write_bag(tmp, bag, config, spec, embedder,
                                                     namespace, progress))


def _write_bag(folder: pathlib.Path, bag: pathlib.Path, config, spec: ModalitySpec,
               embedder: _LazyEmbedder, namespace: str, progress: bool) -> None:
    from rclpy.serialization import deserialize_message
    from tqdm import tqdm

    from multimodal_fusion.ros.bag_io import bag_topics
    from multimodal_fusion.ros.bag_io import read_messages
    from multimodal_fusion.ros.bag_labels import bag_labels
    from multimodal_fusion.ros.offline_path import OfflinePath
    from multimodal_fusion.ros.replay import check_bag
    from multimodal_fusion.ros.replay import ReplayError

    labels = bag_labels(bag)
    if labels is None:
        raise BagDatasetError(f'{bag}: no labels (no labels.yaml, labels.yml or labels.csv '
                              'beside metadata.yaml, no /labels topic); see docs/labels.md')
    path = OfflinePath(config, spec, namespace=namespace, logger=LOG)
    try:
        inputs = check_bag(bag, path.routes)
    except ReplayError as error:
        raise BagDatasetError(str(error)) from None
    counts = {t.name: t.count for t in bag_topics(bag)}
    camera = next(r.topic for r in inputs.values() if r.stream == 'camera')
    bound = max(1, counts[camera])
    shapes = {
        'camera': ((bound,) + spec.camera.tensor_shape, np.uint8),
        'audio': ((bound,) + spec.audio.tensor_shape, np.float32),
        'text': ((bound,) + spec.text.tensor_shape, np.float32),
        'touch': ((bound,) + spec.touch.tensor_shape, np.float32),
        'proprio': ((bound,) + spec.proprio.tensor_shape, np.float32),
        'mask': ((bound, len(MODALITIES)), np.bool_),
    }
    arrays = {name: np.lib.format.open_memmap(folder / f'.{name}.full.npy', mode='w+',
                                              dtype=dtype, shape=shape)
              for name, (shape, dtype) in shapes.items()}
    preprocess = Preprocessor(spec=spec, text_embedder=embedder)
    stats = BagCacheStats()
    truths: list[dict] = []
    utterances: list[Optional[str]] = []
    image_hw: list[tuple[int, int]] = []
    pending: list[tuple[SensorFrames, FrameLabels]] = []

    def flush() -> None:
        if not pending:
            return
        batch = preprocess([frames for frames, _ in pending])
        start = len(truths)
        for name, tensor in zip(INPUT_FIELDS, batch.tensors()):
            arrays[name][start:start + len(pending)] = tensor.numpy()
        for (frames, frame_labels), present in zip(pending, batch.mask[:, 2].tolist()):
            truths.append(frame_truth(frame_labels, labels.names))
            utterances.append(frames.text if present else None)
        image_hw.extend(batch.image_sizes)
        pending.clear()

    def take(sets) -> None:
        for synced in sets:
            stats.sets += 1
            frame_labels = labels.at(synced.stamp_ns)
            if frame_labels is None:
                stats.unlabelled += 1
                continue
            pending.append((synced.frames, frame_labels))
            if len(pending) >= CHUNK:
                flush()

    total = sum(counts[t] for t in inputs)
    bar = tqdm(total=total, desc=f'cut {bag.name}', unit='msg', disable=not progress)
    for m in read_messages(bag, sorted(inputs)):
        route = inputs[m.topic]
        try:
            msg = deserialize_message(m.data, route.msg_type)
        except Exception:  # noqa: BLE001 - the node never sees an undecodable message
            bar.update(1)
            continue
        take(path.handle(m.topic, msg, m.log_time_ns))
        bar.update(1)
    take(path.finish())
    flush()
    bar.close()
    stats.samples = len(truths)
    if not truths:
        raise BagDatasetError(f'{bag}: none of its {stats.sets} synchronised camera frames is '
                              f'labelled ({labels.source}); the labels cover '
                              f'{len(labels.intervals)} intervals')
    n = len(truths)
    for name, array in arrays.items():
        array.flush()
        np.save(folder / f'{name}.npy', array[:n])
    arrays.clear()
    for name in shapes:
        (folder / f'.{name}.full.npy').unlink()
    k = max([len(t['classes']) for t in truths] + [1])
    boxes = np.zeros((n, k, 4), dtype=np.float32)
    classes = np.full((n, k), -1, dtype=np.int64)
    for j, t in enumerate(truths):
        boxes[j, :len(t['classes'])] = t['boxes']
        classes[j, :len(t['classes'])] = t['classes']
    fields = {
        'image_hw': np.array(image_hw, dtype=np.int64),
        'situation': np.array([t['situation'] for t in truths], dtype=np.int64),
        'action': np.array([t['action'] for t in truths], dtype=np.int64),
        'target': np.array([t['target'] for t in truths], dtype=np.int64),
        'target_location': np.full((n, 2), np.nan, dtype=np.float32),
        'boxes': boxes, 'classes': classes,
        # Colours, sizes and the command's words are not labelled in bags.
        'colors': np.full((n, k), -1, dtype=np.int64),
        'sizes': np.full((n, k), -1, dtype=np.int64),
        'num_boxes': np.array([len(t['classes']) for t in truths], dtype=np.int64),
        'reference': np.full((n, REFERENCE_WORDS), -1, dtype=np.int64),
        'det_known': np.array([t['det_known'] for t in truths], dtype=np.bool_),
        'stamp_ns': np.array([t['stamp_ns'] for t in truths], dtype=np.int64),
    }
    for name in BAG_TRUTH_FIELDS:
        np.save(folder / f'{name}.npy', fields[name])
    meta = {'bag': str(bag), 'count': n, 'format': BAG_FORMAT_VERSION, 'key': folder.name,
            'labels': labels.names.as_dict(), 'label_source': labels.source,
            'stats': dataclasses.asdict(stats), 'utterances': utterances}
    (folder / META_FILE).write_text(json.dumps(meta, indent=1))


class _Joined:
    """Rows of several arrays read as one (``len``, a row, or a contiguous slice of rows)."""

    def __init__(self, parts: Sequence[np.ndarray]) -> None:
        self.parts = list(parts)
        self.offsets = np.cumsum([0] + [len(p) for p in self.parts])

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                raise IndexError('rows of joined bags are sliced contiguously only')
            return self._range(start, max(start, stop))
        index = int(index)
        if index < 0:
            index += len(self)
        part = int(np.searchsorted(self.offsets, index, side='right')) - 1
        return self.parts[part][index - int(self.offsets[part])]

    def _range(self, start: int, stop: int) -> np.ndarray:
        chunks = [np.asarray(self.parts[0][:0])]
        for part, array in enumerate(self.parts):
            lo, hi = int(self.offsets[part]), int(self.offsets[part + 1])
            a, b = max(start, lo), min(stop, hi)
            if a < b:
                chunks.append(np.asarray(array[a - lo:b - lo]))
        return np.concatenate(chunks)


class BagSplit(SimulatedSplit):
    """Cached bags as one split, read like a :class:`SimulatedSplit`.

    Args:
        folders: folders written by :func:`cache_bag`.

    Attributes:
        names: the label names every bag declares (the model's output order).
        bags: the bags, in order.

    Raises:
        BagDatasetError: no folders, or bags whose labels declare different names.
    """

    def __init__(self, folders: Sequence[os.PathLike | str]) -> None:  # noqa: D107
        if not folders:
            raise BagDatasetError('a split needs at least one bag')
        self.folders = [pathlib.Path(f) for f in folders]
        metas = []
        for folder in self.folders:
            path = folder / META_FILE
            if not path.is_file():
                raise FileNotFoundError(f'{path} not found: not a complete bag cache')
            metas.append(json.loads(path.read_text()))
        first = metas[0]
        for meta in metas[1:]:
            if meta['labels'] != first['labels']:
                raise BagDatasetError(
                    f'{meta["bag"]} declares labels {meta["labels"]} but {first["bag"]} '
                    f'declares {first["labels"]}; every bag of a dataset needs the same '
                    'names in the same order')
        self.names = LabelNames(**first['labels'])
        self.bags = [meta['bag'] for meta in metas]
        self.meta = {'count': sum(m['count'] for m in metas),
                     'utterances': [u for m in metas for u in m['utterances']],
                     'bags': self.bags, 'labels': first['labels'],
                     'stats': [m['stats'] for m in metas]}
        self.arrays = {name: _Joined([np.load(f / f'{name}.npy', mmap_mode='r')
                                      for f in self.folders]) for name in INPUT_FIELDS}
        self.truth = {}
        for name in BAG_TRUTH_FIELDS:
            parts = [np.load(f / f'{name}.npy') for f in self.folders]
            if name in _PADDED:
                k = max(p.shape[1] for p in parts)
                parts = [np.pad(p, [(0, 0), (0, k - p.shape[1])] + [(0, 0)] * (p.ndim - 2),
                                constant_values=_PADDED[name]) for p in parts]
            self.truth[name] = np.concatenate(parts)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        items = tuple(torch.from_numpy(np.array(self.arrays[name][index]))
                      for name in INPUT_FIELDS)
        return items + (torch.tensor(index, dtype=torch.long),)

    def annotation(self, index: int) -> Annotation:
        """The labels of sample ``index`` as a loss :class:`Annotation`.

        Colours, sizes and the command's words are unknown (their losses skip the sample);
        a frame without labelled boxes has no detection targets at all.
        """
        t = self.truth
        known = bool(t['det_known'][index])
        n = int(t['num_boxes'][index])
        target = int(t['target'][index])
        target_class = None
        if target == TARGET_UNLOCATED or not known:
            target_class = IGNORE_INDEX
        return Annotation(image_hw=tuple(int(v) for v in t['image_hw'][index]),
                          boxes=t['boxes'][index, :n], classes=t['classes'][index, :n],
                          referred=max(target, -1) if known else -1,
                          situation=int(t['situation'][index]),
                          action=int(t['action'][index]), target_class=target_class,
                          boxes_known=known, reference_known=False)

    def referred_box(self, index: int) -> Optional[np.ndarray]:
        """``(4,)`` box of the object the command refers to, where labelled; else ``None``."""
        target = int(self.truth['target'][index])
        return None if target < 0 else np.asarray(self.truth['boxes'][index, target])

    def class_counts(self) -> dict[str, dict[str, int]]:
        """``{'situations': {name: samples}, 'actions': {name or 'unlabelled': samples}}``."""
        situations = collections.Counter(self.truth['situation'].tolist())
        actions = collections.Counter(self.truth['action'].tolist())
        return {
            'situations': {name: situations.get(i, 0)
                           for i, name in enumerate(self.names.situations)},
            'actions': {**{name: actions.get(i, 0) for i, name in enumerate(self.names.actions)},
                        'unlabelled': actions.get(-1, 0)},
        }

    def summary_lines(self, title: str) -> list[str]:
        """The split's bags, samples, skipped frames and class counts, as printed."""
        unlabelled = sum(s['unlabelled'] for s in self.meta['stats'])
        counts = self.class_counts()
        return [
            f'{title}: {len(self)} samples from {len(self.bags)} bag(s) '
            f'({unlabelled} unlabelled frames skipped): {", ".join(self.bags)}',
            '  situations: ' + ', '.join(f'{k} {v}' for k, v in counts['situations'].items()),
            '  actions: ' + ', '.join(f'{k} {v}' for k, v in counts['actions'].items()),
        ]


def split_bags(bags: Sequence[os.PathLike | str], *,
               val_bags: Optional[Sequence[os.PathLike | str]] = None,
               val_fraction: float = 0.2) -> tuple[list[pathlib.Path], list[pathlib.Path]]:
    """Training and validation bags: whole bags, never frames of one bag in both.

    Args:
        bags: every bag (validation bags may be among them; they are then held out).
        val_bags: the validation bags; ``None`` holds out each bag with probability
            ``val_fraction``, drawn from a hash of its name (at least one when there are two
            or more), so a bag stays on its side whatever the order and the other bags.
        val_fraction: share of bags for validation when ``val_bags`` is ``None``.

    Returns ``(train, val)``; ``val`` is empty for a single bag and no ``val_bags``.

    Raises:
        BagDatasetError: a bag given twice, or no training bag left.
    """
    bags = [pathlib.Path(b) for b in bags]
    names = [b.resolve() for b in bags]
    if len(set(names)) != len(names):
        raise BagDatasetError(f'a bag is given twice: {[str(b) for b in bags]}')
    if val_bags is not None:
        val = [pathlib.Path(b) for b in val_bags]
        held = {b.resolve() for b in val}
        train = [b for b in bags if b.resolve() not in held]
    else:
        if not 0.0 <= val_fraction < 1.0:
            raise BagDatasetError(f'val_fraction={val_fraction}; expected [0, 1)')
        draw = {b: int(hashlib.sha256(b.name.encode()).hexdigest()[:8], 16) / 2 ** 32
                for b in bags}
        val = sorted(b for b in bags if draw[b] < val_fraction)
        if not val and len(bags) > 1 and val_fraction > 0:
            val = [min(bags, key=draw.get)]
        train = [b for b in bags if b not in val]
    if not train:
        raise BagDatasetError('every bag is a validation bag; no bag is left to train on')
    return train, val


def load_bag_split(bags: Sequence[os.PathLike | str], *, config=None,
                   spec: Optional[ModalitySpec] = None,
                   root: Optional[os.PathLike | str] = None,
                   text_encoder: Optional[os.PathLike | str] = None, namespace: str = '/',
                   progress: bool = True,
                   text_adapter: Optional[TextAdapter] = None) -> BagSplit:
    """Cache (if needed) and open the bags as one :class:`BagSplit`."""
    return BagSplit([cache_bag(b, config=config, spec=spec, root=root,
                               text_encoder=text_encoder, namespace=namespace,
                               progress=progress, text_adapter=text_adapter) for b in bags])


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Cut and cache bags, print the split's class counts (what ``train --bags`` will use)."""
    import argparse
    import sys

    from multimodal_fusion.labels.label_set import LabelError
    from multimodal_fusion.ros.node.config import node_config_from_file

    p = argparse.ArgumentParser(prog='python -m multimodal_fusion.training.bag_dataset',
                                description=main.__doc__)
    p.add_argument('bags', nargs='+', type=pathlib.Path, metavar='BAG')
    p.add_argument('--val-bags', nargs='+', type=pathlib.Path, default=None, metavar='BAG')
    p.add_argument('--params', type=pathlib.Path, default=None,
                   help="the node's params file (topics, sync)")
    p.add_argument('--namespace', default='/', help="the node's namespace")
    p.add_argument('--no-progress', action='store_true')
    args = p.parse_args(argv)
    try:
        config = node_config_from_file(args.params)
        train, val = split_bags(args.bags, val_bags=args.val_bags)
        lines = []
        for title, bags in (('train', train), ('val', val)):
            if bags:
                split = load_bag_split(bags, config=config, namespace=args.namespace,
                                       progress=not args.no_progress)
                lines += split.summary_lines(title)
                lines += [f'  cached in {f}' for f in split.folders]
    except (BagDatasetError, LabelError, FileNotFoundError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr, flush=True)
        return 2
    print('\n'.join(lines), flush=True)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
