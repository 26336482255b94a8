#!/usr/bin/env bash
# GPU check: run the replay's CUDA path once and record predicted against measured.
#
#   OUT=/path/to/results bash benchmarks/gpu_check.sh           # on a GPU machine
#   DEVICE=cpu OUT=/tmp/gpucheck bash benchmarks/gpu_check.sh   # the same steps on the CPU
#
# Needs python3 with torch, numpy, scipy, networkx, matplotlib, typer, rich and pyyaml; the
# rest of schedkit's dependencies come from the wheels in .whl/ (benchmarks/gpu_wheels.sh
# downloads them), installed with pip --no-index into $SITE (nothing is fetched). schedkit
# itself runs from this working tree (PYTHONPATH); numba is left out of the wheels (llvmlite
# alone is about 40 MiB), so the few compiled loops run their numpy twins there. Steps, each with its own time-out, each
# logged to $OUT/<step>.log and run even when an earlier one failed:
#   setup      pip install --target $SITE .whl/*.whl
#   env        versions, GPUs (env.json, nvidia-smi in env.log)
#   profile    schedkit profile: F, B, W, fused BW per stage with their spread (profile.json,
#              profiled.yaml)
#   solve      schedkit solve of the profiled instance (solve.json, solution.json)
#   pipeline   1F1B, ZB-H1, ZB-H2 and the solved schedule replayed in one set of ranks
#              (pipeline.json)
#   cli-replay schedkit replay of the solved schedule, as a user runs it (cli_replay.json)
#   torch-runtime  the same through torch.distributed.pipelining (nccl or CPU only)
#   placement  expert placement solved and replayed: one process, then one per GPU
#              (placement.json)
#   report     summary.md from all of the above, with steps.tsv (step, exit code, seconds)
# With fewer GPUs than pipeline ranks (one GPU: 4 ranks), the ranks time-share the GPU over
# gloo (--share-gpu) and the figures say so; with a GPU per rank they use nccl.
# Sizes (environment variables, GPU defaults; DEVICE=cpu has small ones): PP_RANKS,
# MICROBATCHES, HIDDEN, SEQ, BATCH, ITERS, PROFILE_ITERS, SOLVE_S, PL_INSTANCE, PL_HIDDEN,
# PL_FFN, PL_SCALE; TOTAL_S (default 450) bounds the whole run.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-$ROOT/out/gpucheck}
PYTHON=${PYTHON:-python3}
SITE=${SITE:-/tmp/site}
TOTAL_S=${TOTAL_S:-450}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
START=$(date +%s)
: > "$OUT/steps.tsv"

# step NAME BUDGET_S NOTE COMMAND: run COMMAND (bash) with a time-out of BUDGET_S, cut to what
# is left of TOTAL_S less 25 s kept for the report; log to $OUT/NAME.log, record in steps.tsv.
step() {
    local name=$1 budget=$2 note=$3 cmd=$4
    local left=$((TOTAL_S - 25 - ($(date +%s) - START)))
    [ "$name" = report ] && left=$((left + 25))
    if [ "$budget" -gt "$left" ]; then budget=$left; fi
    if [ "$budget" -lt 5 ]; then
        printf '%s\tskipped\t0\tno time left\n' "$name" >> "$OUT/steps.tsv"
        echo "== $name: skipped (no time left)"
        return
    fi
    echo "== $name (time-out ${budget} s)"
    local t0=$(date +%s)
    timeout -k 10 "$budget" bash -c "$cmd" > "$OUT/$name.log" 2>&1
    local rc=$?
    local dt=$(($(date +%s) - t0))
    [ $rc -eq 124 ] && note="timed out after ${budget} s${note:+; $note}"
    printf '%s\t%s\t%s\t%s\n' "$name" "$([ $rc -eq 0 ] && echo ok || echo "failed ($rc)")" \
        "$dt" "$note" >> "$OUT/steps.tsv"
    echo "   rc=$rc, ${dt} s; last lines of $name.log:"
    tail -n 4 "$OUT/$name.log" | sed 's/^/   | /'
}
skip() {
    printf '%s\tskipped\t0\t%s\n' "$1" "$2" >> "$OUT/steps.tsv"
    echo "== $1: skipped ($2)"
}

if [ "${SKIP_WHEELS:-0}" = 1 ]; then
    skip setup "SKIP_WHEELS=1: the dependencies are installed"
    export PYTHONPATH=$ROOT
else
    # pip from the wheels alone; without pip, the wheels (zip files) are unpacked as they are
    step setup 90 "" "if $PYTHON -m pip --version; then $PYTHON -m pip install -q --no-index \
        --no-deps --no-compile --no-cache-dir --upgrade --target '$SITE' .whl/*.whl; else \
        $PYTHON -c 'import glob, sys, zipfile; [zipfile.ZipFile(w).extractall(sys.argv[1]) \
        for w in sorted(glob.glob(\".whl/*.whl\"))]' '$SITE'; fi"
    export PYTHONPATH=$SITE:$ROOT
