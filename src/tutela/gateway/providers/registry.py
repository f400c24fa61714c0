"""Provider classes by name; built-ins are registered exactly as third-party plugins are.

Every provider is registered as a lazy ``"module:Class"`` reference, the format of an
entry point's value, so built-ins and plugins (entry-point group ``tutela.gateway.providers``)
take the same path and a broken optional provider only fails when a deployment uses it.
"""

from __future__ import annotations

import importlib
import logging
from importlib.metadata import entry_points

from tutela.gateway.providers.base import DeploymentConfig, Provider, ProviderOptions
from tutela.gateway.wire.exceptions import ProviderConfigurationError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "tutela.gateway.providers"

BUILTIN_PROVIDERS: dict[str, str] = {
    "extractive": "tutela.gateway.providers.extractive:ExtractiveProvider",
    "openai": "tutela.gateway.providers.openai_compat:OpenAICompatProvider",
    "azure-openai": "tutela.gateway.providers.azure_openai:AzureOpenAIProvider",
    "whisper": "tutela.gateway.providers.whisper:WhisperProvider",
}


class ProviderRegistry:
    """Maps provider names to classes, importing each on first use."""

    def __init__(self) -> None:
        self._entries: dict[str, str | type[Provider]] = {}

    def register(
        self, provider: type[Provider] | str, *, name: str | None = None, replace: bool = False
    ) -> None:
        """Register a class, or a lazy ``"module:Class"`` reference (then ``name`` is required)."""
        if isinstance(provider, str):
            if name is None:
                raise ValueError("a lazy provider reference needs an explicit name")
            key = name
        else:
            key = name or provider.name
        if key in self._entries and not replace:
            raise ValueError(f"provider {key!r} is already registered")
        self._entries[key] = provider

    def names(self) -> list[str]:
        """Registered provider names, sorted."""
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def get(self, name: str) -> type[Provider]:
        """Return the provider class, importing it now if it was registered lazily."""
        try:
            entry = self._entries[name]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise ProviderConfigurationError(f"unknown provider {name!r} (registered: {known})") from None
        if isinstance(entry, str):
            entry = _load(name, entry)
            self._entries[name] = entry
        return entry

    def create(self, name: str) -> Provider:
        """Instantiate a provider with its default constructor (call ``start`` before use)."""
        return self.get(name)()

    def parse_options(self, deployment: DeploymentConfig) -> ProviderOptions:
        """Validate a deployment against its provider's ``Options``; use at config load."""
        return self.get(deployment.provider).parse_options(deployment)

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Register every installed plugin of ``group`` lazily; names already taken are skipped."""
        added = []
        for ep in entry_points(group=group):
            if ep.name in self._entries:
                log.warning("provider plugin %r (%s) ignored: name already registered", ep.name, ep.value)
                continue
            self.register(ep.value, name=ep.name)
            added.append(ep.name)
        return added


def _load(name: str, reference: str) -> type[Provider]:
    module_name, _, attr = reference.partition(":")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ProviderConfigurationError(f"provider {name!r} could not be loaded from {reference!r}") from exc
    if not (isinstance(obj, type) and issubclass(obj, Provider)):
        raise ProviderConfigurationError(f"provider {name!r} at {reference!r} is not a Provider subclass")
    return obj


def default_registry(*, plugins: bool = True) -> ProviderRegistry:
    """A registry holding the built-ins and, if ``plugins``, every installed plugin."""
    registry = ProviderRegistry()
    for name, reference in BUILTIN_PROVIDERS.items():
        registry.register(reference, name=name)
    if plugins:
        registry.load_entry_points()
    return registry
