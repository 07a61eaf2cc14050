"""Connects a user to every provider of a server in sandbox mode, as a browser would: authorize,
press Approve on the sandbox's consent page, follow the redirect to our callback with the
binding cookie. Used by scripts/schemathesis.sh so the contract run reaches the routes' real
answers (pages of items, counts, exports), not only "not connected".

    python3 sandbox_connect.py BASE_URL 'Header: value' ['Header: value'...]
"""

import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def send(url, headers=None, data=None):
    """(status, headers, body) of one request; redirects are answers, not followed."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class ApproveForm(HTMLParser):
    """The consent page's form: its action, hidden fields and the Approve button."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action", "")
        elif tag == "input" and attrs.get("type") == "hidden":
            self.fields.append((attrs.get("name", ""), attrs.get("value", "")))
        elif tag == "button" and attrs.get("value") == "approve":
            self.fields.append((attrs.get("name", "decision"), "approve"))


def connect(base, provider, auth):
    api = f"{base}/api/integrations/{provider}"
    status, headers, body = send(f"{api}/authorize", {**auth, "Accept": "application/json"})
    assert status == 200, f"{provider} authorize: {status} {body[:300]!r}"
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    consent = json.loads(body)["url"]
    status, _, page = send(consent)
    assert status == 200, f"{provider} consent page: {status}"
    form = ApproveForm()
    form.feed(page.decode())
    assert form.action is not None, f"{provider}: no form on the consent page"
    data = urllib.parse.urlencode(form.fields).encode()
    status, headers, _ = send(
        urllib.parse.urljoin(consent, form.action),
        {"Content-Type": "application/x-www-form-urlencoded"},
        data,
    )
    assert status == 302, f"{provider} approve: {status}"
    callback = headers["Location"]
    status, _, body = send(callback, {**auth, "Cookie": cookie, "Accept": "application/json"})
    assert status == 200, f"{provider} callback: {status} {body[:300]!r}"
    assert json.loads(body)["connected"] is True, body


def main():
    base, raw_headers = sys.argv[1].rstrip("/"), sys.argv[2:]
    auth = dict(h.split(": ", 1) for h in raw_headers)
    status, _, body = send(f"{base}/api/integrations", auth)
    assert status == 200, f"list: {status} {body[:300]!r}"
    for integration in json.loads(body)["integrations"]:
        if integration["sandbox"]:
            connect(base, integration["id"], auth)
            print(f"connected {integration['id']}")


if __name__ == "__main__":
    main()
