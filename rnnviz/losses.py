"""An exact linear layer + cross-entropy that never holds the (N, V) logits: for a language model's large vocabulary.

``F.cross_entropy(F.linear(h, W, b), y)`` keeps the (N, V) logits and their softmax for the backward pass and
then runs three matmuls over them. With the Tang poems' thousands of characters that output layer costs more than
the recurrence. ``linear_cross_entropy`` computes the same mean loss ``chunk`` rows at a time and, while each
chunk's logits are at hand, their gradients for h, W and b (softmax minus one-hot, times W or h); the backward pass
only scales them by the incoming gradient. Same numbers up to float rounding, a fraction of the memory traffic.
"""

from __future__ import annotations

import torch

CHUNK = 280  # rows of logits at a time, in one (280, V) buffer: 140-560 measured alike, 280 a little ahead at V=2489


class LinearCrossEntropy(torch.autograd.Function):
    """Mean cross-entropy of (hidden @ weight.T + bias) against target; gradients computed in the forward pass."""

    @staticmethod
    def forward(ctx, hidden, weight, bias, target, chunk, grads):  # (N, H), (V, H), (V,) or None, (N,)
        n = hidden.shape[0]
        g_hidden = torch.empty_like(hidden) if grads else None
        g_weight = torch.zeros_like(weight) if grads else None
        g_bias = torch.zeros_like(bias) if grads and bias is not None else None
        total = hidden.new_zeros(())
        # One buffer for every chunk's logits, worked on in place: a fresh (chunk, V) tensor per step costs more
        # than the arithmetic on it (measured: 0.8 ms of a 5 ms loss at V=1662).
        buffer = hidden.new_empty(min(chunk, max(n, 1)), weight.shape[0])
        for start in range(0, n, chunk):
            h, y = hidden[start:start + chunk], target[start:start + chunk]
            z = buffer[:len(y)]  # (c, V) logits
            torch.addmm(bias, h, weight.t(), out=z) if bias is not None else torch.mm(h, weight.t(), out=z)
            top = z.amax(dim=1, keepdim=True)  # (c, 1)
            picked = z.gather(1, y[:, None])  # (c, 1) the targets' logits
            z.sub_(top).exp_()
            sums = z.sum(dim=1, keepdim=True)
            total += (top + sums.log() - picked).sum()  # log-sum-exp minus the target's logit
            if not grads:
                continue
            z.div_(sums)  # softmax
            z[torch.arange(len(y)), y] -= 1  # d(sum of losses)/dz = softmax - one_hot
            torch.mm(z, weight, out=g_hidden[start:start + chunk])
            g_weight.addmm_(z.t(), h)
            if g_bias is not None:
                g_bias += z.sum(0)
        ctx.n = max(n, 1)
        ctx.save_for_backward(*(g for g in (g_hidden, g_weight, g_bias) if g is not None))
        ctx.has_bias = g_bias is not None
        return total / ctx.n

    @staticmethod
    def backward(ctx, grad):
        saved = ctx.saved_tensors
        scale = grad / ctx.n
        g_hidden, g_weight = saved[0] * scale, saved[1] * scale
        g_bias = saved[2] * scale if ctx.has_bias else None
        return g_hidden, g_weight, g_bias, None, None, None


def linear_cross_entropy(hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                         target: torch.Tensor, chunk: int = CHUNK) -> torch.Tensor:
    """Returns F.cross_entropy(F.linear(hidden, weight, bias), target) (mean), without the (N, V) logits.

    hidden (N, H), weight (V, H), bias (V,) or None, target (N,) int64. Under torch.no_grad (or when nothing
    needs a gradient) only the loss is computed.
    """
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    # Inside forward grad mode is off and ctx.needs_input_grad ignores torch.no_grad: decide here.
    grads = torch.is_grad_enabled() and any(x is not None and x.requires_grad for x in (hidden, weight, bias))
    return LinearCrossEntropy.apply(hidden, weight, bias, target, chunk, grads)
