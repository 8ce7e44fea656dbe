#!/usr/bin/env python3
"""transformers peer of io.vecinfer.bench.DecoderE2EBenchmark: the same prefill and decode shapes on the same
checkpoint (make_8b_checkpoint.py), AutoModelForCausalLM in bf16 with SDPA attention, plus torch.matmul rates on
the 8B's projection shapes; median of CUDA event times after warm-up. Prints one JSON object (also rewritten to
--out after every row, so a run cut short keeps what finished).

    python3 gpu-worker/scripts/decoder_e2e_peer.py [--model /tmp/llama8b-random] [--out peer.json]

Prefill is one forward of the prompts with logits of every position, as a perplexity evaluation uses them (no
logits_to_keep), the KV cache filled as our forwardAll fills it. A decode step is one forward of one new token per
sequence against a DynamicCache already holding 4096 tokens (filled by a prefill with logits_to_keep=1, which is
not timed). Times are device times: logits stay on the GPU, where ours are downloaded to the host.
floor_ms of an end-to-end row is the sum of its projections' torch.matmul times (every layer's q, k, v, o, gate,
up, down plus lm_head over the rows whose logits are returned): what the GEMMs alone cost at torch's rates,
attention and everything else excluded. Rows beyond 4096 scale the M = 4096 times linearly (compute-bound there).
"""
import argparse
import gc
import json
import statistics
import sys
import time

import torch

PREFILL = [("prefill-b1-4096", 1, 4096), ("prefill-b8-1024", 8, 1024), ("prefill-b1-32768", 1, 32768)]
DECODE_BATCHES, DECODE_CONTEXT = [1, 8, 32], 4096
PROJECTION_M = [4096, 1, 8, 32]


def projections(cfg):
    """name -> ([N, K] of the weight, how many per layer; 0 = once per forward, over the logit rows)."""
    d, f = cfg.hidden_size, cfg.intermediate_size
    q, kv = cfg.num_attention_heads * cfg.head_dim, cfg.num_key_value_heads * cfg.head_dim
    return {"q": ((q, d), 1), "kv": ((kv, d), 2), "o": ((d, q), 1), "gate_up": ((f, d), 2), "down": ((d, f), 1),
            "lm_head": ((cfg.vocab_size, d), 0)}


