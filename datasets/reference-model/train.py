#!/usr/bin/env python3
"""Trains the shipped reference model and its tokenizer on the H200 (PyTorch + transformers + tokenizers).

    python3 datasets/reference-model/train.py --out /tmp/reference-model [--steps 3000] [--seed 1234]

Inputs (rebuilt by datasets/build_datasets.py): datasets/corpus/train.jsonl, datasets/heldout/heldout.jsonl,
datasets/passkey/passkey.jsonl. Outputs in --out: config.json, generation_config.json, model.safetensors (bf16),
tokenizer.json, tokenizer_config.json, training-log.json.

Recipe (shared/design/reference-model.md, the row that reached 100% passkey): digits split one per
token; a short-context phase first so the copying circuit forms; 85% passkey sequences with loss on the
answer tokens only and 15% text sequences with full loss; loss = mean text loss + mean answer loss.
We add a last phase at 4096 tokens so the model's context covers the whole passkey set.

Evaluation is done on the saved bf16 weights run in fp32, which is exactly what the Java decoder runs:
held-out perplexity over windows of 2048 tokens each preceded by BOS, and passkey accuracy on
datasets/passkey/passkey.jsonl assembled as its README says.
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
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # datasets/, for lm_training
from lm_training import (BOS, EOS, PPL_WINDOW, curve_row, encode, heldout_perplexity,  # noqa: E402
                         read_jsonl, save_model, train_step)

HERE = os.path.dirname(os.path.abspath(__file__))
DATASETS = os.path.dirname(HERE)
# Qwen2's pre-tokenizer pattern: like Llama 3's, but \p{N} alone, so every digit is its own token.
SPLIT_PATTERN = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""


def train_tokenizer(texts, vocab_size):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, special_tokens=[BOS, EOS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def passkey_prompt(tok, sample, bos_id):
    """The assembly every evaluator of this project uses (datasets/passkey/README.md)."""
    needle = encode(tok, " " + sample["needle"])
    question = encode(tok, "\n" + sample["question"])
    hay_len = sample["context_tokens"] - 1 - len(needle) - len(question)
    hay = encode(tok, sample["haystack"])[:hay_len]
    assert len(hay) == hay_len, f"{sample['id']}: haystack too short"
    at = round(sample["depth"] * hay_len)
    return [bos_id] + hay[:at] + needle + hay[at:] + question


class Batcher:
    def __init__(self, tok, train_ids, seed):
        self.tok = tok
        self.ids = train_ids
        self.rng = random.Random(seed)
        self.bos = tok.token_to_id(BOS)

    def text_row(self, length):
        start = self.rng.randrange(0, len(self.ids) - length)
        row = [self.bos] + self.ids[start:start + length - 1]
        return row, 1  # predict every token after BOS

    def passkey_row(self, length):
        key = str(self.rng.randrange(10000, 100000))
        needle = encode(self.tok, " The pass key is %s. Remember it. %s is the pass key." % (key, key))
        question = encode(self.tok, "\nWhat is the pass key? The pass key is")
        answer = encode(self.tok, " " + key)
        hay_len = length - 1 - len(needle) - len(question) - len(answer)
        start = self.rng.randrange(0, len(self.ids) - hay_len)
        hay = self.ids[start:start + hay_len]
        at = self.rng.randint(0, hay_len)
        row = [self.bos] + hay[:at] + needle + hay[at:] + question + answer
        return row, length - len(answer)  # predict the answer tokens only

    def batch(self, rows, length, passkey_fraction, device):
        """Rows [0, n_pass) are passkey rows, the rest text rows; masks mark the target positions."""
        n_pass = round(rows * passkey_fraction)
        seqs = []
        text_mask = torch.zeros(rows, length, device=device)
        ans_mask = torch.zeros(rows, length, device=device)
        for r in range(rows):
            row, first_target = self.passkey_row(length) if r < n_pass else self.text_row(length)
            seqs.append(row)
            (ans_mask if r < n_pass else text_mask)[r, first_target:] = 1.0
        return torch.tensor(seqs, dtype=torch.long, device=device), text_mask, ans_mask


@torch.no_grad()
def passkey_accuracy(model, tok, samples, device):
    bos = tok.token_to_id(BOS)
    by_len = {}
    details = []
    for s in samples:
        prompt = passkey_prompt(tok, s, bos)
        x = torch.tensor([prompt], device=device)
        out = model.generate(x, max_new_tokens=6, do_sample=False, pad_token_id=tok.token_to_id(EOS))
        text = tok.decode(out[0, len(prompt):].tolist())
        ok = text.strip().startswith(s["key"])
        by_len.setdefault(s["context_tokens"], []).append(ok)
        details.append({"id": s["id"], "generated": text, "correct": ok})
    return {str(k): sum(v) / len(v) for k, v in sorted(by_len.items())}, details


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--passkey-limit", type=int, default=0, help="evaluate only the first N passkey samples (smoke runs)")
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--intermediate", type=int, default=768)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--passkey-fraction", type=float, default=0.85)
    args = ap.parse_args()
    t0 = time.time()
    torch.manual_seed(args.seed)
    device = "cuda"
    os.makedirs(args.out, exist_ok=True)

    train_docs = read_jsonl(os.path.join(DATASETS, "corpus", "train.jsonl"))
    heldout_docs = read_jsonl(os.path.join(DATASETS, "heldout", "heldout.jsonl"))
    passkey = read_jsonl(os.path.join(DATASETS, "passkey", "passkey.jsonl"))
    if args.passkey_limit:
        passkey = passkey[::max(1, len(passkey) // args.passkey_limit)]

    tok = train_tokenizer([d["text"] for d in train_docs], args.vocab)
    tok.save(os.path.join(args.out, "tokenizer.json"))
    eos = tok.token_to_id(EOS)
    train_ids = []
    for enc in tok.encode_batch([d["text"] for d in train_docs], add_special_tokens=False):
        train_ids.extend(enc.ids + [eos])
    print(f"tokenizer: vocab {tok.get_vocab_size()}, train tokens {len(train_ids)}, {time.time() - t0:.0f}s", flush=True)

    config = LlamaConfig(vocab_size=tok.get_vocab_size(), hidden_size=args.hidden, intermediate_size=args.intermediate,
                         num_hidden_layers=args.layers,
                         num_attention_heads=4, num_key_value_heads=2, head_dim=128, max_position_embeddings=4096,
                         rope_theta=500000.0, rms_norm_eps=1e-5, tie_word_embeddings=True, hidden_act="silu",
                         bos_token_id=tok.token_to_id(BOS), eos_token_id=eos, attention_bias=False, mlp_bias=False)
    rope = getattr(config, "rope_parameters", None)
    theta = rope.get("rope_theta") if isinstance(rope, dict) else getattr(config, "rope_theta", None)
    assert theta == 500000.0, f"rope theta not applied: {rope}"
    model = LlamaForCausalLM(config).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params / 1e6:.2f}M parameters", flush=True)

    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=args.weight_decay)
    warmup = max(1, args.steps // 30)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup) *
                                              (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, s / args.steps)))))
    # (fraction of steps, sequence length, rows): about 65k tokens a step throughout.
    phases = [(0.40, 512, 128), (0.45, 2048, 32), (0.15, 4096, 16)]
    batcher = Batcher(tok, train_ids, args.seed)
    curve = []
    step = 0
    model.train()
    for frac, length, rows in phases:
        for _ in range(round(frac * args.steps)):
            x, text_mask, ans_mask = batcher.batch(rows, length, args.passkey_fraction, device)
            text_loss, ans_loss = train_step(model, opt, sched, x, text_mask, ans_mask)
            step += 1
            if step % 100 == 0 or step == 1:
                curve.append(curve_row(step, length, text_loss, ans_loss, sched, t0))
    train_s = time.time() - t0

    save_model(model, args.out, 4096)

    # Evaluate exactly what ships: the saved bf16 weights, computed in fp32.
    shipped = LlamaForCausalLM.from_pretrained(args.out, torch_dtype=torch.float32).to(device).eval()
    heldout_text = "\n\n".join(d["text"] for d in heldout_docs)
    ppl, per_window, heldout_tokens = heldout_perplexity(shipped, tok, heldout_text, device)
    acc, details = passkey_accuracy(shipped, tok, passkey, device)
    log = {
        "command": "python3 " + " ".join(sys.argv),
        "seed": args.seed, "steps": args.steps, "lr": args.lr, "phases": phases, "passkey_fraction": args.passkey_fraction,
        "hidden": args.hidden, "layers": args.layers, "intermediate": args.intermediate, "weight_decay": args.weight_decay,
        "device": torch.cuda.get_device_name(0), "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                     "cuda": torch.version.cuda},
        "parameters": n_params, "vocab": tok.get_vocab_size(), "train_tokens": len(train_ids),
        "train_seconds": round(train_s, 1),
        "heldout": {"tokens": heldout_tokens, "window": PPL_WINDOW, "windows": len(per_window),
                    "perplexity": ppl, "mean_nll_per_window": per_window},
        "passkey_accuracy_by_context": acc, "passkey_samples": details,
        "curve": curve,
    }
    with open(os.path.join(args.out, "training-log.json"), "w") as f:
        json.dump(log, f, indent=1)
    print(json.dumps({"heldout_perplexity": ppl, "passkey": acc, "train_seconds": train_s}), flush=True)


if __name__ == "__main__":
    main()
