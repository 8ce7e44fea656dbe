#!/usr/bin/env python3
"""The PTX instruction mix of a kernel's main loop: of the backward branches in each named entry, the loop with the most
mma.sync, counted from its head label to its back branch (rare blocks inside it included). For the counts in
docs/results/gpu/vq-design-notes.md:
    nvcc -ptx -O3 -std=c++17 -I gpu-worker/src/main/cuda -arch=sm_90 -o /tmp/vq.ptx gpu-worker/src/main/cuda/vq_mma_attention.cu
    python3 gpu-worker/scripts/vq_ptx_loop_mix.py /tmp/vq.ptx vq_mma_attention_d128_k8_v8 vq_mma_attention_d128_k8w_v8w
"""
import collections
import re
import sys


def loop_mix(entry):
    lines = [l.strip() for l in entry.split("\n")]
    labels = {l[:-1]: i for i, l in enumerate(lines) if re.match(r"^\$L__BB\d+_\d+:$", l)}
    best = None
    for i, l in enumerate(lines):
        m = re.match(r"^(@!?%p\d+\s+)?bra(\.uni)?\s+(\$L__BB\d+_\d+);", l)
        if m and m.group(3) in labels and labels[m.group(3)] < i:
            body = lines[labels[m.group(3)]:i + 1]
            n = sum("mma.sync" in b for b in body)
            if best is None or n > best[0]:
                best = (n, body)
    counts = collections.Counter()
    for b in best[1] if best else []:
        if not b or b[0] in "$/{}." or b.startswith("//"):
            continue
        t = b.split()
        counts[t[1] if t[0].startswith("@") else t[0]] += 1
    return counts


def main():
    ptx = open(sys.argv[1]).read()
    for entry in re.split(r"\.visible \.entry ", ptx)[1:]:
        name = entry.split("(")[0]
        if name not in sys.argv[2:]:
            continue
        c = loop_mix(entry)
        print(f"{name}: {sum(c.values())} PTX instructions in the loop")
        print("   " + ", ".join(f"{k} {v}" for k, v in c.most_common()))


if __name__ == "__main__":
    main()
