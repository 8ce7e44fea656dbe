#!/usr/bin/env python3
"""Writes a Llama-3.1-8B-shaped checkpoint with random bf16 weights, in Hugging Face format, for timing only.

    python3 gpu-worker/scripts/make_8b_checkpoint.py [--out /tmp/llama8b-random] [--layers 32] [--seed 0]

The shapes are Llama 3.1 8B's (32 layers, hidden 4096, 32 query / 8 KV heads of 128, FFN 14336, vocab 128256,
untied lm_head, llama3 RoPE scaling, rms eps 1e-5); the values are N(0, 0.02) with norms 1, drawn on the GPU with a
fixed seed, so activations stay finite through the 32 layers. config.json is in transformers 5's format (as
save_pretrained writes it); no tokenizer: io.vecinfer.model.Model.load and AutoModelForCausalLM need only
config.json and the safetensors shards (+ index), and the benchmarks feed random token ids.
The folder is written under a temporary name and renamed when complete, so an existing folder with the
same config.json is complete and is kept (a run cut short leaves only the temporary one, redone next time).
"""
import argparse
import json
import os
import shutil
import time

STD = 0.02
SHARDS = 4  # as the real 8B ships: model-0000k-of-00004.safetensors


def config(layers):
    return {
        "architectures": ["LlamaForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": 128000,
        "dtype": "bfloat16",
        "eos_token_id": 128001,
        "head_dim": 128,
        "hidden_act": "silu",
        "hidden_size": 4096,
        "initializer_range": STD,
        "intermediate_size": 14336,
        "max_position_embeddings": 131072,
        "mlp_bias": False,
        "model_type": "llama",
        "num_attention_heads": 32,
        "num_hidden_layers": layers,
        "num_key_value_heads": 8,
        "pad_token_id": None,
        "pretraining_tp": 1,
        "rms_norm_eps": 1e-05,
        "rope_parameters": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                            "original_max_position_embeddings": 8192, "rope_theta": 500000.0, "rope_type": "llama3"},
        "tie_word_embeddings": False,
        "use_cache": True,
        "vocab_size": 128256,
    }


def tensor_shapes(c):
    """(name, shape) of every tensor, in checkpoint order; 1-D shapes are RMS norm weights."""
    d, f, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    q, kv = c["num_attention_heads"] * c["head_dim"], c["num_key_value_heads"] * c["head_dim"]
    out = [("model.embed_tokens.weight", (v, d))]
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        out += [(p + "input_layernorm.weight", (d,)),
                (p + "self_attn.q_proj.weight", (q, d)), (p + "self_attn.k_proj.weight", (kv, d)),
                (p + "self_attn.v_proj.weight", (kv, d)), (p + "self_attn.o_proj.weight", (d, q)),
                (p + "post_attention_layernorm.weight", (d,)),
                (p + "mlp.gate_proj.weight", (f, d)), (p + "mlp.up_proj.weight", (f, d)),
                (p + "mlp.down_proj.weight", (d, f))]
    return out + [("model.norm.weight", (d,)), ("lm_head.weight", (v, d))]


def shard_plan(shapes, shards):
    """Consecutive tensors cut into `shards` groups of about equal bytes."""
    sizes = [2 * _numel(s) for _, s in shapes]
    target, groups, current, acc = sum(sizes) / shards, [], [], 0
    for (name, shape), size in zip(shapes, sizes):
        if current and acc + size > target * (len(groups) + 1) and len(groups) < shards - 1:
            groups.append(current)
            current = []
        current.append((name, shape))
        acc += size
    return groups + [current]


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def complete(folder, cfg):
    try:
        with open(os.path.join(folder, "config.json")) as f:
            return json.load(f) == cfg and os.path.exists(os.path.join(folder, "model.safetensors.index.json"))
    except (OSError, ValueError):
        return False


def write(folder, cfg, seed):
    import torch
    from safetensors.torch import save_file

    tmp = folder + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    generator = torch.Generator(device="cuda").manual_seed(seed)
    groups = shard_plan(tensor_shapes(cfg), SHARDS)
    weight_map, total = {}, 0
    for k, group in enumerate(groups):
        file = f"model-{k + 1:05d}-of-{len(groups):05d}.safetensors"
        tensors = {}
        for name, shape in group:
            if len(shape) == 1:
                t = torch.ones(shape, dtype=torch.bfloat16, device="cuda")
            else:
                t = torch.randn(shape, generator=generator, dtype=torch.bfloat16, device="cuda").mul_(STD)
            tensors[name] = t.cpu()
            weight_map[name] = file
            total += t.numel() * 2
        save_file(tensors, os.path.join(tmp, file), metadata={"format": "pt"})
        del tensors
    with open(os.path.join(tmp, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=1)
    # config.json last: complete() takes its presence with the index as "every shard was written".
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/llama8b-random")
    parser.add_argument("--layers", type=int, default=32, help="fewer for a quick trial of the tooling")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cfg = config(args.layers)
    if complete(args.out, cfg):
        print(json.dumps({"checkpoint": args.out, "status": "exists"}))
        return
    start = time.time()
    total = write(args.out, cfg, args.seed)
    print(json.dumps({"checkpoint": args.out, "status": "written", "bytes": total, "seconds": round(time.time() - start, 1)}))


if __name__ == "__main__":
    main()
