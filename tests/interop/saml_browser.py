#!/usr/bin/python3
"""A small cookie-keeping "browser" for SAML Web Browser SSO tests (standard library only).

It follows 3xx redirects itself (recording each hop), keeps cookies in an http.cookiejar,
parses HTML forms generically, fills in a login form and submits it, and stops at the
auto-POST page that carries a SAMLResponse: instead of posting it to the SP's ACS it returns
the form's action URL, SAMLResponse and RelayState, so the SP library under test consumes it.

TLS: trusts DATA/tls/server.crt (the IdP's self-signed certificate) when given, with
hostname checking for 127.0.0.1; without it, an unverified context that only talks to
loopback addresses.
"""

import html.parser
import http.cookiejar
import ssl
import urllib.error
import urllib.parse
import urllib.request

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


class BrowserError(AssertionError):
    """A step of the flow did not go the way a real browser would have let it."""


class Form:
    def __init__(self, action, method, attrs):
        self.action = action
        self.method = (method or "get").lower()
        self.attrs = attrs
        self.inputs = []  # [{"name", "type", "value"}] in document order (input, textarea, button)

    def field(self, name):
        for i in self.inputs:
            if i.get("name") == name:
                return i
        return None

    def value(self, name):
        f = self.field(name)
        return None if f is None else f.get("value", "")

    def has(self, name):
        return self.field(name) is not None

    def username_field(self):
        """The input named `username`, else the first text-like input."""
        f = self.field("username")
        if f is not None:
            return f
        for i in self.inputs:
            if i["type"] in ("text", "email", "") and i.get("name"):
                return i
        return None

    def password_field(self):
        for i in self.inputs:
            if i["type"] == "password" and i.get("name"):
                return i
        return None

    def values(self, overrides=None):
        """The successful controls of the form as (name, value) pairs: hidden, text and
        password inputs, textareas and checked boxes; no buttons (none is being clicked)."""
        overrides = dict(overrides or {})
        pairs = []
        for i in self.inputs:
            name = i.get("name")
            if not name or i["type"] in ("submit", "button", "reset", "image", "file"):
                continue
            if i["type"] in ("checkbox", "radio") and not i.get("checked"):
                continue
            if name in overrides:
                pairs.append((name, overrides.pop(name)))
            else:
                pairs.append((name, i.get("value", "")))
        pairs.extend(overrides.items())
        return pairs

    def __repr__(self):
        return f"Form(action={self.action!r}, method={self.method!r}, inputs={[i.get('name') for i in self.inputs]})"


class _FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._textarea = None
        self.title = ""
        self._in_title = False
        self._skip = 0  # inside <script> or <style>: not visible text
        self.text_parts = []

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get"), a)
            self.forms.append(self._form)
        elif tag == "title":
            self._in_title = True
        elif tag in ("script", "style"):
            self._skip += 1
        elif self._form is not None and tag in ("input", "button"):
            default_type = "text" if tag == "input" else "submit"
            entry = {"name": a.get("name"), "type": (a.get("type") or default_type).lower(),
                     "value": a.get("value", ""), "tag": tag}
            if "checked" in a:
                entry["checked"] = True
            self._form.inputs.append(entry)
        elif self._form is not None and tag == "textarea":
            self._textarea = {"name": a.get("name"), "type": "textarea", "value": "", "tag": tag}
            self._form.inputs.append(self._textarea)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "form":
            self._form = None

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "title":
            self._in_title = False
        elif tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data
        if self._in_title:
            self.title += data
        if not self._skip:
            self.text_parts.append(data)


def parse_forms(text):
    p = _FormParser()
    p.feed(text)
    p.close()
    return p.forms, p.title.strip(), " ".join(" ".join(p.text_parts).split())


class Page:
    """One HTTP response as the browser saw it."""

    def __init__(self, method, url, status, headers, body):
        self.method = method
        self.url = url
        self.status = status
        self.headers = headers
        self.body = body
        self._parsed = None

    @property
    def text(self):
        charset = self.headers.get_content_charset() if self.headers is not None else None
        return self.body.decode(charset or "utf-8", errors="replace")

    def _parse(self):
        if self._parsed is None:
            self._parsed = parse_forms(self.text)
        return self._parsed

    @property
    def forms(self):
        return self._parse()[0]

    @property
    def title(self):
        return self._parse()[1]

    @property
    def visible_text(self):
        return self._parse()[2]

    def form_with(self, name):
        for f in self.forms:
            if f.has(name):
                return f
        return None

    def login_form(self):
        for f in self.forms:
            if f.password_field() is not None:
                return f
        return None

    def saml_post(self):
        """The auto-POST form carrying SAMLResponse, as a SamlPost, or None."""
        f = self.form_with("SAMLResponse")
        if f is None:
            return None
        return SamlPost(urllib.parse.urljoin(self.url, f.action), f.method, f.value("SAMLResponse"),
                        f.value("RelayState"), self, f)

    def __repr__(self):
        return f"Page({self.method} {self.url} -> {self.status})"


