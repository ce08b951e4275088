# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The shipped Fast DDS profile parses, and VGA frames reach a best-effort subscription with it.

Two real processes on DDS (a small version of ``bench_transport``). Nothing here asserts on
timing: latencies are only printed by the benchmark itself.
"""

import pathlib
import xml.etree.ElementTree as ET

import pytest

from multimodal_fusion.tools import bench_transport

NS = {'f': 'http://www.eprosima.com'}
PROFILE = pathlib.Path(__file__).resolve().parents[2] / 'config' / 'fastdds_large_frames.xml'


def test_the_shipped_profile_is_the_one_the_benchmark_uses():
    assert bench_transport.SHIPPED_PROFILE == PROFILE


def test_profile_is_a_default_participant_with_large_shm_and_udp():
    root = ET.parse(PROFILE).getroot()
    assert root.tag == '{http://www.eprosima.com}profiles'
    descriptors = {d.findtext('f:transport_id', namespaces=NS): d
                   for d in root.findall('f:transport_descriptors/f:transport_descriptor', NS)}
    types = {tid: d.findtext('f:type', namespaces=NS) for tid, d in descriptors.items()}
    assert sorted(types.values()) == ['SHM', 'UDPv4']
    shm = next(d for d in descriptors.values() if d.findtext('f:type', namespaces=NS) == 'SHM')
    # Room for several 1280x720 rgb8 frames, and at least two 1920x1080 ones.
    segment = int(shm.findtext('f:segment_size', namespaces=NS))
    assert segment >= 4 * 1280 * 720 * 3
    assert segment >= 2 * 1920 * 1080 * 3

    (participant,) = root.findall('f:participant', NS)
    assert participant.get('is_default_profile') == 'true'
    rtps = participant.find('f:rtps', NS)
    used = [t.text for t in rtps.findall('f:userTransports/f:transport_id', NS)]
    assert sorted(used) == sorted(descriptors)
    assert rtps.findtext('f:useBuiltinTransports', namespaces=NS) == 'false'


def test_case_keys_round_trip_and_bad_qos_is_refused():
    for case in bench_transport.default_cases():
        assert bench_transport.Case.from_key(case.key) == case
    with pytest.raises(ValueError, match='never matches'):
        bench_transport.Case(640, 480, 'best_effort', 'reliable')
    with pytest.raises(ValueError, match='subscription QoS'):
        bench_transport.Case(640, 480, 'reliable', 'volatile')


@pytest.mark.dds
@pytest.mark.slow
def test_vga_frames_arrive_best_effort_with_the_profile_in_both_processes(tmp_path):
    case = bench_transport.Case(640, 480, 'reliable', 'sensor_data')
    setup = bench_transport.SETUPS_BY_KEY['both']
    run = bench_transport.run_setup(setup, [case], frames=20, rate_hz=30.0,
                                    profile=PROFILE, workdir=tmp_path)
    # Fast DDS reports a profile it cannot load on stderr and then carries on with defaults.
    assert run.fastdds_errors == []
    (result,) = run.results
    assert result.sent == 20
    assert result.received >= 0.9 * result.sent, (
        f'{result.received} of {result.sent} VGA frames arrived')


def test_fastdds_errors_are_found_in_coloured_logs(tmp_path):
    log = tmp_path / 'child.log'
    log.write_text('subscriber ready\n'
                   '\x1b[37;1m2026-01-01 00:00:00.000 \x1b[31;1m[\x1b[37;1mXMLPARSER\x1b[31;1m '
                   "Error] \x1b[37mError parsing 'x.xml'\x1b[m\n")
    assert bench_transport.fastdds_errors(log) == [
        "2026-01-01 00:00:00.000 [XMLPARSER Error] Error parsing 'x.xml'"]
    assert bench_transport.fastdds_errors(tmp_path / 'missing.log') == []


def test_report_keeps_the_hand_written_part(tmp_path):
    out = tmp_path / 'transport.md'
    bench_transport.write_report(out, '| old table |\n', 'python -m x', 90, 30.0)
    out.write_text(out.read_text() + '\n' + bench_transport.HAND_WRITTEN_MARKER
                   + '\n\n## Findings\n')
    bench_transport.write_report(out, '| new table |\n', 'python -m x --frames 5', 5, 30.0)
    text = out.read_text()
    assert '`python -m x --frames 5`' in text and '| new table |' in text
    assert '| old table |' not in text
    assert text.endswith(bench_transport.HAND_WRITTEN_MARKER + '\n\n## Findings\n')
