"""The connections API's bodies (CONTRACT §3)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.core.types import OutDatetime


class AuthorizeUrl(BaseModel):
    authorize_url: str = Field(description="Send the member's browser here to connect; "
                                           "it comes back to the callback.")
    expires_at: OutDatetime = Field(description="The state in the address is good until then.")


class ConnectionRead(BaseModel):
    network: str = Field(description="`linkedin`, `x` or `facebook`.")
    status: str = Field(description="`connected`, `needs_reauth` (connect again) or "
                                    "`not_connected`. X is connected for everyone when the "
                                    "company's X app token is set.")
    expires_at: OutDatetime | None = Field(description="When the member's token ends.")
    connectable: bool = Field(description="Whether `POST /connections/{network}` can "
                                          "connect it here.")
