"""Check the exported toy-ioi-llama folder and write the reference logits for circuitry's Llama forward pass.

1. Loads the folder with transformers' `LlamaForCausalLM.from_pretrained` (eager attention, float32) and recomputes
   the held-out figures of `heldout.json` (they must equal the recorded ones).
2. Recomputes the logits with an independent float64 Llama forward pass written here from `config.json` and
   `model.safetensors` alone (RMSNorm, HF rotate-half rotary, grouped-query attention, SwiGLU, untied unembedding)
   and prints the largest difference to transformers' logits — a check that the folder means what its config
   says, independent of transformers' code — next to the same pass run in float32, which shows how far float32
   rounding alone moves this model's logits (up to ~2e-4 at some mid-sentence positions, ~2e-5 at the last one).
3. Writes `reference_logits.json`: the last-position logits (transformers, float32) of the first 8 prompts of each
   held-out set, for circuitry's Swift tests.

Usage:  python scripts/toy_ioi_llama/evaluate_toy_ioi_llama.py --model data/models/toy-ioi-llama \
            --reference scripts/toy_ioi_llama/reference_logits.json
"""

import argparse
import json
import math
import os
import sys

import torch
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "toy_ioi"))

import train_toy_ioi as toy  # noqa: E402  (figures() and the plain-template set of toy-ioi)
from ioi_data import IOIData  # noqa: E402
import transformers  # noqa: E402
from transformers import LlamaForCausalLM  # noqa: E402

REFERENCE_PROMPTS = 8


def rope_theta(config):
    """transformers 5 writes `rope_parameters.rope_theta`; transformers 4 wrote a top-level `rope_theta`."""
    if "rope_parameters" in config:
        assert config["rope_parameters"].get("rope_type", "default") == "default"
        return float(config["rope_parameters"]["rope_theta"])
    assert config.get("rope_scaling") is None
    return float(config.get("rope_theta", 10000.0))


def independent_logits(config, w, ids, dtype=torch.float64):
    """Llama forward pass (float64 by default) from the config and the raw tensors. ids: [t] -> logits [t, vocab]."""
    d, n_layer = config["hidden_size"], config["num_hidden_layers"]
    n_head, n_kv = config["num_attention_heads"], config["num_key_value_heads"]
    hd = config.get("head_dim", d // n_head)
    eps = config["rms_norm_eps"]
    w = {k: v.to(dtype) for k, v in w.items()}
    t = len(ids)

    def rms(x, weight):  # [t, d]
        return weight * x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps)

    # Rotary, rotate-half layout: dim i < hd/2 pairs with i + hd/2; angle = pos * theta^(-2i/hd).
    inv_freq = rope_theta(config) ** (-torch.arange(0, hd, 2, dtype=dtype) / hd)  # [hd/2]
    angle = torch.arange(t, dtype=dtype)[:, None] * inv_freq[None, :]  # [t, hd/2]
    cos, sin = torch.cos(angle), torch.sin(angle)

    def rotate(x):  # [heads, t, hd]
        x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
        return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)

    x = w["model.embed_tokens.weight"][torch.tensor(ids)]  # [t, d]
    mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    for layer in range(n_layer):
        p = f"model.layers.{layer}."
        h = rms(x, w[p + "input_layernorm.weight"])
        q = (h @ w[p + "self_attn.q_proj.weight"].T).view(t, n_head, hd).transpose(0, 1)  # [H, t, hd]
        k = (h @ w[p + "self_attn.k_proj.weight"].T).view(t, n_kv, hd).transpose(0, 1)  # [KV, t, hd]
        v = (h @ w[p + "self_attn.v_proj.weight"].T).view(t, n_kv, hd).transpose(0, 1)
        q, k = rotate(q), rotate(k)
        group = n_head // n_kv  # query head j reads key/value head j // group
        k, v = k.repeat_interleave(group, dim=0), v.repeat_interleave(group, dim=0)
        scores = (q @ k.transpose(1, 2)) / math.sqrt(hd)  # [H, t, t]
        pattern = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
        z = (pattern @ v).transpose(0, 1).reshape(t, n_head * hd)  # [t, H*hd]
        x = x + z @ w[p + "self_attn.o_proj.weight"].T
        h = rms(x, w[p + "post_attention_layernorm.weight"])
        gate = h @ w[p + "mlp.gate_proj.weight"].T
        up = h @ w[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(gate) * up) @ w[p + "mlp.down_proj.weight"].T
    unembed = w["model.embed_tokens.weight"] if config.get("tie_word_embeddings") else w["lm_head.weight"]
    return rms(x, w["model.norm.weight"]) @ unembed.T


