# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The fuzz command: its analysis helpers, and a bounded live run as CI's smoke fuzz.

The live tests run the command itself (``python -m multimodal_fusion.tools.fuzz_node``) in
a child process, as a user would, with its own random DDS domain. Nothing here asserts on
wall-clock time.
"""

import json
import os
import re
import signal
import subprocess
import sys

import pytest

from multimodal_fusion.tools import fuzz_node

SMOKE_MESSAGES = 600


def _sent(index, sent_ns, stream='camera', kind='image.height=0', expect='reject'):
    return fuzz_node.Sent(index, sent_ns, stream, kind, expect, None, '', None)


def test_malformed_keys_split_into_stream_and_field():
    diagnostics = {
        'fusion_node: drops/messages/malformed/touch/left/WrenchStamped.wrench.force.x': '3',
        'fusion_node: drops/messages/malformed/camera/Image.step': '2',
        'fusion_node: drops/messages/malformed/camera': '5',  # per-stream total, older nodes
        'fusion_node: drops/messages/stale/audio': '7',
    }
    assert fuzz_node.malformed_counters(diagnostics) == {
        'touch/left': {'WrenchStamped.wrench.force.x': 3}, 'camera': {'Image.step': 2}}


def test_gaps_and_their_suspects():
    s = 1_000_000_000
    gaps = fuzz_node.output_gaps([1 * s, 2 * s, 6 * s, 6 * s + 1], 0, 10 * s, 2 * s)
    assert gaps == [(2 * s, 6 * s), (6 * s + 1, None)]
    sent = [_sent(0, 1 * s), _sent(1, 2 * s, 'audio', 'stamp=zero', 'suspect'),
            _sent(2, 2 * s, 'audio', 'stamp=zero', 'suspect'), _sent(3, 5 * s)]
    # Suspect kinds first, harmless-by-contract ones last; only the window counts.
    assert fuzz_node.suspects(sent, 1 * s, 3 * s) == [
        ('audio', 'stamp=zero', 'suspect', 2), ('camera', 'image.height=0', 'reject', 1)]


def test_tracebacks_are_found_and_counted():
    block = ('Traceback (most recent call last):\n  File "x.py", line 1, in f\n'
             '    g()\nValueError: scores must be finite')
    log = f'[INFO] start\n{block}\n[INFO] more\n{block}\nException in thread t:\n'
    assert fuzz_node.tracebacks(log) == [(2, block)]
    assert fuzz_node.log_counts(log)['exception in thread'] == 1


def _command(*args):
    return [sys.executable, '-m', 'multimodal_fusion.tools.fuzz_node', *args]


@pytest.mark.dds
@pytest.mark.slow
def test_smoke_fuzz_leaves_the_node_alive_finite_and_publishing(tmp_path):
    report_path = tmp_path / 'report.json'
    proc = subprocess.run(
        _command('--messages', str(SMOKE_MESSAGES), '--seed', '1', '--triage', '0',
                 '--out-dir', str(tmp_path / 'logs'), '--json', str(report_path)),
        capture_output=True, text=True, timeout=600)
    print(proc.stdout[-6000:])  # the summary tables, shown with -s
    assert report_path.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert not report['setup_error'], report['setup_error']
    assert sum(report['sent_by_stream'][s]['reject'] for s in report['sent_by_stream']) > 0
    checks = {c['name']: c for c in report['checks']}
    summary = proc.stdout[-4000:]
    assert checks['node alive after the fuzz']['ok'], summary
    resumed = [c for name, c in checks.items() if name.startswith('outputs resumed')]
    assert resumed and resumed[0]['ok'], summary
    assert checks['every modality present again after the fuzz']['ok'], summary
    assert checks['no NaN/Inf in published scores, boxes, poses']['ok'], summary
    assert checks['no traceback in the node log']['ok'], summary
    assert checks['malformed messages counted on every stream']['ok'], summary
    assert proc.returncode == 0, summary


@pytest.mark.dds
@pytest.mark.slow
@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_fuzz_ends_with_0_and_stops_the_children(tmp_path, signum):
    proc = subprocess.Popen(
        _command('--messages', '1000000', '--rate', '50', '--triage', '0',
                 '--out-dir', str(tmp_path / 'logs')),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if 'mutations at' in line or proc.poll() is not None:
                break
        assert any('mutations at' in line for line in lines), ''.join(lines)
        os.kill(proc.pid, signum)
        rest, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = ''.join(lines) + rest
    assert proc.returncode == 0, output[-3000:]
    assert 'INTERRUPTED' in output
    pids = [int(p) for p in re.findall(r'(?:node|simulator) pid (\d+)', output)]
    assert len(pids) == 2, output[-3000:]
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
