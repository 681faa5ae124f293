"""What model calls cost, and the model limits that shape the prompts.

Prices are Anthropic's published list prices in USD per million tokens (https://www.anthropic.com/pricing
and https://docs.anthropic.com/en/docs/about-claude/pricing, as of late 2025). Prompt caching is billed
relative to the input price: a 5-minute cache write at 1.25x, a cache read at 0.1x. Models are matched
by family (and generation where prices differ), so a newer model of a family is priced like the latest
one listed here; an unknown model is priced like Sonnet and the report says so through the usage only.
"""

from __future__ import annotations

from dataclasses import dataclass

CACHE_WRITE_FACTOR = 1.25
CACHE_READ_FACTOR = 0.1
DEFAULT_CONTEXT_WINDOW = 200_000


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelInfo:
    input_per_mtok: float
    output_per_mtok: float
    min_cacheable_tokens: int
    context_window: int = DEFAULT_CONTEXT_WINDOW


# First match wins: the older, dearer generations before the family default.
_TABLE: tuple[tuple[tuple[str, ...], ModelInfo], ...] = (
    (
        ("claude-opus-4-0", "claude-opus-4-1", "claude-opus-4-2025", "claude-3-opus"),
        ModelInfo(input_per_mtok=15.0, output_per_mtok=75.0, min_cacheable_tokens=1024),
    ),
    (("opus",), ModelInfo(input_per_mtok=5.0, output_per_mtok=25.0, min_cacheable_tokens=4096)),
    (("sonnet",), ModelInfo(input_per_mtok=3.0, output_per_mtok=15.0, min_cacheable_tokens=1024)),
    (("claude-3-haiku",), ModelInfo(input_per_mtok=0.25, output_per_mtok=1.25, min_cacheable_tokens=2048)),
    (("claude-3-5-haiku",), ModelInfo(input_per_mtok=0.8, output_per_mtok=4.0, min_cacheable_tokens=2048)),
    (("haiku",), ModelInfo(input_per_mtok=1.0, output_per_mtok=5.0, min_cacheable_tokens=4096)),
)
_DEFAULT = ModelInfo(input_per_mtok=3.0, output_per_mtok=15.0, min_cacheable_tokens=1024)


def model_info(model: str) -> ModelInfo:
    name = model.lower()
    for needles, info in _TABLE:
        if any(needle in name for needle in needles):
            return info
    return _DEFAULT


def cost_usd(model: str, *, input_tokens: int, output_tokens: int, cache_read: int, cache_write: int) -> float:
    info = model_info(model)
    billed_input = input_tokens + cache_write * CACHE_WRITE_FACTOR + cache_read * CACHE_READ_FACTOR
    return round((billed_input * info.input_per_mtok + output_tokens * info.output_per_mtok) / 1e6, 6)
