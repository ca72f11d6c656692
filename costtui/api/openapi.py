"""The OpenAPI 3.1 description of the REST API, built from the same route table the server answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from costtui import __version__

if TYPE_CHECKING:
    from costtui.api.app import Route

LIST_OF_STRINGS = {"type": "array", "items": {"type": "string"}}

PARAMETERS: dict[str, dict[str, Any]] = {
    "start_date": {
        "description": "First day, inclusive (YYYY-MM-DD). Default: end_date minus display.default_days + 1.",
        "schema": {"type": "string", "format": "date"},
    },
    "end_date": {
        "description": "Last day, inclusive (YYYY-MM-DD). Default: today.",
        "schema": {"type": "string", "format": "date"},
    },
    "provider": {
        "description": "aws, azure, gcp or a FOCUS provider name; repeat it or separate with commas.",
        "schema": LIST_OF_STRINGS,
        "style": "form",
        "explode": True,
    },
    "account": {"description": "Account, subscription or project id; repeatable.", "schema": LIST_OF_STRINGS},
    "service": {"description": "Service name as the provider spells it; repeatable.", "schema": LIST_OF_STRINGS},
    "region": {"description": "Region id; repeatable.", "schema": LIST_OF_STRINGS},
    "metric": {
        "description": "billed (invoice) or effective (amortized). Default from the config.",
        "schema": {"type": "string", "enum": ["billed", "effective"]},
    },
    "gross": {
        "description": "true leaves credits out. Default from the config (net of credits).",
        "schema": {"type": "boolean"},
    },
    "limit": {
        "description": "At most this many rows, largest cost first (`truncated` says whether rows were cut).",
        "schema": {"type": "integer", "minimum": 1, "maximum": 10000},
    },
}

GRANULARITY = {
    "/api/v1/costs/daily": ("day", "month"),
    "default": ("total", "day", "month"),
}

MONEY = {"type": "number", "description": "Rounded to the cent; written exactly from a decimal, never a float."}

# What every cost answer starts with: the window and switches it was computed for.
WINDOW_PROPERTIES = {
    "start_date": {"type": "string", "format": "date"},
    "end_date": {"type": "string", "format": "date"},
    "metric": {"type": "string"},
    "gross": {"type": "boolean"},
    "filters": {"type": "object", "additionalProperties": LIST_OF_STRINGS},
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error", "status"],
        "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "ready", "stale", "unavailable"]},
            "reason": {"type": "string"},
            "age_seconds": {"type": ["integer", "null"]},
            "max_age_seconds": {"type": "integer"},
            "failed_providers": LIST_OF_STRINGS,
        },
    },
    "CostRow": {
        "type": "object",
        "description": "The grouping columns of the endpoint (provider, service, account + account_name, "
        "region, day or month), then the cost and its currency. Currencies are never summed together.",
        "required": ["cost", "currency"],
        "properties": {"cost": MONEY, "currency": {"type": "string"}},
        "additionalProperties": {"type": ["string", "null"]},
    },
    "CostRows": {
        "type": "object",
        "required": ["start_date", "end_date", "metric", "gross", "granularity", "rows", "truncated"],
        "properties": {
            **WINDOW_PROPERTIES,
            "granularity": {"type": "string"},
            "rows": {"type": "array", "items": {"$ref": "#/components/schemas/CostRow"}},
            "truncated": {"type": "boolean"},
        },
    },
    "Summary": {
        "type": "object",
        "required": ["start_date", "end_date", "totals", "providers", "previous_period"],
        "properties": {
            **WINDOW_PROPERTIES,
            "data_as_of": {"type": ["string", "null"], "format": "date-time"},
            "totals": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "currency": {"type": "string"},
                        "cost": MONEY,
                        "previous_cost": MONEY,
                        "change_percent": {"type": ["number", "null"]},
                    },
                },
            },
            "providers": {"type": "array", "items": {"$ref": "#/components/schemas/CostRow"}},
            "previous_period": {
                "type": "object",
                "description": "The same number of days just before start_date.",
                "properties": {
                    "start_date": {"type": "string", "format": "date"},
                    "end_date": {"type": "string", "format": "date"},
                },
            },
        },
    },
}

PUBLIC = ("/api/health/live", "/api/health/ready")


def openapi_document(routes: dict[str, Route], secured: bool) -> dict[str, Any]:
    paths = {path: {"get": _operation(path, route, secured)} for path, route in routes.items()}
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "costtui",
            "version": __version__,
            "description": "Read-only cloud costs from the local costtui cache. Money is exact to the cent; "
            "each currency is reported separately.",
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
    if secured:
        document["security"] = [{"bearer": []}]
    return document


def _operation(path: str, route: Route, secured: bool) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": route.summary,
        "operationId": path.strip("/").replace("/", "_").replace(".", "_").replace("-", "_"),
        "parameters": [_parameter(path, name) for name in route.parameters],
        "responses": _responses(path),
    }
    if path in PUBLIC:
        operation["security"] = []
    elif secured:
        operation["responses"]["401"] = _error("Missing or wrong bearer token.")
    return operation


def _parameter(path: str, name: str) -> dict[str, Any]:
    if name == "granularity":
        choices = GRANULARITY.get(path, GRANULARITY["default"])
        spec = {"description": f"{' | '.join(choices)} (default {choices[0]}).",
                "schema": {"type": "string", "enum": list(choices)}}
    else:
        spec = PARAMETERS[name]
    return {"name": name, "in": "query", "required": False, **spec}


def _responses(path: str) -> dict[str, Any]:
    if path == "/metrics":
        return {"200": {"description": "Prometheus text exposition format.",
                        "content": {"text/plain": {"schema": {"type": "string"}}}}}
    if path == "/openapi.json":
        return {"200": {"description": "This document.", "content": {"application/json": {"schema": {}}}}}
    if path in PUBLIC:
        ok = {"description": "OK", "content": _json("Health")}
        if path.endswith("ready"):
            return {"200": ok, "503": {"description": "Cache missing, unreadable or stale.", "content": _json("Health")}}
        return {"200": ok}
    schema = "Summary" if path.endswith("summary") else "CostRows"
    return {
        "200": {"description": "OK", "content": _json(schema)},
        "400": _error("A parameter is wrong; the message names it."),
        "503": _error("No cache yet, or it cannot be read."),
    }


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json("Error")}
