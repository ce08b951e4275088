# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Train, fine-tune and evaluate on labelled bags, in the team's own label names.

``python -m multimodal_fusion.training.train --bags BAG [BAG ...] --out runs/mine
[--finetune multimodal_fusion/assets/fusion_default.pt] [--val-bags BAG ...]``

The training loop is :class:`~multimodal_fusion.training.train.Trainer`'s; what differs:

* the data: :class:`~multimodal_fusion.training.bag_dataset.BagSplit` of whole bags;
* the heads: sized by the label names the bags declare (situations, actions, object
  classes), which the exported model's metadata then carries, so the node publishes them;
* fine-tuning (``--finetune MODEL``): the model file's strategy, sizes and modality spec
  (joint names included), and every weight of it whose name and shape fit, normalisers
  included; heads whose class count differs start fresh (the log lists them);
* validation: :func:`evaluate_bag_split`, the simulator's metrics in the bags' names.

Shape legend: ``b`` batch, ``m`` modalities (5).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace
import os
import pathlib
from typing import Optional
from typing import Sequence

import numpy as np
import torch

from multimodal_fusion.export.model_file import load_model_file
from multimodal_fusion.inference.engine import EngineSettings
from multimodal_fusion.labels.label_set import LabelNames
from multimodal_fusion.models.build import build_model
from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.models.fusion_model import FusionModel
from multimodal_fusion.preprocessing.text_adapter import TextAdapter
from multimodal_fusion.spec import DEFAULT_SPEC
from multimodal_fusion.spec import ModalitySpec
from multimodal_fusion.training.bag_dataset import BagDatasetError
from multimodal_fusion.training.bag_dataset import BagSplit
from multimodal_fusion.training.bag_dataset import load_bag_split
from multimodal_fusion.training.bag_dataset import split_bags
from multimodal_fusion.training.evaluation import EvalResult
from multimodal_fusion.training.evaluation import score_outputs
from multimodal_fusion.training.train import fit_normalisers
from multimodal_fusion.training.train import model_config
from multimodal_fusion.training.train import Trainer
from multimodal_fusion.training.train import TrainSettings


@dataclass(frozen=True)
class BagData:
    """Where a bag run's data comes from.

    Attributes:
        bags: every bag (validation bags among them are held out).
        val_bags: validation bags (``None``: chosen by :func:`split_bags`).
        params: the node's params file the bags are cut with (``None``: defaults).
        namespace: the node's namespace.
        text_encoder: the sentence encoder's folder (``None``: the default one).
        text_adapter: the sentence encoder's fine-tuning (``None``: the fine-tuned model's
            own, or the frozen encoder when training from scratch).
    """

    bags: tuple[pathlib.Path, ...]
    val_bags: Optional[tuple[pathlib.Path, ...]] = None
    params: Optional[pathlib.Path] = None
    namespace: str = '/'
    text_encoder: Optional[pathlib.Path] = None
    text_adapter: Optional[TextAdapter] = None


def heads_config(base: ModelConfig, names: LabelNames) -> ModelConfig:
    """``base`` with the class counts of ``names``.

    Raises:
        BagDatasetError: no object classes declared (the detection head needs one at least).
    """
    if not names.object_classes:
        raise BagDatasetError('the labels declare no object_classes; the detection head needs '
                              'at least one (declare the classes even if no box is labelled)')
    return replace(base, num_situations=len(names.situations),
                   num_actions=max(1, len(names.actions)),
                   num_object_classes=len(names.object_classes))


def load_matching(model: torch.nn.Module, source: dict[str, torch.Tensor]
                  ) -> tuple[list[str], list[str]]:
    """Copy every tensor of ``source`` whose name and shape ``model`` has.

    Returns ``(loaded, fresh)``: the names copied and the model's names left as initialised.
    """
    own = model.state_dict()
    loaded = [k for k, v in own.items() if k in source and source[k].shape == v.shape]
    own.update({k: source[k] for k in loaded})
    model.load_state_dict(own)
    return loaded, [k for k in own if k not in set(loaded)]


