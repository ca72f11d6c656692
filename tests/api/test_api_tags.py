"""The REST API by tag: /api/v1/costs/tags?group_by=tag:KEY (untagged as null) and repeatable
`tag=KEY:VALUE` filters on every cost endpoint; an unknown key is a 400 naming the parameter."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from costtui.api.app import create_app
from costtui.api.server import BackgroundServer
from costtui.api.settings import ApiSettings
from tests.conftest import TODAY
from tests.tagcache import EXPECTED_OCTOBER

OCTOBER = {"start_date": "2026-10-01", "end_date": "2026-10-31"}


@pytest.fixture(scope="module")
def api(tagged_cache):
    app = create_app(ApiSettings(cache_path=tagged_cache, today=lambda: TODAY))
    with BackgroundServer(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def test_group_by_tag_gives_each_value_and_untagged_as_null(api):
    body = api.get("/api/v1/costs/tags", params={"group_by": "tag:team", **OCTOBER}).json(parse_float=Decimal)
    assert {row["tag:team"]: row["billed_cost"] for row in body["rows"]} == EXPECTED_OCTOBER
    assert [list(row) for row in body["rows"]] == [["tag:team", "billed_cost", "currency"]] * 3


def test_group_by_tag_per_month_and_paged(api):
    body = api.get("/api/v1/costs/tags", params={"group_by": "tag:environment", "granularity": "month",
                                                 "limit": 2, **OCTOBER}).json(parse_float=Decimal)
    assert body["rows"] == [{"month": "2026-10", "tag:environment": "prod", "billed_cost": Decimal("3100.00"),
                             "currency": "USD"},
                            {"month": "2026-10", "tag:environment": None, "billed_cost": Decimal("341.00"),
                             "currency": "USD"}]
    assert body["truncated"] is False


def test_tag_filters_apply_to_every_cost_endpoint(api):
    params = [("tag", "team:search"), ("tag", "team:"), *OCTOBER.items()]
    services = api.get("/api/v1/costs/services", params=params).json(parse_float=Decimal)
    assert {row["service"]: row["billed_cost"] for row in services["rows"]} == {"S3": Decimal("310.00"),
                                                                                "Lambda": Decimal("31.00")}
    assert services["filters"] == {"tag": ["team:search", "team:"]}
    summary = api.get("/api/v1/costs/summary", params=[("tag", "environment:prod"), *OCTOBER.items()]).json(
        parse_float=Decimal)
    assert summary["totals"][0]["billed_cost"] == Decimal("3100.00")


@pytest.mark.parametrize(("params", "error"), [
    ({"group_by": "tag:owner"}, "group_by: unknown tag key 'owner' (configured keys: team, environment)"),
    ({"group_by": "team"}, "group_by: give tag:KEY for a configured tag key (got 'team')"),
    ({"group_by": "tag:team", "tag": "owner:me"}, "tag: unknown tag key 'owner' (configured keys: team, environment)"),
    ({"group_by": "tag:team", "tag": "team"}, "tag: 'team' is not KEY:VALUE (KEY: alone selects untagged spend)"),
])
def test_bad_tag_parameters_are_400s_naming_the_parameter(api, params, error):
    response = api.get("/api/v1/costs/tags", params=params)
    assert response.status_code == 400
    assert response.json()["error"].startswith(error)


def test_the_document_describes_the_tag_parameters(api):
    document = api.get("/openapi.json").json()
    operation = document["paths"]["/api/v1/costs/tags"]["get"]
    names = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert names["group_by"]["required"] is True
    assert "tag" in names and "untagged" in names["tag"]["description"]
    assert "tag" in {p["name"] for p in document["paths"]["/api/v1/costs/summary"]["get"]["parameters"]}


def test_the_summary_carries_tag_coverage_per_provider_and_key(api):
    body = api.get("/api/v1/costs/summary", params=OCTOBER).json(parse_float=Decimal)
    assert body["tag_coverage"] == [
        {"provider": "aws", "tag_key": "team", "currency": "USD", "tagged_cost": Decimal("3410.00"),
         "total_cost": Decimal("3441.00"), "ratio": Decimal("0.990991")},
        {"provider": "aws", "tag_key": "environment", "currency": "USD", "tagged_cost": Decimal("3100.00"),
         "total_cost": Decimal("3441.00"), "ratio": Decimal("0.900901")},
    ]
