#!/usr/bin/env bash
# Download, into .whl/ (git-ignored), the wheels of schedkit's core dependencies that a GPU
# machine with only torch and the scientific stack lacks: CPython 3.12, manylinux x86_64.
# benchmarks/gpu_check.sh installs them there with `pip install --no-index --target`.
# Pins: the versions the test set-up uses (constraints.txt, .venv). Checked Requires-Dist:
#   ortools   -> absl-py, immutabledict, numpy, pandas, protobuf, typing-extensions
#                (ortools imports pandas at import time)
#   pandas    -> numpy, python-dateutil      python-dateutil -> tzdata
#   pydantic  -> annotated-types, pydantic-core, typing-extensions, typing-inspection
#   pyomo     -> nothing                     highspy -> numpy (kept < 1.13, see pyproject)
# numpy, scipy, networkx, matplotlib, typer, rich and pyyaml are on the GPU machine already.
# Usage: bash benchmarks/gpu_wheels.sh [PYTHON_VERSION]   (default 3.12)
set -euo pipefail
cd "$(dirname "$0")/.."
PYVER="${1:-3.12}"
DEST=.whl
PINS=(
    ortools==9.15.6755
    pyomo==6.10.1
    highspy==1.12.0
    pydantic==2.14.4
    pydantic-core==2.50.5
    annotated-types==0.8.0
    typing-extensions==4.16.0
    typing-inspection==0.4.5
    absl-py==2.5.1
    protobuf==6.33.6
    immutabledict==4.3.1
    pandas==3.1.1
    python-dateutil==4.0.0
    tzdata==2026.6
)
mkdir -p "$DEST"
python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --python-version "$PYVER" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform manylinux1_x86_64 \
    -d "$DEST" "${PINS[@]}"
ls -1 "$DEST"
total=$(du -cb "$DEST"/*.whl | tail -1 | cut -f1)
echo "total $((total / 1024 / 1024)) MiB ($total bytes) in $(find "$DEST" -type f -name '*.whl' | wc -l) wheels"
if [ "$total" -ge $((55 * 1024 * 1024)) ]; then
    echo "error: the wheels exceed 55 MiB" >&2
    exit 1
fi
