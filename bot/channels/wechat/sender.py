"""`WeChatSender`: the delivery worker's way to send a queued text or image."""

from __future__ import annotations

from bot.channels.sending import DeliveryError
from bot.channels.wechat.api import WeChatApi
from bot.channels.wechat.errors import OutsideWindow, WeChatApiError

# 48001 "api unauthorized": this account may not use the customer-service API at all
# (e.g. an unverified subscription account 订阅号). Replies are paged instead.
API_UNAUTHORIZED_ERRCODE = 48001


class WeChatSender:
    def __init__(self, api: WeChatApi) -> None:
        self.api = api

    async def send_text(self, recipient: str, text: str) -> None:
        try:
            await self.api.send_text(recipient, text)
        except OutsideWindow as exc:
            # 45015: outside the 48-hour window; retrying cannot help until they write.
            raise DeliveryError(str(exc), retry=False) from None
        except WeChatApiError as exc:
            raise _delivery_error(exc) from None

    async def send_image(self, recipient: str, png: bytes) -> None:
        try:
            media_id = await self.api.upload_image(png)
            await self.api.send_image(recipient, media_id)
        except OutsideWindow as exc:
            raise DeliveryError(str(exc), retry=False) from None
        except WeChatApiError as exc:
            raise _delivery_error(exc) from None


def _delivery_error(exc: WeChatApiError) -> DeliveryError:
    if exc.errcode == API_UNAUTHORIZED_ERRCODE:
        return DeliveryError(str(exc), retry=False, api_refused=True)
    return DeliveryError(str(exc))
