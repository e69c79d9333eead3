"""The OpenAPI document at /api/v1/openapi.json is valid, names every route of SPEC §4, and every route
answers as it says: each documented operation is called and its response checked against its schema."""

from __future__ import annotations

import jsonschema
import pytest
import requests
from openapi_spec_validator import validate

from conftest import start_api_daemon

# SPEC §4's routes (plus the document itself): the API must document at least these.
SPEC_ROUTES = {
    ("get", "/api/v1/monitoring/status"), ("post", "/api/v1/monitoring/start"), ("post", "/api/v1/monitoring/stop"),
    ("get", "/api/v1/monitoring/metrics"), ("post", "/api/v1/monitoring/metrics/query"),
    ("get", "/api/v1/monitoring/metrics/{container_id}/latest"), ("get", "/api/v1/monitoring/alerts"),
    ("post", "/api/v1/monitoring/alerts/query"), ("get", "/api/v1/monitoring/thresholds"),
    ("put", "/api/v1/monitoring/thresholds/{metric_type}"), ("post", "/api/v1/monitoring/config"),
    ("get", "/api/v1/monitoring/containers"), ("get", "/api/v1/monitoring/statistics"),
    ("post", "/api/v1/monitoring/test/alert"), ("get", "/api/v1/openapi.json"),
}

# A valid call of each operation: (path parameters, query, JSON body).
VALID_CALLS = {
    "getMetrics": ({}, {"hours": 1, "limit": 5}, None),
    "queryMetrics": ({}, None, {"hours": 0.5, "limit": 3}),
    "getLatest": ({"container_id": "wd-oa-one"}, None, None),
    "getAlerts": ({}, {"level": "warning"}, None),
    "queryAlerts": ({}, None, {"hours": 2}),
    "putThreshold": ({"metric_type": "pids"}, None, {"metric_type": "pids", "warning_threshold": 50, "critical_threshold": 80,
                                                     "enabled": True, "service_name": "oa"}),
    # Removes the override the PUT above made (same path: the PUT runs first).
    "deleteThresholdOverride": ({"metric_type": "pids"}, {"service_name": "oa"}, None),
    "postConfig": ({}, None, {"retention_days": 7}),
    "testAlert": ({}, None, {"container_id": "wd-oa-one", "metric_type": "pids", "value": 60}),
}

# An invalid call per documented error status.
INVALID_CALLS = {
    "getMetrics": {"422": ({}, {"limit": "abc"}, None)},
    "queryMetrics": {"400": ({}, None, "{oops"), "413": ({}, None, "[" * 300000), "422": ({}, None, {"hours": -1})},
    "getLatest": {"404": ({"container_id": "nobody-here"}, None, None)},
    "getAlerts": {"422": ({}, {"level": "loud"}, None)},
    "queryAlerts": {"400": ({}, None, "{"), "413": ({}, None, "[" * 300000), "422": ({}, None, {"limit": 0})},
    "putThreshold": {
        "400": ({"metric_type": "cpu_percent"}, None, {"warning_threshold": 95, "critical_threshold": 90}),
        "404": ({"metric_type": "bogus"}, None, {"warning_threshold": 1, "critical_threshold": 2}),
        "413": ({"metric_type": "cpu_percent"}, None, "[" * 300000),
        "422": ({"metric_type": "cpu_percent"}, None, {"warning_threshold": "x", "critical_threshold": 2}),
    },
    "deleteThresholdOverride": {
        "404": ({"metric_type": "pids"}, {"service_name": "nobody"}, None),
        "422": ({"metric_type": "pids"}, None, None),
    },
    "postConfig": {"400": ({}, None, "{"), "413": ({}, None, "[" * 300000), "422": ({}, None, {"collection_interval": 0}),
                   "404": ({}, None, {"thresholds": [{"metric_type": "cpu_percent", "warning_threshold": 50, "critical_threshold": 60,
                                                      "container_id": "wd-no-such-container"}]})},
    "getWebSocketWithoutUpgrade": {"426": ({}, None, None)},
    "testAlert": {
        "400": ({}, None, "nope"), "404": ({}, None, {"container_id": "ghost-1", "metric_type": "pids", "value": 1}),
        "413": ({}, None, "[" * 300000), "422": ({}, None, {"container_id": "wd-oa-one", "metric_type": "pids"}),
    },
}


# Documented errors no request here can provoke on purpose: an ambiguous id prefix needs two containers
# whose random ids share their first three characters.
UNPROVOKABLE = {("getLatest", "422")}
# Only with authentication or a rate limit on, which this module's daemon has not: test_security.py provokes
# them (401 on every documented operation, 403 on every operation for a token without its scope, 429).
SECURITY_ERRORS = {"401", "403", "429"}


@pytest.fixture(scope="module")
def api(binary, engine, tmp_path_factory):
    engine.run("wd-oa-one", "exec sleep 100000")
    daemon = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket,
                                       "WAKEDOCK_METRICS_STORAGE_PATH": str(tmp_path_factory.mktemp("m"))}, "--interval", "0.5")
    daemon.daemon.wait_for(r"container_name=wd-oa-one .*container discovered", timeout=15)
    daemon.daemon.wait_for(r"\] tick$|HTTP API listening", timeout=5)
    import time
    time.sleep(1.2)
    yield daemon
    daemon.daemon.stop()
    engine.remove("wd-oa-one")


@pytest.fixture(scope="module")
def document(api):
    r = requests.get(f"http://127.0.0.1:{api.port}/api/v1/openapi.json", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    return r.json()


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def call(api, method, path, path_params, query, body):
    url = f"http://127.0.0.1:{api.port}" + path.format(**path_params)
    kwargs = {"params": query, "timeout": 10}
    if isinstance(body, str):
        kwargs["data"] = body
        kwargs["headers"] = {"Content-Type": "application/json"}
    elif body is not None:
        kwargs["json"] = body
    return requests.request(method.upper(), url, **kwargs)


def check(document, schema, value):
    jsonschema.Draft202012Validator({"components": document["components"], **schema}).validate(value)


def test_document_is_valid_openapi(document):
    validate(document)


def test_document_names_every_route_of_the_spec(document):
    documented = {(method, path) for method, path, _ in operations(document)}
    assert SPEC_ROUTES <= documented, SPEC_ROUTES - documented


def test_every_operation_answers_as_documented(api, document):
    for method, path, operation in operations(document):
        path_params, query, body = VALID_CALLS.get(operation["operationId"], ({}, None, None))
        r = call(api, method, path, path_params, query, body)
        assert str(r.status_code) in operation["responses"], (operation["operationId"], r.status_code, r.text[:300])
        content = operation["responses"][str(r.status_code)]["content"]
        if "application/json" in content:
            check(document, content["application/json"]["schema"], r.json())
        else:  # the Prometheus exposition: text in one of the documented media types
            assert r.headers["content-type"].split(";")[0] in content, (operation["operationId"], r.headers["content-type"])


def test_every_documented_error_happens_and_has_the_error_shape(api, document):
    for method, path, operation in operations(document):
        documented_errors = {
            code for code in operation["responses"]
            if code.startswith("4") and (operation["operationId"], code) not in UNPROVOKABLE and code not in SECURITY_ERRORS
        }
        cases = INVALID_CALLS.get(operation["operationId"], {})
        assert documented_errors == set(cases), (operation["operationId"], documented_errors, set(cases))
        for status, (path_params, query, body) in cases.items():
            r = call(api, method, path, path_params, query, body)
            assert str(r.status_code) == status, (operation["operationId"], status, r.status_code, r.text[:300])
            check(document, {"$ref": "#/components/schemas/Error"}, r.json())
