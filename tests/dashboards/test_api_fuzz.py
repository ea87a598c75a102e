"""A bounded schemathesis run against the API's own OpenAPI document through the WSGI app: generated paths,
queries and bodies are answered 2xx/4xx, never 5xx (fixed seed: derandomized, a few examples per operation)."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

from dashboards.api import openapi  # noqa: E402

EXAMPLES = 40  # per operation; the whole run stays well under a minute


def test_generated_requests_are_never_answered_5xx(app, seeded, token_for):
    schema = schemathesis.openapi.from_dict(openapi.document())
    schema.app = app
    headers = token_for("admin")
    client = app.test_client()
    errors: list[str] = []
    statuses: dict[int, int] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def call(case):
            kwargs = case.as_transport_kwargs(headers=headers)
            response = client.open(kwargs["url"] if "url" in kwargs else kwargs["path"], method=case.method,
                                   headers=kwargs.get("headers"), query_string=kwargs.get("params") or
                                   kwargs.get("query_string"), json=kwargs.get("json"), data=kwargs.get("data"))
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                errors.append(f"{case.method} {response.request.full_path} {case.body!r:.200} → "
                              f"{response.status_code}")

        call()
    print(statuses)
    assert not errors, "\n".join(errors[:20])
    assert statuses.get(200, 0) >= len(operations) and statuses.get(400, 0) > 0  # real answers, real refusals
