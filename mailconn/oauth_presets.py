"""What each provider's token request looks like: endpoint, grant, scope.

Microsoft 365 and a generic server use the client-credentials grant (RFC 6749
4.4) with the application's id and secret; Google uses a service account's
signed JWT as the grant (RFC 7523), naming the mailbox as its subject
(domain-wide delegation). The settings come from `[oauth]`; this module only
turns them into a `TokenRequest` and never sends anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from config.schema import OAuthSettings

CLIENT_CREDENTIALS = "client_credentials"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MICROSOFT_SCOPE = "https://outlook.office365.com/.default"
GOOGLE_SCOPE = "https://mail.google.com/"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"


class TokenSetupError(OSError):
    """A token cannot even be asked for (say, an unreadable key file).

    An OSError, so the daemon treats it like a server it cannot reach; str()
    is one line that names what failed and never a secret.
    """


@dataclass(frozen=True)
class TokenRequest:
    """One provider's client-credentials or JWT-bearer token request."""

    provider: str
    url: str
    grant: str
    scope: str
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    # client_secret_post (Microsoft's documented form) or client_secret_basic.
    client_auth: str = "client_secret_basic"
    # Google: the service account (client_email, private_key, private_key_id).
    issuer: str = ""
    subject: str = ""
    private_key: str = field(default="", repr=False)
    key_id: str = ""


def microsoft_token_url(tenant: str) -> str:
    """The v2.0 token endpoint of a tenant in Microsoft's public cloud."""
    tenant = quote(tenant, safe="")
    return f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"


def token_request(oauth: OAuthSettings) -> TokenRequest:
    """The request the configured provider needs (raises TokenSetupError)."""
    if oauth.provider == "microsoft":
        return TokenRequest(
            provider="microsoft",
            url=oauth.token_url or microsoft_token_url(oauth.tenant),
            grant=CLIENT_CREDENTIALS,
            scope=oauth.scope or MICROSOFT_SCOPE,
            client_id=oauth.client_id,
            client_secret=oauth.client_secret,
            client_auth="client_secret_post",
        )
    if oauth.provider == "google":
        account = _service_account(oauth.service_account_file)
        return TokenRequest(
            provider="google",
            url=oauth.token_url or account.get("token_uri") or GOOGLE_TOKEN_URL,
            grant=JWT_BEARER,
            scope=oauth.scope or GOOGLE_SCOPE,
            issuer=account["client_email"],
            subject=oauth.subject,
            private_key=account["private_key"],
            key_id=account.get("private_key_id", ""),
        )
    return TokenRequest(
        provider="generic",
        url=oauth.token_url,
        grant=CLIENT_CREDENTIALS,
        scope=oauth.scope,
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
    )


def _service_account(path: str) -> dict[str, str]:
    """The fields of a Google service account key file that we use."""
    where = f"service account file {path}"
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise TokenSetupError(f"{where}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError):
        raise TokenSetupError(f"{where} is not a JSON key file") from None
    if not isinstance(data, dict) or data.get("type") != "service_account":
        raise TokenSetupError(f"{where} is not a service account key")
    for key in ("client_email", "private_key"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise TokenSetupError(f"{where} has no {key}")
    return {k: v for k, v in data.items() if isinstance(v, str)}
