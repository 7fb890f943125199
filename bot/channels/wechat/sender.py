"""`WeChatSender`: the delivery worker's way to send a queued text or image."""

from __future__ import annotations

from bot.channels.sending import DeliveryError, QuotaWindow
from bot.channels.wechat.api import WeChatApi
from bot.channels.wechat.errors import OutsideWindow, WeChatApiError

# 48001 "api unauthorized": this account may not use the customer-service API at all
# (e.g. an unverified subscription account 订阅号). Replies are paged instead.
API_UNAUTHORIZED_ERRCODE = 48001
# The account's call quota is spent (WeChat's global return codes): 45011 "api
# minute-quota reach limit mustslower retry next minute", 45009 "reach max api daily
# quota limit" (reset at midnight China time). Waiting helps; the message is not at
# fault. (45047, too many customer-service messages to one follower without an answer,
# is that follower's: retried with the ordinary back-off.)
MINUTE_QUOTA_ERRCODE = 45011
DAILY_QUOTA_ERRCODE = 45009
DAILY_QUOTA = QuotaWindow(86_400.0, offset_s=-8 * 3600.0)


class WeChatSender:
    def __init__(self, api: WeChatApi, *, minute_quota_s: float = 60.0) -> None:
        self.api = api
        # A shorter "minute" lets tests run the quota's windows in seconds.
        self.minute_quota = QuotaWindow(minute_quota_s)

    async def send_text(self, recipient: str, text: str) -> None:
        try:
            await self.api.send_text(recipient, text)
        except OutsideWindow as exc:
            # 45015: outside the 48-hour window; retrying cannot help until they write.
            raise DeliveryError(str(exc), retry=False) from None
        except WeChatApiError as exc:
            raise self._delivery_error(exc) from None

    async def send_image(self, recipient: str, png: bytes) -> None:
        try:
            media_id = await self.api.upload_image(png)
            await self.api.send_image(recipient, media_id)
        except OutsideWindow as exc:
            raise DeliveryError(str(exc), retry=False) from None
        except WeChatApiError as exc:
            raise self._delivery_error(exc) from None

    def _delivery_error(self, exc: WeChatApiError) -> DeliveryError:
        if exc.errcode == API_UNAUTHORIZED_ERRCODE:
            return DeliveryError(str(exc), retry=False, api_refused=True)
        if exc.errcode == MINUTE_QUOTA_ERRCODE:
            return DeliveryError(str(exc), quota=self.minute_quota)
        if exc.errcode == DAILY_QUOTA_ERRCODE:
            return DeliveryError(str(exc), quota=DAILY_QUOTA)
        return DeliveryError(str(exc))
