"""`S3Store`: blobs in an S3-compatible bucket (AWS, MinIO, Garage, moto...)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from obstore.exceptions import BaseError
from obstore.store import S3Store as ObS3Store

from tutela.storage.blobs.keys import validate_prefix
from tutela.storage.blobs.obstore_backend import ObstoreBlobStore, first_line
from tutela.storage.exceptions import InvalidStoreUrl

if TYPE_CHECKING:
    from obstore.store import ClientConfig, RetryConfig, S3Config


class S3Store(ObstoreBlobStore):
    """Blobs in `bucket` under an optional key `prefix`.

    Credentials default to the standard AWS environment variables (AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION...); explicit arguments win.
    """

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        allow_http: bool = False,
        max_retries: int = 3,
        timeout: timedelta = timedelta(seconds=30),
    ) -> None:
        if not bucket:
            raise InvalidStoreUrl("S3 bucket name must not be empty")
        if endpoint is not None and endpoint.startswith("http://") and not allow_http:
            raise InvalidStoreUrl(f"S3 endpoint {endpoint} is plain HTTP; pass allow_http=True to permit it")
        self.bucket = bucket
        self.prefix = validate_prefix(prefix)
        self.endpoint = endpoint
        self.region = region or None
        config: S3Config = {}
        if endpoint is not None:
            config["endpoint"] = endpoint
        if region:
            config["region"] = region
        if access_key_id is not None:
            config["access_key_id"] = access_key_id
        if secret_access_key is not None:
            config["secret_access_key"] = secret_access_key
        if session_token is not None:
            config["session_token"] = session_token
        client: ClientConfig = {"allow_http": allow_http, "timeout": timeout}
        # obstore's default (10 retries within 3 minutes) makes an outage look like a hang.
        retry: RetryConfig = {"max_retries": max_retries, "retry_timeout": timeout * (max_retries + 1)}
        try:
            store = ObS3Store(
                bucket,
                prefix=self.prefix or None,
                config=config,
                client_options=client,
                retry_config=retry,
            )
        except (BaseError, OSError, ValueError) as exc:
            raise InvalidStoreUrl(f"cannot configure S3 bucket {bucket!r}: {first_line(exc)}") from exc
        super().__init__(store)

    def describe(self) -> str:
        """Return a one-line description of the store (never includes credentials)."""
        location = f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"
        return f"{location} at {self.endpoint}" if self.endpoint else location
