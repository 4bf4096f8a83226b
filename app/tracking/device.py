"""A click's device class from its user agent: enough for reports, no fingerprinting."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache


class Device(StrEnum):
    mobile = "mobile"
    tablet = "tablet"
    desktop = "desktop"
    bot = "bot"
    unknown = "unknown"


_TABLET = re.compile(r"iPad|Tablet|Nexus (?:7|9|10)|SM-T\d|Kindle|Silk/|PlayBook|"
                     r"Android(?!.*Mobile)", re.IGNORECASE)
_MOBILE = re.compile(r"Mobi|iPhone|iPod|Android.*Mobile|Windows Phone|Opera Mini|BlackBerry|"
                     r"IEMobile|webOS", re.IGNORECASE)
_DESKTOP = re.compile(r"Windows NT|Macintosh|X11|CrOS|Linux x86_64", re.IGNORECASE)


@lru_cache(maxsize=4096)
def device_class(user_agent: str, *, bot: bool = False) -> Device:
    if bot:
        return Device.bot
    if _TABLET.search(user_agent):
        return Device.tablet
    if _MOBILE.search(user_agent):
        return Device.mobile
    if _DESKTOP.search(user_agent):
        return Device.desktop
    return Device.unknown
