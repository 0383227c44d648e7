"""Authorization codes in the sandbox's token store: 10 minutes, single use, PKCE (S256)."""

from __future__ import annotations

import pytest

from zns_notify.account.oauth import code_challenge, new_code_verifier
from zns_notify.sandbox.codes import OAUTH_INVALID_CODE
from zns_notify.sandbox.defaults import AUTH_CODE_TTL
from zns_notify.sandbox.tokens import OAuthError, TokenStore


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store():
    clock = Clock()
    return clock, TokenStore(app_id="app", app_secret="secret", oa_id="oa", clock=clock)


def grant(store: TokenStore, code: str, verifier: str) -> dict:
    return store.grant(
        {
            "app_id": "app",
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
        },
        "secret",
    )


def test_code_lives_ten_minutes(store):
    clock, tokens = store
    verifier = new_code_verifier()
    code = tokens.issue_code(code_challenge(verifier))
    clock.now += AUTH_CODE_TTL
    assert AUTH_CODE_TTL == 600
    with pytest.raises(OAuthError) as err:
        grant(tokens, code, verifier)
    assert err.value.code == OAUTH_INVALID_CODE and "expired" in err.value.description


def test_code_just_inside_its_lifetime_works_once(store):
    clock, tokens = store
    verifier = new_code_verifier()
    code = tokens.issue_code(code_challenge(verifier))
    clock.now += AUTH_CODE_TTL - 1
    assert "access_token" in grant(tokens, code, verifier)
    with pytest.raises(OAuthError, match="used"):
        grant(tokens, code, verifier)


def test_the_apps_challenge_matches_the_sandboxs_check(store):
    _, tokens = store
    verifier = new_code_verifier()
    code = tokens.issue_code(code_challenge(verifier))
    with pytest.raises(OAuthError) as err:
        grant(tokens, code, new_code_verifier())
    assert err.value.name == "invalid_code_verifier"
