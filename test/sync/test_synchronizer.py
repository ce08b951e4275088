# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""FusionSynchronizer with hand-built message sequences from known signals.

Every stream carries a signal that is linear in time (audio: a sine), so resampled windows
can be checked exactly against the signal evaluated on the window's grid. Messages carry
their arrival time, and ``feed`` sets the synchroniser's clock (an :class:`ArrivalClock`) to
it, so the sets' bounded wait for their windows runs on the events' time, not the test's.
"""

import threading

import numpy as np
import pytest

from multimodal_fusion.spec import DEFAULT_SPEC
from multimodal_fusion.spec import MODALITIES
from multimodal_fusion.sync.counters import DropReason
from multimodal_fusion.sync.counters import SetDropReason
from multimodal_fusion.sync.slot import LatestSlot
from multimodal_fusion.sync.synchronizer import FusionSynchronizer
from multimodal_fusion.sync.synchronizer import SyncConfig
from multimodal_fusion.sync.windows import window_grid_ns

S = 1_000_000_000
EPOCH = 1_700_000_000 * S
SPEC = DEFAULT_SPEC
JOINTS = SPEC.proprio.joints
RATE = SPEC.audio.sample_rate
CHUNK = 1600
IMAGE = np.zeros((4, 6, 3), dtype=np.uint8)


def seconds(stamp_ns):
    return (np.asarray(stamp_ns) - EPOCH) / S


def wrench_signal(t, wrist):
    t = np.asarray(t, dtype=np.float64)
    return np.stack([t, 2 * t + wrist, -t, 1 + wrist + 0 * t, 0.5 * t, wrist - 3 * t], axis=-1)


def joint_signal(t):
    t = np.asarray(t, dtype=np.float64)[..., None]
    k = np.arange(JOINTS)
    return np.concatenate([0.1 * t + 0.01 * k, -0.2 * t + 0.03 * k], axis=-1)


def imu_signal(t):
    t = np.asarray(t, dtype=np.float64)
    one = np.ones_like(t)
    return np.stack([0 * t, 0 * t, 0 * t, one, t, -t, 0.5 * t, 0 * t, 0.1 * t, 9.81 * one],
                    axis=-1)


def audio_signal(index):
    return np.sin(2 * np.pi * 440.0 * np.asarray(index) / RATE).astype(np.float32)


class Call(tuple):
    """``(method, args)`` of one message, arriving at ``arrival_s``."""

    def __new__(cls, method, args, arrival_s):
        call = super().__new__(cls, (method, args))
        call.arrival_s = arrival_s
        return call


class ArrivalClock:
    """The synchroniser's clock in tests: the arrival time of the message being fed."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def make_sync(config=SyncConfig(), **kwargs):
    """A synchroniser on an :class:`ArrivalClock` (``feed`` moves it)."""
    return FusionSynchronizer(config, clock=ArrivalClock(), **kwargs)


