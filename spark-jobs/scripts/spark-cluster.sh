#!/usr/bin/env bash
# A one-host Spark standalone cluster from the runtime that make-spark-runtime.sh packs (this file is its bin/):
#   bin/spark-cluster.sh start [WORKER_CORES]        a master and one worker on 127.0.0.1; the worker offers the GPUs
#                                                    that conf/gpu-discovery.sh reports (none: a CPU-only worker)
#   bin/spark-cluster.sh submit CLASS [ARGS...]      spark-submit (SparkSubmit's own main, client mode) of app/spark-jobs.jar;
#                                                    SUBMIT_CONF adds --conf pairs (space-separated k=v)
#   bin/spark-cluster.sh stop
# Logs and work folders go to $SPARK_HOME/logs/. Java is the runtime's own jre/.
set -euo pipefail
export SPARK_HOME="$(cd "$(dirname "$0")/.." && pwd)"
export JAVA_HOME="$SPARK_HOME/jre" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1
JAVA="$JAVA_HOME/bin/java"
read -r -a OPTIONS < "$SPARK_HOME/conf/java-options"
CP="$SPARK_HOME/conf:$SPARK_HOME/jars/*"
LOGS="$SPARK_HOME/logs"
CLUSTER_LOG="-Dlog4j2.configurationFile=$SPARK_HOME/conf/log4j2-cluster.properties"
MASTER="spark://127.0.0.1:${SPARK_MASTER_PORT:-7077}"
mkdir -p "$LOGS"

gpus() { "$SPARK_HOME/conf/gpu-discovery.sh" | { grep -o '"[0-9]*"' || true; } | wc -l; }

wait_for() { # file, text, seconds
  for _ in $(seq "$3"); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 1; done
  echo "no '$2' in $1 after $3 s:" >&2; tail -20 "$1" >&2; return 1
}

case "${1:-}" in
  start)
    setsid "$JAVA" "${OPTIONS[@]}" "$CLUSTER_LOG" -cp "$CP" \
      org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "${SPARK_MASTER_PORT:-7077}" --webui-port 8080 \
      > "$LOGS/master.log" 2>&1 < /dev/null &
    echo $! > "$LOGS/master.pid"
    wait_for "$LOGS/master.log" "I have been elected leader" 60
    n=$(gpus)
    resources=()
    if (( n > 0 )); then
      resources=(-Dspark.worker.resource.gpu.amount="$n" -Dspark.worker.resource.gpu.discoveryScript="$SPARK_HOME/conf/gpu-discovery.sh")
    fi
    setsid "$JAVA" "${OPTIONS[@]}" "$CLUSTER_LOG" "${resources[@]}" -cp "$CP" \
      org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores "${2:-4}" --memory 16g --webui-port 8081 \
      --work-dir "$LOGS/work" "$MASTER" > "$LOGS/worker.log" 2>&1 < /dev/null &
    echo $! > "$LOGS/worker.pid"
    wait_for "$LOGS/worker.log" "Successfully registered with master" 60
    echo "cluster up: $MASTER, worker with $n GPU(s); logs in $LOGS" ;;
  submit)
    shift
    class="$1"; shift
    conf=()
    for kv in ${SUBMIT_CONF:-}; do conf+=(--conf "$kv"); done
    "$JAVA" "${OPTIONS[@]}" -Dlog4j2.configurationFile="$SPARK_HOME/conf/log4j2.properties" -cp "$CP" \
      org.apache.spark.deploy.SparkSubmit --master "$MASTER" --deploy-mode client --class "$class" \
      --driver-java-options "${OPTIONS[*]}" --conf "spark.executor.extraJavaOptions=${OPTIONS[*]} $CLUSTER_LOG" "${conf[@]}" \
      "$SPARK_HOME/app/spark-jobs.jar" "$@" ;;
  stop)
    for p in worker master; do [ -f "$LOGS/$p.pid" ] && kill "$(cat "$LOGS/$p.pid")" 2>/dev/null || true; done ;;
  *) echo "usage: spark-cluster.sh start [CORES] | submit CLASS [ARGS...] | stop" >&2; exit 2 ;;
esac
