# moto's server with one fix to its signature check, for the tests that turn IAM enforcement on
# (INITIAL_NO_AUTH_ACTION_COUNT). moto 5 rebuilds the signed request from a decoded URL, so a
# query holding "/" (every S3 listing under a prefix) fails with SignatureDoesNotMatch whichever
# client signed it. The check here sees the query exactly as it was sent; what IAM allows is
# still decided by moto.
import sys
from urllib.parse import urlsplit, urlunsplit

from moto.core.authorization import ActionAuthenticatorMixin

_check = ActionAuthenticatorMixin._authenticate_and_authorize_action


def _check_with_raw_query(self, iam_request_cls, resource="*"):
    request = getattr(self, "request", None)
    raw = getattr(request, "environ", {}).get("QUERY_STRING") if request is not None else None
    if raw is None:
        return _check(self, iam_request_cls, resource)
    uri = self.uri
    self.uri = urlunsplit(urlsplit(uri)._replace(query=raw))
    try:
        return _check(self, iam_request_cls, resource)
    finally:
        self.uri = uri


ActionAuthenticatorMixin._authenticate_and_authorize_action = _check_with_raw_query

from moto.server import main  # noqa: E402

sys.exit(main())
