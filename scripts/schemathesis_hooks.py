"""schemathesis hooks for scripts/fuzz.sh (SCHEMATHESIS_HOOKS).

schemathesis has no serializer for message/rfc822, the raw email support's
inbound endpoint takes. A generated string becomes the text body of a
well-formed RFC 5322 message (a sender, a Message-ID from the content, so
repeats are the gateway retrying), so the fuzzer exercises what follows the
parse: threading, linking, triage and storage of arbitrary text. Malformed
messages are covered by services/support/tests/inbound_email.rs.
"""

import hashlib
import json

import schemathesis


@schemathesis.serializer("message/rfc822")
def rfc822(ctx, value):
    if not isinstance(value, str):
        # Not the documented string (a negative case): sent as it is, which
        # is no message, and must be refused.
        return value if isinstance(value, bytes) else json.dumps(value).encode("utf-8")
    text = value.replace("\x00", "")
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    message = (
        "From: Fuzz Customer <fuzz@example.com>\r\n"
        "To: support@shop.example\r\n"
        "Subject: fuzz\r\n"
        f"Message-ID: <{digest}@fuzz.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        f"{text}\r\n"
    )
    return message.encode("utf-8", "surrogatepass")
