"""JSON decoding of gateway answers, with errors that name the endpoint."""

from __future__ import annotations

import json
from typing import Any

from .exceptions import EnvoyDataError


def json_loads(end_point: str, json_source: bytes | str) -> Any:
    """Decode a JSON answer; a malformed or truncated one raises EnvoyDataError(end_point)."""
    try:
        return json.loads(json_source)
    except UnicodeDecodeError as err:
        raise EnvoyDataError(end_point, f"answer is not UTF-8 text ({err.reason})") from err
    except json.JSONDecodeError as err:
        if not json_source.strip():
            reason = "empty answer"
        elif err.pos >= len(err.doc.rstrip()):
            reason = f"truncated JSON: the answer ends after {len(json_source)} bytes"
        else:
            reason = f"invalid JSON: {err.msg} at line {err.lineno} column {err.colno}"
        raise EnvoyDataError(end_point, reason) from err
    # Bad data too, not a bug: nesting deeper than the parser's recursion limit, and integers
    # longer than Python converts (sys.get_int_max_str_digits(), 4300 digits by default).
    except RecursionError as err:
        raise EnvoyDataError(end_point, "JSON nested too deep to read") from err
    except ValueError as err:
        raise EnvoyDataError(end_point, f"unreadable JSON value ({err})") from err
