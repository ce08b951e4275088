# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""What the node published next to what the model says on the simulator's own windows.

    python -m multimodal_fusion.ros.demo --compare-offline

Three figures on the same frames of the same episodes:

* **live**: what the node published over DDS, as the recorder scored it;
* **offline**: the model (a :class:`~multimodal_fusion.inference.FusionEngine` set up as the
  node sets up its own, its predictions turned into the node's messages and read back as
  the recorder reads them) on ``Episode.window(t)``, the windows training samples are made
  of, at every frame the node published an output for;
* **replay**: the node's own input path (``InputHandlers`` into the ``FusionSynchronizer``,
  configured as the node configures it) fed the publisher's messages in timeline order in
  this process, each arriving at its stamp: no DDS, no load, deterministic. Where its
  windows differ from ``Episode.window(t)`` the node's windowing differs from training;
  where live differs from offline but replay does not, the transport or the load did it.

:func:`compare` returns all three with the frame-by-frame diagnosis; :func:`report_lines`
writes it as Markdown for the demo's ``summary.md``.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from dataclasses import field
import heapq
import itertools
import math
import time
from typing import Callable, Iterable, Mapping, Optional

import numpy as np

from multimodal_fusion.inference import FusionEngine
from multimodal_fusion.ros.node.config import NodeConfig
from multimodal_fusion.ros.node.parameters import PARAMS
from multimodal_fusion.ros.offline_path import make_engine
from multimodal_fusion.ros.offline_path import OfflinePath
from multimodal_fusion.ros.offline_path import resolve_topic
from multimodal_fusion.ros.recorder import output_from_prediction
from multimodal_fusion.ros.recorder import Recording
from multimodal_fusion.ros.recorder import score
from multimodal_fusion.ros.sim_messages import SIM_TIME_ORIGIN_NS
from multimodal_fusion.ros.sim_messages import SimMessages
from multimodal_fusion.ros.sim_publisher import playback_timeline
from multimodal_fusion.sim import Episode
from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim import SimConfig
from multimodal_fusion.spec import SensorFrames

# Windows closer than this to the simulator's are the same (16-bit audio, float32 rows).
AUDIO_TOLERANCE = 1e-3
ROW_TOLERANCE = 1e-4
# The figures compared, in the order they are shown.
FIGURES = ('situation_accuracy', 'action_accuracy', 'detection_recall', 'grounding_accuracy')


@dataclass(frozen=True)
class PlayedFrame:
    """One camera frame of a playback: where it is on the timeline and in its episode."""

    at_ns: int
    episode_index: int
    episode: Episode
    t: float


def played_frames(simulator: ScenarioSimulator, episodes: Iterable[int], *,
                  separate: bool) -> list[PlayedFrame]:
    """The camera frames ``sim_publisher`` sends for ``episodes``, in order."""
    indices = list(episodes)
    seen: dict[int, int] = {}
    frames = []
    for event in playback_timeline(simulator, indices, separate=separate):
        position = seen.setdefault(id(event.episode), len(seen))
        if event.kind == 'camera':
            frames.append(PlayedFrame(event.at_ns, indices[position], event.episode, event.t))
    return frames


def align(stamps: Iterable[int], frames: list[PlayedFrame],
          stamp_base_ns: int) -> dict[int, PlayedFrame]:
    """Which played frame each published stamp is.

    Args:
        stamps: camera stamps (of the ground truth the publisher sent).
        frames: the playback's frames.
        stamp_base_ns: the publisher's stamp of the timeline's time 0 (it logs it): frame
            ``f`` is stamped ``stamp_base_ns + f.at_ns``.

    Raises:
        ValueError: a stamp that is no frame of the playback (another seed, episodes or
            base).
    """
    by_at = {f.at_ns: f for f in frames}
    strays = [s for s in stamps if s - stamp_base_ns not in by_at]
    if strays:
        raise ValueError(f'{len(strays)} stamps are no frame of the playback (first: '
                         f'{strays[0]}); wrong seed, episodes or stamp base?')
    return {s: by_at[s - stamp_base_ns] for s in stamps}


def default_node_config(overrides: Optional[Mapping[str, object]] = None) -> NodeConfig:
    """The node's configuration: every parameter at its default but ``overrides``.

    Raises:
        ValueError: an override the node would refuse.
    """
    return NodeConfig.from_values({**{p.name: p.default for p in PARAMS},
                                   **(overrides or {})})


