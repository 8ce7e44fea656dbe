#!/usr/bin/env bash
# What one device call carries, against its limit of 64 MiB (67,108,864 bytes): the work tree's tracked files and the
# untracked files git does not ignore (both travel), plus the carried paths given (relative to the repository root,
# as the call's carry names them), in 4 KiB blocks. Prints each part and exits 1 when the total is over, so the call is not spent.
#   gpu-worker/scripts/travel-size.sh [CARRY_PATH...]    e.g. .device-bundle, or .spark-runtime/part-00 .spark-runtime/SHA256SUMS
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
LIMIT=67108864
# Sum of the sizes of NUL-separated file names, each rounded up to whole 4 KiB blocks; names missing from the work
# tree count nothing. Blocks, not bytes: the device tool refused a call (2026-12-02) that counted 34 KB under the
# limit in bytes and 2.2 MB over it in blocks (858 files), and accepted every call that fit in blocks.
sizes() { (xargs -0 -r stat -c %s -- 2>/dev/null || true) | awk '{s += int(($1 + 4095) / 4096) * 4096} END {printf "%d\n", s}'; }
# Carried paths are counted once, as carried, even where git does not ignore them.
excluded=()
for path in "$@"; do
  rel=$(realpath -m --relative-to=. "$path")
  case "$rel" in ..|../*) ;; *) excluded+=(":(exclude)$rel") ;; esac
done
total=$(git ls-files -z --cached --others --exclude-standard -- . "${excluded[@]}" | sizes)
printf '%12d  work tree (tracked and untracked, not ignored)\n' "$total"
for path in "$@"; do
  if [ ! -e "$path" ]; then echo "travel-size: carried path $path does not exist here" >&2; exit 2; fi
  bytes=$(find "$path" -type f -print0 | sizes)
  printf '%12d  %s\n' "$bytes" "$path"
  total=$((total + bytes))
done
printf '%12d  total, of %d (%d left)\n' "$total" "$LIMIT" $((LIMIT - total))
if (( total > LIMIT )); then
  echo "travel-size: $total bytes are over the device call's limit of $LIMIT: carry less, or pack more (xz)" >&2
  exit 1
fi
