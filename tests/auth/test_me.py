"""The caller's own settings on `/me` (CONTRACT §3): language and reminders."""

from __future__ import annotations

from tests.builders import Api


async def test_language_and_reminders_are_mine_to_set(api: Api) -> None:
    _, headers = await api.user()
    me = (await api.client.get("/api/v1/me", headers=headers)).json()
    assert (me["language"], me["reminders_opt_out"], me["policy_accepted_version"]) == (
        None, False, None)
    thai = await api.client.patch("/api/v1/me", headers=headers,
                                  json={"language": "th", "reminders_opt_out": True})
    assert thai.status_code == 200
    assert (thai.json()["language"], thai.json()["reminders_opt_out"]) == ("th", True)
    # Other fields sent alone leave both as they are.
    renamed = await api.client.patch("/api/v1/me", headers=headers, json={"name": "Ana"})
    assert (renamed.json()["language"], renamed.json()["reminders_opt_out"]) == ("th", True)
    browser = await api.client.patch("/api/v1/me", headers=headers, json={"language": None})
    assert browser.json()["language"] is None
    for bad in ({"language": "fr"}, {"language": "TH"}, {"reminders_opt_out": "yes"}):
        refused = await api.client.patch("/api/v1/me", headers=headers, json=bad)
        assert refused.status_code == 422, bad
    assert (await api.client.get("/api/v1/me", headers=headers)).json()["language"] is None
