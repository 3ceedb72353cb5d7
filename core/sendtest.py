"""Sending one synthetic test message from a sender domain (the spec's sendtest).

``SendTestMixin`` is mixed into ``SenderDomainService``; the SMTP work itself is
core/mailer.py, loaded only when a message is sent so aiosmtplib stays off every other path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import errors
from core import records as templates
from core.db import off_loop
from core.errors import ApiError
from core.models import STATUS_SUSPENDED, User
from core.service_base import ServiceBase
from core.views import DomainView

if TYPE_CHECKING:
    from core.mailer import SendTestOutcome

SENDTEST_RATE_LIMIT = (10, 300.0)  # the spec: 10 test messages per 5 minutes per user


class SendTestMixin(ServiceBase):
    """The service's test sending (mixed into ``SenderDomainService``)."""

    async def send_test(self, user: User, domain_id: int, to: object, subject: object = None) -> SendTestOutcome:
        """Send one synthetic test message from the domain (10 per 5 minutes per user).

        Checks in order: demo mode (99), ownership (2), suspension (18), ``to`` (3, 8),
        ``subject``, the rate limit; only a request that passes them all counts against the limit and is sent.
        Any delivery failure is code 11 (HTTP 502) with the relay's reason.
        """
        from core import mailer  # aiosmtplib loads only when a test message is sent

        if self.settings.demo:
            raise ApiError(errors.DEMO_MODE, "Not available in demo mode", 403)
        row = await off_loop(self._owned, user, domain_id)
        if row.status == STATUS_SUSPENDED:
            raise ApiError(errors.SUSPENDED, "This sender domain is Suspended by the platform: no test messages can be sent from it", 403)
        recipient = mailer.parse_recipient(to)
        display = DomainView.from_row(row, owner=user.name).display_name
        subject_text = mailer.parse_subject(subject, mailer.default_subject(display))
        limit, window = SENDTEST_RATE_LIMIT
        wait = await off_loop(self.limiter.hit, f"sendtest:{user.id}", limit, window)
        if wait is not None:
            raise errors.rate_limited(limit, "test messages", f"{int(window // 60)} minutes", wait)
        options = row.options or {}
        test = mailer.build_test_message(
            domain=row.domain,
            display_domain=display,
            mfrom_domain=templates.mfrom_host(row.domain, options, self.settings.mfrom_subdomain),
            tracking_domain=templates.tracking_host(
                row.domain, options, self.settings.mfrom_subdomain, self.settings.track_prefix
            ),
            from_prefix=self.settings.smtp.from_prefix,
            recipient=recipient,
            subject=subject_text,
            clock=self.clock,
        )
        try:
            await mailer.deliver(self.settings.smtp, test)
        except mailer.DeliveryError as exc:
            raise ApiError(errors.DELIVERY_FAILED, f"Test message delivery failed: {exc.reason}", 502) from None
        return mailer.SendTestOutcome(row.id, display, recipient, subject_text, test.message_id)
