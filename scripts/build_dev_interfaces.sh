#!/usr/bin/env bash
# Generates vision_msgs and audio_common_msgs (not on PyPI) from dev_interfaces/ with the real
# rosidl tool chain and installs them into the active virtual environment's prefix, where the
# ROS 2 wheels live: their libraries are then on the bootstrapper's LD_LIBRARY_PATH and their
# Python packages on sys.path with nothing else to set.
set -euo pipefail
: "${VIRTUAL_ENV:?activate the project venv first}"
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/dev_interfaces"

# The wheels' CMake exports carry their builder's interpreter paths; point them at ours.
# (On a rerun they already do: grep then finds nothing, which must not stop the script.)
py_inc=$(python -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
np_inc=$(python -c 'import numpy; print(numpy.get_include())')
{ grep -rlE '/opt/python/cp311-cp311/' "$VIRTUAL_ENV/share" --include='*.cmake' 2>/dev/null \
    || true; } \
  | xargs -r sed -i \
      -e "s#/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include#$np_inc#g" \
      -e "s#/opt/python/cp311-cp311/include/python3.11#$py_inc#g"

export AMENT_PREFIX_PATH="$VIRTUAL_ENV${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
for pkg in vision_msgs audio_common_msgs; do
  mkdir -p "$build/$pkg"
  (
    cd "$build/$pkg"
    cmake "$root/dev_interfaces/$pkg" -DCMAKE_PREFIX_PATH="$VIRTUAL_ENV" \
      -DCMAKE_INSTALL_PREFIX="$VIRTUAL_ENV" -DPython3_EXECUTABLE="$(command -v python)" \
      -DBUILD_TESTING=OFF -Wno-dev > cmake.log 2>&1 || { cat cmake.log; exit 1; }
    make -j"$(nproc)" > make.log 2>&1 || { tail -50 make.log; exit 1; }
    make install > install.log 2>&1 || { tail -50 install.log; exit 1; }
  )
  echo "built $pkg"
done