def replay(simulator: ScenarioSimulator, episodes: Iterable[int], config: NodeConfig,
           engine: FusionEngine, *, separate: bool,
           latency_s: Optional[Mapping[str, float]] = None) -> dict[int, SensorFrames]:
    """The windows the node's input path builds from the publisher's messages.

    Args:
        simulator: the publisher's simulator.
        episodes: the indices of its episodes.
        config: the node's configuration.
        engine: for the model's modality spec.
        separate: as ``sim_publisher --separate-episodes``.
        latency_s: per stream (``'camera'``, ``'audio'``, ``'text'``, ``'touch'``,
            ``'proprio'``), how long after it is sent each message reaches the node;
            none by default. Messages are handled in arrival order (in sending order when
            they arrive together), the node's clock reading the arrival time.

    Returns:
        ``{frame at_ns: frames}`` for every set the synchroniser emitted.
    """
    path = OfflinePath(config, engine.spec)
    sets = []
    delays = {k: int(round(v * 1e9)) for k, v in (latency_s or {}).items()}
    in_flight: list = []  # (arrival ns, sending order, topic, message)
    order = itertools.count()

    def arrive(until_ns: float) -> None:
        while in_flight and in_flight[0][0] <= until_ns:
            arrival, _, topic, msg = heapq.heappop(in_flight)
            if topic in path.routes:
                sets.extend(path.handle(topic, msg, arrival))

    # The publisher's topics are relative: they resolve in its (root) namespace, as the
    # node's own topic names do in the node's.
    messages = SimMessages(simulator.config)
    for topic, msg in messages.start(SIM_TIME_ORIGIN_NS):
        sets.extend(path.handle(resolve_topic(topic), msg, SIM_TIME_ORIGIN_NS))
    for event in playback_timeline(simulator, episodes, separate=separate):
        sent_ns = SIM_TIME_ORIGIN_NS + event.at_ns
        # Whatever arrives before this is sent (latencies are never negative).
        arrive(sent_ns - 1)
        for topic, msg in messages.build(event, sent_ns):
            heapq.heappush(in_flight, (sent_ns + delays.get(event.kind, 0), next(order),
                                       resolve_topic(topic), msg))
        arrive(sent_ns)
    arrive(math.inf)
    sets.extend(path.finish())
    return {synced.stamp_ns - SIM_TIME_ORIGIN_NS: synced.frames for synced in sets}


def window_differences(built: SensorFrames, truth: SensorFrames) -> list[str]:
    """The modalities whose windows differ between ``built`` and the simulator's ``truth``.

    ``'<modality>:absent'`` / ``'<modality>:present'`` when only ``built`` lacks / has it.
    """
    out = []
    for name, tolerance in (('audio', AUDIO_TOLERANCE), ('touch', ROW_TOLERANCE),
                            ('proprio', ROW_TOLERANCE), ('text', None)):
        a, b = getattr(built, name), getattr(truth, name)
        if (a is None) != (b is None):
            out.append(f'{name}:{"absent" if a is None else "present"}')
        elif a is None:
            continue
        elif tolerance is None:
            if a != b:
                out.append(name)
        elif a.shape != b.shape or np.abs(a - b).max() > tolerance * (1 + np.abs(b).max()):
            out.append(name)
    return out


@dataclass
class Comparison:
    """Live, offline and replay figures on the same frames, with the diagnosis.

    Attributes:
        live: :func:`~multimodal_fusion.ros.recorder.score` of what the node published.
        offline: the same figures for the model on ``Episode.window(t)`` at the frames with
            a live output.
        offline_all_frames: the same on every published frame.
        replay: the same for the replayed input path, at the frames with a live output.
        frames: frames compared (published with an output, and found in the playback).
        live_differs: frames whose live situation or action is not offline's.
        replay_differs: of those, the frames where replay is not offline's either.
        window_differences: per modality difference, the frames whose replayed windows
            differ from the simulator's (every frame, output or not).
        unexplained: ``live_differs`` frames whose replayed windows equal the simulator's:
            the transport or the load, not the windowing.
        examples: up to 12 disagreeing frames: episode, time, offline, live, replay.
        seconds: how long the offline and replay computation took.
    """

    live: dict
    offline: dict
    offline_all_frames: dict
    replay: dict
    frames: int
    live_differs: int
    replay_differs: int
    window_differences: dict = field(default_factory=dict)
    unexplained: int = 0
    examples: list = field(default_factory=list)
    seconds: float = 0.0


def _label_pair(output) -> tuple:
    return output.situation, output.action


