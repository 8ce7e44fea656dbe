#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript / spark.worker.resource.gpu.discoveryScript):
# prints the GPUs this host has, as Spark's ResourceInformation JSON: {"name":"gpu","addresses":["0","1"]}.
# With no NVIDIA driver it prints an empty list, so Spark refuses to schedule GPU tasks instead of failing later.
addresses=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | tr -d ' ' | sed 's/.*/"&"/' | paste -sd, -)
echo "{\"name\":\"gpu\",\"addresses\":[${addresses}]}"
