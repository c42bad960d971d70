"""Train the bundled toy-ioi-llama model: the Llama-architecture twin of toy-ioi.

Architecture: Llama (Touvron et al. 2023) exactly as Hugging Face transformers' `LlamaForCausalLM` computes it —
the model *is* a `LlamaForCausalLM(LlamaConfig(...))` with eager attention, trained as is and written with
`save_pretrained`: token embedding (no learned positions), pre-RMSNorm blocks, grouped-query causal attention
(4 query heads, 2 key/value heads, head_dim 16, scores scaled by 1/sqrt(head_dim)) with rotary position embeddings
on q and k (HF's rotate-half layout, rope_theta 10000), a SwiGLU MLP (down(silu(gate(x)) * up(x))), a final RMSNorm
and an untied unembedding `lm_head.weight`; no biases anywhere.

Data and recipe: the same as toy-ioi (`scripts/toy_ioi/train_toy_ioi.py`), reused by import, not copied: the
sentence generator `ioi_data.py`, the held-out name pairs and template, the held-out evaluation prompts (checked
identical to `data/models/toy-ioi/heldout.json`), the same stream of training sentences (same seed, same draws),
the loss at the last prompt position only, AdamW with the same schedule. Only the network differs.

Usage:  python scripts/toy_ioi_llama/train_toy_ioi_llama.py --out data/models/toy-ioi-llama
"""

import argparse
import json
import math
import os
import random
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "toy_ioi"))

from ioi_data import HELDOUT_DISTANCE, IOIData, heldout_pairs  # noqa: E402
import train_toy_ioi as toy  # noqa: E402  (evaluation sets, figures, pair sampling of toy-ioi)
import transformers  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM  # noqa: E402

SEED = toy.SEED
N_LAYER, N_HEAD, N_KV_HEAD, HEAD_DIM, D_MODEL, N_CTX = 4, 4, 2, 16, 64, toy.N_CTX
# SwiGLU width: untied Llama has 73,920 + 768·I parameters here; I = 184 (a multiple of 8, as Llama widths are)
# gives 215,232, 0.5% under toy-ioi's 216,256 (I = 185 would give 216,000).
INTERMEDIATE = 184
RMS_EPS = 1e-5
ROPE_THETA = 10000.0
INIT_STD = 0.02
STEPS, BATCH, LR, WARMUP, WEIGHT_DECAY = toy.STEPS, toy.BATCH, toy.LR, toy.WARMUP, toy.WEIGHT_DECAY
HELDOUT_PAIR_FRACTION = toy.HELDOUT_PAIR_FRACTION
TOY_IOI = os.path.join(HERE, "..", "..", "data", "models", "toy-ioi")


def make_config(vocab_size):
    config = LlamaConfig(
        vocab_size=vocab_size, hidden_size=D_MODEL, intermediate_size=INTERMEDIATE,
        num_hidden_layers=N_LAYER, num_attention_heads=N_HEAD, num_key_value_heads=N_KV_HEAD, head_dim=HEAD_DIM,
        max_position_embeddings=N_CTX, hidden_act="silu", rms_norm_eps=RMS_EPS,
        rope_parameters={"rope_type": "default", "rope_theta": ROPE_THETA},
        attention_bias=False, mlp_bias=False, tie_word_embeddings=False, initializer_range=INIT_STD,
        bos_token_id=None, eos_token_id=None, pad_token_id=None,
    )
    config._attn_implementation = "eager"
    return config


def init_weights(model):
    """Explicit init in parameter order from a fresh seed, independent of transformers' own init order.

    N(0, 0.02) for embeddings and projections; N(0, 0.02/sqrt(2·n_layer)) for the two projections that write into
    the residual stream (o_proj, down_proj), as toy-ioi (GPT-2's scaled init); RMSNorm weights 1.
    """
    torch.manual_seed(SEED)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.fill_(1.0)
            elif name.endswith(("o_proj.weight", "down_proj.weight")):
                p.normal_(0.0, INIT_STD / math.sqrt(2 * N_LAYER))
            else:
                p.normal_(0.0, INIT_STD)


def logits_fn(model):
    """Callable ids [b, t] -> logits [b, t, vocab], the interface toy-ioi's evaluation helpers expect."""
    return lambda ids: model(input_ids=ids, use_cache=False).logits


def check_eval_sets(eval_sets):
    """The regenerated held-out prompts must be toy-ioi's, so both models are measured on the same prompts."""
    with open(os.path.join(TOY_IOI, "heldout.json")) as f:
        committed = json.load(f)["sets"]
    if committed != eval_sets:
        raise SystemExit("held-out prompts differ from data/models/toy-ioi/heldout.json")


