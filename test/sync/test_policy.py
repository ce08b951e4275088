# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""ApproximateTimePolicy: the cases message_filters tests its own policy with, and more.

Stamps are written in seconds for readability and fed as nanoseconds. Sequences use the
message_filters notation: lower-case letters on input 0, upper-case on input 1.
"""

import itertools

import numpy as np
import pytest

from multimodal_fusion.sync.counters import DropReason
from multimodal_fusion.sync.policy import ApproximateTimePolicy

S = 1_000_000_000


def feed(policy, arrivals):
    """Feed ``(input, stamp_s)`` pairs; return every emitted set as a tuple of stamps (s)."""
    out = []
    for index, stamp_s in arrivals:
        for matched in policy.add(index, round(stamp_s * S), (index, stamp_s)):
            out.append(tuple(item[1] for _, item in matched))
    return out


def run(arrivals, num_inputs=2, **kwargs):
    return feed(ApproximateTimePolicy(num_inputs, **kwargs), arrivals)


def interleavings(streams):
    """Every arrival order that keeps each input's own order."""
    if all(not s for s in streams):
        yield []
        return
    for k, stream in enumerate(streams):
        if stream:
            rest = list(streams)
            rest[k] = stream[1:]
            for tail in interleavings(rest):
                yield [(k, stream[0])] + tail


def random_interleaving(streams, rng):
    order = np.concatenate([np.full(len(s), k) for k, s in enumerate(streams)])
    rng.shuffle(order)
    positions = [0] * len(streams)
    arrivals = []
    for k in order:
        arrivals.append((int(k), streams[k][positions[k]]))
        positions[k] += 1
    return arrivals


def by_stamp(streams):
    return sorted(((k, t) for k, s in enumerate(streams) for t in s), key=lambda m: (m[1], m[0]))


# -- the classic message_filters cases; expected sets derived by hand from the algorithm ------


def test_exact_match():
    # A: a..b..c   B: A..B..C   -> (a, A), (b, B), (c, C)
    arrivals = [(0, 0), (1, 0), (0, 3), (1, 3), (0, 6), (1, 6)]
    assert run(arrivals, queue_size=2) == [(0, 0), (3, 3), (6, 6)]


def test_perfect_match():
    # A: a..b..c.   B: .A..B..C  -> (a, A), (b, B); (c, C) waits for proof of optimality.
    arrivals = [(0, 0), (1, 1), (0, 3), (1, 4), (0, 6), (1, 7)]
    assert run(arrivals, queue_size=2) == [(0, 1), (3, 4)]


def test_imperfect_match():
    # A: a.xb..c.   B: .A...B.C  -> (a, A); then (x, B) is beaten by (b, B), which is beaten
    # by (c, B): B at 5 is nearest c at 6. x and b are unmatched.
    arrivals = [(0, 0), (1, 1), (0, 2), (0, 3), (1, 5), (0, 6), (1, 7)]
    policy = ApproximateTimePolicy(2, queue_size=2)
    assert feed(policy, arrivals) == [(0, 1), (6, 5)]
    assert policy.drop_counts[DropReason.UNMATCHED] == (2, 0)


def test_acceleration():
    # A: a...........b....c.   B: .......A.......B..C  -> (b, A), (c, C); a and B unmatched.
    arrivals = [(0, 0), (1, 7), (0, 12), (1, 15), (0, 17), (1, 18)]
    assert run(arrivals, queue_size=2) == [(12, 7), (17, 18)]


DROPPED_MESSAGES = [(0, 0), (1, 1), (1, 3), (0, 4), (1, 7), (0, 8), (0, 10), (1, 11), (0, 13),
                    (1, 14)]


def test_dropped_messages_queue_too_small():
    # Queue size 1: A and c overflow; a and C can then not be paired (their partner input
    # has dropped messages, so it may not become the pivot) -> (b, B), (d, D).
    policy = ApproximateTimePolicy(2, queue_size=1)
    assert feed(policy, DROPPED_MESSAGES) == [(4, 3), (10, 11)]
    assert policy.drop_counts[DropReason.QUEUE_OVERFLOW] == (1, 1)


