# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""YAML and CSV label files: the documented examples, round trips, every refusal's line."""

from pathlib import Path
import re

import pytest

from multimodal_fusion.labels import Interval
from multimodal_fusion.labels import LabelError
from multimodal_fusion.labels import LabelNames
from multimodal_fusion.labels import LabelSet
from multimodal_fusion.labels import read_labels
from multimodal_fusion.labels import TimeRange
from multimodal_fusion.labels import write_labels
from multimodal_fusion.labels.label_files import parse_csv
from multimodal_fusion.labels.label_files import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
S = 1_000_000_000
ORIGIN = 1000 * S
BAG = TimeRange(ORIGIN, ORIGIN + 8 * S)


def _doc_block(language: str) -> str:
    text = (ROOT / 'docs' / 'labels.md').read_text(encoding='utf-8')
    return re.findall(rf'```{language}\n(.*?)```', text, re.S)[0]


def test_documented_yaml_example_reads_as_written(tmp_path):
    path = tmp_path / 'labels.yaml'
    path.write_text(_doc_block('yaml'))
    labels = read_labels(path, time_range=BAG)
    assert labels.names == LabelNames(
        situations=('idle', 'holding', 'handing_over', 'walking', 'bumped', 'tipping',
                    'alarm_on'),
        actions=('none', 'fetch', 'give', 'stop', 'come'),
        object_classes=('mug', 'bottle', 'person'))
    assert [(i.start_ns - ORIGIN, i.end_ns - ORIGIN, i.situation, i.action)
            for i in labels.intervals] == [
        (0, 2_500_000_000, 'idle', 'none'), (2_500_000_000, 4 * S, 'holding', 'fetch'),
        (4 * S, 5_500_000_000, 'handing_over', 'give'), (6 * S, 7 * S, 'walking', None)]
    holding = labels.at(ORIGIN + 3 * S)
    assert holding.referred_box == (122.0, 81.0, 162.0, 131.0)
    assert [b.class_name for b in holding.boxes] == ['mug']
    first = labels.at(ORIGIN + 2_500_000_000)
    assert [b.class_name for b in first.boxes] == ['mug', 'person']
    # Between the listed frames the boxes are unlabelled, the situation is not.
    between = labels.at(ORIGIN + 3_500_000_000)
    assert between.situation == 'holding' and between.boxes is None
    assert between.referred_box is None
    assert labels.at(ORIGIN + 4_500_000_000).referred_box == (130.0, 90.0, 170.0, 140.0)
    assert labels.at(ORIGIN + 5_700_000_000) is None
    assert labels.situation_index('walking') == 3


def test_documented_csv_example_equals_the_yaml_one_without_boxes(tmp_path):
    path = tmp_path / 'labels.csv'
    path.write_text(_doc_block('csv'))
    labels = read_labels(path, time_range=BAG)
    yaml_labels = parse_yaml(_doc_block('yaml'), time_range=BAG)
    assert labels.names.situations == yaml_labels.names.situations
    assert labels.names.object_classes == ()
    for got, want in zip(labels.intervals, yaml_labels.intervals, strict=True):
        assert (got.start_ns, got.end_ns, got.situation, got.action) == (
            want.start_ns, want.end_ns, want.situation, want.action)
    assert labels.intervals[1].referred.object_id == 'mug1'
    assert labels.intervals[2].referred.box == (130, 90, 170, 140)


@pytest.mark.parametrize('times', ['relative_s', 'absolute_ns'])
@pytest.mark.parametrize('suffix', ['.yaml', '.csv'])
def test_write_then_read_gives_equal_labels(tmp_path, times, suffix):
    labels = parse_yaml(_doc_block('yaml'), 'doc.yaml', time_range=BAG)
    if suffix == '.csv':
        # CSV holds no per-frame boxes, and refuses to lose them.
        with pytest.raises(ValueError, match='write YAML'):
            write_labels(labels, tmp_path / 'boxes.csv')
        labels = LabelSet(labels.names, [Interval(i.start_ns, i.end_ns, i.situation, i.action,
                                                  i.referred) for i in labels.intervals],
                          time_range=BAG)
    path = write_labels(labels, tmp_path / f'out{suffix}', times=times)
    assert f'times: {times}' in path.read_text()
    again = read_labels(path, time_range=BAG)
    assert again == labels
    assert again.intervals[2].referred == labels.intervals[2].referred


