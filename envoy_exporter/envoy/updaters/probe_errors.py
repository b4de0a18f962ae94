"""What a probe treats as "this endpoint is not there" rather than as a failure."""

from __future__ import annotations

from ..exceptions import EnvoyCommunicationError, EnvoyDataError, EnvoyHTTPStatusError

#: a non-2xx status, an answer that is not JSON (an HTML error page) or no answer at all
ENDPOINT_PROBE_ERRORS = (EnvoyHTTPStatusError, EnvoyDataError, EnvoyCommunicationError)
