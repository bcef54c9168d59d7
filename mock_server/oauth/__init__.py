"""OAuth2 client credentials, as Sendcloud's account server issues them (RFC 6749 §4.4).

`models` holds the tokens (stored, so every worker agrees; expiring on the server clock);
`blueprint` serves ``POST /oauth2/token/``. The API guards accept the tokens as
``Authorization: Bearer`` wherever they accept HTTP Basic.
"""

from .models import SCOPE, IssuedToken, OAuthError, OAuthTokens

__all__ = ["SCOPE", "IssuedToken", "OAuthError", "OAuthTokens"]