class SamlPost:
    """What the IdP asked the browser to POST to the SP (not posted)."""

    def __init__(self, action, method, saml_response, relay_state, page, form):
        self.action = action
        self.method = method
        self.saml_response = saml_response
        self.relay_state = relay_state
        self.page = page
        self.form = form

    def __repr__(self):
        return f"SamlPost(action={self.action!r}, relay_state={self.relay_state!r}, {len(self.saml_response or '')} chars)"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the browser follows redirects itself, one hop at a time


class Browser:
    def __init__(self, ca_file=None, timeout=10):
        self.jar = http.cookiejar.CookieJar()
        if ca_file:
            ctx = ssl.create_default_context(cafile=ca_file)
        else:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar),
            urllib.request.HTTPSHandler(context=ctx),
            _NoRedirect())
        self.timeout = timeout
        self.history = []  # every Page fetched, redirects included

    # ------------------------------------------------------------------ raw requests

    def request(self, url, method="GET", data=None, headers=None):
        """One request, no redirect following. `data`: bytes, str, or a list/dict of form fields."""
        host = urllib.parse.urlsplit(url).hostname
        if host not in LOOPBACK_HOSTS:
            raise BrowserError(f"refusing to leave loopback: {method} {url}")
        body = None
        hdrs = {"User-Agent": "propusk-interop-browser/1", "Accept": "text/html,application/xhtml+xml,*/*"}
        hdrs.update(headers or {})
        if data is not None:
            if isinstance(data, (dict, list, tuple)):
                body = urllib.parse.urlencode(data).encode("ascii")
                hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
            elif isinstance(data, str):
                body = data.encode("utf-8")
            else:
                body = data
        req = urllib.request.Request(url, data=body, headers=hdrs, method=method)
        try:
            with self.opener.open(req, timeout=self.timeout) as r:
                page = Page(method, url, r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:  # 3xx (not followed) and 4xx/5xx
            page = Page(method, url, e.code, e.headers, e.read())
            e.close()
        self.history.append(page)
        return page

    def navigate(self, url, method="GET", data=None, max_redirects=10):
        """A request and every redirect after it, the way a browser does: 301/302/303 turn
        into GET without a body, 307/308 repeat the method and body."""
        page = self.request(url, method, data)
        for _ in range(max_redirects):
            if page.status not in (301, 302, 303, 307, 308):
                return page
            location = page.headers.get("Location")
            if not location:
                raise BrowserError(f"{page.status} without Location from {page.url}")
            url = urllib.parse.urljoin(page.url, location)
            if page.status in (307, 308):
                page = self.request(url, method, data)
            else:
                method, data = "GET", None
                page = self.request(url, "GET")
        raise BrowserError(f"more than {max_redirects} redirects, last at {page.url}")

    def submit(self, page, form, overrides=None):
        """Submits `form` (from `page`) with its own values plus `overrides`; follows redirects."""
        action = urllib.parse.urljoin(page.url, form.action or page.url)
        pairs = form.values(overrides)
        if form.method == "post":
            return self.navigate(action, "POST", pairs)
        split = urllib.parse.urlsplit(action)
        query = urllib.parse.urlencode(pairs)
        return self.navigate(urllib.parse.urlunsplit((split.scheme, split.netloc, split.path, query, "")))

    def cookies(self):
        return {c.name: c for c in self.jar}

    # ------------------------------------------------------------------ the SSO flow

    def login(self, page, username, password):
        """Fills in and submits the login form on `page`; returns the next page."""
        form = page.login_form()
        if form is None:
            raise BrowserError(f"no login form (no password input) on {page.url} (HTTP {page.status}): "
                               f"{page.visible_text[:300]!r}")
        user = form.username_field()
        pw = form.password_field()
        if user is None:
            raise BrowserError(f"login form without a username input: {form!r}")
        return self.submit(page, form, {user["name"]: username, pw["name"]: password})

    def sso(self, url, method="GET", data=None, username=None, password=None, max_steps=4):
        """Runs a Web Browser SSO flow from the first request to the IdP (`url`; GET for the
        Redirect binding, POST of `data` for the POST binding) until the IdP hands back a
        SAMLResponse form. Logs in with `username`/`password` when a login form is shown
        (fails if one is shown and no credentials were given).

        Returns (SamlPost, logged_in: bool, pages: [Page])."""
        start = len(self.history)
        page = self.navigate(url, method, data)
        logged_in = False
        for _ in range(max_steps):
            post = page.saml_post()
            if post is not None:
                return post, logged_in, self.history[start:]
            if page.login_form() is not None:
                if username is None:
                    raise BrowserError(f"login form shown at {page.url}, but no credentials were given")
                if logged_in:
                    raise BrowserError(f"login form shown again after logging in at {page.url} "
                                       f"(HTTP {page.status}): {page.visible_text[:300]!r}")
                page = self.login(page, username, password)
                logged_in = True
                continue
            # An intermediate page with a single form to pass (e.g. consent): not expected here.
            raise BrowserError(f"neither a login form nor a SAMLResponse at {page.url} (HTTP {page.status}, "
                               f"{page.headers.get('Content-Type')}): {page.visible_text[:400]!r}")
        raise BrowserError(f"no SAMLResponse after {max_steps} steps, last page {page.url}")
