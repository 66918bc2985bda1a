"""A small character-level GPT, trained on stories this example writes itself, then sampled.

Plain PyTorch code: the only line that differs between the frameworks is the import, chosen by
``--framework`` (``plugtorch`` by default, or ``torch`` for PyTorch itself). With the same seed
both frameworks start from the same weights and see the same batches (both drawn with numpy),
so their losses can be compared step by step.

    python train.py                              # plugtorch, default backend (numpy)
    python train.py --backend numba              # plugtorch, numba kernels
    python train.py --framework torch            # the same script on PyTorch
    python train.py --steps 3 --log-every 1      # a smoke run
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
from make_text import make_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # examples/example_tools.py
from example_tools import (  # noqa: E402
    StepLog,
    add_common_options,
    check_common_options,
    configure,
    write_text,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_options(parser, steps=300, log_every=25)
    parser.add_argument("--data", type=Path, default=Path(__file__).with_name("input.txt"))
    parser.add_argument("--chars", type=int, default=150_000, help="size of the generated text")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--block-size", type=int, default=64)
    parser.add_argument("--n-layer", type=int, default=2)
    parser.add_argument("--n-head", type=int, default=4)
    parser.add_argument("--n-embd", type=int, default=64)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument("--eval-batches", type=int, default=4)
    parser.add_argument("--sample-chars", type=int, default=300)
    args = parser.parse_args()
    check_common_options(parser, args)
    return args


ARGS = parse_args()

# The port: this import is the only framework-specific line of the example.
if ARGS.framework == "torch":
    import torch
    from torch import nn
    from torch.nn import functional as F
else:
    import plugtorch as torch
    from plugtorch import nn
    from plugtorch.nn import functional as F


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position t sees positions 0..t only."""

    def __init__(self, n_embd: int, n_head: int, dropout: float) -> None:
        super().__init__()
        self.n_head = n_head
        self.dropout = dropout
        self.qkv = nn.Linear(n_embd, 3 * n_embd)
        self.proj = nn.Linear(n_embd, n_embd)

    def forward(self, x):
        batch, time_steps, channels = x.shape
        q, k, v = self.qkv(x).split(channels, dim=2)
        # (B, T, C) -> (B, heads, T, C / heads)
        q, k, v = (
            t.view(batch, time_steps, self.n_head, channels // self.n_head).transpose(1, 2)
            for t in (q, k, v)
        )
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0
        )
        y = y.transpose(1, 2).contiguous().view(batch, time_steps, channels)
        return self.proj(y)


class Block(nn.Module):
    """Pre-norm transformer block: x + attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, n_embd: int, n_head: int, dropout: float) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, dropout)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(n_embd, 4 * n_embd),
            nn.GELU(),
            nn.Linear(4 * n_embd, n_embd),
            nn.Dropout(dropout),
        )

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """Token and position embeddings, a stack of blocks, and a head tied to the embedding."""

    def __init__(
        self,
        vocab_size: int,
        block_size: int,
        n_layer: int,
        n_head: int,
        n_embd: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.block_size = block_size
        self.tok_emb = nn.Embedding(vocab_size, n_embd)
        self.pos_emb = nn.Embedding(block_size, n_embd)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(n_embd, n_head, dropout) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight  # weight tying

    def forward(self, idx, targets=None):
        positions = torch.arange(idx.shape[1], device=idx.device)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(positions))
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.ln_f(x))
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, new_tokens: int, temperature: float):
        for _ in range(new_tokens):
            logits, _ = self(idx[:, -self.block_size :])
            probs = F.softmax(logits[:, -1, :] / temperature, dim=-1)
            idx = torch.cat([idx, torch.multinomial(probs, num_samples=1)], dim=1)
        return idx


def init_weights(model: nn.Module, seed: int) -> None:
    """GPT-2's initialisation, drawn by numpy so that both frameworks start from equal weights:
    matrices N(0, 0.02), biases 0, LayerNorm scales 1."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            shape = tuple(parameter.shape)
            if name.endswith("bias"):
                value = np.zeros(shape)
            elif parameter.dim() == 1:
                value = np.ones(shape)
            else:
                value = rng.normal(0.0, 0.02, shape)
            parameter.copy_(torch.from_numpy(value.astype(np.float32)))


def get_batch(data: np.ndarray, batch_size: int, block_size: int, rng: np.random.Generator, device):
    """Random windows of the text: inputs and the same windows shifted by one character."""
    starts = rng.integers(0, len(data) - block_size - 1, size=batch_size)
    x = np.stack([data[s : s + block_size] for s in starts])
    y = np.stack([data[s + 1 : s + 1 + block_size] for s in starts])
    return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)


def main() -> None:
    args = ARGS
    text = write_text(args.data, make_text(chars=args.chars))
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = np.array([stoi[c] for c in text], dtype=np.int64)
    split = int(0.9 * len(data))
    train_data, val_data = data[:split], data[split:]

    device = configure(torch, args)
    model = GPT(
        len(chars), args.block_size, args.n_layer, args.n_head, args.n_embd, args.dropout
    ).to(device)
    init_weights(model, args.seed)
    n_params = sum(p.numel() for p in model.parameters())
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=args.lr, betas=(0.9, 0.99), weight_decay=args.weight_decay
    )

    def lr_factor(step: int) -> float:
        # linear warm-up, then cosine decay to a tenth of the peak
        if step < args.warmup:
            return (step + 1) / args.warmup
        progress = (step - args.warmup) / max(1, args.steps - args.warmup)
        return 0.1 + 0.45 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
    batch_rng = np.random.default_rng(args.seed)
    print(
        f"text {len(text):,} chars, vocabulary {len(chars)} (ln {math.log(len(chars)):.3f}), "
        f"model {n_params:,} parameters"
    )

    @torch.no_grad()
    def val_loss() -> float:
        model.eval()
        rng = np.random.default_rng(0)  # the same validation windows at every evaluation
        losses = [
            model(*get_batch(val_data, args.batch_size, args.block_size, rng, device))[1]
            for _ in range(args.eval_batches)
        ]
        model.train()
        return sum(loss.item() for loss in losses) / len(losses)

    log = StepLog(args.steps, args.log_every)
    for _ in range(args.steps):
        x, y = get_batch(train_data, args.batch_size, args.block_size, batch_rng, device)
        log.start()
        _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        scheduler.step()
        log.stop(loss.item())
        if log.due():
            print(log.line(val_loss()))
    print(log.summary(f"{val_loss():.4f}"))

    if args.sample_chars > 0:
        model.eval()
        prompt = "one morning, "
        idx = torch.tensor([[stoi[c] for c in prompt]], device=device)
        out = model.generate(idx, args.sample_chars, temperature=0.8)
        print("sample:")
        print("".join(chars[i] for i in out[0].tolist()))


if __name__ == "__main__":
    main()
