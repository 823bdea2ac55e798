"""The realm's URLs: Keycloak's layout (`/realms/sas/...`), which vendors configure against."""

REALM = "/realms/sas"
PROTOCOL = f"{REALM}/protocol/openid-connect"
LOGIN_PATH = f"{REALM}/login-actions/authenticate"
#: Where a login started on its own (the platform's front) lands: who is logged in.
ACCOUNT_PATH = f"{REALM}/account"
BROKER_CALLBACK = f"{REALM}/broker/psc/endpoint"
LOGOUT_PATH = f"{PROTOCOL}/logout"
