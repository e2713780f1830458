"""Choosing the next token: greedy, temperature, top-p, seeded per completion.

Reproducibility is per completion, not per batch: each completion (a prompt's
token ids and its sample index) gets its own seed, and from it one uniform
number per decoding step, drawn up front. A token is then chosen by inverse-CDF
sampling with that number. So a completion's tokens do not depend on which
other prompts share its batch, how batches are cut, or whether an interrupted
evaluation resumes with fewer prompts (up to float differences in the forward
pass between batch shapes). One uniform per step also costs ~nothing, where a
``torch.Generator`` per row per step would cost a Python call per row per step.

Top-p without sorting the vocabulary: the nucleus is searched inside the top
``TOPK_FAST`` tokens first (a partial selection, O(V)); only rows whose top
``TOPK_FAST`` mass is still below ``top_p`` fall back to a full sort. Both paths
keep exactly the tokens that transformers' ``TopPLogitsWarper`` keeps (the
smallest prefix of the sorted distribution whose mass reaches ``top_p``), so the
distribution is unchanged. The draw then walks the kept tokens in id order (see
``_sample_in_id_order``), which keeps samples stable under float noise.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

import torch

# Trained models at temperature 0.7 put >= 95 % of the mass in far fewer than
# 256 tokens on almost every step; a random model needs the full sort.
TOPK_FAST = 256


def completion_seed(seed: int | None, prompt_ids: Sequence[int], sample: int) -> int:
    """A 63-bit seed for one completion, from the call seed, the prompt's ids and the sample index.

    ``seed=None`` draws fresh randomness from the OS. The same prompt given twice
    in one call gets the same completions (as with vLLM's per-request seed).
    """
    if seed is None:
        return random.SystemRandom().getrandbits(63)
    digest = hashlib.sha256(f"{seed}|{sample}|{','.join(map(str, prompt_ids))}".encode())
    return int.from_bytes(digest.digest()[:8], "little") >> 1


def step_uniforms(seeds: Sequence[int], steps: int, device: torch.device) -> torch.Tensor:
    """``(len(seeds), steps)`` uniforms in [0, 1): row r is a fixed stream of ``seeds[r]``."""
    out = torch.empty(len(seeds), steps, dtype=torch.float32)
    gen = torch.Generator()
    for row, seed in enumerate(seeds):
        gen.manual_seed(seed)
        out[row] = torch.rand(steps, generator=gen)
    return out.to(device)


def _inverse_cdf(weights: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Index drawn from each row of non-negative ``weights`` (B, K) with uniforms ``u`` (B,)."""
    cdf = weights.cumsum(dim=-1)  # (B, K)
    target = (u * cdf[:, -1]).unsqueeze(-1)  # (B, 1)
    # right=True: the first index whose cdf exceeds the target, so a zero-weight
    # token (an empty cdf step) can never be chosen.
    idx = torch.searchsorted(cdf, target, right=True).squeeze(-1)  # (B,)
    # u * total can round up to total itself in float32; fall back to the last kept token.
    last_kept = (weights > 0).int().cumsum(-1).argmax(-1)
    return torch.where(idx < weights.shape[-1], idx, last_kept)


def _nucleus_weights(sorted_probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """Zero the tokens outside the nucleus of probabilities sorted in descending order (B, K)."""
    mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs  # (B, K)
    # Keep a token while the mass strictly before it is below top_p; the first
    # token always stays (mass_before == 0 < top_p since top_p > 0).
    return sorted_probs.masked_fill(mass_before >= top_p, 0.0)


def _sample_in_id_order(weights: torch.Tensor, ids: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Draw from ``weights`` (B, K) over token ``ids`` (B, K), walking the CDF in token-id order.

    Id order, not probability order: float noise (another batch shape, shared-prefix
    attention) can swap two nearly tied probabilities in a sort, which would move
    every later CDF interval; in id order an interval only moves by that noise.
    """
    ordered_ids, order = ids.sort(dim=-1)  # (B, K)
    choice = _inverse_cdf(weights.gather(-1, order), u)  # (B,)
    return ordered_ids.gather(-1, choice.unsqueeze(-1)).squeeze(-1)


def select_tokens(
    logits: torch.Tensor, temperature: float, top_p: float, u: torch.Tensor
) -> torch.Tensor:
    """Next token ids (B,) from last-position ``logits`` (B, V) and per-row uniforms ``u`` (B,).

    ``temperature == 0`` is greedy (argmax; ties go to the lowest id, as in
    ``model.generate``). Otherwise softmax(logits / temperature), then top-p.
    """
    if temperature == 0:
        return logits.argmax(dim=-1)
    probs = torch.softmax(logits.float() / temperature, dim=-1)  # (B, V)
    if top_p >= 1.0:
        return _inverse_cdf(probs, u)
    k = min(TOPK_FAST, probs.shape[-1])
    top_probs, top_idx = probs.topk(k, dim=-1)  # (B, k), sorted descending
    covered = top_probs.sum(dim=-1) >= top_p  # (B,): the nucleus lies inside the top k
    if bool(covered.all()):
        return _sample_in_id_order(_nucleus_weights(top_probs, top_p), top_idx, u)
    tokens = torch.empty(probs.shape[0], dtype=torch.long, device=probs.device)
    if bool(covered.any()):
        weights = _nucleus_weights(top_probs[covered], top_p)
        tokens[covered] = _sample_in_id_order(weights, top_idx[covered], u[covered])
    wide = ~covered
    sorted_probs, sorted_idx = probs[wide].sort(dim=-1, descending=True)  # (b, V)
    # Back to vocabulary order (a scatter, cheaper than sorting the ids again).
    weights = torch.zeros_like(sorted_probs).scatter_(
        -1, sorted_idx, _nucleus_weights(sorted_probs, top_p)
    )
    tokens[wide] = _inverse_cdf(weights, u[wide])
    return tokens
