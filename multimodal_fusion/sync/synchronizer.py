# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The five sensor streams in, one :class:`SyncedSet` per matched camera frame out.

Shape legend: ``t`` window steps, ``f`` features, ``h``/``w`` image height/width.

What it adds to message_filters, for a robot that loses sensors at run time:

* The set is driven by the camera (the anchor) and the *required* modalities only; they go
  through the :class:`ApproximateTimePolicy`. Optional modalities never hold a set back:
  at assembly each one is present when its newest data at or before the set's stamp is no
  older than its maximum age, and absent (presence mask False, ``None`` frame) otherwise.
* Every stream, required or not, also feeds a ring buffer; the windows end with each
  stream's newest data at or before the set's stamp (see ``windows.py``).
* A matched set waits, a bounded time (``window_wait_s``), for every live windowed stream
  to reach its stamp before its windows are cut: sensor messages of the same instant often
  come after the camera frame (other topics, other transport, another callback order), and
  a window cut before them ends early or with zeros, which the model never saw in training.
* Drops are counted by reason and stream. A backwards time jump of the camera (the
  anchor) clears everything; one of another stream clears only that stream (its driver's
  clock fault must not stop the others). Both are reported through a callback.

Streams (the ``source`` of drop counts): ``camera``, ``audio``, ``text``, ``touch/<wrist>``
per wrist, ``proprio/joints`` and, with an IMU, ``proprio/imu``.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from dataclasses import replace
import threading
import time
from typing import Any, Callable, Optional

import numpy as np

from multimodal_fusion.spec import DEFAULT_SPEC
from multimodal_fusion.spec import IMU_FEATURES
from multimodal_fusion.spec import MODALITIES
from multimodal_fusion.spec import ModalitySpec
from multimodal_fusion.spec import SensorFrames
from multimodal_fusion.spec import WRENCH_FEATURES
from multimodal_fusion.spec import WRISTS
from multimodal_fusion.sync.counters import DropCounters
from multimodal_fusion.sync.counters import DropReason
from multimodal_fusion.sync.counters import SetDropReason
from multimodal_fusion.sync.policy import ApproximateTimePolicy
from multimodal_fusion.sync.policy import MatchedSet
from multimodal_fusion.sync.stamp_gate import StampGate
from multimodal_fusion.sync.stamp_gate import TimeJump
from multimodal_fusion.sync.stamp_gate import Verdict
from multimodal_fusion.sync.synced_set import SyncedSet
from multimodal_fusion.sync.windows import AudioRing
from multimodal_fusion.sync.windows import NS_PER_S
from multimodal_fusion.sync.windows import RowRing
from multimodal_fusion.sync.windows import TextHistory

CAMERA = 'camera'
AUDIO = 'audio'
TEXT = 'text'
JOINTS = 'proprio/joints'
IMU = 'proprio/imu'


def touch_stream(wrist: str) -> str:
    """Stream name of one wrist's wrench topic."""
    return f'touch/{wrist}'


def _ns(seconds: float) -> int:
    return int(round(seconds * NS_PER_S))


