"""OAuth2 token requests per provider, sent to a real token endpoint on loopback.

Each preset is checked on what reaches the endpoint (path, grant, scope,
client authentication, the signed assertion), and the cache on when it asks
again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from config.schema import OAuthSettings
from mailconn.oauth import TokenError, TokenSource
from mailconn.oauth_presets import (
    GOOGLE_SCOPE,
    JWT_BEARER,
    MICROSOFT_SCOPE,
    TokenSetupError,
    microsoft_token_url,
    token_request,
)
from tests.servers.tokens import TokenService

USER = "klachten@libmutov.be"


@pytest.fixture
def tokens() -> Iterator[TokenService]:
    with TokenService(USER) as service:
        yield service


def microsoft(service: TokenService, **changes: str) -> OAuthSettings:
    values = {
        "provider": "microsoft",
        "tenant": "libmutov.onmicrosoft.com",
        "client_id": service.client_id,
        "client_secret": service.client_secret,
        # The public cloud's URL is the default; national clouds set their own.
        "token_url": f"{service.url}/libmutov.onmicrosoft.com/oauth2/v2.0/token",
    }
    return OAuthSettings(**{**values, **changes})


def test_microsoft_preset_asks_for_exchange_with_client_credentials(tokens):
    source = TokenSource(microsoft(tokens))

    token = source.token()

    (call,) = tokens.calls
    assert call.path == "/libmutov.onmicrosoft.com/oauth2/v2.0/token"
    assert call.form["grant_type"] == "client_credentials"
    assert (
        call.form["scope"]
        == MICROSOFT_SCOPE
        == ("https://outlook.office365.com/.default")
    )
    # Microsoft documents the secret in the form body (client_secret_post).
    assert call.form["client_id"] == tokens.client_id
    assert call.form["client_secret"] == tokens.client_secret
    assert call.basic is None
    assert tokens.valid(USER, token)


def test_microsoft_endpoint_is_the_tenants_v2_endpoint():
    request = token_request(
        OAuthSettings(tenant="8f6c-41d2", client_id="a", client_secret="s3cr3t-v4lue")
    )
    assert (
        request.url
        == microsoft_token_url("8f6c-41d2")
        == ("https://login.microsoftonline.com/8f6c-41d2/oauth2/v2.0/token")
    )
    assert "s3cr3t-v4lue" not in repr(request)  # the secret is kept out of reprs


def test_generic_preset_sends_its_scope_with_http_basic(tokens):
    oauth = OAuthSettings(
        provider="generic",
        token_url=f"{tokens.url}/realms/mail/protocol/openid-connect/token",
        client_id=tokens.client_id,
        client_secret=tokens.client_secret,
        scope="imap smtp",
    )
    TokenSource(oauth).token()

    (call,) = tokens.calls
    assert call.path == "/realms/mail/protocol/openid-connect/token"
    assert call.form == {"grant_type": "client_credentials", "scope": "imap smtp"}
    assert call.basic == (tokens.client_id, tokens.client_secret)


def _service_account(tmp_path: Path, token_uri: str) -> tuple[Path, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        .decode()
    )
    path = tmp_path / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "libmutov-klachten",
                "private_key_id": "3f1d0c",
                "private_key": private,
                "client_email": "klachten@libmutov-klachten.iam.gserviceaccount.com",
                "client_id": "1045",
                "token_uri": token_uri,
            }
        )
    )
    return path, public


def test_google_preset_signs_a_jwt_for_the_mailbox(tokens, tmp_path):
    path, public = _service_account(tmp_path, f"{tokens.url}/token")
    tokens.public_key = public
    oauth = OAuthSettings(
        provider="google", service_account_file=str(path), subject=USER
    )

    token = TokenSource(oauth).token()

    (call,) = tokens.calls
    assert call.path == "/token"
    assert call.form["grant_type"] == JWT_BEARER
    assert set(call.form) == {"grant_type", "assertion"}, "no client secret or id"
    assert call.basic is None
    assert call.claims is not None, "the assertion did not verify"
    assert call.claims["iss"] == "klachten@libmutov-klachten.iam.gserviceaccount.com"
    assert call.claims["sub"] == USER  # domain-wide delegation: act as the mailbox
    assert call.claims["scope"] == GOOGLE_SCOPE == "https://mail.google.com/"
    assert call.claims["aud"] == f"{tokens.url}/token"
    assert tokens.valid(USER, token)


def test_google_without_a_readable_key_file_says_which(tmp_path):
    missing = tmp_path / "none.json"
    oauth = OAuthSettings(
        provider="google", service_account_file=str(missing), subject=USER
    )
    with pytest.raises(TokenSetupError, match=r"service account file .*none\.json"):
        TokenSource(oauth).token()


def test_tokens_are_cached_and_renewed_before_they_expire(tokens):
    now = [1000.0]
    source = TokenSource(microsoft(tokens), clock=lambda: now[0])

    first = source.token()
    now[0] += 3600 - 301  # five minutes before expiry: still the same
    assert source.token() == first
    now[0] += 2
    second = source.token()

    assert second != first
    assert len(tokens.calls) == 2


def test_a_short_lived_token_is_renewed_at_half_its_life(tokens):
    tokens.lifetime = 60
    now = [0.0]
    source = TokenSource(microsoft(tokens), clock=lambda: now[0])
    first = source.token()
    now[0] = 29
    assert source.token() == first
    now[0] = 31
    assert source.token() != first


def test_a_wrong_secret_is_one_line_naming_the_token_endpoint(tokens):
    oauth = microsoft(tokens, client_secret="an-old-secret-value")
    with pytest.raises(TokenError) as caught:
        TokenSource(oauth).token()
    text = str(caught.value)
    assert text.startswith("token endpoint: refused (invalid_client: AADSTS7000215")
    assert "\n" not in text
    assert "an-old-secret-value" not in text


def test_a_scope_the_endpoint_does_not_know_names_the_scope(tokens):
    tokens.allowed_scopes = {MICROSOFT_SCOPE}
    with pytest.raises(TokenError, match=r"^scope: refused \(invalid_scope"):
        TokenSource(
            microsoft(tokens, scope="https://graph.microsoft.com/.default")
        ).token()


def test_an_endpoint_that_is_not_there_is_one_line(tokens):
    url = f"{tokens.url}/token"
    tokens.stop()
    with pytest.raises(TokenError, match=r"^token endpoint: .* unreachable"):
        TokenSource(microsoft(tokens, token_url=url), timeout=3).token()


def test_an_endpoint_that_answers_an_error_page_is_one_line(tokens):
    # A proxy's or a broken endpoint's HTML error page, not OAuth JSON.
    oauth = microsoft(tokens, token_url=f"{tokens.url}/broken")
    tokens.broken_paths.add("/broken")
    with pytest.raises(
        TokenError, match=r"^token endpoint: .*/broken answered HTTP 502$"
    ):
        TokenSource(oauth).token()