def compare(rec: Recording, *, seed: int, episodes: Iterable[int], separate: bool,
            stamp_base_ns: int, config: Optional[NodeConfig] = None,
            sim_config: SimConfig = SimConfig(),
            log: Callable[[str], None] = print) -> Comparison:
    """Score live, offline and replay on the frames of ``rec`` (see the module docstring).

    Args:
        rec: what the recorder saw of a ``sim_publisher`` run.
        seed: its ``--seed``.
        episodes: the indices of its episodes.
        separate: its ``--separate-episodes``.
        stamp_base_ns: the stamp base it logged.
        config: the node's configuration; None for the defaults.
        sim_config: the simulator configuration it played (its ``--relations``).
        log: progress lines.
    """
    t0 = time.perf_counter()
    config = config or default_node_config()
    engine = make_engine(config)
    names = list(engine.labels['object_classes'])
    simulator = ScenarioSimulator(seed, sim_config)
    episodes = list(episodes)
    frames = align(rec.truth, played_frames(simulator, episodes, separate=separate),
                   stamp_base_ns)
    log(f'[compare] {len(frames)} published frames found in the playback; replaying the '
        "node's input path")
    built = replay(simulator, episodes, config, engine, separate=separate)
    log(f'[compare] running the model on {len(frames)} simulator windows and as many '
        'replayed ones')
    offline, replayed = {}, {}
    differences: collections.Counter = collections.Counter()
    why: dict[int, list[str]] = {}
    for stamp, frame in sorted(frames.items()):
        window = frame.episode.window(frame.t).frames
        offline[stamp] = output_from_prediction(stamp, engine.infer(window).prediction, names)
        mine = built.get(frame.at_ns)
        if mine is None:
            why[stamp] = ['no set']
            differences['no set'] += 1
            continue
        why[stamp] = window_differences(mine, window)
        differences.update(why[stamp])
        replayed[stamp] = output_from_prediction(stamp, engine.infer(mine).prediction, names)
    live_frames = [s for s in sorted(rec.outputs) if s in frames]

    def scored(outputs: dict, stamps: list) -> dict:
        return score(Recording(outputs={s: outputs[s] for s in stamps if s in outputs},
                               truth=rec.truth))

    live_differs = [s for s in live_frames
                    if _label_pair(rec.outputs[s]) != _label_pair(offline[s])]
    replay_differs = [s for s in live_differs
                      if s not in replayed or _label_pair(replayed[s]) != _label_pair(offline[s])]
    examples = []
    for s in live_differs[:12]:
        f = frames[s]
        examples.append({
            'episode': f.episode_index, 't': round(f.t, 3),
            'offline': _label_pair(offline[s]), 'live': _label_pair(rec.outputs[s]),
            'replay': _label_pair(replayed[s]) if s in replayed else None,
            'replay_windows_differ': why.get(s, [])})
    return Comparison(
        live=score(Recording(outputs={s: rec.outputs[s] for s in live_frames},
                             truth=rec.truth)),
        offline=scored(offline, live_frames),
        offline_all_frames=scored(offline, sorted(frames)),
        replay=scored(replayed, live_frames),
        frames=len(live_frames), live_differs=len(live_differs),
        replay_differs=len(replay_differs),
        window_differences=dict(differences.most_common()),
        unexplained=sum(1 for s in live_differs if not why.get(s)),
        examples=examples, seconds=time.perf_counter() - t0)


def _fmt(value) -> str:
    return '-' if value is None else f'{value:.3f}'


def report_lines(c: Comparison) -> list[str]:
    """The comparison as Markdown lines (a table, then the diagnosis)."""
    lines = [
        '| figure | live | offline | live - offline | replay | offline, every frame |',
        '|---|---|---|---|---|---|',
    ]
    for key in FIGURES:
        live, off = c.live.get(key), c.offline.get(key)
        gap = None if live is None or off is None else live - off
        lines.append(f'| {key} | {_fmt(live)} | {_fmt(off)} | '
                     f'{"-" if gap is None else f"{gap * 100:+.1f} points"} | '
                     f'{_fmt(c.replay.get(key))} | {_fmt(c.offline_all_frames.get(key))} |')
    lines += [
        '',
        f'{c.frames} frames with a live output; offline and replay computed on them '
        f'({c.offline_all_frames["frames_with_output"]} frames in all) in {c.seconds:.0f} s. '
        f'Live and offline disagree (situation or action) on {c.live_differs} frames; on '
        f'{c.replay_differs} of them the replay disagrees with offline too (the windowing '
        f'of the input path), and on {c.unexplained} the replayed windows equal the '
        "simulator's (the transport or the load).",
        '',
        'Replayed windows that differ from `Episode.window(t)`, by modality (frames): '
        + (', '.join(f'{k} {n}' for k, n in c.window_differences.items()) or 'none') + '.',
    ]
    if c.examples:
        lines += ['', 'Disagreeing frames (episode, time, offline, live, replay, replayed '
                  'windows that differ):', '']
        lines += [f'- {e["episode"]} @ {e["t"]} s: {e["offline"]} / {e["live"]} / '
                  f'{e["replay"]} / {", ".join(e["replay_windows_differ"]) or "none"}'
                  for e in c.examples]
    return lines
