"""The HTML the server sends: the app page (its script does the rest) and the pairing page.

Everything a request or a script supplies is escaped here (html.escape); the page's script only ever
sets textContent. The pairing page is the one page a device without the cookie may see, so it needs
no other file: its small style rides inline, allowed by its hash in that page's own CSP.
"""

from __future__ import annotations

import base64
import hashlib
import html
from functools import lru_cache
from importlib import resources

from coach.web.security import CSP

STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                ".svg": "image/svg+xml"}   # app.html is a template, sent by app_page

_PAIR_STYLE = ("body{font:20px/1.4 system-ui,sans-serif;margin:0;padding:24px;background:#10151c;color:#f4f1ea}"
               "h1{font-size:28px}input{font-size:32px;width:8ch;letter-spacing:4px;padding:8px}"
               "button{font-size:24px;padding:12px 24px;margin-top:16px;display:block}.error{color:#ffb4a8}")


@lru_cache(maxsize=None)
def static_files() -> dict[str, tuple[bytes, str]]:
    """The page's files, read once from the package: name -> (content, type). Served by exact name."""
    folder = resources.files("coach.web") / "static"
    return {entry.name: (entry.read_bytes(), STATIC_TYPES[suffix])
            for entry in folder.iterdir()
            if (suffix := "." + entry.name.rsplit(".", 1)[-1]) in STATIC_TYPES}


@lru_cache(maxsize=None)
def _app_template() -> str:
    return (resources.files("coach.web") / "static" / "app.html").read_text(encoding="utf-8")


def app_page(csrf_token: str, page: str) -> bytes:
    """The one page of the app; `page` is "player" (the library and the phone player) or "remote"."""
    return (_app_template().replace("{{csrf}}", html.escape(csrf_token, quote=True))
            .replace("{{page}}", html.escape(page, quote=True)).encode("utf-8"))


# The pairing page's CSP: its inline style allowed by its hash, and nothing else inline.
_PAIR_CSP = CSP.replace("style-src 'self'", "style-src 'sha256-"
                        + base64.b64encode(hashlib.sha256(_PAIR_STYLE.encode()).digest()).decode() + "'")


def pair_page(code: str = "", error: str = "") -> tuple[bytes, str]:
    """The form to type the pairing code (prefilled from the QR code's link) and this page's CSP."""
    wrong = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>coach: pair this device</title><style>{_PAIR_STYLE}</style></head>
<body><h1>Pair with coach</h1>
<p>Type the pairing code that <code>coach serve --lan</code> printed on the computer.</p>{wrong}
<form method="post" action="/pair"><label>Code <input name="code" inputmode="numeric" autocomplete="one-time-code"
 value="{html.escape(code, quote=True)}" maxlength="12" autofocus></label><button type="submit">Pair this device</button></form>
</body></html>
"""
    return body.encode("utf-8"), _PAIR_CSP