fi
SK="$PYTHON -m schedkit"
GC="$PYTHON benchmarks/gpu_check.py"

step env 60 "" "(nvidia-smi -L && nvidia-smi --query-gpu=name,memory.total,driver_version \
    --format=csv) || true; $GC env --out '$OUT/env.json'"
GPUS=$($PYTHON -c "import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)" 2>/dev/null || echo 0)
echo "   CUDA GPUs: $GPUS"

if [ "$DEVICE" = cpu ]; then
    : "${PP_RANKS:=2}" "${MICROBATCHES:=4}" "${HIDDEN:=64}" "${SEQ:=32}" "${BATCH:=2}"
    : "${ITERS:=3}" "${PROFILE_ITERS:=5}" "${SOLVE_S:=10}" "${PL_HIDDEN:=64}" "${PL_FFN:=128}"
    : "${PL_SCALE:=1}" "${THREADS:=1}"
else
    if [ "$GPUS" -ge 2 ]; then : "${PP_RANKS:=$((GPUS < 4 ? GPUS : 4))}"; fi
    : "${PP_RANKS:=4}" "${MICROBATCHES:=8}" "${HIDDEN:=1024}" "${SEQ:=512}" "${BATCH:=4}"
    : "${ITERS:=5}" "${PROFILE_ITERS:=10}" "${SOLVE_S:=20}" "${PL_HIDDEN:=1024}"
    : "${PL_FFN:=4096}" "${PL_SCALE:=32}" "${THREADS:=8}"
fi
: "${PL_INSTANCE:=instances/placement/eplb_example.yaml}"
PL_GPUS=$($PYTHON -c "import yaml,sys; d=yaml.safe_load(open(sys.argv[1])); print(d['nodes']*d['gpus_per_node'])" "$PL_INSTANCE" 2>/dev/null || echo 8)
SHARE=""
PL_SHARE=""
MODE="cpu (gloo)"
if [ "$DEVICE" != cpu ]; then
    if [ "$GPUS" -lt "$PP_RANKS" ]; then SHARE="--share-gpu"; MODE="$PP_RANKS ranks time-sharing $GPUS GPU(s) (gloo)"; else MODE="$PP_RANKS ranks on $PP_RANKS GPUs (nccl)"; fi
    if [ "$GPUS" -lt "$PL_GPUS" ]; then PL_SHARE="--share-gpu"; fi
fi
echo "   pipeline: $MODE; m=$MICROBATCHES hidden=$HIDDEN seq=$SEQ batch=$BATCH"
SIZES="--hidden $HIDDEN --seq $SEQ --batch $BATCH"

step profile 120 "" "$SK profile --devices $PP_RANKS --microbatches $MICROBATCHES $SIZES \
    --device $DEVICE --iters $PROFILE_ITERS --objective makespan \
    --memory-limit $((2 * PP_RANKS - 1)) -o '$OUT/profiled.yaml' --json > '$OUT/profile.json'"
INSTANCE=$OUT/profiled.yaml
if [ ! -s "$INSTANCE" ]; then
    INSTANCE=$OUT/fallback.yaml
    step fallback-instance 30 "profile failed: unit times" "$GC fallback-instance \
        --devices $PP_RANKS --microbatches $MICROBATCHES -o '$INSTANCE'"
fi

step solve $((SOLVE_S + 40)) "" "$SK solve '$INSTANCE' --time-limit $SOLVE_S \
    --threads $THREADS --out '$OUT/solution.json' --json > '$OUT/solve.json'"

step pipeline 180 "$MODE" "$GC pipeline --instance '$INSTANCE' --solution '$OUT/solution.json' \
    --device $DEVICE $SHARE --iters $ITERS $SIZES --out '$OUT/pipeline.json'"

if [ -s "$OUT/solution.json" ]; then
    step cli-replay 90 "$MODE" "$SK replay '$INSTANCE' '$OUT/solution.json' --device $DEVICE \
        $SHARE --iters 2 $SIZES --json > '$OUT/cli_replay.json'"
else
    skip cli-replay "no solution.json"
fi

if [ -n "$SHARE" ]; then
    skip torch-runtime "torch's runtime needs a GPU per rank (gloo cannot carry its CUDA sends)"
elif [ -s "$OUT/solution.json" ]; then
    step torch-runtime 90 "$MODE" "$SK replay '$INSTANCE' '$OUT/solution.json' \
        --device $DEVICE --runtime torch --iters 2 $SIZES --json > '$OUT/torch_runtime.json'"
else
    skip torch-runtime "no solution.json"
fi

step placement 150 "" "$GC placement --instance '$PL_INSTANCE' --device $DEVICE $PL_SHARE \
    --iters $ITERS --hidden $PL_HIDDEN --ffn $PL_FFN --scale $PL_SCALE --time-limit 5 \
    --threads $THREADS --out '$OUT/placement.json'"

step report 25 "" "$GC report --dir '$OUT' --device $DEVICE"
echo "total $(($(date +%s) - START)) s; summary: $OUT/summary.md"
cat "$OUT/steps.tsv"
