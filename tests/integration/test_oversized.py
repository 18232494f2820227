"""Tracker elements too long for the rewriter to hold (issue 16, item 3).

A start tag over 16 KiB or an inline script over 64 KiB cannot be read
whole, so it cannot be classified: it fails closed. Through a real Apache
(which hands the filter a static file in buckets of its own size), a page
with such a Meta Pixel tag and such a Meta Pixel snippet arrives with both
held back for a visitor who has not granted every category, and as it was
for one who accepted all. Long markup that is no target, and an <img> with
a long data: URL, arrive for everyone as they were.
"""
import pytest

from harness import consented

PAD = "a" * (16 * 1024)
TAG = ('<script data-x="%s" src=https://connect.facebook.net/en_US/fbevents.js></script>' % PAD)
SNIPPET = ("!function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){n.callMethod?"
           "n.callMethod.apply(n,arguments):n.queue.push(arguments)};t=b.createElement(e);"
           "t.async=!0;t.src=v;s=b.getElementsByTagName(e)[0];s.parentNode.insertBefore(t,s)}"
           "(window, document,'script','https://connect.facebook.net/en_US/fbevents.js');\n"
           "/*" + " " * (64 * 1024) + "*/\nfbq('init', '418203954712236');\nfbq('track', 'PageView');\n")
INLINE = "<script>" + SNIPPET + "</script>"
DIV = '<div data-x="%s">Long, and no target.</div>' % ("d" * 20000)
LINK = '<a href="/search?q=%s">Search</a>' % ("q" * 20000)
IMG = '<img alt="Logo" src="data:image/png;base64,%s">' % ("A" * 20000)
HEAD_TAG, HEAD_NEXT = "<head>", "\n<title>"
BODY_TAG, BODY_NEXT = "<body>", "\n<h1>"

PAGE = ("<!DOCTYPE html>\n<html lang=\"nb\">\n<head>\n<title>Long</title>\n" + TAG + "\n</head>\n"
        "<body>\n<h1>Timebestilling</h1>\n" + DIV + "\n" + LINK + "\n" + IMG + "\n" + INLINE +
        "\n</body>\n</html>\n")


@pytest.fixture(scope="module")
def server(module_server_factory):
    srv = module_server_factory("oversized", start=False, files={"pages/long.html": PAGE})
    return srv.start()


def fetch(server, cookie=None):
    resp = server.request("GET", "/pages/long.html", headers={"Cookie": cookie} if cookie else {})
    assert resp.status == 200, resp
    return resp.body.decode()


def without_insertions(body):
    """BODY without the consent assets after <head> and the banner after <body>."""
    for tag, following in ((HEAD_TAG, HEAD_NEXT), (BODY_TAG, BODY_NEXT)):
        after = body.index(tag) + len(tag)
        body = body[:after] + body[body.index(following, after):]
    return body


def expect_held_back(refused):
    mark = 'data-consent="%s"' % refused
    return (PAGE.replace(TAG, "<template %s>%s</template>" % (mark, TAG))
            .replace(INLINE, '<script type="text/plain" %s>%s</script>' % (mark, SNIPPET))
            .replace(IMG, IMG.replace("<img ", '<img srcset="" ', 1)))


@pytest.mark.parametrize("decision", [None, "reject_all"])
def test_without_consent_both_are_held_back_whole(server, decision):
    cookie = consented(server, decision) if decision else None
    body = without_insertions(fetch(server, cookie))
    assert body == expect_held_back("preferences statistics marketing")


def test_what_was_granted_is_not_what_they_wait_for(server):
    body = without_insertions(fetch(server, consented(server, "custom", ["statistics"])))
    assert body == expect_held_back("preferences marketing")


def test_accept_all_gets_the_page_as_it_was(server):
    body = fetch(server, consented(server, "accept_all"))
    assert body != PAGE, "nothing was injected: is the filter on?"
    assert without_insertions(body) == PAGE
