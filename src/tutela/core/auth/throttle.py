"""Throttling failed authentications: sign-in per account and per client address, credentials per address.

After `free` failures under a key, the key waits `first_delay`; each further failure doubles the wait, up to
`max_delay` (`TUTELA_AUTH__THROTTLE__*`). While a key waits, its requests get 429 with Retry-After
*before* any credential is checked, so waiting out the delay is the only way to guess again. Counters live
in the failure store of the jobs backend (`storage/throttle.py`), shared by every process that shares it.

Keys never depend on whether an organization or user exists, so a throttled answer says nothing about
existence. The store holds only an HMAC of each key (under a key derived from the service key), never an
email or an address in clear. A successful sign-in clears its account's counter (not its address's); an
admin can clear an account (`unlock`).

On every API key and token check the hot path costs one dictionary lookup
(`CredentialGuard.refuse_if_blocked`): only a failure reads and writes the shared store.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable

from tutela.clock import Clock
from tutela.config import ThrottleSettings
from tutela.errors import AuthenticationFailed, TooManyAttempts
from tutela.storage.throttle import FailureStore


def _key(*parts: str) -> str:
    return ":".join(parts)


def user_account(organization_slug: str, email: str) -> str:
    """The sign-in counter of an organization user, by what they typed (existing or not)."""
    return _key("signin", "user", organization_slug, email.strip().lower())


def staff_account(email: str) -> str:
    """The sign-in counter of a platform staff member."""
    return _key("signin", "staff", email.strip().lower())


def signin_address(address: str) -> str:
    """The sign-in counter of a client address."""
    return _key("signin", "address", address)


def credential_address(address: str) -> str:
    """The counter of wrong API keys and tokens presented from a client address."""
    return _key("credential", "address", address)


class Throttle:
    """Growing delays after too many failures, over a shared failure store."""

    def __init__(
        self, store: FailureStore, settings: ThrottleSettings, clock: Clock, *, secret: bytes
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self._secret = secret

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _stored(self, key: str) -> str:
        kind = key.split(":", 2)
        digest = hmac.new(self._secret, key.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        return f"{kind[0]}:{kind[1] if len(kind) > 1 else ''}:{digest}"

    def delay_after(self, failures: int, free: int) -> float:
        """How long a key waits after `failures` failures: nothing before the `free`-th, then doubling."""
        if failures < free:
            return 0.0
        delay = self.settings.first_delay_seconds * 2.0 ** min(failures - free, 40)
        return min(delay, self.settings.max_delay_seconds)

    def wait_left(self, key: str, free: int) -> float:
        """Seconds the key must still wait (0 when it may try)."""
        now = self._now()
        failures, last = self.store.read(
            self._stored(key), now=now, forget_after=self.settings.forget_after_seconds
        )
        return max(0.0, last + self.delay_after(failures, free) - now)

    def failed(self, key: str, free: int) -> float:
        """Count a failure; the seconds the key must now wait."""
        failures = self.store.add_failure(
            self._stored(key), now=self._now(), forget_after=self.settings.forget_after_seconds
        )
        return self.delay_after(failures, free)

    def clear(self, key: str) -> None:
        """Forget a key's failures."""
        self.store.clear(self._stored(key))

    def close(self) -> None:
        """Release the store."""
        self.store.close()


def refused(wait: float) -> TooManyAttempts:
    """The one answer to a throttled attempt."""
    seconds = max(1, int(wait + 0.999))
    return TooManyAttempts(
        f"too many failed attempts; try again in {seconds} second{'s' if seconds != 1 else ''}",
        retry_after=wait,
    )


class SignInThrottle:
    """Sign-in: one counter for the account and one for the client address."""

    def __init__(self, throttle: Throttle) -> None:
        self.throttle = throttle
        self.settings = throttle.settings

    def _counters(self, account: str, address: str) -> list[tuple[str, int]]:
        return [
            (account, self.settings.account_free_failures),
            (signin_address(address), self.settings.address_free_failures),
        ]

    def attempt(self, account: str, address: str, check: Callable[[], None]) -> None:
        """Run `check` (which raises AuthenticationFailed on wrong credentials) unless the account or address
        must wait."""
        counters = self._counters(account, address)
        wait = max(self.throttle.wait_left(key, free) for key, free in counters)
        if wait > 0:
            raise refused(wait)
        try:
            check()
        except AuthenticationFailed:  # wrong credentials count; a database outage does not
            for key, free in counters:
                self.throttle.failed(key, free)
            raise
        self.throttle.clear(account)


class CredentialGuard:
    """Wrong API keys and tokens per client address, with this process's view of who must wait."""

    def __init__(self, throttle: Throttle) -> None:
        self.throttle = throttle
        self.free = throttle.settings.credential_free_failures
        self._waiting: dict[str, float] = {}  # address → end of its wait, clock seconds
        self._lock = threading.Lock()

    def refuse_if_blocked(self, address: str) -> None:
        """Raise TooManyAttempts when this process knows the address must wait (one dictionary lookup)."""
        until = self._waiting.get(address)
        if until is not None:
            wait = until - self.throttle.clock.now().timestamp()
            if wait > 0:
                raise refused(wait)
            with self._lock:
                self._waiting.pop(address, None)

    def failed(self, address: str) -> None:
        """Count a wrong credential; raise TooManyAttempts when the address already had to wait (another
        process may have counted its failures); otherwise the caller reports the wrong credential."""
        key = credential_address(address)
        wait = self.throttle.wait_left(key, self.free)
        if wait <= 0:
            wait = self.throttle.failed(key, self.free)
            if wait > 0:
                self._remember(address, wait)
            return
        self._remember(address, wait)
        raise refused(wait)

    def _remember(self, address: str, wait: float) -> None:
        with self._lock:
            if len(self._waiting) > 100_000:
                self._waiting.clear()
            self._waiting[address] = self.throttle.clock.now().timestamp() + wait


class AuthThrottle:
    """Everything a process needs to throttle authentication, over one failure store."""

    def __init__(
        self, store: FailureStore, settings: ThrottleSettings, clock: Clock, *, secret: bytes
    ) -> None:
        self.counters = Throttle(store, settings, clock, secret=secret)
        self.sign_in = SignInThrottle(self.counters)
        self.credentials = CredentialGuard(self.counters)

    def unlock(self, account: str) -> None:
        """Let an account sign in again at once (an admin's decision)."""
        self.counters.clear(account)

    def close(self) -> None:
        """Release the store."""
        self.counters.close()