def dump_reference(reference):
    """JSON with one line per prompt (token ids and logits inline), so the file stays short and diffable."""
    head = {k: v for k, v in reference.items() if k != "sets"}
    lines = json.dumps(head, indent=1)[:-2].split("\n")
    lines[-1] += ","
    lines.append(' "sets": {')
    names = list(reference["sets"])
    for i, name in enumerate(names):
        lines.append(f"  {json.dumps(name)}: [")
        rows = reference["sets"][name]
        for j, row in enumerate(rows):
            lines.append("   " + json.dumps(row) + ("," if j + 1 < len(rows) else ""))
        lines.append("  ]" + ("," if i + 1 < len(names) else ""))
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description="check toy-ioi-llama and write reference logits")
    parser.add_argument("--model", default="data/models/toy-ioi-llama")
    parser.add_argument("--reference", default="scripts/toy_ioi_llama/reference_logits.json")
    parser.add_argument("--tasks", default="data/tasks/ioi")
    args = parser.parse_args()
    transformers.utils.logging.disable_progress_bar()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    with open(os.path.join(args.model, "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(args.model, "heldout.json")) as f:
        heldout = json.load(f)
    weights = load_file(os.path.join(args.model, "model.safetensors"))
    model = LlamaForCausalLM.from_pretrained(args.model, attn_implementation="eager", dtype=torch.float32)
    model.eval()
    forward = lambda ids: model(input_ids=ids, use_cache=False).logits  # noqa: E731

    # 1. Figures.
    figures = {}
    for name, rows in heldout["sets"].items():
        io, s = [r["io"] for r in rows], [r["s"] for r in rows]
        figures[name] = toy.figures(forward, [r["tokens"] for r in rows], io, s)
        figures[name + "_abc"] = toy.figures(forward, [r["abc_tokens"] for r in rows], io, s)
    figures["plain_templates"] = toy.figures(forward, *toy.make_plain_set(IOIData(args.tasks, toy.N_CTX)))
    print("| set | prompts | accuracy | IO > S | mean logit diff IO − S (± s.e.) | std |")
    print("|---|---|---|---|---|---|")
    for name, f in figures.items():
        print(f"| `{name}` | {f['count']} | {100 * f['accuracy']:.1f}% | {100 * f['io_over_s']:.1f}% | "
              f"{f['logit_diff_mean']:.2f} ± {f['logit_diff_sem']:.2f} | {f['logit_diff_std']:.2f} |")
    if figures.keys() != heldout["figures"].keys():
        raise SystemExit("heldout.json has other sets of figures")
    for name, f in figures.items():
        if f != heldout["figures"][name]:
            raise SystemExit(f"figures of {name} differ from heldout.json: {f} vs {heldout['figures'][name]}")
    print("figures equal heldout.json's")

    # 2. Independent forward pass, every prompt of both sets (clean and ABC), all positions. The same pass in
    #    float32 measures float32 rounding on this model: transformers must be no further from float64 than that.
    worst, worst_last, rounding = 0.0, 0.0, 0.0
    with torch.no_grad():
        for rows in heldout["sets"].values():
            for r in rows:
                for ids in (r["tokens"], r["abc_tokens"]):
                    hf = forward(torch.tensor([ids]))[0].double()
                    ours = independent_logits(config, weights, ids)
                    ours32 = independent_logits(config, weights, ids, torch.float32).double()
                    diff = (hf - ours).abs()
                    worst, worst_last = max(worst, float(diff.max())), max(worst_last, float(diff[-1].max()))
                    rounding = max(rounding, float((ours32 - ours).abs().max()))
    count = 2 * sum(map(len, heldout["sets"].values()))
    print(f"independent float64 forward vs transformers float32, {count} prompts: max |logit diff| "
          f"{worst:.2e} (all positions), {worst_last:.2e} (last positions); the same forward in float32 vs "
          f"float64: {rounding:.2e}")
    if worst > 1e-3:
        raise SystemExit("independent forward pass disagrees with transformers")

    # 3. Reference logits for the Swift side.
    sets = {}
    with torch.no_grad():
        for name, rows in heldout["sets"].items():
            out = []
            for i, r in enumerate(rows[:REFERENCE_PROMPTS]):
                logits = forward(torch.tensor([r["tokens"]]))[0, -1]  # [vocab]
                out.append({"index": i, "tokens": r["tokens"], "io": r["io"], "s": r["s"],
                            "argmax": int(logits.argmax()), "last_logits": [float(v) for v in logits]})
            sets[name] = out
    reference = {
        "description": f"Last-position logits of the first {REFERENCE_PROMPTS} prompts (`tokens`, the clean "
                       "prompts) of each held-out set of data/models/toy-ioi-llama/heldout.json, computed by "
                       "transformers LlamaForCausalLM.from_pretrained(folder, attn_implementation='eager', "
                       "dtype=float32), one prompt per batch, no attention mask, positions 0..len-1. float32 "
                       "values written exactly. Made by scripts/toy_ioi_llama/evaluate_toy_ioi_llama.py.",
        "model": "data/models/toy-ioi-llama",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "independent_float64_max_abs_diff": {"all_positions": worst, "last_positions": worst_last,
                                             "float32_rounding_all_positions": rounding},
        "vocab_size": config["vocab_size"],
        "sets": sets,
    }
    with open(args.reference, "w") as f:
        f.write(dump_reference(reference))
    print(f"wrote {args.reference}")


if __name__ == "__main__":
    main()
