#!/usr/bin/env bash
# Builds .device-bundle/ (ignored by git), what the GPU machine needs to run our Java there: it has a
# CUDA driver and Python but no Java and no network. At most 64 MiB travel per device call, the tracked tree
# included (gpu-worker/scripts/travel-size.sh .device-bundle checks), so the bundle stays small:
#   jre17b.tar.xz   a jlink'd JDK 17 runtime (java.base, java.logging, java.management, jdk.unsupported,
#                   jdk.incubator.vector, jdk.incubator.foreign), xz-compressed; built once, kept while the file exists
#   lib.tar.xz      lib/*.jar: gpu-worker (with its kernels, and io.vecinfer.model.ShippedWeights), its runtime and
#                   test dependencies, the test classes (resources are read from the work tree), JCuda's natives cut
#                   to the driver library; every jar stored uncompressed (spark-jobs/scripts/trim_jars.py), so one
#                   xz pass compresses across classes and jars: about half the size of the deflated jars
#   commit.txt      the commit the jars were built from
# The device scripts source gpu-worker/scripts/device-bundle-env.sh, which unpacks both into /tmp/device-bundle
# once per call and unpacks the shipped weights (datasets/*/model.safetensors.xz) with the bundle's java.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=.device-bundle
mkdir -p "$B"
exclude="$(git rev-parse --git-path info/exclude)"
grep -qx '/.device-bundle/' "$exclude" || echo '/.device-bundle/' >> "$exclude"
if [ ! -f "$B/jre17b.tar.xz" ]; then
  rm -rf /tmp/jre17b
  jlink --add-modules java.base,java.logging,java.management,jdk.unsupported,jdk.incubator.vector,jdk.incubator.foreign \
    --strip-debug --no-man-pages --no-header-files --output /tmp/jre17b
  # Symbols the JVM does not need at run time: 4 MB less libjvm.so.
  strip --strip-unneeded /tmp/jre17b/lib/server/libjvm.so
  # Uncompressed modules: xz -9 packs them far tighter than jlink's own zip compression.
  tar cf - -C /tmp jre17b | xz -9 -T2 > "$B/jre17b.tar.xz"
fi
mvn -q -ntp -B -pl gpu-worker package -DskipTests
mvn -q -ntp -B -pl gpu-worker dependency:build-classpath -DincludeScope=test -Dmdep.outputFile=/tmp/device-cp.txt
STAGE=/tmp/device-bundle-stage
rm -rf "$STAGE" "$B/lib" "$B/lib.tar.xz" && mkdir -p "$STAGE/lib"
(cd gpu-worker/target/test-classes && jar --create --no-compress --file "$STAGE/gpu-worker-tests.jar" $(find . -name '*.class'))
# The jars as one classpath file for trim_jars.py: stored entries, JCuda's natives cut to libJCudaDriver.
echo "$(ls "$PWD"/gpu-worker/target/gpu-worker-*.jar):$STAGE/gpu-worker-tests.jar:$(cat /tmp/device-cp.txt)" > "$STAGE/classpath.txt"
python3 spark-jobs/scripts/trim_jars.py "$STAGE/classpath.txt" "$STAGE/lib"
tar cf - -C "$STAGE" lib | xz -9 -T2 > "$B/lib.tar.xz"
echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- gpu-worker || echo -dirty)" > "$B/commit.txt"
ls "$STAGE/lib" | wc -l
ls -l "$B"
du -cb "$B"/* | tail -1