class BagTrainer(Trainer):
    """A :class:`Trainer` on labelled bags (see the module docstring).

    Args:
        settings: what to train (``train_size``/``val_size`` are not used).
        out: run folder.
        data: the bags.
        finetune: a model file to start from (its strategy must be ``settings.strategy``).
        base_config: sizes of a model trained from scratch (default: the simulator runs'
            ``model_config(settings)``); the class counts come from the labels.
        device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``.
        progress: show tqdm bars.
        dataset_root: cache root (default: ``default_dataset_root()``).
        log: where the run says what it does.

    Raises:
        BagDatasetError: see :func:`split_bags`, :func:`heads_config` and ``cache_bag``.
        ValueError: a fine-tuned model of another strategy than ``settings.strategy``.
    """

    def __init__(self, settings: TrainSettings, out: os.PathLike | str, *, data: BagData,
                 finetune: Optional[os.PathLike | str] = None,
                 base_config: Optional[ModelConfig] = None, device: str = 'auto',
                 progress: bool = True, dataset_root: Optional[os.PathLike | str] = None,
                 log=print) -> None:
        self.data = data
        self.log = log
        self.finetune = pathlib.Path(finetune) if finetune is not None else None
        self.source_state: Optional[dict] = None
        self.base_config = base_config
        spec: ModalitySpec = DEFAULT_SPEC if base_config is None else base_config.spec
        adapter = data.text_adapter
        if self.finetune is not None:
            module, metadata, own_adapter = load_model_file(self.finetune)
            # The model's weights read text through its own adapter; keep it unless told.
            adapter = adapter if adapter is not None else own_adapter
            if metadata['strategy'] != settings.strategy:
                raise ValueError(f'{self.finetune} is a {metadata["strategy"]} model; '
                                 f'settings.strategy is {settings.strategy}')
            self.source_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
            self.base_config = ModelConfig.from_dict(metadata['config'])
            spec = self.base_config.spec
        self.spec = spec
        super().__init__(settings, out, device=device, workers=0, progress=progress,
                         dataset_root=dataset_root, text_adapter=adapter)

    def load_splits(self, workers: int, dataset_root: Optional[os.PathLike | str]
                    ) -> tuple[BagSplit, BagSplit]:
        """The bags cut and cached, split by bag; prints their class counts."""
        from multimodal_fusion.ros.node.config import node_config_from_file

        d = self.data
        config = node_config_from_file(d.params)
        train_bags, val_bags = split_bags(d.bags, val_bags=d.val_bags)

        def load(bags: Sequence[pathlib.Path]) -> BagSplit:
            return load_bag_split(bags, config=config, spec=self.spec, root=dataset_root,
                                  text_encoder=d.text_encoder, namespace=d.namespace,
                                  progress=self.progress, text_adapter=self.text_adapter)

        train = load(train_bags)
        if val_bags:
            val = load(val_bags)
            if val.names != train.names:
                raise BagDatasetError(f'validation bags declare {val.names.as_dict()}, '
                                      f'training bags {train.names.as_dict()}')
        else:
            val = train
        if self.is_main:
            lines = train.summary_lines('train')
            lines += val.summary_lines('val') if val_bags else [
                'val: no validation bag (one bag given): validating on the training bag, '
                'so validation scores are optimistic; record a second bag']
            self.log('\n'.join(lines))
        return train, val

    def make_config(self) -> ModelConfig:
        """The base sizes with heads for the bags' label names."""
        base = self.base_config if self.base_config is not None else replace(
            model_config(self.settings), spec=self.spec)
        return heads_config(base, self.train.names)

    def make_model(self) -> FusionModel:
        """From scratch (normalisers fitted on the bags) or from the fine-tuned model file."""
        model = build_model(self.settings.strategy, self.config, pretrained_camera=False)
        if self.source_state is None:
            fit_normalisers(model, self.train)
            return model
        loaded, fresh = load_matching(model, self.source_state)
        heads = sorted({name.rsplit('.', 1)[0] for name in fresh})
        self.log(f'fine-tuning {self.finetune}: {len(loaded)} of {len(loaded) + len(fresh)} '
                 f'tensors loaded (normalisers included); new: {", ".join(heads) or "none"}')
        return model

    def validate(self) -> dict[str, float]:
        """Scores on the validation bags."""
        self.model.eval()
        return evaluate_bag_split(self.model, self.val, device=self.device,
                                  batch_size=128).summary()

    def label_names(self) -> dict[str, list[str]]:
        """The bags' label names (actions: ``['none']`` when none are declared)."""
        names = self.train.names.as_dict()
        names['actions'] = names['actions'] or ['none']
        return names

    def data_summary(self) -> dict:
        """The bags trained and validated on, and their class counts."""
        return {'bags': {'train': list(self.train.bags), 'val': list(self.val.bags)},
                'class_counts': self.train.class_counts(),
                'finetuned_from': str(self.finetune) if self.finetune else None}


@torch.inference_mode()
def evaluate_bag_split(model, split: BagSplit, *, batch_size: int = 64,
                       device: torch.device | str = 'cpu',
                       settings: EngineSettings = EngineSettings()) -> EvalResult:
    """Score ``model`` (eager or TorchScript) on a bag split, in the split's label names.

    As :func:`~multimodal_fusion.training.evaluation.score_outputs`: situation macro-F1 and
    accuracy, action accuracy (over frames whose action is labelled), grounding (over frames
    whose referred object is located) and mAP@0.5 (over frames whose boxes are labelled).
    """
    names = split.names.as_dict()
    names['actions'] = names['actions'] or ['none']

    def run(chunk: list[int]) -> dict:
        items = [split[i] for i in chunk]
        return model(*(torch.stack([item[j] for item in items]).to(device)
                       for j in range(6)))

    return score_outputs(run, split, batch_size=batch_size, settings=settings, labels=names)


