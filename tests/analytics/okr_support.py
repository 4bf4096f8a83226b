"""What the OKR tests share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import time_machine

from tests.builders import Api


async def read_at(api: Api, objective: dict[str, Any], headers: dict[str, str],
                  when: datetime) -> dict[str, Any]:
    """``GET /api/v1/objectives/{id}`` as it answers at ``when`` (reads may score it)."""
    with time_machine.travel(when, tick=False):
        response = await api.client.get(f"/api/v1/objectives/{objective['id']}",
                                        headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
