"""Putting a store on Gett: register, poll, activate, cancel (REFERENCE §8).

Every call to Gett happens in a task or a person's explicit action, never inside the request
that starts an onboarding. The record is the source of truth (polling survives worker restarts);
a poll or an activation first claims the row with a conditional update, so two workers (or two
clicks) never call Gett twice for the same step.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from gett.client import GettClient
from onboarding.models import Onboarding
from stores.models import Store

logger = logging.getLogger(__name__)

Status = Onboarding.Status


def onboarding_start(
    *, store: Store, user: AbstractBaseUser | None, auto_activate: bool = False
) -> Onboarding:
    """Start putting `store` on Gett: write the record and schedule registration on commit.

    Refuses (InvalidStateError) a store already on Gett or with an onboarding under way, and
    (PortalError) a store without a valid published menu.
    """
    raise NotImplementedError


def onboarding_register(*, onboarding: Onboarding, client: GettClient | None = None) -> Onboarding:
    """Send the registration to Gett (the task's work). Safe to run twice: claims the row.

    Success records Gett's onboardingId and status and schedules the first poll. A retryable
    failure (network, 5xx, 429) is recorded, the next attempt is set 1, 2, 4 … s later (capped
    like the outbox, or Gett's retryAfter), and the GettError is raised for the task to retry.
    A non-retryable one marks the onboarding `failed` with Gett's words in `last_error`.
    """
    raise NotImplementedError


def onboarding_poll(
    *, onboarding: Onboarding, client: GettClient | None = None, force: bool = False
) -> Onboarding:
    """Ask Gett for the onboarding's status if a poll is due (or `force`), and record it.

    Backoff after each change: 5 s, 10 s, 30 s, then every ONBOARDING_POLL_MAX_SECONDS. Stops
    on catalog_failed (until a re-check) and on ready_to_activate unless `auto_activate`, which
    activates instead. `active` calls `onboarding_went_live`. Failures to reach Gett are
    recorded in `last_error` and retried with backoff; they never raise.
    """
    raise NotImplementedError


def onboarding_activate(
    *,
    onboarding: Onboarding,
    user: AbstractBaseUser | None = None,
    client: GettClient | None = None,
) -> Onboarding:
    """Go live. Only from ready_to_activate (else InvalidStateError); two clicks call Gett once
    (the second gets InvalidStateError while the first is under way, or the live record after).
    A failure to reach Gett raises PortalError and leaves it ready to try again."""
    raise NotImplementedError


def onboarding_went_live(*, onboarding: Onboarding, gett_store_id: str) -> Onboarding:
    """Gett says `active`: save its storeId on the store, release the store's held outbox
    messages (in order), mark the onboarding active."""
    raise NotImplementedError


def onboarding_recheck(
    *, onboarding: Onboarding, user: AbstractBaseUser | None = None
) -> Onboarding:
    """After catalog_failed, once the merchant fixed the menu: publish it (or re-notify Gett of
    the current version) and poll again. PortalError if the menu still has problems."""
    raise NotImplementedError


def onboarding_cancel(
    *,
    onboarding: Onboarding,
    user: AbstractBaseUser | None = None,
    client: GettClient | None = None,
) -> Onboarding:
    """Cancel before `active` (InvalidStateError after); cancels at Gett too if registered.
    PortalError if Gett cannot be reached (nothing changes, try again)."""
    raise NotImplementedError


def onboarding_start_over(
    *,
    onboarding: Onboarding,
    user: AbstractBaseUser | None,
    auto_activate: bool | None = None,
    client: GettClient | None = None,
) -> Onboarding:
    """Cancel this onboarding (if still open) and start a new one for the same store.
    `auto_activate` None keeps the old choice. Returns the new onboarding."""
    raise NotImplementedError


def onboardings_poll_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Beat: register or poll every due open onboarding no live worker holds. Returns how many."""
    raise NotImplementedError


def onboarding_current(*, store: Store) -> Onboarding | None:
    """The store's open onboarding, else its latest one (None if it never had one)."""
    raise NotImplementedError
