"""`open_blob_store`: build a `BlobStore` from a configuration URL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from tutela.storage.blobs.local import LocalStore
from tutela.storage.blobs.s3 import S3Store
from tutela.storage.blobs.store import BlobStore
from tutela.storage.exceptions import InvalidStoreUrl

_S3_QUERY_KEYS = frozenset({"endpoint", "region", "allow_http"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def open_blob_store(
    url: str,
    *,
    endpoint: str | None = None,
    region: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    session_token: str | None = None,
    allow_http: bool | None = None,
    max_retries: int = 3,
    timeout: timedelta = timedelta(seconds=30),
    create: bool = True,
) -> BlobStore:
    """Open `file:///abs/path`, a plain path, or `s3://bucket/prefix?endpoint=..&region=..`.

    Keyword arguments override URL query values. Credentials are never read from the URL
    (it ends up in logs); pass them explicitly or use the standard AWS environment variables.
    `allow_http` defaults to True exactly when the endpoint is an `http://` URL.
    """
    if not url or not url.strip():
        raise InvalidStoreUrl("blob store URL is empty")
    scheme = urlsplit(url).scheme.lower()
    if scheme == "file":
        return LocalStore(_file_url_path(url), create=create)
    if scheme in {"s3", "s3a"}:
        bucket, prefix, query = _parse_s3_url(url)
        chosen_endpoint = endpoint if endpoint is not None else query.get("endpoint")
        if allow_http is None:
            flag = query.get("allow_http")
            allow_http = (
                _parse_bool(url, flag)
                if flag is not None
                else bool(chosen_endpoint and chosen_endpoint.startswith("http://"))
            )
        return S3Store(
            bucket,
            prefix=prefix,
            endpoint=chosen_endpoint,
            region=region if region is not None else query.get("region"),
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            session_token=session_token,
            allow_http=allow_http,
            max_retries=max_retries,
            timeout=timeout,
        )
    # A Windows drive letter would parse as a one-letter scheme; Tutela targets POSIX only.
    if scheme and "://" in url:
        raise InvalidStoreUrl(
            f"unsupported blob store URL scheme {scheme!r} in {url!r} (use file:// or s3://)"
        )
    return LocalStore(Path(url), create=create)


def _file_url_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.netloc not in {"", "localhost"}:
        raise InvalidStoreUrl(f"file URL {url!r} names host {parts.netloc!r}; use file:///absolute/path")
    if parts.query or parts.fragment:
        raise InvalidStoreUrl(f"file URL {url!r} must not have a query or fragment")
    path = unquote(parts.path)
    if not path.startswith("/"):
        raise InvalidStoreUrl(f"file URL {url!r} must hold an absolute path (file:///abs/path)")
    return Path(path)


def _parse_s3_url(url: str) -> tuple[str, str, dict[str, str]]:
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise InvalidStoreUrl("S3 URL must not embed credentials; pass them as arguments or AWS_* variables")
    bucket = parts.netloc
    if not bucket:
        raise InvalidStoreUrl(f"S3 URL {url!r} has no bucket (expected s3://bucket/prefix)")
    if parts.fragment:
        raise InvalidStoreUrl(f"S3 URL {url!r} must not have a fragment")
    query: dict[str, str] = {}
    for name, values in parse_qs(parts.query, keep_blank_values=True, strict_parsing=False).items():
        if name not in _S3_QUERY_KEYS:
            allowed = ", ".join(sorted(_S3_QUERY_KEYS))
            raise InvalidStoreUrl(f"S3 URL parameter {name!r} is not supported (allowed: {allowed})")
        if len(values) != 1:
            raise InvalidStoreUrl(f"S3 URL parameter {name!r} is given {len(values)} times")
        query[name] = values[0]
    return bucket, unquote(parts.path).strip("/"), query


def _parse_bool(url: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise InvalidStoreUrl(f"S3 URL {url!r}: allow_http must be true or false, got {value!r}")
