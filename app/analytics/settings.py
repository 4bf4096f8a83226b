"""Organisation settings kept in the database: EMV CPMs and the reporting currency."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.app_settings import read_setting, save_setting
from app.core.schemas import Strict
from app.core.types import Currency
from app.models.enums import Network

EMV_KEY = "emv"
DEFAULT_CPM = {"linkedin": "30", "x": "6", "facebook": "9", "whatsapp": "0", "email": "0",
               "copy": "0", "native": "0"}


Cpm = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=4, allow_inf_nan=False)]


class EmvSettings(Strict):
    currency: Currency = "USD"
    cpm: dict[Network, Cpm] = Field(
        default_factory=lambda: {Network(k): Decimal(v) for k, v in DEFAULT_CPM.items()},
        description="Cost per thousand followers reached, per network; networks left out "
                    "keep their default.")

    @model_validator(mode="after")
    def _every_network(self) -> EmvSettings:
        self.cpm = {**{Network(k): Decimal(v) for k, v in DEFAULT_CPM.items()}, **self.cpm}
        return self


async def emv_settings(session: AsyncSession) -> EmvSettings:
    return await read_setting(session, EMV_KEY, EmvSettings)


async def save_emv_settings(session: AsyncSession, settings: EmvSettings) -> EmvSettings:
    return await save_setting(session, EMV_KEY, settings)
