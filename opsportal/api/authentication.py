from rest_framework.authentication import TokenAuthentication, get_authorization_header


class TokenOrBearerAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` or `Authorization: Bearer <key>`."""

    keywords = ("Token", "Bearer")

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts:
            return None
        keyword = parts[0].decode(errors="replace")
        if keyword.lower() not in {k.lower() for k in self.keywords}:
            return None
        self.keyword = keyword
        return super().authenticate(request)

    def authenticate_header(self, request):
        return 'Token realm="api", Bearer realm="api"'
