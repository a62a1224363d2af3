"""ringsync's Salesforce client: the only code that talks to Salesforce."""

from ringsync.salesforce.auth import (
    AccessToken,
    Authenticator,
    ClientCredentialsAuth,
    JwtBearerAuth,
    OAuthRefreshAuth,
    PasswordAuth,
)
from ringsync.salesforce.authorize import build_authorize_url, exchange_code
from ringsync.salesforce.budget import ApiBudget, BudgetSnapshot
from ringsync.salesforce.client import SalesforceClient
from ringsync.salesforce.hosts import HostPolicy
from ringsync.salesforce.models import BulkIngestResult, BulkRowOutcome, RecordResult
from ringsync.salesforce.retry import RetryPolicy
from ringsync.salesforce.tokens import TokenCipher

__all__ = [
    "AccessToken",
    "ApiBudget",
    "Authenticator",
    "BudgetSnapshot",
    "BulkIngestResult",
    "BulkRowOutcome",
    "ClientCredentialsAuth",
    "HostPolicy",
    "JwtBearerAuth",
    "OAuthRefreshAuth",
    "PasswordAuth",
    "RecordResult",
    "RetryPolicy",
    "SalesforceClient",
    "TokenCipher",
    "build_authorize_url",
    "exchange_code",
]
