"""The built-in extractive model: fills Tutela's structured outputs from the source text only."""

from tutela.gateway.providers.extractive.engine import fill

__all__ = ["fill"]
