"""Loopback stand-ins for the mail services the project delivers through, used by the
test suite and the delivery benchmarks; import them from their modules:

* ``sendgrid_server.SendGridLoopback``: SendGrid's v3 ``POST /v3/mail/send`` on
  127.0.0.1, with validation, recording and fault injection (``Faults``,
  ``ReceivedMail``, ``RemoteSendGridLoopback``).
* ``smtp_server.SMTPLoopback``: an SMTP server on 127.0.0.1 built on aiosmtpd, with
  optional AUTH, STARTTLS and refused recipients (``smtp_handler.ReceivedSMTP``).

This package imports neither, so that ``python -m campaign.devtools.sendgrid_server``
runs cleanly and the SendGrid server works where aiosmtpd (a test dependency) is not
installed.
"""