def test_dropped_messages_queue_just_enough():
    policy = ApproximateTimePolicy(2, queue_size=2)
    assert feed(policy, DROPPED_MESSAGES) == [(0, 1), (4, 3), (8, 7), (10, 11)]
    assert policy.drop_counts[DropReason.QUEUE_OVERFLOW] == (0, 0)


@pytest.mark.parametrize('bound_s, expected', [
    # A bound of 1.5 s on input 0 cannot prove (c, C) optimal before another message...
    (1.5, [(0, 1), (3, 4)]),
    # ...a bound of 2 s can: any later message on input 0 would be at 8 or later.
    (2.0, [(0, 1), (3, 4), (6, 7)]),
])
def test_rate_bound(bound_s, expected):
    arrivals = [(0, 0), (1, 1), (0, 3), (1, 4), (0, 6), (1, 7)]
    assert run(arrivals, queue_size=2,
               inter_message_lower_bounds_ns=[round(bound_s * S), 0]) == expected


def test_rate_bound_publishes_on_arrival():
    policy = ApproximateTimePolicy(2, inter_message_lower_bounds_ns=[2 * S, 2 * S])
    assert policy.add(0, 0) == []
    assert [tuple(s for s, _ in m) for m in policy.add(1, S // 10)] == [(0, S // 10)]


def test_without_bounds_a_set_waits_for_the_next_message():
    policy = ApproximateTimePolicy(2)
    assert policy.add(0, 0) == []
    assert policy.add(1, S // 10) == []
    assert [tuple(s for s, _ in m) for m in policy.add(0, S)] == [(0, S // 10)]


# -- exact and approximate matching, N inputs -------------------------------------------------


@pytest.mark.parametrize('num_inputs', [2, 3, 5])
def test_exact_sets_with_zero_slop(num_inputs):
    arrivals = [(k, t) for t in (0.0, 0.1, 0.2) for k in range(num_inputs)]
    policy = ApproximateTimePolicy(num_inputs, slop_ns=0)
    assert feed(policy, arrivals) == [(t,) * num_inputs for t in (0.0, 0.1, 0.2)]


@pytest.mark.parametrize('num_inputs', [2, 3, 5])
def test_approximate_sets_within_slop(num_inputs):
    # Input k lags input 0 by k ms; sets 100 ms apart; slop 10 ms.
    streams = [[round(0.1 * i + 0.001 * k, 6) for i in range(5)] for k in range(num_inputs)]
    policy = ApproximateTimePolicy(num_inputs, slop_ns=S // 100)
    out = feed(policy, by_stamp(streams))
    # The last set is not yet provably optimal (no later messages).
    assert out == [tuple(s[i] for s in streams) for i in range(4)]


def test_set_beyond_slop_is_not_emitted():
    policy = ApproximateTimePolicy(2, slop_ns=S // 20)
    out = feed(policy, [(0, 0.0), (1, 0.1), (0, 0.2), (1, 0.3), (0, 0.4), (1, 0.5)])
    assert out == []
    assert sum(policy.drop_counts[DropReason.BEYOND_SLOP]) > 0


def test_slop_is_inclusive():
    policy = ApproximateTimePolicy(2, slop_ns=S // 10, inter_message_lower_bounds_ns=[S, S])
    assert feed(policy, [(0, 0.0), (1, 0.1)]) == [(0.0, 0.1)]


def test_slop_drops_only_what_cannot_match():
    # a (0.0) is too far from everything on B; b (0.3) pairs with A (0.31).
    policy = ApproximateTimePolicy(2, slop_ns=S // 20)
    out = feed(policy, [(0, 0.0), (0, 0.3), (1, 0.31), (0, 0.6), (1, 0.61)])
    assert out == [(0.3, 0.31)]
    assert policy.drop_counts[DropReason.BEYOND_SLOP] == (1, 0)


def test_single_input_passes_every_message_through():
    policy = ApproximateTimePolicy(1)
    assert [m[0][0] for t in (0, 5, 9) for m in policy.add(0, t)] == [0, 5, 9]


def test_items_are_handed_back_in_input_order():
    policy = ApproximateTimePolicy(3, inter_message_lower_bounds_ns=[S, S, S])
    policy.add(2, 7, 'c')
    policy.add(0, 7, 'a')
    assert policy.add(1, 7, 'b') == [((7, 'a'), (7, 'b'), (7, 'c'))]


# -- arrival order independence ---------------------------------------------------------------


PERMUTATION_CASES = [
    # (streams, kwargs); every interleaving is tried.
    ([[0, 3, 6], [1, 4, 7]], {}),
    ([[0, 2, 3, 6], [1, 5, 7]], {}),
    ([[0, 12, 17], [7, 15, 18]], {}),
    ([[0, 1, 2, 3], [0.4, 2.6], [1.1, 1.9]], {}),
    ([[0, 1, 2], [0.1, 1.2, 2.1], [0.05, 0.9, 2.3]], {'slop_ns': S // 5}),
    ([[0, 1, 2], [0.1, 1.2, 2.1], [0.05, 0.9, 2.3]], {'age_penalty': 0.0}),
    ([[0, 3, 6], [1, 4, 7]], {'inter_message_lower_bounds_ns': [2 * S, S]}),
]


@pytest.mark.parametrize('streams, kwargs', PERMUTATION_CASES)
def test_every_arrival_order_gives_the_same_sets(streams, kwargs):
    expected = run(by_stamp(streams), num_inputs=len(streams), **kwargs)
    assert expected  # the case must exercise something
    orders = 0
    for arrivals in interleavings(streams):
        assert run(arrivals, num_inputs=len(streams), **kwargs) == expected, arrivals
        orders += 1
    assert orders > 1


def jittered_streams(rng, periods_s, duration_s, jitter_s):
    streams = []
    for period in periods_s:
        t = np.arange(rng.uniform(0, period), duration_s, period)
        t = np.sort(t + rng.uniform(-jitter_s, jitter_s, t.size))
        streams.append([round(float(x), 6) for x in t])
    return streams


@pytest.mark.parametrize('seed', range(4))
@pytest.mark.parametrize('periods_s', [(1 / 30, 1 / 100), (1 / 30, 1 / 50, 1 / 15),
                                       (1 / 30, 1 / 10, 1 / 100, 1 / 60, 1 / 200)])
def test_random_streams_are_order_independent_and_consistent(seed, periods_s):
    rng = np.random.default_rng(seed)
    streams = jittered_streams(rng, periods_s, 2.0, 0.002)
    n = len(streams)
    slop_ns = S // 50
    queue = sum(len(s) for s in streams)  # never overflows
    reference_policy = ApproximateTimePolicy(n, queue_size=queue, slop_ns=slop_ns)
    expected = feed(reference_policy, by_stamp(streams))
    assert len(expected) > 10
    for _ in range(20):
        arrivals = random_interleaving(streams, rng)
        assert run(arrivals, num_inputs=n, queue_size=queue, slop_ns=slop_ns) == expected
    # Sets are in time order, never share or cross messages, and respect the slop.
    for k in range(n):
        column = [s[k] for s in expected]
        assert column == sorted(column) and len(set(column)) == len(column)
    assert all(round((max(s) - min(s)) * S) <= slop_ns for s in expected)
    # Every message is accounted for: emitted, dropped or still held.
    for k in range(n):
        dropped = sum(counts[k] for counts in reference_policy.drop_counts.values())
        assert len(expected) + dropped + reference_policy.queued(k) == len(streams[k])


# -- queues, out-of-order messages, drops -----------------------------------------------------


def test_queue_overflow_drops_the_oldest_and_counts_it():
    drops = []
    policy = ApproximateTimePolicy(2, queue_size=3,
                                   on_drop=lambda k, t, reason: drops.append((k, t, reason)))
    for t in range(5):
        assert policy.add(0, t * S) == []
    assert policy.queued(0) == 3
    assert drops == [(0, 0, DropReason.QUEUE_OVERFLOW), (0, S, DropReason.QUEUE_OVERFLOW)]
    assert policy.drop_counts[DropReason.QUEUE_OVERFLOW] == (2, 0)
    # The survivors still match: B at 4 pairs with a at 4 at once (an exact match is
    # provably optimal), 2 and 3 are unmatched.
    assert [tuple(s for s, _ in m) for m in policy.add(1, 4 * S)] == [(4 * S, 4 * S)]
    assert policy.drop_counts[DropReason.UNMATCHED] == (2, 0)


def test_message_older_than_emitted_is_dropped_as_out_of_order():
    policy = ApproximateTimePolicy(2, inter_message_lower_bounds_ns=[S // 2, S // 2])
    assert feed(policy, [(0, 1.0), (1, 1.0)]) == [(1.0, 1.0)]
    assert feed(policy, [(0, 0.5)]) == []
    assert policy.drop_counts[DropReason.OUT_OF_ORDER] == (1, 0)
    assert policy.queued(0) == 0


def test_message_older_than_queued_but_newer_than_emitted_is_inserted_in_order():
    in_order = [(0, 0.0), (1, 0.02), (0, 0.1), (0, 0.2), (1, 0.21), (0, 0.3), (1, 0.33),
                (0, 0.4)]
    swapped = [(0, 0.0), (1, 0.02), (0, 0.2), (0, 0.1), (1, 0.21), (0, 0.3), (1, 0.33),
               (0, 0.4)]
    policy = ApproximateTimePolicy(2)
    assert feed(policy, swapped) == run(in_order)
    assert policy.drop_counts[DropReason.OUT_OF_ORDER] == (0, 0)


def test_equal_stamps_on_one_input_are_allowed():
    policy = ApproximateTimePolicy(2)
    out = feed(policy, [(0, 1.0), (0, 1.0), (1, 1.0), (1, 2.0), (0, 2.0), (1, 3.0)])
    assert out[0] == (1.0, 1.0)


def test_clear_drops_everything_held():
    policy = ApproximateTimePolicy(2)
    feed(policy, [(0, 5.0), (0, 6.0), (1, 5.5)])
    held = policy.queued(0) + policy.queued(1)
    assert policy.clear() == held
    assert sum(policy.drop_counts[DropReason.TIME_JUMP]) == held
    assert policy.queued(0) == policy.queued(1) == 0
    # Order history is forgotten too: an earlier stamp is fine now.
    assert feed(policy, [(0, 1.0), (1, 1.0), (0, 2.0), (1, 2.0)]) == [(1.0, 1.0), (2.0, 2.0)]
    feed(policy, [(0, 3.0)])
    assert policy.clear(reason=None) == 1
    assert sum(policy.drop_counts[DropReason.TIME_JUMP]) == held


@pytest.mark.parametrize('kwargs', [
    {'num_inputs': 0},
    {'num_inputs': 2, 'queue_size': 0},
    {'num_inputs': 2, 'queue_size': [3]},
    {'num_inputs': 2, 'slop_ns': -1},
    {'num_inputs': 2, 'age_penalty': -0.1},
    {'num_inputs': 2, 'inter_message_lower_bounds_ns': [0]},
    {'num_inputs': 2, 'inter_message_lower_bounds_ns': [0, -1]},
])
def test_bad_configuration_is_refused(kwargs):
    with pytest.raises(ValueError):
        ApproximateTimePolicy(**kwargs)


def test_input_index_out_of_range():
    with pytest.raises(IndexError):
        ApproximateTimePolicy(2).add(2, 0)


def test_per_input_queue_sizes():
    policy = ApproximateTimePolicy(2, queue_size=[1, 4])
    for t in range(4):
        policy.add(0, t)
        policy.add(1, t + 100)
    assert policy.queued(1) <= 4
    assert policy.drop_counts[DropReason.QUEUE_OVERFLOW][1] == 0


def test_permutation_helper_counts():
    # 3 + 3 messages on two inputs: C(6, 3) interleavings.
    assert len(list(interleavings([[0, 1, 2], [0, 1, 2]]))) == 20
    assert len(list(itertools.islice(interleavings([[0], [1], [2]]), 10))) == 6
