"""AWS Cost Explorer provider: boto3 session and errors, paged get_cost_and_usage, the request plan."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from decimal import Decimal

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    SSOTokenLoadError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)
from botocore.parsers import ResponseParserError

from costtui.config import AwsConfig
from costtui.model import FetchResult, ReplaceScope
from costtui.providers.aws.plan import (
    DISCOVERY,
    Answer,
    PlannedRequest,
    ReconcileError,
    RowContext,
    build_rows,
    category_requests,
    reconcile,
    tag_requests,
)
from costtui.providers.base import FetchContext, ProviderError, RefreshPolicy

DEFAULT_REGION = "us-east-1"  # Cost Explorer's only endpoint
DEFAULT_MAX_ATTEMPTS = 8  # per request, throttled attempts included
QUICK_ATTEMPTS = 3  # botocore's own retries: a refused or reset connection fails within ~3 s
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 60
THROTTLE_PAUSE_S = (1.0, 30.0)  # first and longest pause between throttled rounds
QUICK_ROUND_S = 4.0  # the longest a round of botocore's quick retries takes (its pauses: up to 1 + 2 s)
REQUEST_PRICE = Decimal("0.01")  # USD per Cost Explorer API request

PERMISSION_CODES = {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnauthorizedException"}
EXPIRED_CODES = {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
INVALID_CODES = {"InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch"}
THROTTLING_CODES = {"ThrottlingException", "LimitExceededException", "Throttling", "TooManyRequestsException"}


def client_config(max_attempts: int = DEFAULT_MAX_ATTEMPTS, read_timeout: float = READ_TIMEOUT_S) -> BotoConfig:
    """Bounded calls: botocore retries a few times, quickly (refused or reset connections, 5xx,
    a first throttle); longer throttling is backed off by throttled_call, within the deadline."""
    return BotoConfig(
        retries={"mode": "standard", "total_max_attempts": min(max_attempts, QUICK_ATTEMPTS)},
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=read_timeout,
        user_agent_extra="costtui",
    )


def make_session(
    config: AwsConfig, base: boto3.Session | None = None, max_attempts: int = DEFAULT_MAX_ATTEMPTS
):
    """The default credential chain (or `profile`), then `role_arn` assumed if set."""
    region = config.region or DEFAULT_REGION
    session = base or boto3.Session(profile_name=config.profile, region_name=region)
    if not config.role_arn:
        return session
    sts = session.client(
        "sts", region_name=region, endpoint_url=config.endpoint_url, config=_config_for(config, max_attempts)
    )
    credentials = sts.assume_role(RoleArn=config.role_arn, RoleSessionName="costtui")["Credentials"]
    assumed = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )
    return assumed


def _config_for(config: AwsConfig, max_attempts: int) -> BotoConfig:
    # One read never waits longer than the whole fetch may take.
    return client_config(max_attempts, min(READ_TIMEOUT_S, config.timeout_seconds))


def make_client(session, service: str, config: AwsConfig, max_attempts: int = DEFAULT_MAX_ATTEMPTS):
    return session.client(
        service,
        region_name=config.region or DEFAULT_REGION,
        endpoint_url=config.endpoint_url,
        config=_config_for(config, max_attempts),
    )


def throttled_call(call, max_attempts: int, deadline: float | None):
    """call(), backing off while AWS throttles it: up to max_attempts attempts in all (botocore's
    own included), and never pausing past the deadline (time.monotonic()); the last
    throttling error is raised when either runs out."""
    attempts = 0
    pause = THROTTLE_PAUSE_S[0]
    while True:
        try:
            return call()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in THROTTLING_CODES:
                raise
            attempts += 1 + int(exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0))
            wait = pause * random.uniform(0.5, 1.0)
            # Another round only if it can end before the deadline: throttled is a clearer answer than timeout.
            if attempts >= max_attempts or (
                deadline is not None and time.monotonic() + wait + QUICK_ROUND_S >= deadline
            ):
                raise
            time.sleep(wait)
            pause = min(pause * 2, THROTTLE_PAUSE_S[1])


def caller_account(session, config: AwsConfig, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> str:
    """The account whose credentials run the fetch: the payer when run from the management account."""
    sts = make_client(session, "sts", config, max_attempts)
    return sts.get_caller_identity()["Account"]


def provider_error(exc: Exception, config: AwsConfig, action: str, api_calls: int = 0) -> ProviderError:
    """A clear ProviderError for an SDK exception; never echoes credentials."""
    profile = config.profile or "<profile>"
    if isinstance(exc, (SSOTokenLoadError, UnauthorizedSSOTokenError, TokenRetrievalError)):
        return ProviderError(
            "AWS SSO token is missing or expired",
            "expired_token",
            f"aws sso login --profile {profile}",
            api_calls,
        )
    if isinstance(exc, ProfileNotFound):
        return ProviderError(
            f"AWS profile {config.profile!r} not found",
            "no_credentials",
            "fix providers.aws.profile or add the profile with aws configure",
            api_calls,
        )
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return ProviderError(
            "no AWS credentials found",
            "no_credentials",
            "set AWS_PROFILE or run aws configure / aws sso login",
            api_calls,
        )
    if isinstance(
        exc, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)
    ):
        where = config.endpoint_url or "the AWS endpoint"
        return ProviderError(
            f"cannot reach {where} to {action}",
            "unreachable",
            "check the network, proxy or providers.aws.endpoint_url",
            api_calls,
        )
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "Unknown")
        message = str(error.get("Message", ""))[:200]
        if code in PERMISSION_CODES:
            return ProviderError(
                f"permission denied to {action} ({code})",
                "permission_denied",
                "grant ce:GetCostAndUsage" if action.startswith("ce:") else f"grant {action}",
                api_calls,
            )
        if code in EXPIRED_CODES:
            return ProviderError(
                f"AWS credentials expired ({code})",
                "expired_token",
                f"aws sso login --profile {profile}",
                api_calls,
            )
        if code in INVALID_CODES:
            return ProviderError(
                f"AWS rejected the credentials ({code})",
                "invalid_credentials",
                "check AWS_PROFILE / the access key in use",
                api_calls,
            )
        if code in THROTTLING_CODES:
            return ProviderError(
                f"AWS kept throttling {action} after retries ({code})",
                "throttled",
                "retry later; Cost Explorer allows a few requests per second",
                api_calls,
            )
        return ProviderError(f"{action} failed: {code}: {message}", "error", None, api_calls)
    if isinstance(exc, BotoCoreError):
        return ProviderError(f"{action} failed: {type(exc).__name__}", "error", None, api_calls)
    return ProviderError(f"{action} failed: {type(exc).__name__}", "unexpected", None, api_calls)


class _Requester:
    """Runs planned requests, following every NextPageToken, counting each page (USD 0.01 each)."""

    def __init__(self, client, max_attempts: int = DEFAULT_MAX_ATTEMPTS, deadline: float | None = None) -> None:
        self.client = client
        self.calls = 0
        self.max_attempts = max_attempts
        self.deadline = deadline

    def run(self, request: PlannedRequest, start: date, end: date) -> Answer:
        params = request.parameters(start.isoformat(), (end + timedelta(days=1)).isoformat())
        answer = Answer(request)
        seen_tokens: set[str] = set()
        token: str | None = None
        while True:
            self.calls += 1
            paged = {**params, **({"NextPageToken": token} if token else {})}
            page = throttled_call(
                lambda paged=paged: self.client.get_cost_and_usage(**paged), self.max_attempts, self.deadline
            )
            answer.add_page(page)
            token = page.get("NextPageToken")
            if not token:
                return answer
            if token in seen_tokens:
                raise ProviderError(
                    f"Cost Explorer repeated a page token for {request.label}",
                    "invalid_data",
                    None,
                    self.calls,
                )
            seen_tokens.add(token)


class AwsSource:
    """What every AWS source holds: its config, an optional base session and the retry budget."""

    name = "aws"

    @property
    def policy(self) -> RefreshPolicy:
        return RefreshPolicy(self.config.restatement_days, 0.0, self.config.timeout_seconds)

    def __init__(
        self,
        config: AwsConfig,
        session: boto3.Session | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self.config = config
        self._base_session = session  # tests pass one to hook botocore events
        self._max_attempts = max_attempts

    def _session(self):
        return make_session(self.config, self._base_session, self._max_attempts)

    def _service(self, session, service: str):
        return make_client(session, service, self.config, self._max_attempts)


class AwsCostExplorerProvider(AwsSource):
    """AWS Cost Explorer get_cost_and_usage, DAILY, through the request plan in aws.plan."""

    source = "cost_explorer"

    @property
    def policy(self) -> RefreshPolicy:
        # Each request is billed (USD 0.01) and the data changes a few times a day.
        config = self.config
        return RefreshPolicy(config.restatement_days, config.min_refresh_hours, config.timeout_seconds)

    def _client(self):
        try:
            session = self._session()
        except (ClientError, BotoCoreError) as exc:
            raise provider_error(
                exc, self.config, "sts:AssumeRole" if self.config.role_arn else "open a session"
            ) from None
        return session, self._service(session, "ce")

    def check_auth(self) -> None:
        """One small request (USD 0.01) proving ce:GetCostAndUsage works with these credentials."""
        try:
            _, client = self._client()
            yesterday = date.today() - timedelta(days=1)
            client.get_cost_and_usage(
                TimePeriod={"Start": yesterday.isoformat(), "End": date.today().isoformat()},
                Granularity="DAILY",
                Metrics=["UnblendedCost"],
            )
        except ProviderError:
            raise
        except Exception as exc:
            raise provider_error(exc, self.config, "ce:GetCostAndUsage", 1) from None

    def fetch(self, context: FetchContext) -> FetchResult:
        requester: _Requester | None = None
        try:
            session, client = self._client()
            requester = _Requester(client, self._max_attempts, context.deadline)
            discovery = requester.run(DISCOVERY, context.start, context.end)
            record_types = {keys[0] for cells in discovery.cells.values() for keys in cells}
            plan = category_requests(record_types) + tag_requests(record_types, context.tags.keys)
            answers = [requester.run(r, context.start, context.end) for r in plan]
            billing_account = self._billing_account(session)
        except ProviderError:
            raise
        except Exception as exc:
            calls = requester.calls if requester else 0
            raise provider_error(exc, self.config, "ce:GetCostAndUsage", calls) from None
        return self._result(context, discovery, answers, billing_account, requester.calls)

    def _billing_account(self, session) -> str:
        try:
            return caller_account(session, self.config, self._max_attempts)
        except (ClientError, BotoCoreError, ResponseParserError):
            return "unknown"  # rows are still right; only the payer label is missing

    def _result(
        self,
        context: FetchContext,
        discovery: Answer,
        answers: list[Answer],
        billing_account: str,
        calls: int,
    ) -> FetchResult:
        days = [context.start + timedelta(days=n) for n in range((context.end - context.start).days + 1)]
        everything = [discovery, *answers]
        outside = sorted(
            day for answer in everything for day in answer.days if not context.start <= day <= context.end
        )
        if outside:
            raise ProviderError(
                f"Cost Explorer returned {outside[0]}, outside {context.start}..{context.end}",
                "invalid_data",
                None,
                calls,
            )
        try:
            reconcile(discovery, answers, days)
        except ReconcileError as exc:
            raise ProviderError(
                str(exc), "reconcile", "refresh again; if it persists, report it", calls
            ) from None
        currencies = set().union(*(answer.currencies for answer in everything))
        if len(currencies) > 1:
            raise ProviderError(
                f"Cost Explorer answered in several currencies: {', '.join(sorted(currencies))}",
                "invalid_data",
                None,
                calls,
            )
        names: dict[str, str] = {}
        for answer in everything:
            names.update(answer.account_names)
        row_context = RowContext(
            billing_account_id=billing_account,
            currency=currencies.pop() if currencies else "USD",
            account_names=names,
            estimated_days=frozenset().union(*(answer.estimated_days for answer in everything)),
        )
        rows = build_rows(answers, days, row_context)
        return FetchResult(
            provider="aws",
            scopes=[ReplaceScope("aws", context.start, context.end)],
            rows=rows,
            api_calls=calls,
            notes=[f"{calls} Cost Explorer requests (USD {Decimal(calls) * REQUEST_PRICE:.2f})"],
        )
