#!/usr/bin/env bash
# Runs a sweep and its report on a local Spark (local[2]) in one JVM, from the repository root:
#   spark-jobs/run-local.sh [SWEEP_FILE [--output DIR]]
# Without arguments: spark-jobs/src/main/resources/default-sweep.json, output in out/default-sweep/.
# A rerun resumes: it runs only the samples not yet committed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# One reactor run, so that gpu-worker resolves to its freshly built jar (nothing is installed in ~/.m2).
mvn -q -pl spark-jobs -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile=target/classpath.txt -DincludeScope=runtime
# Spark's module options, from the root pom (one definition for tests, launchers and this script).
module_options="$(sed -n 's:.*<spark.module.options>\(.*\)</spark.module.options>.*:\1:p' pom.xml)"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
# shellcheck disable=SC2086
exec java $module_options -Xmx6g -Dlog4j2.configurationFile="$root/spark-jobs/conf/log4j2.properties" \
  -cp "spark-jobs/target/spark-jobs-0.1.0-SNAPSHOT.jar:$(cat spark-jobs/target/classpath.txt)" \
  io.vecinfer.spark.LocalMain "$@"
