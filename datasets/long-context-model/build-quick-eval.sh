#!/usr/bin/env bash
# Compiles QuickEval.java (not part of the Maven build) against the device bundle's jars into
# .lcm-quick-eval/quick-eval.jar (ignored by git), which stage3-on-h200.sh runs after training; carry .lcm-quick-eval.
#   bash datasets/long-context-model/build-quick-eval.sh      (after gpu-worker/scripts/make-device-bundle.sh)
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
exclude="$(git rev-parse --git-path info/exclude)"
grep -qx '/.lcm-quick-eval/' "$exclude" || echo '/.lcm-quick-eval/' >> "$exclude"
LIB=/tmp/lcm-quick-eval-lib
rm -rf "$LIB" /tmp/lcm-quick-eval-classes && mkdir -p "$LIB" /tmp/lcm-quick-eval-classes .lcm-quick-eval
tar xJf .device-bundle/lib.tar.xz -C "$LIB"
javac --release 17 -cp "$LIB/lib/*" -d /tmp/lcm-quick-eval-classes datasets/long-context-model/QuickEval.java
jar --create --file .lcm-quick-eval/quick-eval.jar -C /tmp/lcm-quick-eval-classes .
ls -l .lcm-quick-eval
