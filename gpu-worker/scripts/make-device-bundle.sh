#!/usr/bin/env bash
# Builds .device-bundle/ (ignored by git), what the GPU machine needs to run our Java there: it has a
# CUDA driver and Python but no Java and no network. At most 64 MiB of work tree travels per device call
# and the tracked tree is ~46 MiB, so the bundle stays small:
#   jre17b.tar.xz      a jlink'd JDK 17 runtime (java.base, java.logging, java.management, jdk.unsupported,
#                      jdk.incubator.vector), xz-compressed
#   lib/*.jar          gpu-worker (with its kernels), its runtime and test dependencies, the test classes
#                      (resources are read from the work tree), and JCuda's natives cut to the driver library
set -euo pipefail
cd "$(dirname "$0")/../.."
B=.device-bundle
mkdir -p "$B/lib"
exclude="$(git rev-parse --git-path info/exclude)"
grep -qx '/.device-bundle/' "$exclude" || echo '/.device-bundle/' >> "$exclude"
if [ ! -f "$B/jre17b.tar.xz" ]; then
  rm -rf /tmp/jre17b
  jlink --add-modules java.base,java.logging,java.management,jdk.unsupported,jdk.incubator.vector \
    --strip-debug --no-man-pages --no-header-files --output /tmp/jre17b
  # Symbols the JVM does not need at run time: 4 MB less libjvm.so.
  strip --strip-unneeded /tmp/jre17b/lib/server/libjvm.so
  # Uncompressed modules: xz -9 packs them far tighter than jlink's own zip compression.
  tar cf - -C /tmp jre17b | xz -9 -T2 > "$B/jre17b.tar.xz"
fi
mvn -q -o -B -pl gpu-worker package -DskipTests
mvn -q -o -B -pl gpu-worker dependency:build-classpath -DincludeScope=test -Dmdep.outputFile=/tmp/device-cp.txt
rm -f "$B"/lib/*.jar
cp gpu-worker/target/gpu-worker-*.jar "$B/lib/"
(cd gpu-worker/target/test-classes && jar cf "$OLDPWD/$B/lib/gpu-worker-tests.jar" $(find . -name '*.class'))
for jar in $(tr ':' '\n' < /tmp/device-cp.txt); do
  case "$jar" in
    *jcuda-natives*)
      rm -rf /tmp/jcuda-natives && mkdir -p /tmp/jcuda-natives && (cd /tmp/jcuda-natives && unzip -q "$jar" 'lib/libJCudaDriver-*')
      jar cf "$B/lib/$(basename "$jar")" -C /tmp/jcuda-natives lib ;;
    *) cp "$jar" "$B/lib/" ;;
  esac
done
echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- gpu-worker || echo -dirty)" > "$B/commit.txt"
ls "$B/lib" | wc -l
du -sh "$B"
