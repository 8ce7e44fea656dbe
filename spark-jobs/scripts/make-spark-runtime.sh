#!/usr/bin/env bash
# Builds .spark-runtime/ (ignored by git): a Spark standalone runtime for a GPU host that has no Java and takes
# at most 64 MiB of files a call (the GPU machine of gpu-worker/scripts/gpu-check-on-h200.sh). Contents, as one
# SPARK_HOME once unpacked (spark-runtime/):
#   jre/     a jlink'd JDK 17 runtime (java.se plus what Spark and our kernels use), libjvm stripped
#   jars/    every runtime jar of spark-jobs (Spark, Parquet, gpu-worker with its kernels, JCuda), trimmed by
#            trim_jars.py: unused backends left out, natives cut to linux-x86_64, stored uncompressed
#   app/     spark-jobs.jar, the application jar spark-submit is given
#   conf/    log4j2.properties, gpu-discovery.sh, java-options (Spark's module options, from the root pom)
#   bin/     spark-cluster.sh: start a master and a worker (GPUs from the discovery script), submit, stop
# packed as one xz stream and split into parts of PART_MB (default 18) MiB, so each part travels in its own call
# beside the work tree (about 47 MB tracked with both shipped models, in 4 KiB blocks: gpu-worker/scripts/travel-size.sh .spark-runtime/part-00
# .spark-runtime/SHA256SUMS checks a call); spark-runtime-on-h200.sh stages them there (in /tmp, which lasts while the machine is warm).
#   spark-jobs/scripts/make-spark-runtime.sh          then see spark-runtime-on-h200.sh
#   spark-jobs/scripts/make-spark-runtime.sh --app    only .spark-app/: this checkout's own jars, scripts and conf
#                                                     (about 5 MB), which spark-runtime-on-h200.sh app lays over a
#                                                     staged runtime, so a code change needs no new parts
#   spark-jobs/scripts/make-spark-runtime.sh --resplit   only splits the parts already built anew (SHA256SUMS
#                                                     covers the whole stream, so it stays valid)
set -euo pipefail
cd "$(dirname "$0")/../.."
R=.spark-runtime
if [ "${1:-}" = "--resplit" ]; then
  (cd "$R" && cat part-* > spark-runtime.tar.xz && sha256sum -c SHA256SUMS && rm part-* \
    && split -b "${PART_MB:-18}M" -d spark-runtime.tar.xz part- && rm spark-runtime.tar.xz)
  ls -l "$R"
  exit 0
fi
STAGE=/tmp/spark-runtime-stage
rm -rf "$STAGE" && mkdir -p "$STAGE/spark-runtime"/{jars,app,conf,bin}
S="$STAGE/spark-runtime"

# One reactor run: gpu-worker resolves to its freshly built jar (nothing is installed in ~/.m2).
mvn -q -B -pl spark-jobs -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile="$STAGE/classpath.txt" -DincludeScope=runtime
cp spark-jobs/target/spark-jobs-0.1.0-SNAPSHOT.jar "$S/app/spark-jobs.jar"
cp spark-jobs/conf/log4j2.properties spark-jobs/conf/log4j2-cluster.properties spark-jobs/conf/gpu-discovery.sh "$S/conf/"
sed -n 's:.*<spark.module.options>\(.*\)</spark.module.options>.*:\1:p' pom.xml > "$S/conf/java-options"
cp spark-jobs/scripts/spark-cluster.sh "$S/bin/"
git rev-parse --short HEAD > "$S/commit.txt"
git diff --quiet HEAD || sed -i 's/$/-dirty/' "$S/commit.txt"

if [ "${1:-}" = "--app" ]; then
  A=.spark-app
  exclude="$(git rev-parse --git-path info/exclude)"
  grep -qx "/$A/" "$exclude" || echo "/$A/" >> "$exclude"
  rm -rf "$A" && mkdir -p "$A/jars"
  cp -r "$S"/{app,conf,bin,commit.txt} "$A/"
  cp gpu-worker/target/gpu-worker-0.1.0-SNAPSHOT.jar "$A/jars/"
  # gpu-worker's own dependency for the shipped weights (ShippedWeights), absent from runtimes staged before it.
  tr ':' '\n' < "$STAGE/classpath.txt" | grep '/org/tukaani/xz/' | xargs -r cp -t "$A/jars/"
  du -sh "$A"
  exit 0
fi

exclude="$(git rev-parse --git-path info/exclude)"
grep -qx '/.spark-runtime/' "$exclude" || echo '/.spark-runtime/' >> "$exclude"
rm -rf "$R" && mkdir -p "$R"
python3 spark-jobs/scripts/trim_jars.py "$STAGE/classpath.txt" "$S/jars" | tee "$R/trimmed.txt"

jlink --add-modules java.se,jdk.unsupported,jdk.incubator.vector,jdk.incubator.foreign,jdk.management,jdk.crypto.ec,jdk.zipfs,jdk.security.auth,jdk.security.jgss \
  --strip-debug --no-man-pages --no-header-files --output "$S/jre"
strip --strip-unneeded "$S/jre/lib/server/libjvm.so"

tar cf - -C "$STAGE" spark-runtime | xz -6 -T2 > "$R/spark-runtime.tar.xz"
(cd "$R" && sha256sum spark-runtime.tar.xz > SHA256SUMS && split -b "${PART_MB:-18}M" -d spark-runtime.tar.xz part- && rm spark-runtime.tar.xz)
ls -l "$R"
