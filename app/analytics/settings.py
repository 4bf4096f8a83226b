"""Organisation settings kept in the database: EMV CPMs and currency."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AppSetting
from app.models.enums import Network

EMV_KEY = "emv"
DEFAULT_CPM = {"linkedin": "30", "x": "6", "facebook": "9", "whatsapp": "0", "email": "0",
               "copy": "0", "native": "0"}


class EmvSettings(BaseModel):
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    cpm: dict[Network, Decimal] = Field(
        default_factory=lambda: {Network(k): Decimal(v) for k, v in DEFAULT_CPM.items()})


async def emv_settings(session: AsyncSession) -> EmvSettings:
    row = await session.get(AppSetting, EMV_KEY)
    return EmvSettings.model_validate(row.value) if row is not None else EmvSettings()
