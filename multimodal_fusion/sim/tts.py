# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Spoken audio from text with espeak-ng, cached on disk per (text, voice, speed).

espeak-ng takes tens of milliseconds per sentence, far more than the rest of a sample, so
each waveform is synthesized once, resampled to the audio rate, trimmed and kept as a WAV in
the cache directory (shared by processes: files are written to a temporary name and renamed,
so parallel dataset workers never read half a file).
"""

from __future__ import annotations

import collections
import functools
import hashlib
import math
import os
from pathlib import Path
import shutil
import subprocess
import tempfile
import wave

import numpy as np
from scipy import signal

# Standard espeak-ng voices with variants (+f*/+m*/+klatt*) that change pitch and timbre; all
# ship with the Debian package (mbrola voices need extra data and are left out). Voices and
# speeds come in two pools (``SimConfig.pool('voice')``) disjoint by construction: the
# held-out pool uses an accent (West Midlands), variants (+f5, +m1, +m4..+m7, +klatt2/3) and
# speaking rates that no training voice uses.
VOICE_POOLS: dict[str, tuple[str, ...]] = {
    'train': ('en-us', 'en-gb', 'en-us+f3', 'en-gb+f2', 'en-us+m3', 'en-gb-x-rp+f4',
              'en-029+m2', 'en-us-nyc', 'en-gb-scotland+f1', 'en-gb-x-gbclan'),
    'held_out': ('en-gb-x-gbcwmd', 'en-gb-x-gbcwmd+f5', 'en-us+f5', 'en-gb+m4',
                 'en-029+m1', 'en-us-nyc+m5', 'en-gb-scotland+m6', 'en-gb-x-rp+m7',
                 'en-us+klatt2', 'en-gb+klatt3'),
}
# Words per minute.
SPEED_POOLS: dict[str, tuple[int, ...]] = {'train': (130, 150, 175), 'held_out': (115, 195)}
# Every voice and speed the synthesizer accepts.
VOICES: tuple[str, ...] = VOICE_POOLS['train'] + VOICE_POOLS['held_out']
SPEEDS: tuple[int, ...] = SPEED_POOLS['train'] + SPEED_POOLS['held_out']
_CACHE_VERSION = 'v1'
_TRIM_LEVEL = 0.02
_TRIM_MARGIN_S = 0.02


@functools.lru_cache(maxsize=1)
def _espeak() -> str:
    path = shutil.which('espeak-ng')
    if path is None:
        raise RuntimeError(
            'espeak-ng not found on PATH; the simulator needs it for spoken commands '
            '(Debian/Ubuntu: apt-get install espeak-ng)')
    return path


def _parse_wav(data: bytes) -> tuple[np.ndarray, int]:
    # espeak-ng --stdout writes a streaming header whose sizes are placeholders, so the
    # chunks are located by name instead of trusting the RIFF lengths.
    if data[:4] != b'RIFF' or data[8:12] != b'WAVE':
        raise RuntimeError('espeak-ng did not return a WAV stream')
    rate = int.from_bytes(data[24:28], 'little')
    start = data.find(b'data', 12) + 8
    pcm = data[start:start + (len(data) - start) // 2 * 2]
    return np.frombuffer(pcm, dtype='<i2').astype(np.float32) / 32768.0, rate


def _trim(wave_: np.ndarray, sample_rate: int) -> np.ndarray:
    peak = float(np.max(np.abs(wave_))) if wave_.size else 0.0
    if peak == 0.0:
        raise RuntimeError('espeak-ng returned silence')
    loud = np.flatnonzero(np.abs(wave_) > _TRIM_LEVEL * peak)
    margin = int(_TRIM_MARGIN_S * sample_rate)
    return wave_[max(0, loud[0] - margin):loud[-1] + margin + 1]


class SpeechSynthesizer:
    """Cached espeak-ng synthesis.

    Args:
        cache_dir: directory for the WAV cache (created on first write).
        sample_rate: rate of the returned waveforms.
        memory_items: waveforms kept in memory besides the disk cache.
    """

    def __init__(self, cache_dir: Path, sample_rate: int = 16000, memory_items: int = 128):
        if sample_rate < 8000:
            raise ValueError(f'sample_rate={sample_rate} too low; expected >= 8000')
        self.cache_dir = Path(cache_dir) / 'speech'
        self.sample_rate = sample_rate
        self._memory: collections.OrderedDict[str, np.ndarray] = collections.OrderedDict()
        self._memory_items = memory_items
        self.synthesized = 0
        self.disk_hits = 0

    def path(self, text: str, voice: str, speed: int) -> Path:
        """Cache file of one utterance."""
        key = f'{_CACHE_VERSION}|{self.sample_rate}|{voice}|{speed}|{text}'
        return self.cache_dir / (hashlib.sha1(key.encode('utf-8')).hexdigest() + '.wav')

    def synthesize(self, text: str, voice: str, speed: int) -> np.ndarray:
        """``(n,)`` float32 speech at ``sample_rate``, peak 1, silence trimmed; read-only.

        Raises:
            ValueError: for an unknown voice or an empty text.
            RuntimeError: if espeak-ng is missing or fails.
        """
        if voice not in VOICES:
            raise ValueError(f'unknown voice {voice!r}; expected one of {VOICES}')
        if not text.strip():
            raise ValueError('cannot synthesize an empty text')
        path = self.path(text, voice, speed)
        key = path.name
        cached = self._memory.get(key)
        if cached is not None:
            self._memory.move_to_end(key)
            return cached
        if path.exists():
            wave_ = self._read(path)
            self.disk_hits += 1
        else:
            # Keep what the disk holds, so a cold and a warm cache give identical samples.
            pcm = np.clip(np.round(self._run(text, voice, speed) * 32767.0), -32768, 32767)
            pcm = pcm.astype('<i2')
            self._write(path, pcm)
            wave_ = pcm.astype(np.float32) / 32768.0
            self.synthesized += 1
        wave_ = wave_ / max(float(np.max(np.abs(wave_))), 1e-6)
        wave_.flags.writeable = False
        self._memory[key] = wave_
        if len(self._memory) > self._memory_items:
            self._memory.popitem(last=False)
        return wave_

    def _run(self, text: str, voice: str, speed: int) -> np.ndarray:
        result = subprocess.run([_espeak(), '-v', voice, '-s', str(speed), '--stdout', text],
                                capture_output=True, check=False, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f'espeak-ng failed for voice {voice!r}: '
                               f'{result.stderr.decode(errors="replace").strip()}')
        raw, rate = _parse_wav(result.stdout)
        if rate != self.sample_rate:
            common = math.gcd(rate, self.sample_rate)
            raw = signal.resample_poly(raw, self.sample_rate // common, rate // common)
        return _trim(raw.astype(np.float32), self.sample_rate)

    def _read(self, path: Path) -> np.ndarray:
        with wave.open(str(path), 'rb') as handle:
            frames = handle.readframes(handle.getnframes())
        return np.frombuffer(frames, dtype='<i2').astype(np.float32) / 32768.0

    def _write(self, path: Path, pcm: np.ndarray) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle_fd, tmp = tempfile.mkstemp(dir=path.parent, suffix='.tmp')
        os.close(handle_fd)
        try:
            with wave.open(tmp, 'wb') as handle:
                handle.setnchannels(1)
                handle.setsampwidth(2)
                handle.setframerate(self.sample_rate)
                handle.writeframes(pcm.tobytes())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
