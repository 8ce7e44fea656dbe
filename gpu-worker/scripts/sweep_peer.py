#!/usr/bin/env python3
"""transformers peer of io.vecinfer.bench.SweepBenchmark: the same perplexity windows and passkey prompts (the token
ids SweepBenchmark --samples-out lists) on the same checkpoint, as a plain loop a user would write:
AutoModelForCausalLM in bf16 with SDPA attention (decoder_e2e_peer.load_model), batched.

    python3 gpu-worker/scripts/sweep_peer.py --samples samples.json [--model /tmp/llama8b-random] [--out peer.json]
        [--perplexity-batch 4] [--passkey-batch 20] [--warm-ups 1] [--reps 2]

- perplexity: one forward of a batch of windows (no cache), the logits of every position; the log-softmax in fp32 and
  each token's log-probability of its successor; a window's nll is their negated mean (SweepBenchmark's ours_nll).
  A batch of 4 holds about 21 GB of logits at once (bf16, their fp32 copy, its log-softmax: 4 x 4097 x 128256 each).
- passkey: model.generate, greedy, exactly max_new_tokens new tokens (min_new_tokens too, so an EOS cannot end it
  early): one prefill of the batch's prompts and max_new_tokens - 1 decode steps, as the task runs. The prompts of
  one context length have one length, so a batch needs no padding; 20 is all of them at once.
A task runs --warm-ups passes over its samples, then --reps timed ones; samples/s = samples / median pass wall time
(CUDA synchronized before the clock starts and stops). Prints one JSON object, also rewritten to --out after every
task, so a run cut short keeps what finished.
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def batches(samples, size):
    return [samples[i:i + size] for i in range(0, len(samples), size)]


def id_tensor(group):
    import torch
    lengths = {len(s["prompt"]) for s in group}
    if len(lengths) != 1:
        raise ValueError(f"a batch of prompts of lengths {sorted(lengths)}: this peer batches prompts of one length only")
    return torch.tensor([s["prompt"] for s in group], device="cuda")


def perplexity_pass(model, samples, batch, _new_tokens):
    """Every window's mean nll of its tokens after the first."""
    import torch
    nll = []
    with torch.inference_mode():
        for group in batches(samples, batch):
            ids = id_tensor(group)
            logits = model(input_ids=ids, use_cache=False).logits
            logprobs = torch.log_softmax(logits[:, :-1].float(), dim=-1)
            del logits
            target = logprobs.gather(-1, ids[:, 1:, None]).squeeze(-1)
            del logprobs
            nll += (-target.mean(dim=1)).tolist()
    return {"nll": nll}


def passkey_pass(model, samples, batch, new_tokens):
    """Every prompt's greedy continuation of exactly new_tokens tokens."""
    import torch
    generated = []
    with torch.inference_mode():
        for group in batches(samples, batch):
            ids = id_tensor(group)
            out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                 max_new_tokens=new_tokens, min_new_tokens=new_tokens, pad_token_id=0)
            generated += out[:, ids.shape[1]:].tolist()
    return {"generated": generated}


PASSES = {"perplexity": perplexity_pass, "passkey": passkey_pass}


def run_task(model, task, batch, warm_ups, reps):
    import torch
    samples, new_tokens = task["samples"], task["max_new_tokens"]
    run = PASSES[task["task"]]
    row = {"task": task["task"], "samples": len(samples), "peer_batch": batch, "context_length": task["context_length"],
           "peer_warm_up_s": [], "peer_s": []}
    for i in range(warm_ups + reps):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = run(model, samples, batch, new_tokens)
        torch.cuda.synchronize()
        row["peer_warm_up_s" if i < warm_ups else "peer_s"].append(round(time.perf_counter() - t0, 3))
    median = statistics.median(row["peer_s"])
    row["peer_median_s"] = round(median, 3)
    row["peer_samples_per_s"] = round(len(samples) / median, 3)
    if "nll" in out:
        row["peer_nll"] = [round(x, 5) for x in out["nll"]]
        row["peer_mean_nll"] = round(statistics.mean(out["nll"]), 5)
    else:
        row["generated_tokens"] = sum(len(g) for g in out["generated"])
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", required=True, help="SweepBenchmark --samples-out's file")
    parser.add_argument("--model", default="/tmp/llama8b-random")
    parser.add_argument("--out", default=None)
    parser.add_argument("--perplexity-batch", type=int, default=4)
    parser.add_argument("--passkey-batch", type=int, default=20)
    parser.add_argument("--warm-ups", type=int, default=1)
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args()
    import torch
    import transformers
    from decoder_e2e_peer import load_model

    with open(args.samples) as f:
        listing = json.load(f)
    result = {"peer": "transformers AutoModelForCausalLM, bf16, attn_implementation=sdpa; perplexity: forward + fp32"
                      " log-softmax; passkey: generate, greedy", "model": args.model, "torch": torch.__version__,
              "transformers": transformers.__version__, "device": torch.cuda.get_device_name(), "rows": []}

    def emit():
        if args.out:
            with open(args.out, "w") as f:
                json.dump(result, f, indent=1)

    start = time.time()
    model = load_model(args.model)
    result["load_s"] = round(time.time() - start, 1)
    emit()
    batch = {"perplexity": args.perplexity_batch, "passkey": args.passkey_batch}
    for task in listing["tasks"]:
        try:
            row = run_task(model, task, batch[task["task"]], args.warm_ups, args.reps)
        except torch.OutOfMemoryError as e:
            row = {"task": task["task"], "samples": len(task["samples"]), "peer_samples_per_s": None,
                   "skipped": f"out of memory: {e}"[:300]}
        result["rows"].append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
        emit()
        torch.cuda.empty_cache()
    result["peer_peak_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 1)
    result["seconds"] = round(time.time() - start, 1)
    emit()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
