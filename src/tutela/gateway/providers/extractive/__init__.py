"""The built-in extractive model: fills Tutela's structured outputs from the source text only."""

from tutela.gateway.providers.extractive.engine import fill
from tutela.gateway.providers.extractive.provider import ExtractiveOptions, ExtractiveProvider

__all__ = ["ExtractiveOptions", "ExtractiveProvider", "fill"]
