"""Webhook settings: production refuses private addresses and plain http unless told."""

from __future__ import annotations

import pytest

from api.settings import SettingsError, load_settings
from domain.webhooks.addresses import AddressRules

KEY = {"GROUPCOVER_SECRET_KEY": "k" * 40}


@pytest.mark.parametrize(
    ("environ", "rules"),
    [
        ({"GROUPCOVER_ENV": "production"}, AddressRules(https_only=True, allow_private=False)),
        ({"GROUPCOVER_ENV": "development"}, AddressRules(https_only=False, allow_private=True)),
        (
            {"GROUPCOVER_ENV": "development", "GROUPCOVER_WEBHOOKS_ALLOW_PRIVATE": "false"},
            AddressRules(https_only=False, allow_private=False),
        ),
        (
            {"GROUPCOVER_ENV": "production", "GROUPCOVER_WEBHOOKS_ALLOW_PRIVATE": "true"},
            AddressRules(https_only=True, allow_private=True),
        ),
    ],
)
def test_where_webhooks_may_go_follows_the_mode_and_the_setting(
    environ: dict[str, str], rules: AddressRules
) -> None:
    assert load_settings({**KEY, **environ}).webhooks.rules == rules


def test_timeouts_attempts_and_backoff_are_read_and_bounded() -> None:
    settings = load_settings(
        {
            **KEY,
            "GROUPCOVER_WEBHOOKS_TIMEOUT_SECONDS": "3",
            "GROUPCOVER_WEBHOOKS_MAX_ATTEMPTS": "5",
            "GROUPCOVER_WEBHOOKS_BACKOFF_MS": "500",
        }
    ).webhooks
    assert (settings.timeout_seconds, settings.retry.max_attempts) == (3, 5)
    assert settings.retry.backoff_seconds == 0.5
    with pytest.raises(SettingsError, match="GROUPCOVER_WEBHOOKS_TIMEOUT_SECONDS"):
        load_settings({**KEY, "GROUPCOVER_WEBHOOKS_TIMEOUT_SECONDS": "600"})
