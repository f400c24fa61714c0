"""Fixtures shared by the storage tests."""

try:
    from tests.storage.moto_server import MotoServer, moto_server
except ModuleNotFoundError:
    # The repo root is not on sys.path unless pytest is configured with pythonpath=["."];
    # pytest's default "prepend" import mode does put this folder there.
    from moto_server import MotoServer, moto_server  # type: ignore[no-redef,import-not-found]

__all__ = ["MotoServer", "moto_server"]