def test_nanosecond_stamps_survive_relative_seconds(tmp_path):
    names = LabelNames(situations=('a', 'b'))
    odd = [Interval(ORIGIN + 123_456_789, ORIGIN + 2 * S + 987_654_321, 'a'),
           Interval(ORIGIN + 3 * S + 1, ORIGIN + 7_999_999_999, 'b')]
    labels = LabelSet(names, odd, time_range=BAG)
    for times in ('relative_s', 'absolute_ns'):
        path = write_labels(labels, tmp_path / f'{times}.yaml', times=times)
        assert read_labels(path, time_range=BAG).intervals == labels.intervals


def test_absolute_stamps_read_without_the_bag():
    labels = parse_yaml('times: absolute_ns\nsituations: [a]\nintervals:\n'
                        f'  - {{start: {ORIGIN}, end: {ORIGIN + S}, situation: a}}\n')
    assert labels.at(ORIGIN).situation == 'a' and labels.at(ORIGIN + S) is None


def test_relative_times_need_the_bag_start():
    text = 'times: relative_s\nsituations: [a]\nintervals: []\n'
    with pytest.raises(LabelError) as exc:
        parse_yaml(text, 'x.yaml')
    assert (exc.value.file, exc.value.line) == ('x.yaml', 1)
    assert parse_yaml(text, origin_ns=ORIGIN).intervals == ()


HEAD = ('times: relative_s\n'                    # 1
        'situations: [idle, holding]\n'          # 2
        'actions: [none, fetch]\n'               # 3
        'object_classes: [mug]\n'                # 4
        'intervals:\n'                           # 5
        '  - start: 1.0\n'                       # 6
        '    end: 2.0\n'                         # 7
        '    situation: idle\n')                 # 8