@dataclass(frozen=True)
class SyncConfig:
    """How the synchroniser matches, windows and judges staleness.

    Attributes:
        spec: windows, rates and feature sizes.
        required: modalities a set cannot go without; must contain ``'camera'``. Required
            audio, touch (every wrist) and proprio (joints, and the IMU when ``imu``) are
            matched by the ApproximateTime policy, so a set waits for them; required text is
            checked at assembly (a set without a current command is dropped).
        wrists: wrist names, in feature order of the touch window; as many as
            ``spec.touch.wrists``.
        imu: whether an IMU stream is expected. Without one the IMU columns of the proprio
            window are zeros; with one, a stale IMU makes proprio absent.
        slop_s: maximum span of the stamps matched into one set (inclusive).
        queue_size: per-stream queue limit of the policy (high-rate required streams need
            about rate times camera latency).
        age_penalty: the policy's preference for earlier sets (see ApproximateTimePolicy).
        audio_max_age_s: audio older than this at the set's stamp is absent.
        touch_max_age_s: a wrist wrench older than this makes touch absent.
        proprio_max_age_s: joint states (or IMU) older than this make proprio absent.
        text_max_age_s: how long a command stays current; None for ``spec.text.max_age_s``.
        history_s: how much longer than its window each buffer reaches back, to cover the
            time a set waits in the policy.
        ring_rows: rows kept per wrench, joint-state and IMU stream; at least the stream's
            rate times (window + ``history_s``).
        window_wait_s: how long (on the synchroniser's clock, from when the set was matched)
            a set waits for its live windowed streams (audio, touch, proprio: those fresh
            enough to be present) to reach its stamp before its windows are cut anyway;
            0 cuts them at once. A stream that has not reached the stamp by then is counted
            ``LATE``.
        interpolate: resample touch and proprio linearly (True) or by sample-and-hold.
        audio_stamp_marks_end: audio chunk stamps mark the end of the chunk (True) or its
            first sample (False).
        audio_jitter_s: audio stamp jitter tolerated before a gap is zero-filled or an
            overlap overwritten.
        time_jump_threshold_s: a stamp this much older than its stream's newest is a
            backwards time jump.
    """

    spec: ModalitySpec = DEFAULT_SPEC
    required: frozenset = frozenset({CAMERA})
    wrists: tuple[str, ...] = WRISTS
    imu: bool = True
    slop_s: float = 0.05
    queue_size: int = 64
    age_penalty: float = 0.1
    audio_max_age_s: float = 0.25
    touch_max_age_s: float = 0.1
    proprio_max_age_s: float = 0.1
    text_max_age_s: Optional[float] = None
    history_s: float = 1.0
    ring_rows: int = 2048
    window_wait_s: float = 0.1
    interpolate: bool = True
    audio_stamp_marks_end: bool = False
    audio_jitter_s: float = 0.002
    time_jump_threshold_s: float = 1.0

    def __post_init__(self) -> None:
        required = frozenset(self.required)
        object.__setattr__(self, 'required', required)
        unknown = required - set(MODALITIES)
        if unknown:
            raise ValueError(f'required has unknown modalities {sorted(unknown)}; '
                             f'expected names from {MODALITIES}')
        if CAMERA not in required:
            raise ValueError(
                f"required must contain 'camera' (the anchor), got {sorted(required)}")
        if len(self.wrists) != self.spec.touch.wrists or len(set(self.wrists)) != len(self.wrists):
            raise ValueError(f'wrists must be {self.spec.touch.wrists} distinct names '
                             f'(spec.touch.wrists), got {self.wrists!r}')
        for name in ('slop_s', 'audio_jitter_s', 'age_penalty', 'history_s',
                     'window_wait_s'):
            if getattr(self, name) < 0:
                raise ValueError(f'{name} must be non-negative, got {getattr(self, name)}')
        for name in ('audio_max_age_s', 'touch_max_age_s', 'proprio_max_age_s',
                     'time_jump_threshold_s'):
            if getattr(self, name) <= 0:
                raise ValueError(f'{name} must be positive, got {getattr(self, name)}')
        if self.text_max_age_s is not None and self.text_max_age_s <= 0:
            raise ValueError(f'text_max_age_s must be positive or None, got {self.text_max_age_s}')
        if self.queue_size < 1 or self.ring_rows < 2:
            raise ValueError(f'queue_size must be >= 1 and ring_rows >= 2, got '
                             f'{self.queue_size}, {self.ring_rows}')

    @property
    def policy_streams(self) -> tuple[str, ...]:
        """The streams the ApproximateTime policy matches, in its input order."""
        streams = [CAMERA]
        if AUDIO in self.required:
            streams.append(AUDIO)
        if 'touch' in self.required:
            streams.extend(touch_stream(w) for w in self.wrists)
        if 'proprio' in self.required:
            streams.append(JOINTS)
            if self.imu:
                streams.append(IMU)
        return tuple(streams)


