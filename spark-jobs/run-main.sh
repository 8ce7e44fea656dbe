#!/usr/bin/env bash
# Builds spark-jobs and runs one of its main classes in a JVM with Spark's module options, from the
# repository root: spark-jobs/run-main.sh CLASS [ARGS...]
# On a host without Java and Maven (the GPU machine), SPARK_RUNTIME names a runtime of
# spark-jobs/scripts/make-spark-runtime.sh (staged by spark-runtime-on-h200.sh): its JRE and jars run the class
# instead of a build, and the shipped weights are unpacked (datasets/*/model.safetensors.xz) and the outlier
# variants' weights derived first, as the build does.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
main_class="$1"
shift
if [ -n "${SPARK_RUNTIME:-}" ]; then
  java="$SPARK_RUNTIME/jre/bin/java"
  module_options="$(cat "$SPARK_RUNTIME/conf/java-options")"
  classpath="$SPARK_RUNTIME/app/spark-jobs.jar:$SPARK_RUNTIME/jars/*"
  "$java" -cp "$classpath" io.vecinfer.model.ShippedWeights datasets
  "$java" -cp "$classpath" io.vecinfer.outliers.VariantWeights datasets
else
  # One reactor run, so that gpu-worker resolves to its freshly built jar (nothing is installed in ~/.m2).
  mvn -q -pl spark-jobs -am package dependency:build-classpath -DskipTests \
    -Dmdep.outputFile=target/classpath.txt -DincludeScope=runtime
  java=java
  # Spark's module options, from the root pom (one definition for tests, launchers and this script).
  module_options="$(sed -n 's:.*<spark.module.options>\(.*\)</spark.module.options>.*:\1:p' pom.xml)"
  classpath="spark-jobs/target/spark-jobs-0.1.0-SNAPSHOT.jar:$(cat spark-jobs/target/classpath.txt)"
fi
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
# shellcheck disable=SC2086
exec "$java" $module_options -Xmx6g -Dlog4j2.configurationFile="$root/spark-jobs/conf/log4j2.properties" \
  -Dvecinfer.command="spark-jobs/run-main.sh $main_class $*" \
  -cp "$classpath" "$main_class" "$@"
