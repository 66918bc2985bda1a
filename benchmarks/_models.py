"""The models of ``bench_models.py`` and ``profile_models.py``, written once for both
frameworks: every builder takes ``lib`` (``plugtorch`` or ``torch``) and uses only names the
two share, so the same code runs on both by swapping the module.

Each :class:`ModelSpec` says how to build the model and its optimizer, what a batch is (numpy
arrays drawn from a fixed seed, so every framework sees the same data) and how the loss is
computed. Initial weights come from one plugtorch model (see ``reference_state``), loaded into
every framework's copy, so all of them start from the same weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MODELS", "ModelSpec", "build_digits"]


@dataclass(frozen=True)
class ModelSpec:
    """One benchmark model: builder, optimizer, a batch of data and the loss."""

    name: str
    description: str
    build: Callable[[Any], Any]
    """``lib -> nn.Module``."""
    optimizer: Callable[[Any, Any], Any]
    """``(lib, parameters) -> optimizer``."""
    batch_size: int
    batch: Callable[[np.random.Generator, int], tuple[np.ndarray, ...]]
    """``(rng, batch_size) -> numpy arrays``: the inputs of :attr:`loss` after the model."""
    loss: Callable[..., Any]
    """``(lib, model, *batch tensors) -> scalar loss``."""
    clip_grad_norm: float | None = None
    needs: str | None = None
    """A ``lib.nn`` attribute the model needs; without it the row is skipped with a note."""


def _images(shape: tuple[int, ...], classes: int = 10) -> Callable[..., Any]:
    """Standard-normal images of ``shape`` (one image) and labels below ``classes``."""

    def draw(rng: np.random.Generator, size: int) -> tuple[np.ndarray, ...]:
        images = rng.standard_normal((size, *shape)).astype(np.float32)
        return images, rng.integers(0, classes, size).astype(np.int64)

    return draw


def _classify(lib: Any, model: Any, images: Any, labels: Any) -> Any:
    return lib.nn.functional.cross_entropy(model(images), labels)


def _sgd(lib: Any, parameters: Any) -> Any:
    return lib.optim.SGD(parameters, lr=0.01, momentum=0.9)


# --- the digits CNN -------------------------------------------------------------------------
def build_digits(lib: Any) -> Any:
    """``plugtorch train digits``'s model (``plugtorch.training.models.DigitsNet``): the class
    itself for plugtorch, the same layers under the same names for PyTorch."""
    if lib.__name__ == "plugtorch":
        from plugtorch.training.models import DigitsNet

        return DigitsNet()
    nn = lib.nn

    class DigitsNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("input_mean", lib.tensor(0.0))
            self.register_buffer("input_std", lib.tensor(1.0))
            self.features = nn.Sequential(
                nn.Conv2d(1, 16, 3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(2),
            )
            self.classifier = nn.Sequential(
                nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Linear(64, 10)
            )

        def forward(self, x: Any) -> Any:
            x = (x - self.input_mean) / self.input_std
            return self.classifier(self.features(x))

    return DigitsNet()


# --- LeNet-5 and the MLP --------------------------------------------------------------------
def build_lenet(lib: Any) -> Any:
    """LeNet-5 for 28x28 inputs: conv 5x5 (padding 2) 6, pool, conv 5x5 16, pool, 120, 84, 10."""
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )


def build_mlp(lib: Any) -> Any:
    nn = lib.nn
    return nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)
    )


# --- a GPT-style decoder --------------------------------------------------------------------
GPT_VOCAB, GPT_WIDTH, GPT_HEADS, GPT_LAYERS, GPT_CONTEXT, GPT_BATCH = 256, 128, 4, 4, 64, 16


def build_gpt(lib: Any, fused_attention: bool = False) -> Any:
    """A nanoGPT-style decoder: token + position embeddings, pre-norm blocks of causal
    self-attention (one qkv projection, heads by reshape, masked softmax) and a GELU MLP,
    a final layer norm and an untied head. Plain ops only (no MultiheadAttention); with
    ``fused_attention`` the attention is ``F.scaled_dot_product_attention(is_causal=True)``, as
    nanoGPT itself runs it where PyTorch has it."""
    nn, F = lib.nn, lib.nn.functional
    width, heads, context = GPT_WIDTH, GPT_HEADS, GPT_CONTEXT

    class CausalSelfAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.qkv = nn.Linear(width, 3 * width)
            self.proj = nn.Linear(width, width)
            future = lib.ones(context, context, dtype=lib.bool).triu(1)
            self.register_buffer("future", future, persistent=False)

        def forward(self, x: Any) -> Any:
            batch, steps, channels = x.shape
            q, k, v = self.qkv(x).split(width, dim=2)
            shape = (batch, steps, heads, channels // heads)
            q, k, v = (t.reshape(shape).transpose(1, 2) for t in (q, k, v))
            if fused_attention:
                y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                return self.proj(y.transpose(1, 2).reshape(batch, steps, channels))
            scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(channels // heads))
            scores = scores.masked_fill(self.future[:steps, :steps], float("-inf"))
            y = F.softmax(scores, dim=-1) @ v
            return self.proj(y.transpose(1, 2).reshape(batch, steps, channels))

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln_1 = nn.LayerNorm(width)
            self.attn = CausalSelfAttention()
            self.ln_2 = nn.LayerNorm(width)
            self.mlp = nn.Sequential(
                nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width)
            )

        def forward(self, x: Any) -> Any:
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.token_embedding = nn.Embedding(GPT_VOCAB, width)
            self.position_embedding = nn.Embedding(context, width)
            self.blocks = nn.Sequential(*[Block() for _ in range(GPT_LAYERS)])
            self.ln_f = nn.LayerNorm(width)
            self.head = nn.Linear(width, GPT_VOCAB)
            self.register_buffer("positions", lib.arange(context), persistent=False)

        def forward(self, tokens: Any) -> Any:
            steps = tokens.shape[1]
            x = self.token_embedding(tokens) + self.position_embedding(self.positions[:steps])
            return self.head(self.ln_f(self.blocks(x)))

    return GPT()


def _tokens(vocab: int, steps: int, time_axis: int) -> Callable[..., Any]:
    """Inputs and next-token targets, ``steps`` long along ``time_axis``."""

    def draw(rng: np.random.Generator, size: int) -> tuple[np.ndarray, ...]:
        shape = [size, size]
        shape[time_axis] = steps + 1
        tokens = rng.integers(0, vocab, shape).astype(np.int64)
        inputs = np.take(tokens, np.arange(steps), axis=time_axis)
        return inputs, np.take(tokens, np.arange(1, steps + 1), axis=time_axis)

    return draw


def _next_token_loss(lib: Any, model: Any, tokens: Any, targets: Any) -> Any:
    logits = model(tokens)
    return lib.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
    )


# --- an LSTM language model -----------------------------------------------------------------
LSTM_VOCAB, LSTM_WIDTH, LSTM_STEPS, LSTM_BATCH = 10000, 256, 35, 20


def build_lstm(lib: Any) -> Any:
    """The small PTB word model: embedding 10000x256, a 2-layer LSTM of 256, a linear
    decoder to 10000 words (inputs ``(steps, batch)``; no dropout, so runs are comparable)."""
    nn = lib.nn

    class LSTMLanguageModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(LSTM_VOCAB, LSTM_WIDTH)
            self.lstm = nn.LSTM(LSTM_WIDTH, LSTM_WIDTH, num_layers=2)
            self.decoder = nn.Linear(LSTM_WIDTH, LSTM_VOCAB)

        def forward(self, tokens: Any) -> Any:
            output, _ = self.lstm(self.embedding(tokens))
            return self.decoder(output)

    return LSTMLanguageModel()


# --- a VAE ----------------------------------------------------------------------------------
VAE_BATCH, VAE_LATENT = 128, 20


def build_vae(lib: Any) -> Any:
    """PyTorch's example VAE: 784 -> 400 -> (mu, logvar) of 20 -> 400 -> 784 (sigmoid)."""
    nn = lib.nn

    class VAE(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(784, 400)
            self.fc21 = nn.Linear(400, VAE_LATENT)
            self.fc22 = nn.Linear(400, VAE_LATENT)
            self.fc3 = nn.Linear(VAE_LATENT, 400)
            self.fc4 = nn.Linear(400, 784)

        def forward(self, x: Any, noise: Any) -> tuple[Any, Any, Any]:
            hidden = self.fc1(x).relu()
            mu, logvar = self.fc21(hidden), self.fc22(hidden)
            z = mu + noise * (0.5 * logvar).exp()  # the noise is drawn once, as data
            return self.fc4(self.fc3(z).relu()).sigmoid(), mu, logvar

    return VAE()


def _vae_batch(rng: np.random.Generator, size: int) -> tuple[np.ndarray, ...]:
    images = rng.random((size, 784), dtype=np.float32)
    return images, rng.standard_normal((size, VAE_LATENT)).astype(np.float32)


def _vae_loss(lib: Any, model: Any, images: Any, noise: Any) -> Any:
    reconstruction, mu, logvar = model(images, noise)
    bce = lib.nn.functional.binary_cross_entropy(reconstruction, images, reduction="sum")
    kld = -0.5 * (1 + logvar - mu * mu - logvar.exp()).sum()
    return bce + kld


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "digits",
        "digits CNN (plugtorch train digits), 8x8, batch 32, Adam",
        build_digits,
        lambda lib, params: lib.optim.Adam(params, lr=1e-2),
        32,
        _images((1, 8, 8)),
        _classify,
    ),
    ModelSpec(
        "lenet",
        "LeNet-5, 28x28, batch 64, SGD momentum",
        build_lenet,
        _sgd,
        64,
        _images((1, 28, 28)),
        _classify,
    ),
    ModelSpec(
        "mlp",
        "MLP 784-512-256-10, batch 128, SGD momentum",
        build_mlp,
        _sgd,
        128,
        _images((784,)),
        _classify,
    ),
    ModelSpec(
        "gpt",
        "GPT decoder: 4 layers, 4 heads, width 128, context 64, batch 16, AdamW",
        build_gpt,
        lambda lib, params: lib.optim.AdamW(params, lr=3e-4, weight_decay=0.1),
        GPT_BATCH,
        _tokens(GPT_VOCAB, GPT_CONTEXT, time_axis=1),
        _next_token_loss,
    ),
    ModelSpec(
        "gpt_sdpa",
        "the GPT decoder with F.scaled_dot_product_attention(is_causal=True) (nanoGPT's path)",
        lambda lib: build_gpt(lib, fused_attention=True),
        lambda lib, params: lib.optim.AdamW(params, lr=3e-4, weight_decay=0.1),
        GPT_BATCH,
        _tokens(GPT_VOCAB, GPT_CONTEXT, time_axis=1),
        _next_token_loss,
    ),
    ModelSpec(
        "lstm",
        "LSTM LM: 2x256, vocab 10000, sequence 35, batch 20, SGD, clip 0.25",
        build_lstm,
        lambda lib, params: lib.optim.SGD(params, lr=1.0),
        LSTM_BATCH,
        _tokens(LSTM_VOCAB, LSTM_STEPS, time_axis=0),
        _next_token_loss,
        clip_grad_norm=0.25,
        needs="LSTM",
    ),
    ModelSpec(
        "vae",
        "VAE 784-400-20, batch 128, Adam",
        build_vae,
        lambda lib, params: lib.optim.Adam(params, lr=1e-3),
        VAE_BATCH,
        _vae_batch,
        _vae_loss,
    ),
)
