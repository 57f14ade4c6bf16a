"""The one place that speaks SMTP: a message handed to the configured server (`smtplib`).

Each send is one connection: TLS from the start (`tls`), or a plain connection upgraded with
STARTTLS (`starttls`), checked against the system's certificate authorities either way, or
plain (`none`, for the local stack's mail server); then a login when a user is configured.
Each message the server accepts is counted on the invocation's Meter (`mails`).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from kindred.core.cost import Meter
from kindred.core.errors import FailedForGood, RetryLater
from kindred.ports import Mailer


class SmtpMailer(Mailer):
    def __init__(
        self,
        host: str,
        port: int,
        security: str,
        user: str,
        password: str,
        timeout: float,
        meter: Meter,
        helo: str = "localhost",  # our own name in EHLO: never looked up (getfqdn may hang)
    ):
        self.host, self.port, self.security = host, port, security
        self.user, self.password, self.timeout = user, password, timeout
        self.meter, self.helo = meter, helo

    def send(self, message: EmailMessage) -> None:
        where = f"SMTP {self.host}:{self.port}"
        try:
            with self._connect() as smtp:
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if all(code >= 500 for code in codes):
                raise FailedForGood(
                    f"{where} refused the recipient: {codes}", "recipient_refused"
                ) from None
            raise RetryLater(f"{where} deferred the recipient: {codes}") from None
        except smtplib.SMTPResponseException as error:  # auth, sender, data: 4xx passes
            said = error.smtp_error
            text = (said.decode(errors="replace") if isinstance(said, bytes) else said)[:200]
            if error.smtp_code >= 500:
                raise FailedForGood(
                    f"{where} refused: {error.smtp_code} {text}", "smtp_refused"
                ) from None
            raise RetryLater(f"{where} answered {error.smtp_code} {text}") from None
        except smtplib.SMTPNotSupportedError as error:  # no STARTTLS, no AUTH: set-up
            raise FailedForGood(f"{where}: {error}", "smtp_refused") from None
        except (smtplib.SMTPException, OSError) as error:  # refused, reset, timed out
            raise RetryLater(f"{where} could not be reached: {error!r}"[:300]) from None
        self.meter.mails += 1

    def check(self) -> str:
        """A round trip that sends nothing (EHLO, NOOP, and the login when configured)."""
        with self._connect() as smtp:
            if self.user:
                smtp.login(self.user, self.password)
            code, _ = smtp.noop()
        return f"SMTP {self.host}:{self.port} answered NOOP with {code}"

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(
                self.host, self.port, self.helo, timeout=self.timeout, context=context
            )
        smtp = smtplib.SMTP(self.host, self.port, self.helo, timeout=self.timeout)
        if self.security == "starttls":
            try:
                smtp.starttls(context=ssl.create_default_context())
            except BaseException:
                smtp.close()
                raise
        return smtp