def majority_rate(split: BagSplit) -> float:
    """Situation accuracy of always answering the split's most frequent situation."""
    counts = np.bincount(split.truth['situation'], minlength=len(split.names.situations))
    return float(counts.max() / max(1, counts.sum()))


def train_from_bags(settings: TrainSettings, out: os.PathLike | str, *, data: BagData,
                    finetune: Optional[os.PathLike | str] = None,
                    export: Optional[os.PathLike | str] = None, device: str = 'auto',
                    progress: bool = True, resume: bool = False,
                    dataset_root: Optional[os.PathLike | str] = None) -> int:
    """What ``train --bags`` runs: train, export ``out/model.pt`` (and ``export``)."""
    trainer = BagTrainer(settings, out, data=data, finetune=finetune, device=device,
                         progress=progress, dataset_root=dataset_root)
    if resume and trainer.resume():
        print(f'resumed {out} at epoch {trainer.epoch}', flush=True)
    trainer.fit()
    print(f'exported {trainer.export()}', flush=True)
    if export:
        print(f'exported {trainer.export(export)}', flush=True)
    return 0


def write_bag_report(model_path: os.PathLike | str, bags: Sequence[os.PathLike | str],
                     out: os.PathLike | str, *, command: str, params=None,
                     dataset_root: Optional[os.PathLike | str] = None,
                     batch_size: int = 64, progress: bool = True) -> dict:
    """``evaluate --bags``: ``report.md``, ``results.json`` and plots for a model on bags.

    Raises:
        BagDatasetError: bags whose label names differ from the model's.
    """
    import json

    from multimodal_fusion.ros.node.config import node_config_from_file
    from multimodal_fusion.spec import MODALITIES
    from multimodal_fusion.training.evaluate import plot_confusion
    from multimodal_fusion.training.evaluate import plot_heatmap
    from multimodal_fusion.training.metrics import confusion_matrix

    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    module, metadata, adapter = load_model_file(model_path)
    spec = ModalitySpec.from_dict(metadata['spec'])
    split = load_bag_split(bags, config=node_config_from_file(params), spec=spec,
                           root=dataset_root, progress=progress, text_adapter=adapter)
    model_names = metadata['labels']
    split_names = split.names.as_dict()
    split_names['actions'] = split_names['actions'] or ['none']
    for key in ('situations', 'actions', 'object_classes'):
        if model_names[key] != split_names[key]:
            raise BagDatasetError(f'the bags declare {key} {split_names[key]} but the model '
                                  f'{model_path} outputs {model_names[key]}')
    result = evaluate_bag_split(module, split, batch_size=batch_size)
    situations = list(split.names.situations)
    matrix = confusion_matrix(result.situation_true, result.situation_pred, len(situations))
    plot_confusion(matrix, situations, out / 'confusion_situations.png',
                   'Situations on the bags')
    weights = np.zeros((len(situations), len(MODALITIES)))
    for s in range(len(situations)):
        rows = result.situation_true == s
        if rows.any():
            weights[s] = result.modality_weights[rows].mean(axis=0)
    plot_heatmap(weights, situations, MODALITIES, out / 'modality_weights.png',
                 'Mean modality weight per true situation')
    results = {'model': str(model_path), 'bags': split.bags, 'samples': len(split),
               'scores': result.summary(), 'majority_rate': round(majority_rate(split), 4),
               'class_counts': split.class_counts(), 'confusion': matrix.tolist()}
    (out / 'results.json').write_text(json.dumps(results, indent=1))
    s = results['scores']
    lines = ['# Evaluation report (bags)', '',
             'Generated by `python -m multimodal_fusion.training.evaluate --bags`. Command:', '',
             f'    {command}', '',
             f'Model `{model_path}` ({metadata["strategy"]}), {len(split)} labelled camera '
             f"frames of {len(split.bags)} bag(s), cut by the node's path: "
             + ', '.join(f'`{b}`' for b in split.bags) + '.', '',
             '| metric | value (%) |', '|---|--:|',
             f'| situation macro-F1 | {100 * s["situation_f1"]:.1f} |',
             f'| situation accuracy | {100 * s["situation_accuracy"]:.1f} |',
             f'| majority-class situation accuracy (chance) | '
             f'{100 * results["majority_rate"]:.1f} |',
             f'| action accuracy (labelled actions) | {100 * s["action_accuracy"]:.1f} |',
             f'| grounding accuracy (located referred objects) | {100 * s["grounding"]:.1f} |',
             f'| mAP@0.5 (frames with labelled boxes) | {100 * s["map50"]:.1f} |', '',
             '## Situations', '', '| situation | frames |', '|---|--:|']
    lines += [f'| {k} | {v} |' for k, v in results['class_counts']['situations'].items()]
    lines += ['', '![confusion matrix](confusion_situations.png)', '',
              '![modality weights](modality_weights.png)', '']
    (out / 'report.md').write_text('\n'.join(lines))
    return results
