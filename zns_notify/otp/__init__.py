"""One-time codes sent over Zalo (issue 17): ``request_code(phone, purpose)`` and
``verify_code(phone, purpose, code)``, re-exported here as the public face.

- ``codes``: drawing a code, its keyed hash, the constant-time check, the client IP's hash
- ``refusals``: :class:`OtpRefused` and its codes (why a request or a check is refused)
- ``limits``: the rate limits per phone, purpose and client IP, counted in the database
- ``service``: the two calls and what they answer
- ``template``: the synced OTP template and its code parameter (for the sending step)
- ``sending``: the code's message, written with the request and sent after its commit
- ``lane``: the priority lane: the request's own send, and the brokers' poll serving codes first
- ``clearing``: a code no longer live taken out of its message (transitions and the sweep)
- ``checks``: system checks of the ``OTP_*`` settings (zns_notify.E050)
"""

from zns_notify.otp.refusals import OtpRefused, Refusal
from zns_notify.otp.service import CodeRequested, CodeVerified, request_code, verify_code

__all__ = [
    "CodeRequested",
    "CodeVerified",
    "OtpRefused",
    "Refusal",
    "request_code",
    "verify_code",
]
