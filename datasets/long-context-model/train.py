#!/usr/bin/env python3
"""Trains the long-context reference model (issue 17) on the H200 (trained 2026-12-02: see README.md and training-log.json).

    python3 datasets/long-context-model/train.py --out /tmp/long-context-model --ruler /tmp/ruler/*.jsonl \
        [--text datasets/corpus/train.jsonl] [--steps 6000] [--seed 1234] [--no-k-decay] [--time-limit-s 440]

Adapted from datasets/reference-model/train.py (shared/design/reference-model.md). What changes:
- the shipped tokenizer (datasets/reference-model/tokenizer.json) instead of training one;
- context 8192, GQA 4:1 (4 query heads of head_dim 128, 1 KV head);
- the mix: RULER-style examples written by io.vecinfer.eval.ruler.RulerTrainingData (calibration text and
  indices from 100000, both disjoint from what the evaluation draws: see that class) with loss on the answer
  tokens only, and public-domain text rows with full loss; loss = mean text loss + mean answer loss;
- --no-k-decay: no weight decay on k_proj (reported to let key outliers form naturally).

Parameters at the defaults (hidden 320, 6 layers, FFN 1024, vocabulary 8192, tied embeddings):
  per layer: q 320*512 + o 512*320 + k 320*128 + v 320*128 = 409,600; MLP 3*320*1024 = 983,040; 2 norms 640
             = 1,393,280; 6 layers = 8,359,680
  embedding 8192*320 = 2,621,440; final norm 320
  total 10,981,440 parameters = 21.96 MB in bf16 (the issue allows 24 MB; main() asserts it).

Validation here is only on generated examples held back from training (the last --val-per-cell indices of each
kind and length, same calibration text): a sanity check of training, not the issue's held-out acceptance, which
the Java evaluator measures on the held-out text and seeds.
"""
import argparse
import json
import math
import os
import platform
import random
import sys
import time

import torch
import tokenizers
import transformers
from tokenizers import Tokenizer
from transformers import LlamaConfig, LlamaForCausalLM

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # datasets/, for lm_training
from phase_schedule import PhaseSchedule  # noqa: E402
from lm_training import (BOS, EOS, PPL_WINDOW, curve_row, encode, heldout_perplexity,  # noqa: E402
                         read_jsonl, save_model, train_step)

HERE = os.path.dirname(os.path.abspath(__file__))
DATASETS = os.path.dirname(HERE)
CONTEXT = 8192
MAX_BYTES = 24_000_000


def ruler_row(tok, example, eos):
    """The generated prompt (BOS first, exactly as the Java decoder sees it), then the answer and EOS."""
    answer = encode(tok, " " + example["answer"]) + [eos]
    return example["prompt_ids"] + answer, len(example["prompt_ids"])


class Batcher:
    def __init__(self, text_ids, ruler_by_length, bos, eos, seed):
        self.ids = text_ids
        self.ruler = ruler_by_length
        self.bos, self.eos = bos, eos
        self.rng = random.Random(seed)

    def text_row(self, length):
        start = self.rng.randrange(0, len(self.ids) - length)
        return [self.bos] + self.ids[start:start + length - 1], 1

    def batch(self, rows, length, ruler_fraction, device):
        """Rows [0, n_ruler) are generated examples of this length, the rest text; right-padded with EOS, masked."""
        n_ruler = round(rows * ruler_fraction)
        built = [self.rng.choice(self.ruler[length]) for _ in range(n_ruler)]
        built += [self.text_row(length) for _ in range(rows - n_ruler)]
        width = max(len(r) for r, _ in built)
        assert width <= CONTEXT, width
        x = torch.full((rows, width), self.eos, dtype=torch.long)
        text_mask = torch.zeros(rows, width)
        ans_mask = torch.zeros(rows, width)
        for i, (row, first_target) in enumerate(built):
            x[i, :len(row)] = torch.tensor(row)
            (ans_mask if i < n_ruler else text_mask)[i, first_target:len(row)] = 1.0
        return x.to(device), text_mask.to(device), ans_mask.to(device)