def export(model, data, eval_sets, result, out):
    os.makedirs(out, exist_ok=True)
    model.save_pretrained(out)
    shutil.copyfile(os.path.join(TOY_IOI, "vocabulary.json"), os.path.join(out, "vocabulary.json"))
    heldout = {
        "description": "Held-out IOI prompts for toy-ioi-llama: the same prompts as data/models/toy-ioi/heldout.json "
                       "(token ids of vocabulary.json; no padding, lengths vary). "
                       "new_pairs: training templates and layouts, name pairs never seen in training. "
                       "heldout_template: a template never seen in training whose S2-to-end distance "
                       f"({HELDOUT_DISTANCE}) never occurs in training. abc_tokens: the same prompt with IO, S1 "
                       "and S2 replaced by three other names (Wang et al.'s ABC corruption); io/s stay the clean "
                       "answer ids. Metrics at the last position: accuracy = argmax over the vocabulary is io; "
                       "logit difference = logit[io] - logit[s]. Figures: transformers LlamaForCausalLM "
                       "(eager attention, float32) on this folder.",
        "figures": result,
        "sets": eval_sets,
    }
    with open(os.path.join(out, "heldout.json"), "w") as f:
        json.dump(heldout, f, separators=(",", ":"))
        f.write("\n")


def verify_export(model, out, eval_sets):
    """Reload the folder with from_pretrained and compare logits with the in-memory model (must be identical)."""
    loaded = LlamaForCausalLM.from_pretrained(out, attn_implementation="eager", dtype=torch.float32)
    loaded.eval()
    worst = 0.0
    with torch.no_grad():
        for rows in eval_sets.values():
            for r in rows[:32]:
                ids = torch.tensor([r["tokens"]])
                a = model(input_ids=ids, use_cache=False).logits
                b = loaded(input_ids=ids, use_cache=False).logits
                worst = max(worst, float((a - b).abs().max()))
    print(f"from_pretrained reload: max |logit diff| = {worst:.3e} over 64 prompts, all positions")
    if worst != 0.0:
        raise SystemExit("reloaded model differs from the trained one")


def main():
    parser = argparse.ArgumentParser(description="train the toy-ioi-llama model")
    parser.add_argument("--out", default="data/models/toy-ioi-llama")
    parser.add_argument("--tasks", default="data/tasks/ioi")
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--lr", type=float, default=LR)
    parser.add_argument("--weight-decay", type=float, default=WEIGHT_DECAY)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (1: deterministic and fastest on a shared 2-core machine)")
    args = parser.parse_args()

    transformers.utils.logging.disable_progress_bar()
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    data = IOIData(args.tasks, max_length=N_CTX)
    pairs = heldout_pairs(data.names, HELDOUT_PAIR_FRACTION, SEED)
    eval_sets = toy.make_eval_sets(data, pairs)
    check_eval_sets(eval_sets)
    plain = toy.make_plain_set(data)
    model = LlamaForCausalLM(make_config(len(data.vocabulary)))
    init_weights(model)
    params = sum(p.numel() for p in model.parameters())
    print(f"transformers {transformers.__version__}, torch {torch.__version__}, vocabulary {len(data.vocabulary)}, "
          f"parameters {params}, steps {args.steps}, lr {args.lr}, weight decay {args.weight_decay}")

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.98))
    forward = logits_fn(model)
    rng = random.Random(SEED)
    started = time.time()
    model.train()
    for step in range(1, args.steps + 1):
        lr = args.lr * min(1.0, step / WARMUP) * 0.5 * (1 + math.cos(math.pi * step / args.steps))
        for group in optimizer.param_groups:
            group["lr"] = lr
        batch, targets = [], []
        while len(batch) < BATCH:  # the same draws as toy-ioi: the same sentences in the same order
            template = rng.choice(data.train_templates)
            io, s = toy.sample_pair(rng, data.names, pairs)
            ids, _ = data.example(rng, template, io, s)
            batch.append(ids)
            targets.append(data.ids[io])
        length = max(len(b) for b in batch)
        assert length <= N_CTX
        # Right-pad with a repeat of the last token; causal attention keeps each row's own last position exact.
        x = torch.tensor([b + [b[-1]] * (length - len(b)) for b in batch])
        last = torch.tensor([len(b) - 1 for b in batch])
        hidden = model.model(input_ids=x, use_cache=False).last_hidden_state  # [batch, pos, d_model]
        logits = model.lm_head(hidden[torch.arange(BATCH), last])  # [batch, vocab]
        loss = F.cross_entropy(logits, torch.tensor(targets))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % 250 == 0 or step == args.steps:
            model.eval()
            r = toy.report(forward, eval_sets, plain)
            model.train()
            print(f"step {step:5d}  loss {loss.item():.4f}  lr {lr:.2e}  {time.time() - started:6.0f}s  "
                  f"new_pairs acc {r['new_pairs']['accuracy']:.3f} ld {r['new_pairs']['logit_diff_mean']:.2f}  "
                  f"heldout_template acc {r['heldout_template']['accuracy']:.3f} "
                  f"ld {r['heldout_template']['logit_diff_mean']:.2f}  "
                  f"abc ld {r['new_pairs_abc']['logit_diff_mean']:.2f}/{r['heldout_template_abc']['logit_diff_mean']:.2f}",
                  flush=True)
    model.eval()
    result = toy.report(forward, eval_sets, plain)
    print(json.dumps(result, indent=1))
    export(model, data, eval_sets, result, args.out)
    verify_export(model, args.out, eval_sets)
    print(f"exported to {args.out} in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