# (text after HEAD or a whole file, the line the error names, words of the reason)
YAML_REFUSALS = [
    (HEAD + '  - start: 1.5\n    end: 3.0\n    situation: holding\n', 9,
     'overlaps the interval at line 6'),
    (HEAD + '  - start: 3.0\n    end: 3.0\n    situation: holding\n', 10, 'is not after start'),
    (HEAD + '  - start: 3.0\n    end: 2.5\n    situation: holding\n', 10, 'is not after start'),
    (HEAD + '  - start: 3.0\n    end: 4.0\n    situation: holdng\n', 11,
     "unknown situation 'holdng'"),
    (HEAD + '  - start: 3.0\n    end: 4.0\n    situation: holding\n    action: give\n', 12,
     "unknown action 'give'"),
    (HEAD + '  - start: 3.0\n    end: 4.0\n    situation: holding\n    boxes:\n'
     '      - stamp: 3.0\n        objects:\n          - {class: cup, box: [1, 2, 3, 4]}\n',
     15, "unknown object class 'cup'"),
    (HEAD + '  - start: 3.0\n    end: 9.5\n    situation: holding\n', 10,
     'after the end of the bag'),
    (HEAD + '  - start: -1.0\n    end: 0.5\n    situation: holding\n', 9, 'outside the bag'),
    (HEAD.replace('[idle, holding]', '[idle, holding, idle]'), 2,
     "'idle' declared twice (also at position 1)"),
    (HEAD.replace('[none, fetch]', '\n  - none\n  - fetch\n  - fetch'), 6,
     "'fetch' declared twice"),
    (HEAD + '  - start: 3.0\n    end: 4.0\n    situation: holding\n    boxes:\n'
     '      - stamp: 3.0\n        objects:\n          - {class: mug, box: [5, 2, 3, 4]}\n',
     15, 'expected x1 > x0 and y1 > y0'),
    (HEAD + '  - start: 3.0\n    end: 4.0\n    situation: holding\n    boxes:\n'
     '      - stamp: 3.0\n        objects:\n          - class: mug\n'
     '            box: [-1, 2, 3, 4]\n', 16, 'negative coordinate'),
    (HEAD + '  - start: 3.0\n    end: 4.0\n    situation: holding\n    boxes:\n'
     '      - stamp: 3.0\n        objects:\n          - {class: mug, box: [1, 2, 3]}\n',
     15, 'expected four numbers'),
    (HEAD + '  - start: 3.0\n    end: 4.0\n    situation: holding\n    boxes:\n'
     '      - stamp: 4.5\n        objects: []\n', 13, 'outside its interval'),
    (HEAD + '  - start: 3.0\n    end: 4.0\n    situation: holding\n    boxes:\n'
     '      - stamp: 3.5\n        objects: []\n      - stamp: 3.5\n        objects: []\n',
     15, 'repeats or goes back'),
    (HEAD + '  - start: 3.0\n    end: 4.0\n    situation: holding\n    boxes:\n'
     '      - stamp: 3.5\n        objects:\n          - {class: mug, box: [1, 2, 3, 4], id: 7}\n'
     '          - {class: mug, box: [5, 6, 7, 8], id: 7}\n', 16, "object id '7' twice"),
    (HEAD + '  - start: 3.0\n    end: 4.0\n    situation: holding\n    referred:\n'
     '      box: [1, 2, 3, 4]\n', 12, 'a box needs the stamp'),
    (HEAD + '  - start: 3.0\n    end: 4.0\n    situation: holding\n    referred: {}\n', 12,
     'give an object id'),
    (HEAD + '  - start: 3.0\n    end: 4.0\n    situation: holding\n    referred:\n'
     '      stamp: 5.0\n      box: [1, 2, 3, 4]\n', 12, 'outside its interval'),
    (HEAD + '  - start: 3.0\n    situation: holding\n', 9, "missing field 'end'"),
    (HEAD + '  - end: 4.0\n    situation: holding\n', 9, "missing field 'start'"),
    (HEAD + '  - start: 3.0\n    end: 4.0\n    situaton: holding\n', 11,
     "unknown field 'situaton'"),
    (HEAD + '  - start: soon\n    end: 4.0\n    situation: holding\n', 9,
     "start 'soon': expected seconds"),
    (HEAD + '  - start: 3.0\n    end: 4.0\n    situation: [holding]\n', 11,
     'expected a name, got a list'),
    (HEAD + '  - start: 3.0\n    end: 4.0\n    situation: holding\n    boxes: {}\n', 12,
     'expected a list of frames'),
    (HEAD + '  - just text\n', 9, 'interval: expected a mapping, got text'),
    (HEAD.replace('relative_s', 'seconds'), 1, "times 'seconds': expected one of"),
    (HEAD.replace('situations: [idle, holding]\n', ''), 1, "missing field 'situations'"),
    (HEAD.replace('situations: [idle, holding]', 'situations: idle'), 2,
     'expected a list of names'),
    (HEAD.replace('situations: [idle, holding]', 'situations: []'), 2,
     'at least one situation'),
    ('version: 2\n' + HEAD, 1, 'this reader knows version 1'),
    (HEAD + '  - start: 3.0\n    end: 4.0\n    situation: holding\n    end: 5.0\n', 12,
     "'end' given twice (also line 10)"),
    (HEAD + '  - start: 3.0\n    end: [4.0\n', 11, 'not valid YAML'),
    ('', 1, 'empty file'),
    ('times: absolute_ns\nsituations: [a]\nintervals:\n  - {start: 1.5, end: 9, '
     'situation: a}\n', 4, 'expected a stamp in nanoseconds'),
]


@pytest.mark.parametrize('text, line, reason', YAML_REFUSALS)
def test_yaml_refusals_name_the_file_and_line(tmp_path, text, line, reason):
    path = tmp_path / 'labels.yaml'
    path.write_text(text)
    with pytest.raises(LabelError) as exc:
        read_labels(path, time_range=BAG)
    assert (exc.value.file, exc.value.line) == (str(path), line), str(exc.value)
    assert reason in exc.value.reason
    assert str(exc.value).startswith(f'{path}:{line}: ')


CSV_HEAD = ('# Kitchen run.\n'                                 # 1
            '# times: relative_s\n'                            # 2
            '# situations: idle, holding\n'                    # 3
            '# actions: none, fetch\n'                         # 4
            'start,end,situation,action,referred_object,referred_stamp,referred_box\n'  # 5
            '1.0,2.0,idle,none,,,\n')                          # 6