@torch.no_grad()
def validation_scores(model, tok, examples, device):
    """Mean fraction of the references found in the greedy output (RULER's string_match_all), per kind and length."""
    eos = tok.token_to_id(EOS)
    cells = {}
    for e in examples:
        x = torch.tensor([e["prompt_ids"]], device=device)
        out = model.generate(x, max_new_tokens=64 if e["kind"] != "cwe" else 120, do_sample=False,
                             pad_token_id=eos, eos_token_id=eos)
        text = tok.decode(out[0, x.shape[1]:].tolist()).lower()
        refs = e["answer"].split(", ")
        cells.setdefault(f'{e["kind"]}@{e["length"]}', []).append(sum(r.lower() in text for r in refs) / len(refs))
    return {k: {"n": len(v), "score": sum(v) / len(v)} for k, v in sorted(cells.items())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--ruler", required=True, nargs="+", help="JSONL files from io.vecinfer.eval.ruler.RulerTrainingData")
    ap.add_argument("--text", default=os.path.join(DATASETS, "corpus", "train.jsonl"))
    ap.add_argument("--tokenizer", default=os.path.join(DATASETS, "reference-model", "tokenizer.json"))
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--hidden", type=int, default=320)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--intermediate", type=int, default=1024)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=1)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--no-k-decay", action="store_true", help="no weight decay on k_proj")
    ap.add_argument("--ruler-fraction", type=float, default=0.75)
    ap.add_argument("--val-per-cell", type=int, default=1)
    ap.add_argument("--init", help="start from this Hugging Face folder's weights (same architecture) instead of a fresh init")
    ap.add_argument("--phases", help="LENGTH:SHARE:ROWS,... (shares of the steps and the time; default "
                                     "1024:0.30:64,2048:0.35:32,4096:0.20:16,8064:0.15:8)")
    ap.add_argument("--time-limit-s", type=float, default=360, help="seconds from start to the end of training; each phase stops at its share")
    ap.add_argument("--device", default="cuda", help="cuda on the H200; cpu only for a dry run of the script")
    ap.add_argument("--gate-answer-loss", type=float, help="the first phase lasts until the mean answer loss of 50 steps falls "
                    "below this (at least its share, at most --gate-max-share of the time); later phases share the rest (phase_schedule.py)")
    ap.add_argument("--gate-max-share", type=float, default=0.6)
    args = ap.parse_args()
    t0 = time.time()
    torch.manual_seed(args.seed)
    device = args.device
    os.makedirs(args.out, exist_ok=True)

    tok = Tokenizer.from_file(args.tokenizer)
    tok.save(os.path.join(args.out, "tokenizer.json"))
    bos, eos = tok.token_to_id(BOS), tok.token_to_id(EOS)
    text_docs = read_jsonl(args.text)
    text_ids = []
    for enc in tok.encode_batch([d["text"] for d in text_docs], add_special_tokens=False):
        text_ids.extend(enc.ids + [eos])
    assert len(text_ids) > 2 * CONTEXT, f"{args.text}: too little text"

    examples = [e for path in args.ruler for e in read_jsonl(path)]
    last_index = {}
    for e in examples:
        key = (e["kind"], e["length"])
        last_index[key] = max(last_index.get(key, 0), e["index"])
    val = [e for e in examples if e["index"] > last_index[(e["kind"], e["length"])] - args.val_per_cell]
    train = [e for e in examples if e["index"] <= last_index[(e["kind"], e["length"])] - args.val_per_cell]
    ruler_by_length = {}
    for e in train:
        ruler_by_length.setdefault(e["length"], []).append(ruler_row(tok, e, eos))
    lengths = sorted(ruler_by_length)
    print(f"text tokens {len(text_ids)}, generated examples {len(train)} train / {len(val)} validation at {lengths}, "
          f"{time.time() - t0:.0f}s", flush=True)

    config = LlamaConfig(vocab_size=tok.get_vocab_size(), hidden_size=args.hidden, intermediate_size=args.intermediate,
                         num_hidden_layers=args.layers, num_attention_heads=args.heads, num_key_value_heads=args.kv_heads,
                         head_dim=128, max_position_embeddings=CONTEXT, rope_theta=500000.0, rms_norm_eps=1e-5,
                         tie_word_embeddings=True, hidden_act="silu", bos_token_id=bos, eos_token_id=eos,
                         attention_bias=False, mlp_bias=False)
    rope = getattr(config, "rope_parameters", None)
    theta = rope.get("rope_theta") if isinstance(rope, dict) else getattr(config, "rope_theta", None)
    assert theta == 500000.0, f"rope theta not applied: {rope}"
    if args.init:
        # Continued training: the saved bf16 weights, trained on in fp32 as a fresh model would be.
        model = LlamaForCausalLM.from_pretrained(args.init, torch_dtype=torch.float32).to(device)
        for field in ("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size", "vocab_size"):
            assert getattr(model.config, field) == getattr(config, field), f"--init {args.init}: {field} differs"
    else:
        model = LlamaForCausalLM(config).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    assert 2 * n_params <= MAX_BYTES, f"{n_params} parameters exceed {MAX_BYTES} bytes in bf16"
    print(f"model: {n_params:,} parameters, {2 * n_params / 1e6:.2f} MB bf16", flush=True)

    k_params = [p for n, p in model.named_parameters() if args.no_k_decay and "k_proj" in n]
    other = [p for n, p in model.named_parameters() if not (args.no_k_decay and "k_proj" in n)]
    groups = [{"params": other, "weight_decay": args.weight_decay}]
    if k_params:
        groups.append({"params": k_params, "weight_decay": 0.0})
    opt = torch.optim.AdamW(groups, lr=args.lr, betas=(0.9, 0.95))
    warmup = max(1, args.steps // 30)
    # Cosine over the run's progress: the larger of the steps done and the time used, so that a run stopped by
    # --time-limit-s still ends at the low learning rate instead of being cut at a high one.
    progress = {"time": 0.0}
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup) *
                                              (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, max(s / args.steps, progress["time"]))))))
    # (fraction of steps, generated length, rows): about 65k tokens a step; short first so retrieval forms.
    if args.phases:
        phases = []
        for cell in args.phases.split(","):
            length, share, rows = cell.split(":")
            assert int(length) in ruler_by_length, f"--phases: no generated examples of length {length}"
            phases.append((float(share), int(length), int(rows)))
    else:
        shares = {1024: (0.30, 64), 2048: (0.35, 32), 4096: (0.20, 16)}
        phases = [(shares.get(n, (0.15, 8))[0], n, shares.get(n, (0.15, 8))[1]) for n in lengths]
    batcher = Batcher(text_ids, ruler_by_length, bos, eos, args.seed)
    curve = []
    step = 0
    model.train()
    # Each phase gets its share of the time, so a slow phase cannot starve the 8k phase that follows it; with a gate, the
    # first phase lasts until retrieval forms (phase_schedule.py).
    train_start = time.time()
    budget = args.time_limit_s - (train_start - t0)
    schedule = PhaseSchedule(phases, budget, train_start, args.steps, gate_loss=args.gate_answer_loss,
                             gate_max_share=args.gate_max_share)
    while (phase := schedule.phase(time.time())) is not None:
        _, length, rows = phases[phase]
        progress["time"] = (time.time() - train_start) / budget
        x, text_mask, ans_mask = batcher.batch(rows, length, args.ruler_fraction, device)
        text_loss, ans_loss = train_step(model, opt, sched, x, text_mask, ans_mask)
        schedule.record(float(ans_loss) if args.gate_answer_loss is not None else 0.0, time.time())  # float(): a sync, only when gated
        step += 1
        if step % 100 == 0 or step == 1:
            curve.append(curve_row(step, length, text_loss, ans_loss, sched, t0))
    stopped_early = schedule.stopped_at_time_limit()
    train_s = time.time() - t0

    save_model(model, args.out, CONTEXT)

    # Evaluate what ships: the saved bf16 weights computed in fp32, as the Java decoder runs them.
    shipped = LlamaForCausalLM.from_pretrained(args.out, torch_dtype=torch.float32).to(device).eval()
    heldout = read_jsonl(os.path.join(DATASETS, "heldout", "heldout.jsonl"))
    ppl, per_window, _ = heldout_perplexity(shipped, tok, "\n\n".join(d["text"] for d in heldout), device)
    windows = len(per_window)
    val_scores = validation_scores(shipped, tok, val, device)
    log = {
        "command": "python3 " + " ".join(sys.argv),
        "seed": args.seed, "steps_planned": args.steps, "steps_done": step, "stopped_at_time_limit": stopped_early,
        "lr": args.lr, "phases": phases, "phase_schedule": schedule.summary(), "init": args.init, "ruler_fraction": args.ruler_fraction,
        "hidden": args.hidden, "layers": args.layers, "intermediate": args.intermediate, "heads": args.heads,
        "kv_heads": args.kv_heads, "head_dim": 128, "context": CONTEXT,
        "weight_decay": args.weight_decay, "no_k_decay": args.no_k_decay,
        "text": os.path.relpath(args.text, os.path.dirname(DATASETS)), "ruler_files": [os.path.basename(p) for p in args.ruler],
        "ruler_examples": len(train),
        "device": torch.cuda.get_device_name(0) if device == "cuda" else device, "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                     "cuda": torch.version.cuda},
        "parameters": n_params, "vocab": tok.get_vocab_size(), "text_tokens": len(text_ids),
        "train_seconds": round(train_s, 1),
        "heldout": {"window": PPL_WINDOW, "windows": windows, "perplexity": ppl},
        "validation_on_generated_calibration_examples": val_scores,
        "curve": curve,
    }
    with open(os.path.join(args.out, "training-log.json"), "w") as f:
        json.dump(log, f, indent=1)
    print(json.dumps({"heldout_perplexity": ppl, "validation": val_scores, "train_seconds": train_s}), flush=True)


if __name__ == "__main__":
    main()
