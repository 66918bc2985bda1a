"""A word-level LSTM language model, trained on sentences this example writes itself, then
sampled and tested on subject-verb agreement across a relative clause.

Plain PyTorch code: the only line that differs between the frameworks is the import, chosen by
``--framework`` (``plugtorch`` by default, or ``torch`` for PyTorch itself). With the same seed
both frameworks start from the same weights (drawn with numpy) and read the same batches, so
their losses can be compared step by step.

    python train.py                              # plugtorch, default backend (numpy)
    python train.py --backend numba              # plugtorch, numba kernels
    python train.py --framework torch            # the same script on PyTorch
    python train.py --steps 3 --log-every 1      # a smoke run
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path

import numpy as np
from make_text import agreement_prefix, make_text

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
    parser.add_argument("--words", type=int, default=50_000, help="size of the generated text")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--bptt", type=int, default=32, help="steps of backpropagation in time")
    parser.add_argument("--emb-size", type=int, default=64)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--clip", type=float, default=0.5)
    parser.add_argument("--sample-words", type=int, default=40)
    parser.add_argument("--agreement-cases", type=int, default=200)
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


class LanguageModel(nn.Module):
    """Embedding -> multi-layer LSTM -> linear decoder to the vocabulary."""

    def __init__(
        self, vocab_size: int, emb_size: int, hidden_size: int, num_layers: int, dropout: float
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_size)
        self.drop = nn.Dropout(dropout)
        self.lstm = nn.LSTM(emb_size, hidden_size, num_layers, batch_first=True, dropout=dropout)
        self.decoder = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens, state=None):
        output, state = self.lstm(self.drop(self.embedding(tokens)), state)
        return self.decoder(self.drop(output)), state


def init_weights(model: nn.Module, seed: int) -> None:
    """PyTorch's LSTM initialisation U(-1/sqrt(H), 1/sqrt(H)), embedding and decoder
    U(-0.1, 0.1), decoder bias 0; drawn by numpy so that both frameworks start equal."""
    rng = np.random.default_rng(seed)
    bound = 1.0 / math.sqrt(model.lstm.hidden_size)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            shape = tuple(parameter.shape)
            if name.startswith("lstm."):
                value = rng.uniform(-bound, bound, shape)
            elif name == "decoder.bias":
                value = np.zeros(shape)
            else:
                value = rng.uniform(-0.1, 0.1, shape)
            parameter.copy_(torch.from_numpy(value.astype(np.float32)))


def batchify(ids: np.ndarray, batch_size: int) -> np.ndarray:
    """The token stream cut into ``batch_size`` rows read side by side: (batch, length)."""
    length = len(ids) // batch_size
    return ids[: length * batch_size].reshape(batch_size, length)


def detach(state):
    """Cut the graph between windows (truncated backpropagation in time)."""
    return tuple(s.detach() for s in state)


def main() -> None:
    args = ARGS
    text = write_text(args.data, make_text(words=args.words))
    words = text.replace("\n", " <eos> ").split()
    vocab = sorted(set(words))
    stoi = {w: i for i, w in enumerate(vocab)}
    ids = np.array([stoi[w] for w in words], dtype=np.int64)
    split = int(0.9 * len(ids))
    train_rows = batchify(ids[:split], args.batch_size)
    val_rows = batchify(ids[split:], 8)

    device = configure(torch, args)
    model = LanguageModel(
        len(vocab), args.emb_size, args.hidden_size, args.num_layers, args.dropout
    ).to(device)
    init_weights(model, args.seed)
    n_params = sum(p.numel() for p in model.parameters())
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=args.steps, eta_min=args.lr / 10
    )
    print(
        f"text {len(words):,} words, vocabulary {len(vocab)} (ln {math.log(len(vocab)):.3f}), "
        f"model {n_params:,} parameters"
    )

    def windows(rows: np.ndarray):
        """(input, target) windows of ``bptt`` steps, in order, forever."""
        while True:
            for start in range(0, rows.shape[1] - 1 - args.bptt, args.bptt):
                x = rows[:, start : start + args.bptt]
                y = rows[:, start + 1 : start + 1 + args.bptt]
                yield torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)

    @torch.no_grad()
    def val_loss() -> float:
        model.eval()
        state, total, count = None, 0.0, 0
        for start in range(0, val_rows.shape[1] - 1 - args.bptt, args.bptt):
            x = torch.from_numpy(val_rows[:, start : start + args.bptt]).to(device)
            y = torch.from_numpy(val_rows[:, start + 1 : start + 1 + args.bptt]).to(device)
            logits, state = model(x, state)
            total += F.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1)).item()
            count += 1
        model.train()
        return total / count

    log = StepLog(args.steps, args.log_every)
    batches = windows(train_rows)
    state = None
    for _ in range(args.steps):
        x, y = next(batches)
        log.start()
        if state is not None:
            state = detach(state)
        logits, state = model(x, state)
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        scheduler.step()
        log.stop(loss.item())
        if log.due():
            print(log.line(val_loss()))
    final_val = val_loss()
    print(log.summary(f"{final_val:.4f} (perplexity {math.exp(final_val):.2f})"))

    model.eval()
    with torch.no_grad():
        if args.agreement_cases > 0:
            rng = random.Random(args.seed)
            right = 0
            for _ in range(args.agreement_cases):
                prefix, good, bad = agreement_prefix(rng)
                tokens = torch.tensor([[stoi["<eos>"], *(stoi[w] for w in prefix)]], device=device)
                logits, _ = model(tokens)
                right += int(logits[0, -1, stoi[good]].item() > logits[0, -1, stoi[bad]].item())
            print(
                f"agreement across a relative clause: {right}/{args.agreement_cases} "
                f"prefixes prefer the right verb form"
            )
        if args.sample_words > 0:
            token = torch.tensor([[stoi["<eos>"]]], device=device)
            state, out = None, []
            for _ in range(args.sample_words):
                logits, state = model(token, state)
                probs = F.softmax(logits[:, -1, :], dim=-1)
                token = torch.multinomial(probs, num_samples=1)
                out.append(vocab[token.item()])
            print("sample:")
            print("\n".join(line.strip() for line in " ".join(out).split("<eos>")))


if __name__ == "__main__":
    main()