def make_events(start_s, stop_s, *, streams=('camera', 'audio', 'left', 'right', 'joints',
                                             'imu'), latency_s=None, stop_at=None, seed=0):
    """Messages from ``start_s`` to ``stop_s`` (relative to EPOCH), in arrival order.

    Args:
        start_s: the first stamp.
        stop_s: stamps stay below it.
        streams: which streams publish.
        latency_s: per stream, arrival delay after the stamp (camera: 20 ms by default).
        stop_at: per stream, the time it goes silent.
        seed: of the wrist streams' random stamp offset.
    """
    rng = np.random.default_rng(seed)
    latency = {'camera': 0.02}
    latency.update(latency_s or {})
    stop_at = stop_at or {}
    events = []

    def add(stream, stamps_s, call):
        end = stop_at.get(stream, stop_s)
        for t in stamps_s:
            if t < end:
                arrival = t + latency.get(stream, 0.0)
                events.append((arrival, Call(*call(t), arrival)))

    if 'camera' in streams:
        frames = np.arange(np.ceil(start_s * 30), stop_s * 30) / 30
        add('camera', frames, lambda t: ('add_camera', (EPOCH + round(t * S), IMAGE, t)))
    if 'audio' in streams:
        first = int(np.ceil(start_s * RATE / CHUNK))
        chunks = np.arange(first, int(stop_s * RATE / CHUNK)) * CHUNK / RATE

        def audio_call(t):
            k = int(round(t * RATE))
            return 'add_audio', (EPOCH + k * S // RATE, audio_signal(np.arange(k, k + CHUNK)))
        add('audio', chunks, audio_call)
    for wrist_index, wrist in enumerate(('left', 'right')):
        if wrist in streams:
            stamps = np.arange(start_s, stop_s, 1 / 500) + rng.uniform(0, 1e-3)
            add(wrist, stamps, lambda t, w=wrist, i=wrist_index: (
                'add_wrench', (w, EPOCH + round(t * S), wrench_signal(t, i))))
    if 'joints' in streams:
        stamps = np.arange(start_s, stop_s, 1 / 100) + 0.0013
        add('joints', stamps, lambda t: (
            'add_joint_state', (EPOCH + round(t * S), joint_signal(t)[:JOINTS],
                                joint_signal(t)[JOINTS:])))
    if 'imu' in streams:
        stamps = np.arange(start_s, stop_s, 1 / 200) + 0.0007
        add('imu', stamps, lambda t: ('add_imu', (EPOCH + round(t * S), imu_signal(t))))
    events.sort(key=lambda e: e[0])
    return [call for _, call in events]


def feed(sync, events):
    """Hand ``events`` to ``sync`` in order; its clock (if an ArrivalClock) follows them."""
    sets = []
    clock = sync._clock if isinstance(sync._clock, ArrivalClock) else None
    for call in events:
        method, args = call
        if clock is not None and hasattr(call, 'arrival_s'):
            clock.now = max(clock.now, call.arrival_s)
        sets.extend(getattr(sync, method)(*args))
    return sets


def stream_stamps(events):
    """Stamps each stream sent in ``events``: ``{stream: sorted int64 array}``."""
    stamps = {}
    for method, args in events:
        stream = {'add_wrench': lambda a: a[0], 'add_joint_state': lambda a: 'joints',
                  'add_imu': lambda a: 'imu'}.get(method)
        if stream is not None:
            stamps.setdefault(stream(args), []).append(args[1] if method == 'add_wrench'
                                                       else args[0])
    return {k: np.sort(np.array(v, dtype=np.int64)) for k, v in stamps.items()}


def newest_at_or_before(stamps, stamp_ns):
    return int(stamps[np.searchsorted(stamps, stamp_ns, side='right') - 1])


def expected_touch(stamp_ns, stamps):
    """Each wrist's window: the signal on the grid ending at its newest row by the stamp."""
    parts = []
    for i, wrist in enumerate(('left', 'right')):
        grid = window_grid_ns(newest_at_or_before(stamps[wrist], stamp_ns), SPEC.touch.steps,
                              SPEC.touch.rate_hz)
        parts.append(wrench_signal(seconds(grid), i))
    return np.concatenate(parts, axis=1)


def expected_proprio(stamp_ns, stamps, imu=True):
    def grid(stream):
        return seconds(window_grid_ns(newest_at_or_before(stamps[stream], stamp_ns),
                                      SPEC.proprio.steps, SPEC.proprio.rate_hz))
    imu_part = imu_signal(grid('imu')) if imu else np.zeros((SPEC.proprio.steps, 10))
    return np.concatenate([joint_signal(grid('joints')), imu_part], axis=1)


def audio_stop(stamp_ns):
    """One past the index of the newest audio sample at or before the stamp."""
    return int(np.floor((stamp_ns - EPOCH) * RATE / S + 0.01)) + 1


# -- windows ----------------------------------------------------------------------------------


def test_camera_driven_sets_carry_exact_windows():
    sync = make_sync(SyncConfig(audio_max_age_s=0.25))
    events = make_events(0.0, 2.0)
    stamps = stream_stamps(events)
    sets = feed(sync, events)
    late = [s for s in sets if seconds(s.stamp_ns) >= 1.2]
    assert len(late) >= 20
    for synced in late:
        frames = synced.frames
        assert frames.camera is IMAGE
        assert synced.anchor == pytest.approx(seconds(synced.stamp_ns))
        assert frames.touch.shape == SPEC.touch.tensor_shape
        assert frames.proprio.shape == SPEC.proprio.tensor_shape
        assert frames.audio.shape == SPEC.audio.tensor_shape
        assert frames.touch.dtype == frames.proprio.dtype == frames.audio.dtype == np.float32
        np.testing.assert_allclose(frames.touch, expected_touch(synced.stamp_ns, stamps),
                                   atol=2e-5)
        np.testing.assert_allclose(frames.proprio, expected_proprio(synced.stamp_ns, stamps),
                                   atol=2e-5)
        # Audio arrived in stamp order, so the window is complete: the samples up to the
        # one at or just before the stamp.
        stop = audio_stop(synced.stamp_ns)
        np.testing.assert_array_equal(frames.audio, audio_signal(np.arange(stop - RATE, stop)))
        assert synced.presence.tolist() == [True, True, False, True, True]
        assert synced.matched_ns == {'camera': synced.stamp_ns}


def test_sets_follow_the_camera_one_each():
    sync = make_sync()
    events = make_events(0.0, 1.0)
    sets = feed(sync, events)
    cameras = [args[0] for method, args in events if method == 'add_camera']
    assert [s.stamp_ns for s in sets] == cameras


def test_sample_and_hold_windows():
    sync = make_sync(SyncConfig(interpolate=False))
    events = make_events(0.0, 1.5)
    left = stream_stamps(events)['left']
    synced = feed(sync, events)[-1]
    # The left wrist at 500 Hz, the window at 200 Hz from its newest row: every other step
    # falls between two rows, and hold gives the last one at or before it.
    grid = window_grid_ns(newest_at_or_before(left, synced.stamp_ns), SPEC.touch.steps,
                          SPEC.touch.rate_hz)
    held = left[np.searchsorted(left, grid, side='right') - 1]
    np.testing.assert_allclose(synced.frames.touch[:, :6], wrench_signal(seconds(held), 0),
                               atol=2e-5)


# -- optional modalities: stale means absent, never blocking ----------------------------------


def test_silent_wrist_makes_touch_absent_and_is_counted_stale():
    sync = make_sync(SyncConfig(touch_max_age_s=0.1))
    sets = feed(sync, make_events(0.0, 2.0, stop_at={'right': 1.0}))
    before = [s for s in sets if 0.5 <= seconds(s.stamp_ns) < 1.0]
    after = [s for s in sets if seconds(s.stamp_ns) >= 1.0 and not s.is_present('touch')]
    assert before and after
    assert all(s.is_present('touch') for s in before)
    assert all(s in after for s in sets if seconds(s.stamp_ns) > 1.11)
    for synced in after:
        assert not synced.is_present('touch')
        assert synced.frames.touch is None
        assert synced.presence.tolist() == [True, True, False, False, True]
        assert synced.age_s('touch') > 0.1
    assert sync.drops.get(DropReason.STALE, 'touch') == len(after)


def test_modality_never_seen_is_absent_but_not_stale():
    sync = make_sync()
    sets = feed(sync, make_events(0.0, 1.0, streams=('camera', 'joints', 'imu')))
    assert sets
    for synced in sets[5:]:
        assert synced.presence.tolist() == [True, False, False, False, True]
        assert synced.stamps_ns['audio'] is None and synced.ages_ns['touch'] is None
    assert sync.drops.get(DropReason.STALE) == 0


def test_stale_imu_makes_proprio_absent():
    sync = make_sync()
    sets = feed(sync, make_events(0.0, 1.0, stop_at={'imu': 0.5}))
    assert sets[-1].presence.tolist() == [True, True, False, True, False]
    assert sync.drops.get(DropReason.STALE, 'proprio') > 0


def test_without_imu_its_columns_are_zeros():
    sync = make_sync(SyncConfig(imu=False))
    events = make_events(0.0, 1.5, streams=('camera', 'joints'))
    synced = feed(sync, events)[-1]
    assert synced.is_present('proprio')
    np.testing.assert_allclose(synced.frames.proprio, expected_proprio(
        synced.stamp_ns, stream_stamps(events), imu=False), atol=2e-5)
    with pytest.raises(RuntimeError):
        sync.add_imu(EPOCH, np.zeros(10))


def test_text_is_current_until_its_max_age():
    sync = make_sync(SyncConfig(text_max_age_s=0.5))
    events = make_events(0.0, 1.5, streams=('camera',))
    # The command is inserted in arrival order at 0.2 s.
    position = next(i for i, (m, a) in enumerate(events)
                    if m == 'add_camera' and seconds(a[0]) >= 0.2)
    events.insert(position, ('add_text', (EPOCH + S // 5, 'wave to me')))
    sets = feed(sync, events)
    for synced in sets:
        t = seconds(synced.stamp_ns)
        if 0.2 <= t <= 0.7:
            assert synced.frames.text == 'wave to me'
            assert synced.stamps_ns['text'] == EPOCH + S // 5
        else:
            assert synced.frames.text is None
    assert sync.drops.get(DropReason.STALE, 'text') == sum(
        1 for s in sets if seconds(s.stamp_ns) > 0.7)


def test_text_stamped_after_the_frame_is_not_yet_current():
    sync = make_sync()
    sync.add_text(EPOCH + S, 'stop')
    (synced,) = sync.add_camera(EPOCH + S - 1, IMAGE)
    assert synced.frames.text is None
    (synced,) = sync.add_camera(EPOCH + S, IMAGE)
    assert synced.frames.text == 'stop'


def test_default_text_max_age_comes_from_the_spec():
    sync = make_sync()
    sync.add_text(EPOCH, 'sit')
    max_age = round(SPEC.text.max_age_s * S)
    assert sync.add_camera(EPOCH + max_age, IMAGE)[0].frames.text == 'sit'
    assert sync.add_camera(EPOCH + max_age + 1, IMAGE)[0].frames.text is None


# -- required modalities ----------------------------------------------------------------------


def test_required_proprio_is_matched_by_the_policy_and_waits_for_it():
    sync = make_sync(SyncConfig(required=frozenset({'camera', 'proprio'})))
    camera_only = make_events(0.0, 0.5, streams=('camera',))
    assert feed(sync, camera_only) == []
    sets = feed(sync, make_events(0.5, 1.5, streams=('camera', 'joints', 'imu')))
    assert len(sets) >= 25
    for synced in sets:
        assert set(synced.matched_ns) == {'camera', 'proprio/joints', 'proprio/imu'}
        span = max(synced.matched_ns.values()) - min(synced.matched_ns.values())
        assert span <= round(0.05 * S)
        assert synced.is_present('proprio')
    # Joint states at 100 Hz match one frame in three; the rest feed the windows, not lost.
    assert sync.drops.get(DropReason.UNMATCHED, 'proprio/joints') == 0


@pytest.mark.parametrize('slop_s, reason', [
    # Wide slop: the frames between joint states were candidates beaten by the exact match.
    (0.1, DropReason.UNMATCHED),
    # Narrow slop: they never were candidates.
    (0.01, DropReason.BEYOND_SLOP),
])
def test_camera_frames_no_set_used_are_counted(slop_s, reason):
    config = SyncConfig(required=frozenset({'camera', 'proprio'}), imu=False, slop_s=slop_s)
    sync = make_sync(config)
    events = make_events(0.0, 1.0, streams=('camera',))
    # Joint states at 10 Hz, stamped like the frames at multiples of 0.1 s.
    for k in range(1, 10):
        events.append(('add_joint_state', (EPOCH + k * S // 10, joint_signal(k / 10)[:JOINTS],
                                           joint_signal(k / 10)[JOINTS:])))
    events.sort(key=lambda e: e[1][0])
    sets = feed(sync, events)
    # Exact matches are provably optimal at once, so even the last one is emitted.
    assert [round(float(seconds(s.stamp_ns)), 6) for s in sets] == [k / 10 for k in range(1, 10)]
    # 30 frames: 9 in sets, 2 after the last joint state still queued, 19 dropped.
    assert sync.drops.get(reason, 'camera') == 19
    assert sync.drops.total() == 19


def test_required_audio_waits_until_the_chunk_covering_the_frame_arrived():
    # Audio chunks arrive 150 ms after their first sample, 130 ms after the frames.
    events = make_events(0.0, 2.0, streams=('camera', 'audio'), latency_s={'audio': 0.15})
    sync_of_optional = make_sync()
    optional = feed(sync_of_optional, events)
    required = feed(make_sync(SyncConfig(required=frozenset({'camera', 'audio'}))),
                    events)
    late = [s for s in required if seconds(s.stamp_ns) > 1.2]
    assert late
    for synced in late:
        stop = audio_stop(synced.stamp_ns)
        np.testing.assert_array_equal(synced.frames.audio,
                                      audio_signal(np.arange(stop - RATE, stop)))
    # Optional audio waits 100 ms at most (window_wait_s): frames less than 30 ms after
    # the start of their chunk would need more, so their windows end with zeros where the
    # chunk was not there yet, and each is counted.
    assert all(s.is_present('audio') for s in optional[5:])
    cut = [s for s in optional if s.frames.audio is not None and s.frames.audio[-1] == 0.0]
    assert cut and len(cut) < len(optional) / 2
    assert sync_of_optional.drops.get(DropReason.LATE, 'audio') == len(cut)


@pytest.mark.parametrize('latency_s', [0.0, 0.005, 0.05])
def test_sets_wait_for_the_sensor_messages_of_their_instant(latency_s):
    # The sensors' messages arrive after the camera frame of the same instant (latency_s
    # after their stamps; the frame 1 ms after its own): cut at once, the windows would end
    # early or with zeros. A set waits until every live stream has reached its stamp, so
    # its windows are those of the training data: complete, ending at the stamp.
    latency = {s: latency_s for s in ('audio', 'left', 'right', 'joints', 'imu')}
    latency['camera'] = 0.001
    events = make_events(0.0, 2.0, latency_s=latency)
    stamps = stream_stamps(events)
    sync = make_sync()
    sets = feed(sync, events)
    checked = [s for s in sets if seconds(s.stamp_ns) > 1.2]
    assert len(checked) >= 20
    for synced in checked:
        stop = audio_stop(synced.stamp_ns)
        np.testing.assert_array_equal(synced.frames.audio,
                                      audio_signal(np.arange(stop - RATE, stop)))
        np.testing.assert_allclose(synced.frames.touch, expected_touch(synced.stamp_ns, stamps),
                                   atol=2e-5)
        np.testing.assert_allclose(synced.frames.proprio,
                                   expected_proprio(synced.stamp_ns, stamps), atol=2e-5)
    assert sync.drops.get(DropReason.LATE) == 0
    # Without the wait the same messages leave the windows incomplete.
    hasty = make_sync(SyncConfig(window_wait_s=0.0))
    cut = [s for s in feed(hasty, events) if seconds(s.stamp_ns) > 1.2]
    if latency_s > 0.0:
        assert any(not np.allclose(s.frames.proprio, expected_proprio(s.stamp_ns, stamps),
                                   atol=2e-5) for s in cut)


def test_the_wait_is_bounded_and_a_timer_releases_it():
    clock = ArrivalClock()
    sync = FusionSynchronizer(SyncConfig(imu=False, window_wait_s=0.1), clock=clock)
    for k in range(10):
        sync.add_joint_state(EPOCH + k * S // 100, np.zeros(JOINTS), np.zeros(JOINTS))
    # The joint state at the frame's instant has not come: the set waits for it.
    assert sync.add_camera(EPOCH + 95 * S // 1000, IMAGE) == []
    assert sync.waiting == 1
    clock.now = 0.05
    assert sync.release_due() == []
    # It comes: the set leaves with the message.
    (synced,) = sync.add_joint_state(EPOCH + S // 10, np.zeros(JOINTS), np.zeros(JOINTS))
    assert synced.stamp_ns == EPOCH + 95 * S // 1000 and synced.is_present('proprio')
    # The joints stop: the next set waits 0.1 s on the clock, then goes without them.
    assert sync.add_camera(EPOCH + S // 8, IMAGE) == []
    clock.now = 0.149
    assert sync.release_due() == []
    clock.now = 0.151
    (synced,) = sync.release_due()
    assert synced.is_present('proprio') and sync.waiting == 0
    assert sync.drops.get(DropReason.LATE, 'proprio') == 1
    # Once the joints are older than their maximum age they are not waited for.
    assert len(sync.add_camera(EPOCH + S // 4, IMAGE)) == 1


def test_required_touch_needs_every_wrist():
    sync = make_sync(SyncConfig(required=frozenset({'camera', 'touch'})))
    assert feed(sync, make_events(0.0, 1.0, streams=('camera', 'left'))) == []
    sets = feed(sync, make_events(1.0, 2.0, streams=('camera', 'left', 'right')))
    assert sets
    assert set(sets[-1].matched_ns) == {'camera', 'touch/left', 'touch/right'}


def test_set_without_required_text_is_dropped_and_counted():
    sync = make_sync(SyncConfig(required=frozenset({'camera', 'text'})))
    assert sync.add_camera(EPOCH, IMAGE) == []
    assert sync.set_drops.get(SetDropReason.MISSING_REQUIRED, 'text') == 1
    sync.add_text(EPOCH + 1, 'come here')
    (synced,) = sync.add_camera(EPOCH + 2, IMAGE)
    assert synced.frames.text == 'come here'


def test_latest_slot_hook_counts_superseded_sets():
    sync = make_sync()
    slot = LatestSlot(on_drop=sync.count_superseded)
    for synced in feed(sync, make_events(0.0, 0.2, streams=('camera',))):
        slot.put(synced)
    assert sync.set_drops.get(SetDropReason.SUPERSEDED) == slot.dropped > 0


# -- drops: malformed, out of order, time jumps -----------------------------------------------


def test_malformed_messages_are_counted_not_raised():
    sync = make_sync()
    assert sync.add_camera(EPOCH, np.zeros((4, 4), dtype=np.uint8)) == []
    assert sync.add_audio(EPOCH, np.zeros((2, 10))) == []
    assert sync.add_audio(EPOCH, np.array([0.0, np.nan])) == []
    assert sync.add_audio(EPOCH, np.zeros(10), sample_rate=0) == []
    assert sync.add_text(EPOCH, '  ') == []
    assert sync.add_wrench('left', EPOCH, np.zeros(5)) == []
    assert sync.add_joint_state(EPOCH, np.zeros(JOINTS), np.zeros(JOINTS + 1)) == []
    assert sync.add_imu(EPOCH, np.full(10, np.inf)) == []
    sync.report_malformed('camera', 2)
    assert sync.drops.snapshot()['malformed'] == {
        'audio': 3, 'camera': 3, 'proprio/imu': 1, 'proprio/joints': 1, 'text': 1,
        'touch/left': 1}


def test_missing_velocities_are_zeros():
    sync = make_sync(SyncConfig(imu=False))
    for k in range(5):
        sync.add_joint_state(EPOCH + k * S // 100, np.full(JOINTS, 0.5))
    (synced,) = sync.add_camera(EPOCH + 4 * S // 100, IMAGE)
    np.testing.assert_array_equal(synced.frames.proprio[-1, :JOINTS], 0.5)
    np.testing.assert_array_equal(synced.frames.proprio[-1, JOINTS:], 0.0)


def test_unknown_wrist_is_a_wiring_error():
    with pytest.raises(KeyError):
        FusionSynchronizer().add_wrench('middle', EPOCH, np.zeros(6))


def test_out_of_order_messages_are_dropped_per_stream():
    sync = make_sync()
    sync.add_wrench('left', EPOCH + 10, np.zeros(6))
    assert sync.add_wrench('left', EPOCH + 5, np.ones(6)) == []
    sync.add_camera(EPOCH + 100, IMAGE)
    assert sync.add_camera(EPOCH + 50, IMAGE) == []
    # Other streams are not affected by how old a stamp is relative to the camera.
    sync.add_wrench('right', EPOCH + 5, np.zeros(6))
    assert sync.drops.snapshot() == {'out_of_order': {'camera': 1, 'touch/left': 1}}


def test_backwards_time_jump_clears_everything_once_and_counts():
    jumps = []
    config = SyncConfig(required=frozenset({'camera', 'proprio'}), imu=False)
    sync = make_sync(config, on_time_jump=jumps.append)
    first = feed(sync, make_events(0.0, 3.0, streams=('camera', 'joints')))
    assert first
    # The bag loops: every stream restarts at 0 s; the joints stream is 20 ms ahead of the
    # camera, so its loop is seen first while a camera frame from the old timeline is still
    # in flight.
    loop = make_events(0.0, 1.5, streams=('camera', 'joints'))
    straggler = ('add_camera', (EPOCH + round(3.0 * S), IMAGE, 3.0))
    sets = feed(sync, loop[:1] + [straggler] + loop[1:])
    # The joints' loop restarts the joints alone; the camera's loop then restarts the whole
    # timeline, once.
    assert sync.time_jumps == 1
    assert sync.stream_jumps == {'proprio/joints': 1}
    assert [(j.stream, j.whole_timeline) for j in jumps] == [('proprio/joints', False),
                                                             ('camera', True)]
    assert jumps[1].jump_s > 2.9
    assert sync.last_time_jump == jumps[1]
    assert sets
    # Nothing from the old timeline leaks into the new windows: the window of the first
    # set after the loop is edge-padded from the new data, not interpolated from the old.
    synced = sets[-1]
    np.testing.assert_allclose(synced.frames.proprio, expected_proprio(
        synced.stamp_ns, stream_stamps(loop), imu=False), atol=2e-5)
    early = sets[0]
    assert seconds(early.stamp_ns) < 0.2
    assert np.all(early.frames.proprio[:, 0] <= joint_signal(seconds(early.stamp_ns))[0] + 1e-6)


def test_one_streams_clock_fault_stays_in_that_stream():
    # A wrist driver restarts and stamps with its boot clock (about 100 s) while every other
    # stream goes on: the camera keeps making sets with audio-free but proprio-present
    # windows; only touch goes absent, then comes back once the wrist stamps current time.
    jumps = []
    sync = make_sync(SyncConfig(imu=False), on_time_jump=jumps.append)
    feed(sync, make_events(0.0, 2.0, streams=('camera', 'joints', 'left', 'right')))
    for k in range(3):
        sync.add_wrench('left', 100 * S + k * S // 200, np.zeros(6))
    after = feed(sync, make_events(2.0, 3.0, streams=('camera', 'joints', 'right')))
    assert len(after) >= 25  # about 30 frames a second go on
    assert all(s.presence[MODALITIES.index('proprio')] for s in after)
    assert not any(s.presence[MODALITIES.index('touch')] for s in after)
    assert sync.time_jumps == 0 and sync.stream_jumps == {'touch/left': 1}
    assert [(j.stream, j.whole_timeline) for j in jumps] == [('touch/left', False)]
    assert sync.drops.get(DropReason.TIME_JUMP) == 0
    # The wrist comes back on the right clock: a forward step, accepted at once.
    back = feed(sync, make_events(3.0, 3.5, streams=('camera', 'joints', 'left', 'right')))
    assert back[-1].presence[MODALITIES.index('touch')]


def test_a_stream_on_a_clock_ahead_of_the_camera_is_not_held_after_a_camera_jump():
    sync = make_sync(SyncConfig(imu=False))
    sync.add_camera(EPOCH + 10 * S, IMAGE)
    sync.add_wrench('left', EPOCH + 20 * S, np.zeros(6))
    sync.add_camera(EPOCH + 2 * S, IMAGE)  # the camera loops
    assert sync.time_jumps == 1
    # A straggler of the old timeline is dropped; a stamp past what the wrist sent before
    # is its own clock, accepted.
    sync.add_wrench('left', EPOCH + 20 * S + S // 2, np.zeros(6))
    assert sync.drops.get(DropReason.TIME_JUMP, 'touch/left') == 1
    sync.add_wrench('left', EPOCH + 22 * S, np.zeros(6))
    assert sync.drops.get(DropReason.TIME_JUMP, 'touch/left') == 1
    assert sync.newest_stamps_ns()['touch/left'] == EPOCH + 22 * S


def test_time_jump_threshold_is_configurable():
    sync = make_sync(SyncConfig(time_jump_threshold_s=5.0))
    sync.add_camera(EPOCH + 10 * S, IMAGE)
    assert sync.add_camera(EPOCH + 7 * S, IMAGE) == []
    assert sync.time_jumps == 0
    assert sync.drops.get(DropReason.OUT_OF_ORDER, 'camera') == 1
    assert len(sync.add_camera(EPOCH + 4 * S, IMAGE)) == 1
    assert sync.time_jumps == 1


def test_reset_forgets_without_counting():
    sync = make_sync(SyncConfig(required=frozenset({'camera', 'proprio'})))
    feed(sync, make_events(0.0, 0.5))
    sync.reset()
    assert sync.add_camera(EPOCH, IMAGE) == []  # an old stamp is fine after a reset
    assert sync.drops.get(DropReason.TIME_JUMP) == 0 and sync.time_jumps == 0


# -- the set itself ---------------------------------------------------------------------------


def test_presence_ages_and_stamps():
    sync = make_sync(SyncConfig(imu=False, window_wait_s=0.0))
    sync.add_wrench('left', EPOCH - 30_000_000, np.zeros(6))
    sync.add_wrench('right', EPOCH - 10_000_000, np.zeros(6))
    sync.add_joint_state(EPOCH + 5, np.zeros(JOINTS), np.zeros(JOINTS))
    (synced,) = sync.add_camera(EPOCH, IMAGE, anchor='header')
    assert synced.anchor == 'header'
    assert list(synced.ages_ns) == list(MODALITIES)
    assert synced.ages_ns['camera'] == 0
    assert synced.stamps_ns['touch'] == EPOCH - 30_000_000  # the limiting wrist
    assert synced.age_s('touch') == pytest.approx(0.03)
    # Joint state stamped after the frame: nothing at or before it, so proprio is absent.
    assert synced.stamps_ns['proprio'] is None and not synced.is_present('proprio')
    assert synced.presence.dtype == bool
    assert synced.presence.tolist() == synced.frames.presence().tolist()


@pytest.mark.parametrize('kwargs', [
    {'required': frozenset({'audio'})},
    {'required': frozenset({'camera', 'smell'})},
    {'wrists': ('left',)},
    {'wrists': ('left', 'left')},
    {'slop_s': -0.1},
    {'touch_max_age_s': 0.0},
    {'text_max_age_s': -1.0},
    {'time_jump_threshold_s': 0.0},
    {'queue_size': 0},
    {'ring_rows': 1},
])
def test_bad_configuration_is_refused(kwargs):
    with pytest.raises(ValueError):
        SyncConfig(**kwargs)


def test_policy_streams_follow_the_required_set():
    config = SyncConfig(required=frozenset({'camera', 'touch', 'proprio', 'audio', 'text'}))
    assert config.policy_streams == ('camera', 'audio', 'touch/left', 'touch/right',
                                     'proprio/joints', 'proprio/imu')
    assert SyncConfig().policy_streams == ('camera',)


def test_concurrent_callbacks_keep_the_books_straight():
    sync = make_sync(SyncConfig(required=frozenset({'camera', 'proprio'}), imu=False))
    events = make_events(0.0, 2.0, streams=('camera', 'joints'))
    by_stream = {}
    for method, args in events:
        by_stream.setdefault(method, []).append(args)
    results = []

    def publish(method, calls):
        for args in calls:
            results.extend(getattr(sync, method)(*args))

    threads = [threading.Thread(target=publish, args=item) for item in by_stream.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30.0)
    assert not any(thread.is_alive() for thread in threads)
    # Whatever the interleaving, each camera frame is emitted at most once, in order.
    stamps = [s.stamp_ns for s in results]
    assert stamps == sorted(set(stamps))
    assert len(stamps) > 0


def test_live_update_of_slop_and_ages():
    config = SyncConfig(required=frozenset({'camera', 'proprio'}), imu=False, slop_s=0.05)
    sync = make_sync(config)
    # Joints 80 ms after each frame: beyond a 50 ms slop, nothing is matched...
    sync.add_camera(EPOCH, IMAGE)
    assert sync.add_joint_state(EPOCH + 80_000_000, np.zeros(JOINTS)) == []
    sync.update(slop_s=0.1, proprio_max_age_s=1.0)
    assert sync.config.slop_s == 0.1
    # ...within 100 ms it is (the set then needs joints at or before the frame: present).
    sync.add_joint_state(EPOCH + S, np.zeros(JOINTS))
    sets = sync.add_camera(EPOCH + S + 60_000_000, IMAGE) + sync.add_joint_state(
        EPOCH + S + 120_000_000, np.zeros(JOINTS))
    assert sets and sets[0].presence[MODALITIES.index('proprio')]
    with pytest.raises(ValueError):
        sync.update(imu=True)
