"""API errors and the CloudStack error envelope."""

# ApiErrorCode values (HTTP status == errorcode)
UNAUTHORIZED = 401
MALFORMED_PARAMETER_ERROR = 430
PARAM_ERROR = 431
UNSUPPORTED_ACTION_ERROR = 432
INTERNAL_ERROR = 530
RESOURCE_UNAVAILABLE_ERROR = 534

# CSExceptionErrorCode values
CS_SERVER_API = 9999  # ServerApiException thrown on its own
CS_INVALID_PARAMETER_VALUE = 4350  # InvalidParameterValueException
CS_CLOUD_RUNTIME = 4250  # CloudRuntimeException

UNAUTHORIZED_TEXT = "unable to verify user credentials and/or request signature"


class ApiError(Exception):
    """An error answered in CloudStack's envelope.

    ``cserrorcode=None`` leaves the field out, as CloudStack does for authentication failures.
    ``response_name`` overrides the envelope key (CloudStack uses ``errorresponse`` for 432).
    """

    def __init__(self, errorcode, errortext, cserrorcode=CS_SERVER_API, response_name=None):
        super().__init__(errortext)
        self.errorcode = int(errorcode)
        self.errortext = errortext
        self.cserrorcode = cserrorcode
        self.response_name = response_name

    def body(self):
        inner = {"uuidList": [], "errorcode": self.errorcode}
        if self.cserrorcode is not None:
            inner["cserrorcode"] = self.cserrorcode
        inner["errortext"] = self.errortext
        return inner


def param_error(text):
    """ServerApiException(PARAM_ERROR) raised directly by the API layer."""
    return ApiError(PARAM_ERROR, text, CS_SERVER_API)


def invalid_value(text):
    """InvalidParameterValueException surfaced as 431."""
    return ApiError(PARAM_ERROR, text, CS_INVALID_PARAMETER_VALUE)


def internal_error(text):
    """CloudRuntimeException surfaced as 530."""
    return ApiError(INTERNAL_ERROR, text, CS_CLOUD_RUNTIME)


def unauthorized(text=UNAUTHORIZED_TEXT):
    return ApiError(UNAUTHORIZED, text, None)


def not_simulated(command, name):
    return param_error(
        "cssim does not simulate parameter %s of command %s; the lab cannot answer it faithfully" % (name, command)
    )