CSV_REFUSALS = [
    (CSV_HEAD + '1.5,3.0,holding,,,,\n', 7, 'overlaps the interval at line 6'),
    (CSV_HEAD + '\n# a comment\n3.0,2.0,holding,,,,\n', 9, 'is not after start'),
    (CSV_HEAD + '3.0,4.0,holdng,,,,\n', 7, "unknown situation 'holdng'"),
    (CSV_HEAD + '3.0,4.0,holding,give,,,\n', 7, "unknown action 'give'"),
    (CSV_HEAD + '3.0,8.5,holding,,,,\n', 7, 'after the end of the bag'),
    (CSV_HEAD + '3.0,4.0,holding,fetch,,3.5,5 2 3 4\n', 7, 'expected x1 > x0'),
    (CSV_HEAD + '3.0,4.0,holding,fetch,,3.5,1 2 3\n', 7, 'expected four numbers'),
    (CSV_HEAD + '3.0,4.0,holding,fetch,,,1 2 3 4\n', 7, 'a box needs the stamp'),
    (CSV_HEAD + '3.0,4.0,holding,fetch,,3.5,1 2 x 4\n', 7, "referred_box 'x'"),
    (CSV_HEAD + 'soon,4.0,holding,,,,\n', 7, "start 'soon': expected a number"),
    (CSV_HEAD + ',4.0,holding,,,,\n', 7, "missing field 'start'"),
    (CSV_HEAD + '3.0,4.0,holding\n', 7, '3 cells for 7 columns'),
    (CSV_HEAD.replace('idle, holding', 'idle, holding, idle'), 3,
     "'idle' declared twice (also at position 1)"),
    (CSV_HEAD.replace('# times: relative_s\n', ''), 4, 'missing declaration "# times'),
    (CSV_HEAD.replace('# times: relative_s', '# times: relative_s\n# times: absolute_ns'), 3,
     "'times' declared twice"),
    (CSV_HEAD.replace('referred_box', 'label'), 5, "unknown column 'label'"),
    (CSV_HEAD.replace('start,end,situation,', 'start,situation,'), 5,
     "missing columns ['end']"),
]


@pytest.mark.parametrize('text, line, reason', CSV_REFUSALS)
def test_csv_refusals_name_the_file_and_line(tmp_path, text, line, reason):
    path = tmp_path / 'labels.csv'
    path.write_text(text)
    with pytest.raises(LabelError) as exc:
        read_labels(path, time_range=BAG)
    assert (exc.value.file, exc.value.line) == (str(path), line), str(exc.value)
    assert reason in exc.value.reason


def test_csv_without_header_and_unknown_file_types_are_refused(tmp_path):
    with pytest.raises(LabelError, match='no header row'):
        parse_csv('# times: relative_s\n# situations: a\n', 'x.csv', time_range=BAG)
    path = tmp_path / 'labels.json'
    path.write_text('{}')
    with pytest.raises(LabelError, match='unknown label file type'):
        read_labels(path)
    bad = tmp_path / 'latin1.yaml'
    bad.write_bytes('situations: [caf\xe9]\n'.encode('latin-1'))
    with pytest.raises(LabelError, match='not UTF-8'):
        read_labels(bad)


def _refusal_messages() -> list[str]:
    messages = []
    for refusals, parse, name in ((YAML_REFUSALS, parse_yaml, 'labels.yaml'),
                                  (CSV_REFUSALS, parse_csv, 'labels.csv')):
        for text, _, _ in refusals:
            with pytest.raises(LabelError) as exc:
                parse(text, name, time_range=BAG)
            messages.append(str(exc.value))
    return messages


def test_every_error_message_in_the_docs_is_one_the_readers_give():
    text = (ROOT / 'docs' / 'labels.md').read_text(encoding='utf-8')
    table = text[text.index('| rule | example message |'):]
    documented = re.findall(r'^\|[^|]*\| `(labels\.(?:yaml|csv):\d+: .*)` \|$', table, re.M)
    assert len(documented) >= 20
    given = _refusal_messages()
    for message in documented:
        # '(...)' and '...' in the docs stand for the parts left out.
        pattern = re.escape(message).replace(r'\(\.\.\.\)', r'\([^)]*\)').replace(
            r'\.\.\.', '.*')
        assert any(re.fullmatch(pattern, m) for m in given), message