class FusionSynchronizer:
    """Synchronises camera, audio, text, wrist wrenches and joint states/IMU into sets.

    The node converts each message to numpy, takes its header stamp as integer nanoseconds
    (text, which has no header, is stamped on arrival) and calls the matching ``add_*``. An
    ``add_*`` returns the sets it completed (usually none or one), oldest first; only the
    camera and required streams can complete a set. Messages the node fails to convert are
    reported with :meth:`report_malformed`. Every method is thread-safe.

    Conventions:

    * A stamp older than its stream's newest is dropped (``OUT_OF_ORDER``); older by more
      than ``time_jump_threshold_s`` is a backwards time jump. On the camera, policy
      queues and buffers are cleared (queued messages counted ``TIME_JUMP``) and
      ``time_jumps`` incremented; on any other stream only that stream's buffer is cleared
      (and the policy queues, when it is matched by the policy) and
      ``stream_jumps[stream]`` incremented. Either way ``on_time_jump`` is called (after
      the internal lock is released, so it may log freely).
    * Touch is present only when every wrist is fresh: a missing wrist is not zeros, since
      zero force is a real reading ("no contact") that the model would trust. Likewise
      proprio needs fresh joints and, when ``imu``, a fresh IMU.
    * ``STALE`` counts, per emitted set, each modality that had data but too old.
    * ``UNMATCHED`` is counted for camera frames only: a required stream's message that no
      set matched still feeds its window (joint states at 500 Hz match one frame in 17).
    * A set whose required modality is absent at assembly is dropped and counted in
      ``set_drops`` as ``MISSING_REQUIRED``. Windows are causal, so this also happens when
      the policy matched a frame with a required message stamped just after it and nothing
      of that stream is at or before the frame (the first frame after start-up or a jump).
    * Windows are cut when the set is emitted: after the policy has matched it, a set waits
      until every live windowed stream (audio, touch, proprio whose newest data is within
      its maximum age of the set's stamp) has reached the stamp, or ``window_wait_s`` has
      passed on ``clock`` since it was matched; sets leave in stamp order. Messages release
      the sets they complete from their ``add_*``; :meth:`release_due` releases the sets
      whose wait ran out while nothing came (call it from a timer). A stream that had not
      reached the stamp is counted ``LATE`` (a late audio chunk leaves zeros at the end of
      the window; late rows leave it ending early).

    Args:
        config: see :class:`SyncConfig`.
        on_time_jump: called with a :class:`TimeJump` after buffers were cleared.
        clock: seconds, monotonic; times the sets' waits (``window_wait_s``).

    Attributes:
        config: as given.
        drops: message drops by :class:`DropReason` and stream.
        set_drops: set drops by :class:`SetDropReason` (the inference worker adds to it).
        time_jumps: backwards time jumps of the camera (the whole timeline) seen.
        stream_jumps: backwards jumps of single streams, by stream.
        last_time_jump: the latest jump of either kind, or None.
    """

    def __init__(self, config: SyncConfig = SyncConfig(), *,
                 on_time_jump: Optional[Callable[[TimeJump], None]] = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.drops = DropCounters()
        self.set_drops = DropCounters()
        self.time_jumps = 0
        self.stream_jumps: collections.Counter[str] = collections.Counter()
        self.last_time_jump: Optional[TimeJump] = None
        self._on_time_jump = on_time_jump
        self._clock = clock
        self._lock = threading.Lock()
        # Matched sets waiting for their windows, oldest first: (deadline, matched set).
        self._pending: collections.deque[tuple[float, MatchedSet]] = collections.deque()

        spec = config.spec
        self._streams = config.policy_streams
        self._policy_index = {stream: i for i, stream in enumerate(self._streams)}
        self._policy = ApproximateTimePolicy(
            len(self._streams), queue_size=config.queue_size, slop_ns=_ns(config.slop_s),
            age_penalty=config.age_penalty, on_drop=self._count_policy_drop)
        self._gate = StampGate(_ns(config.time_jump_threshold_s), anchor=CAMERA)

        rate = spec.audio.sample_rate
        self._audio = AudioRing(
            rate, int(np.ceil((spec.audio.window_s + config.history_s) * rate)),
            jitter_samples=int(round(config.audio_jitter_s * rate)),
            stamp_marks_end=config.audio_stamp_marks_end)
        self._text = TextHistory()
        self._touch = {w: RowRing(WRENCH_FEATURES, config.ring_rows) for w in config.wrists}
        self._joints = RowRing(2 * spec.proprio.joints, config.ring_rows)
        self._imu = RowRing(IMU_FEATURES, config.ring_rows) if config.imu else None

        self._max_age_ns = {
            AUDIO: _ns(config.audio_max_age_s),
            TEXT: _ns(spec.text.max_age_s if config.text_max_age_s is None
                      else config.text_max_age_s),
            'touch': _ns(config.touch_max_age_s),
            'proprio': _ns(config.proprio_max_age_s),
        }

    # -- inputs -----------------------------------------------------------------------------

    def add_camera(self, stamp_ns: int, image: np.ndarray, anchor: Any = None) -> list[SyncedSet]:
        """One camera frame.

        Args:
            stamp_ns: header stamp.
            image: ``(h, w, 3)`` RGB (uint8 by convention; any size).
            anchor: anything to hand back with the set (e.g. the header to stamp outputs).
        """
        if not (isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 3):
            return self._malformed(CAMERA)
        return self._ingest(CAMERA, stamp_ns, None, (image, anchor))

    def add_audio(self, stamp_ns: int, samples: np.ndarray,
                  sample_rate: Optional[int] = None) -> list[SyncedSet]:
        """One chunk of mono audio.

        Args:
            stamp_ns: header stamp (first sample, or end: ``audio_stamp_marks_end``).
            samples: ``(n,)`` float samples in [-1, 1].
            sample_rate: the chunk's rate; None for ``spec.audio.sample_rate``.
        """
        samples = np.asarray(samples)
        if (samples.ndim != 1 or (sample_rate is not None and sample_rate <= 0)
                or not np.all(np.isfinite(samples))):
            return self._malformed(AUDIO)
        return self._ingest(
            AUDIO, stamp_ns,
            lambda stamp: self._audio.append(stamp, samples.astype(np.float32), sample_rate))

    def add_text(self, stamp_ns: int, text: str) -> list[SyncedSet]:
        """One spoken command, stamped on arrival; an empty one is malformed (not a command)."""
        if not isinstance(text, str) or not text.strip():
            return self._malformed(TEXT)
        return self._ingest(TEXT, stamp_ns, lambda stamp: self._text.append(stamp, text))

    def add_wrench(self, wrist: str, stamp_ns: int, wrench: np.ndarray) -> list[SyncedSet]:
        """One wrist wrench.

        Args:
            wrist: a name from ``config.wrists``.
            stamp_ns: header stamp.
            wrench: ``(6,)`` force x, y, z then torque x, y, z.

        Raises:
            KeyError: an unknown wrist (a wiring error, not a message error).
        """
        ring = self._touch.get(wrist)
        if ring is None:
            raise KeyError(f'unknown wrist {wrist!r}; configured: {self.config.wrists}')
        row = np.asarray(wrench, dtype=np.float32)
        if row.shape != (WRENCH_FEATURES,) or not np.all(np.isfinite(row)):
            return self._malformed(touch_stream(wrist))
        return self._ingest(touch_stream(wrist), stamp_ns,
                            lambda stamp: ring.append(stamp, row))

    def add_joint_state(self, stamp_ns: int, positions: np.ndarray,
                        velocities: Optional[np.ndarray] = None) -> list[SyncedSet]:
        """One joint state, already in ``spec.joint_names`` order.

        Args:
            stamp_ns: header stamp.
            positions: ``(joints,)``.
            velocities: ``(joints,)``; None (a driver without velocities) for zeros.
        """
        joints = self.config.spec.proprio.joints
        positions = np.asarray(positions, dtype=np.float32)
        velocities = (np.zeros(joints, dtype=np.float32) if velocities is None
                      else np.asarray(velocities, dtype=np.float32))
        row = np.concatenate([positions.ravel(), velocities.ravel()])
        if (positions.shape != (joints,) or velocities.shape != (joints,)
                or not np.all(np.isfinite(row))):
            return self._malformed(JOINTS)
        return self._ingest(JOINTS, stamp_ns, lambda stamp: self._joints.append(stamp, row))

    def add_imu(self, stamp_ns: int, imu: np.ndarray) -> list[SyncedSet]:
        """One IMU reading: ``(10,)`` orientation x, y, z, w, angular velocity, acceleration.

        Raises:
            RuntimeError: ``config.imu`` is False (a wiring error).
        """
        if self._imu is None:
            raise RuntimeError('IMU reading given, but the synchroniser is configured imu=False')
        row = np.asarray(imu, dtype=np.float32)
        if row.shape != (IMU_FEATURES,) or not np.all(np.isfinite(row)):
            return self._malformed(IMU)
        ring = self._imu
        return self._ingest(IMU, stamp_ns, lambda stamp: ring.append(stamp, row))

    def update(self, **changes) -> None:
        """Change matching and staleness settings live.

        Any of ``slop_s``, ``queue_size``, ``audio_max_age_s``, ``touch_max_age_s``,
        ``proprio_max_age_s``, ``text_max_age_s``, ``window_wait_s`` (for sets matched
        from now on).

        Raises:
            ValueError: another field, or a value ``SyncConfig`` refuses.
        """
        allowed = {'slop_s', 'queue_size', 'audio_max_age_s', 'touch_max_age_s',
                   'proprio_max_age_s', 'text_max_age_s', 'window_wait_s'}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f'cannot change {sorted(unknown)} live; only {sorted(allowed)}')
        config = replace(self.config, **changes)
        with self._lock:
            self.config = config
            self._policy.retune(slop_ns=_ns(config.slop_s), queue_size=config.queue_size)
            self._max_age_ns.update({
                AUDIO: _ns(config.audio_max_age_s),
                TEXT: _ns(config.spec.text.max_age_s if config.text_max_age_s is None
                          else config.text_max_age_s),
                'touch': _ns(config.touch_max_age_s),
                'proprio': _ns(config.proprio_max_age_s),
            })

    def report_malformed(self, stream: str, n: int = 1) -> None:
        """Count messages the node could not convert (``stream`` as in the module doc)."""
        self.drops.count(DropReason.MALFORMED, stream, n)

    def count_superseded(self, synced_set: SyncedSet) -> None:
        """``LatestSlot(on_drop=...)`` hook: count a set replaced before inference took it."""
        self.set_drops.count(SetDropReason.SUPERSEDED, 'slot')

    def reset(self) -> None:
        """Empty every queue and buffer without counting drops (e.g. on deactivation)."""
        with self._lock:
            self._policy.clear(reason=None)
            self._pending.clear()
            self._clear_buffers()
            self._gate.reset()

    def release_due(self) -> list[SyncedSet]:
        """The waiting sets whose windows are complete or whose wait ran out, oldest first.

        Messages release the sets they complete themselves; this is for the time between
        messages (a stream that stopped), from a timer of about ``window_wait_s / 2``.
        """
        with self._lock:
            return self._release()

    @property
    def waiting(self) -> int:
        """Sets matched and waiting for their windows."""
        with self._lock:
            return len(self._pending)

    # -- internals --------------------------------------------------------------------------

    def _malformed(self, stream: str) -> list[SyncedSet]:
        self.drops.count(DropReason.MALFORMED, stream)
        return []

    def _count_policy_drop(self, index: int, stamp_ns: int, reason: DropReason) -> None:
        # A required stream's message that no set matched still feeds its window; only an
        # unmatched camera frame is a loss (a set that never was).
        if reason is DropReason.UNMATCHED and index != 0:
            return
        self.drops.count(reason, self._streams[index])

    def _clear_buffers(self) -> None:
        self._audio.clear()
        self._text.clear()
        for ring in self._touch.values():
            ring.clear()
        self._joints.clear()
        if self._imu is not None:
            self._imu.clear()

    def _clear_stream(self, stream: str) -> None:
        if stream == AUDIO:
            self._audio.clear()
        elif stream == TEXT:
            self._text.clear()
        elif stream == JOINTS:
            self._joints.clear()
        elif stream == IMU and self._imu is not None:
            self._imu.clear()
        elif stream.startswith('touch/'):
            self._touch[stream.split('/', 1)[1]].clear()

    def newest_stamps_ns(self) -> dict[str, int]:
        """Newest accepted stamp of every stream seen on the current timeline."""
        with self._lock:
            return {stream: self._gate.newest_ns(stream) for stream in self._gate.streams}

    def _ingest(self, stream: str, stamp_ns: int, store: Optional[Callable[[int], Any]],
                item: Any = None) -> list[SyncedSet]:
        stamp = int(stamp_ns)
        jump = None
        with self._lock:
            verdict = self._gate.check(stream, stamp)
            if verdict is Verdict.OUT_OF_ORDER:
                self.drops.count(DropReason.OUT_OF_ORDER, stream)
                return []
            if verdict is Verdict.BEFORE_JUMP:
                self.drops.count(DropReason.TIME_JUMP, stream)
                return []
            if verdict is Verdict.JUMP:
                jump = self._gate.last_jump
                self._policy.clear(DropReason.TIME_JUMP)
                # Sets of the old timeline waiting for their windows never will get them.
                self.drops.count(DropReason.TIME_JUMP, CAMERA, len(self._pending))
                self._pending.clear()
                self._clear_buffers()
                self.time_jumps += 1
                self.last_time_jump = jump
            elif verdict is Verdict.STREAM_JUMP:
                jump = self._gate.last_jump
                if stream in self._policy_index:
                    self._policy.clear(DropReason.TIME_JUMP)
                self._clear_stream(stream)
                self.stream_jumps[stream] += 1
                self.last_time_jump = jump
            # Buffer first: a set this message completes must see it in its window.
            if store is not None:
                store(stamp)
            index = self._policy_index.get(stream)
            if index is not None:
                matched_sets = self._policy.add(index, stamp, item)
                if matched_sets:
                    deadline = self._clock() + self.config.window_wait_s
                    self._pending.extend((deadline, m) for m in matched_sets)
            sets = self._release() if self._pending else []
        if jump is not None and self._on_time_jump is not None:
            self._on_time_jump(jump)
        return sets

    def _release(self) -> list[SyncedSet]:
        """Assemble the waiting sets that may go, oldest first (the lock is held)."""
        sets = []
        now = None
        while self._pending:
            deadline, matched = self._pending[0]
            waiting_for = self._not_yet_reached(matched[0][0])
            if waiting_for:
                now = self._clock() if now is None else now
                if now < deadline:
                    break  # later sets need even more, and leave in order
                for modality in waiting_for:
                    self.drops.count(DropReason.LATE, modality)
            self._pending.popleft()
            synced = self._assemble(matched)
            if synced is not None:
                sets.append(synced)
        return sets

    def _not_yet_reached(self, stamp: int) -> list[str]:
        """The live windowed modalities whose streams have not reached ``stamp`` yet.

        Live: its newest data is recent enough to make it present in a set at ``stamp``
        (a stream that stopped is not waited for: it will be absent anyway).
        """
        spec = self.config.spec
        waiting = []
        audio_end = self._audio.end_ns
        if (audio_end is not None and audio_end >= stamp - self._max_age_ns[AUDIO]
                and not self._audio.covers(stamp)):
            waiting.append(AUDIO)
        for modality, rings, rate in (
                ('touch', list(self._touch.values()), spec.touch.rate_hz),
                ('proprio', [self._joints] + ([self._imu] if self._imu is not None else []),
                 spec.proprio.rate_hz)):
            newest = [ring.newest_ns for ring in rings]
            if any(n is None or n < stamp - self._max_age_ns[modality] for n in newest):
                continue
            if not all(ring.covers(stamp, rate) for ring in rings):
                waiting.append(modality)
        return waiting

    def _assemble(self, matched: MatchedSet) -> Optional[SyncedSet]:
        spec = self.config.spec
        stamp, (image, anchor) = matched[0]
        frames = SensorFrames(camera=image)
        stamps: dict[str, Optional[int]] = dict.fromkeys(MODALITIES)
        stamps[CAMERA] = stamp
        stale: list[str] = []

        def fresh(modality: str, latest: Optional[int]) -> bool:
            stamps[modality] = latest
            if latest is None:
                return False
            if stamp - latest > self._max_age_ns[modality]:
                stale.append(modality)
                return False
            return True

        audio_start = self._audio.start_ns
        audio_latest = (None if audio_start is None or audio_start > stamp
                        else min(self._audio.end_ns, stamp))
        if fresh(AUDIO, audio_latest):
            frames.audio = self._audio.window(stamp, spec.audio.window_samples)

        command = self._text.latest_at_or_before(stamp)
        if fresh(TEXT, None if command is None else command[0]):
            frames.text = command[1]

        interpolate = self.config.interpolate
        touch_rings = [self._touch[w] for w in self.config.wrists]
        if fresh('touch', self._oldest_latest(touch_rings, stamp)):
            frames.touch = np.concatenate(
                [ring.window_ending_at(stamp, spec.touch.steps, spec.touch.rate_hz,
                                       interpolate=interpolate) for ring in touch_rings],
                axis=1)

        proprio_rings = [self._joints] + ([self._imu] if self._imu is not None else [])
        if fresh('proprio', self._oldest_latest(proprio_rings, stamp)):
            steps = spec.proprio.steps
            parts = [ring.window_ending_at(stamp, steps, spec.proprio.rate_hz,
                                           interpolate=interpolate) for ring in proprio_rings]
            if self._imu is None:
                parts.append(np.zeros((steps, IMU_FEATURES), dtype=np.float32))
            frames.proprio = np.concatenate(parts, axis=1)

        presence = frames.presence()
        missing = [m for m, present in zip(MODALITIES, presence)
                   if not present and m in self.config.required]
        if missing:
            for modality in missing:
                self.set_drops.count(SetDropReason.MISSING_REQUIRED, modality)
            return None
        for modality in stale:
            self.drops.count(DropReason.STALE, modality)
        return SyncedSet(
            stamp_ns=stamp,
            anchor=anchor,
            frames=frames,
            presence=presence,
            stamps_ns=stamps,
            ages_ns={m: None if s is None else stamp - s for m, s in stamps.items()},
            matched_ns={stream: s for stream, (s, _) in zip(self._streams, matched)},
        )

    @staticmethod
    def _oldest_latest(rings: list[RowRing], stamp: int) -> Optional[int]:
        """The limiting stream's newest stamp at or before ``stamp``; None if any has none."""
        latest = [ring.latest_at_or_before(stamp) for ring in rings]
        return None if any(s is None for s in latest) else min(latest)
