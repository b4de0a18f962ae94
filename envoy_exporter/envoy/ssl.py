"""TLS contexts for talking to gateways, which present self-signed certificates."""

from __future__ import annotations

import contextlib
import ssl


def create_no_verify_ssl_context() -> ssl.SSLContext:
    """A client context that accepts any certificate, as a gateway's is self-signed."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # Older gateway firmware offers only ciphers outside Python's stricter default list.
    context.set_ciphers("DEFAULT")
    with contextlib.suppress(AttributeError):
        context.options |= ssl.OP_NO_COMPRESSION
    return context


def create_default_ssl_context() -> ssl.SSLContext:
    """A client context that verifies certificates and host names (Enlighten, verify_ssl=True)."""
    return ssl.create_default_context()


#: Shared non-verifying context, for callers that build their own connections.
NO_VERIFY_SSL_CONTEXT = create_no_verify_ssl_context()
#: Shared verifying context.
SSL_CONTEXT = create_default_ssl_context()