def event_times(fn, warmup, reps, inner=1):
    """Milliseconds per call of fn, one CUDA event pair around `inner` calls, `reps` times after `warmup` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(inner):
            fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) / inner)
    return times


def summary(times):
    return {"peer_ms": round(statistics.median(times), 3), "peer_min_ms": round(min(times), 3), "peer_reps": len(times)}


def matmul_rows(cfg):
    rows, per_ms = [], {}
    g = torch.Generator(device="cuda").manual_seed(0)
    for name, ((n, k), _) in projections(cfg).items():
        w = torch.randn(n, k, generator=g, device="cuda", dtype=torch.bfloat16)
        for m in PROJECTION_M:
            x = torch.randn(m, k, generator=g, device="cuda", dtype=torch.bfloat16)
            # Many calls per event pair: a small-M matmul is microseconds, below one event pair's resolution.
            times = event_times(lambda: torch.matmul(x, w.t()), warmup=10, reps=7, inner=20)
            ms = statistics.median(times)
            per_ms[name, m] = ms
            rows.append({"name": f"proj-{name}-m{m}", "m": m, "n": n, "k": k, **summary(times),
                         "peer_tflops": round(2 * m * n * k / ms / 1e9, 1),
                         "peer_gb_per_s": round(2 * (n * k + m * k + m * n) / ms / 1e6, 1)})
        del w, x
    return rows, per_ms


def floor_ms(cfg, per_ms, rows, logit_rows):
    def at(name, m):  # measured M, else scaled linearly from the largest measured M
        if (name, m) in per_ms:
            return per_ms[name, m]
        top = max(PROJECTION_M)
        return per_ms[name, top] * m / top
    total = 0.0
    for name, (_, per_layer) in projections(cfg).items():
        total += at(name, logit_rows) if per_layer == 0 else per_layer * cfg.num_hidden_layers * at(name, rows)
    return round(total, 3)


@torch.inference_mode()
def prefill_row(model, name, batch, length, reps):
    ids = torch.randint(3, model.config.vocab_size, (batch, length), device="cuda")

    def forward():
        out = model(input_ids=ids, use_cache=True)
        del out  # free logits and cache before the next call
    times = event_times(forward, warmup=1, reps=reps)
    ms = statistics.median(times)
    return {"name": name, "batch": batch, "tokens": batch * length, **summary(times),
            "peer_tokens_per_s": round(batch * length / ms * 1e3, 1)}


@torch.inference_mode()
def decode_row(model, batch, reps):
    vocab = model.config.vocab_size
    prompt = torch.randint(3, vocab, (batch, DECODE_CONTEXT), device="cuda")
    cache = model(input_ids=prompt, use_cache=True, logits_to_keep=1).past_key_values
    del prompt
    next_tokens = torch.randint(3, vocab, (batch, 1), device="cuda")

    def step():  # the cache grows by one token a step: 4096 + warm-up + reps at most
        model(input_ids=next_tokens, past_key_values=cache, use_cache=True)
    times = event_times(step, warmup=3, reps=reps)
    ms = statistics.median(times)
    del cache
    return {"name": f"decode-b{batch}-ctx{DECODE_CONTEXT}", "batch": batch, "context": DECODE_CONTEXT, **summary(times),
            "peer_tokens_per_s": round(batch / ms * 1e3, 1)}


def load_model(path):
    """The checkpoint as the peers run it: AutoModelForCausalLM on the GPU, bf16, SDPA attention, eval mode."""
    from transformers import AutoModelForCausalLM
    kwargs = dict(dtype=torch.bfloat16, attn_implementation="sdpa")
    try:
        model = AutoModelForCausalLM.from_pretrained(path, device_map="cuda", **kwargs)
    except Exception as e:  # device_map wants accelerate in some versions: load on the host, then move
        print(f"device_map='cuda' failed ({e!r:.200}); loading on the host", file=sys.stderr)
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs).to("cuda")
    return model.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="/tmp/llama8b-random")
    parser.add_argument("--out", default=None, help="also write the JSON here, after every row")
    parser.add_argument("--reps", type=int, default=3, help="timed prefills per shape (decode: 5x as many steps)")
    args = parser.parse_args()
    import transformers

    result = {"peer": "transformers AutoModelForCausalLM, bf16, attn_implementation=sdpa", "model": args.model,
              "torch": torch.__version__, "transformers": transformers.__version__,
              "device": torch.cuda.get_device_name(), "rows": []}

    def emit(row=None):
        if row is not None:
            result["rows"].append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)  # progress; stdout gets the one object
        if args.out:
            with open(args.out, "w") as f:
                json.dump(result, f, indent=1)

    start = time.time()
    model = load_model(args.model)
    cfg = model.config
    result["load_s"] = round(time.time() - start, 1)
    emit()

    proj_rows, per_ms = matmul_rows(cfg)  # first: the end-to-end rows' floors need them
    for row in proj_rows:
        emit(row)
    for name, batch, length in PREFILL:
        try:
            row = prefill_row(model, name, batch, length, args.reps)
            row["floor_ms"] = floor_ms(cfg, per_ms, batch * length, batch * length)
        except torch.OutOfMemoryError as e:
            row = {"name": name, "peer_ms": None, "skipped": f"out of memory: {e}"[:300]}
        emit(row)
        gc.collect()
        torch.cuda.empty_cache()
    for batch in DECODE_BATCHES:
        try:
            row = decode_row(model, batch, 5 * args.reps)
            row["floor_ms"] = floor_ms(cfg, per_ms, batch, batch)
        except torch.OutOfMemoryError as e:
            row = {"name": f"decode-b{batch}-ctx{DECODE_CONTEXT}", "peer_ms": None, "skipped": f"out of memory: {e}"[:300]}
        emit(row)
        gc.collect()
        torch.cuda.empty_cache()
    result["peer_peak_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 1)
    result["seconds"] = round(time.time() - start, 1)
    emit()
    del model
    gc.collect()
    torch.cuda.empty_cache()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
