#!/usr/bin/env bash
# The CPU oracle against itself for DeviceVqKvCacheTest's d4b8 scope=head smooth=off case: the prefill logits of one
# seed's prompts with the Vector API (SIMD sums, ‖c‖² − 2x·c ranking) and without it (scalar sums, exact distances: the
# kernel's ranking), and their max difference against the test's bound (1e-2 · max |logit|). Needs the build (mvn package) for the classes.
#   bash gpu-worker/scripts/vq-ranking/vq-ranking.sh SEED [LENGTH...]   (default lengths 1100 70, the test's)
set -euo pipefail
SEED=$1; shift
LENGTHS="${*:-1100 70}"
W=$(mktemp -d)
CP="gpu-worker/target/classes:$(ls gpu-worker/target/lib/*.jar 2>/dev/null | tr '\n' ':')$(ls ~/.m2/repository/com/fasterxml/jackson/core/*/2*/*.jar | tr '\n' ':')"
javac -nowarn -XDsuppressNotes --add-modules jdk.incubator.vector -cp "$CP" -d "$W" gpu-worker/scripts/vq-ranking/VqRankingSensitivity.java
# run JVM_FLAG ARGS...: "vector" adds the Vector API module, "scalar" leaves it out
run() {
  local flags=""; [ "$1" = vector ] && flags="--add-modules jdk.incubator.vector"; shift
  java $flags -Dvecinfer.repo="$PWD" -cp "$CP:$W" VqRankingSensitivity "$@" 2>&1 | { grep -v "WARNING: Using incubator" || true; }
}
run vector calib "$W/books.safetensors" # one set of codebooks for both runs
run vector run "$W/books.safetensors" "$SEED" "$W/vector.bin" $LENGTHS
run scalar run "$W/books.safetensors" "$SEED" "$W/scalar.bin" $LENGTHS
python3 - "$W/vector.bin" "$W/scalar.bin" <<'PY'
import struct, sys
import numpy as np
def load(p):
    b = open(p, 'rb').read(); r, c = struct.unpack('>ii', b[:8])
    return np.frombuffer(b[8:], dtype='>f4').reshape(r, c).astype(np.float64)
v, s = load(sys.argv[1]), load(sys.argv[2])
d = np.abs(v - s); m = np.abs(v).max()
print(f"max |logit difference| {d.max():.4f} = {d.max() / m:.4f} of max |logit| {m:.4f} (the test's bound: 0.01); worst row {int(d.max(1).argmax())}")
PY
rm -rf "$W"
