"""Errors the local runtime returns to clients, shaped as Lambda and CloudWatch Logs shape them."""

from __future__ import annotations

from powertune.errors import PowertuneError

_STATUS = {
    "ResourceNotFoundException": 404,
    "InvalidParameterValueException": 400,
    "InvalidRequestContentException": 400,
    "ResourceConflictException": 409,
    "TooManyRequestsException": 429,
    "RequestTooLargeException": 413,
    "RequestEntityTooLargeException": 413,
    "RequestTimeoutException": 408,
    "ServiceException": 500,
}


class ApiError(PowertuneError):
    """One AWS error response: its code (``x-amzn-errortype``), message and HTTP status."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int | None = None,
        *,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status if status is not None else _STATUS.get(code, 400)
        self.reason = reason

    def lambda_body(self) -> dict[str, str]:
        # Lambda spells the key "Message" on ResourceNotFoundException and "message" elsewhere.
        key = "Message" if self.code == "ResourceNotFoundException" else "message"
        body = {"Type": "User", key: self.message}
        if self.reason:
            body["Reason"] = self.reason
        return body


def not_found(arn: str) -> ApiError:
    return ApiError("ResourceNotFoundException", f"Function not found: {arn}")


def invalid(message: str) -> ApiError:
    return ApiError("InvalidParameterValueException", message)
