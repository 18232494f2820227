#!/usr/bin/env python3
"""Writes a deterministic HTML page of an exact size, with trackers, for the
Apache benchmarks (tests/bench/bench_apache.sh).

The page looks like a small clinic's site: a <head> with the usual tracker
snippets (GA4 gtag.js and its inline config, the Meta Pixel's inline loader,
the Mailchimp "connected site" script), a body of ordinary markup and text
(navigation, articles, lists, tables, forms), a YouTube embed, the Meta
Pixel's <noscript> image and the LinkedIn Insight tag at the end. Every
~32 KB of body (the first at ~15 KB) carries a block of trackers of its own
(YouTube, Mailchimp, a gtag event, a Meta Pixel image), so trackers are
spread through the whole page however large it is.

Usage: gen_page.py SIZE OUT [--one-line]
  SIZE      bytes, exact; suffixes k and m (1024-based) are accepted
  --one-line  no newline anywhere (a minified page: one 100 MB line)

The same arguments give the same bytes on every machine (no randomness
beyond a fixed linear congruential generator).
"""
import sys

WORDS = (
    "legevakt time bestilling fysioterapi behandling pasient klinikk helse "
    "rygg nakke skulder kne trening rehabilitering smerte vurdering henvisning "
    "fastlege resept sykemelding timebestilling åpningstider telefon adresse "
    "parkering buss trikk heis rullestol tilgjengelig personvern samtykke "
    "appointment clinic patient treatment physiotherapy exercise recovery "
    "referral opening hours contact emergency waiting room insurance invoice"
).split()


class Lcg:
    """A fixed pseudo-random sequence (same numbers everywhere)."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFF

    def next(self, n):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.state >> 8) % n

    def words(self, count):
        return " ".join(WORDS[self.next(len(WORDS))] for _ in range(count))

    def sentence(self):
        text = self.words(6 + self.next(14))
        return text[0].upper() + text[1:] + "."

    def paragraph(self):
        return " ".join(self.sentence() for _ in range(3 + self.next(4)))


HEAD = """<!DOCTYPE html>
<html lang="nb">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fjordbyen legevakt og fysioterapi – timebestilling</title>
<meta name="description" content="Legevakt, fysioterapi og rehabilitering i Fjordbyen. Bestill time på nett.">
<link rel="stylesheet" href="/assets/css/site.css?v=4.2.1">
<link rel="icon" href="/favicon.ico">
<link rel="canonical" href="https://www.fjordbyen-klinikk.test/">
<!-- Global site tag (gtag.js) - Google Analytics -->
<script async src="https://www.googletagmanager.com/gtag/js?id=G-8XK2M4PQ1Z"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());
  gtag('config', 'G-8XK2M4PQ1Z', { 'anonymize_ip': true });
</script>
<!-- Meta Pixel Code -->
<script>
!function(f,b,e,v,n,t,s)
{if(f.fbq)return;n=f.fbq=function(){n.callMethod?
n.callMethod.apply(n,arguments):n.queue.push(arguments)};
if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';
n.queue=[];t=b.createElement(e);t.async=!0;
t.src=v;s=b.getElementsByTagName(e)[0];
s.parentNode.insertBefore(t,s)}(window, document,'script',
'https://connect.facebook.net/en_US/fbevents.js');
fbq('init', '381947205561234');
fbq('track', 'PageView');
</script>
<!-- End Meta Pixel Code -->
<script id="mcjs">!function(c,h,i,m,p){m=c.createElement(h),p=c.getElementsByTagName(h)[0],m.async=1,m.src=i,p.parentNode.insertBefore(m,p)}(document,"script","https://chimpstatic.com/mcjs-connected/js/users/4f1c2a9b8e7d6c5b4a3f2e1d0/8a7b6c5d4e3f2a1b0c9d8e7f6.js");</script>
<script src="/assets/js/site.js?v=4.2.1" defer></script>
<style>.skip{position:absolute;left:-999px}.hero h1{font-size:2.2rem}</style>
</head>
<body class="home page-template-default">
<noscript><img height="1" width="1" style="display:none"
src="https://www.facebook.com/tr?id=381947205561234&ev=PageView&noscript=1"
/></noscript>
<a class="skip" href="#main">Hopp til innhold</a>
<header class="site-header">
<nav aria-label="Hovedmeny"><ul class="menu">
<li><a href="/">Hjem</a></li><li><a href="/legevakt/">Legevakt</a></li>
<li><a href="/fysioterapi/">Fysioterapi</a></li><li><a href="/priser/">Priser</a></li>
<li><a href="/om-oss/">Om oss</a></li><li><a href="/kontakt/">Kontakt</a></li>
</ul></nav>
</header>
<main id="main">
"""

TAIL = """</main>
<footer class="site-footer">
<p>Fjordbyen legevakt og fysioterapi AS · Org.nr. 987 654 321 · <a href="/personvern/">Personvern</a></p>
</footer>
<script type="text/javascript">
_linkedin_partner_id = "4815162";
window._linkedin_data_partner_ids = window._linkedin_data_partner_ids || [];
window._linkedin_data_partner_ids.push(_linkedin_partner_id);
</script><script type="text/javascript">
(function(l) {
if (!l){window.lintrk = function(a,b){window.lintrk.q.push([a,b])};
window.lintrk.q=[]}
var s = document.getElementsByTagName("script")[0];
var b = document.createElement("script");
b.type = "text/javascript";b.async = true;
b.src = "https://snap.licdn.com/li.lms-analytics/insight.min.js";
s.parentNode.insertBefore(b, s);})(window.lintrk);
</script>
<noscript>
<img height="1" width="1" style="display:none;" alt="" src="https://px.ads.linkedin.com/collect/?pid=4815162&fmt=gif" />
</noscript>
</body>
</html>
"""


def article(rng, n):
    """One section of ordinary content, about 3 KB."""
    parts = ['<article class="post" id="post-%d">' % n,
             '<h2><a href="/artikler/%d/">%s</a></h2>' % (n, rng.sentence()[:-1]),
             '<p class="meta"><time datetime="2026-%02d-%02d">%d. %s 2026</time></p>'
             % (1 + n % 12, 1 + n % 28, 1 + n % 28, WORDS[n % len(WORDS)])]
    for _ in range(2 + rng.next(3)):
        parts.append("<p>%s <a href=\"/tema/%s/\">%s</a> %s</p>"
                     % (rng.paragraph(), WORDS[rng.next(len(WORDS))], rng.words(2),
                        rng.paragraph()))
    kind = n % 4
    if kind == 0:
        parts.append("<ul>" + "".join("<li>%s</li>" % rng.sentence() for _ in range(5))
                     + "</ul>")
    elif kind == 1:
        rows = "".join('<tr><td>%s</td><td class="num">%d kr</td></tr>'
                       % (rng.words(3), 200 + rng.next(900)) for _ in range(6))
        parts.append('<table class="prices"><thead><tr><th>Tjeneste</th><th>Pris</th></tr>'
                     '</thead><tbody>%s</tbody></table>' % rows)
    elif kind == 2:
        parts.append('<figure><img src="/uploads/2026/%02d/bilde-%d.jpg" alt="%s" '
                     'width="800" height="450" loading="lazy"><figcaption>%s</figcaption>'
                     '</figure>' % (1 + n % 12, n, rng.words(4), rng.sentence()))
    else:
        parts.append('<blockquote><p>%s</p></blockquote>' % rng.paragraph())
    parts.append('<p><a class="button" href="/bestill/?tjeneste=%d">Bestill time</a></p>'
                 '</article>' % n)
    return "\n".join(parts) + "\n"


def trackers(n):
    """A block of trackers placed every ~32 KB: a YouTube embed, a Mailchimp
    form with its scripts, a gtag event and a Meta Pixel image."""
    return """<section class="video">
<h2>Øvelser for korsryggen, del %(n)d</h2>
<iframe width="560" height="315" src="https://www.youtube.com/embed/dQw4w9WgX%(v)02d?rel=0" title="YouTube video player" frameborder="0" allow="accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture" allowfullscreen></iframe>
</section>
<section class="newsletter">
<div id="mc_embed_signup"><form action="https://fjordbyen.us21.list-manage.com/subscribe/post?u=4f1c2a9b8e7d6c5b4a3f2e1d0&amp;id=8a7b6c5d4e" method="post" id="mc-embedded-subscribe-form-%(n)d" name="mc-embedded-subscribe-form" class="validate" target="_blank">
<label for="mce-EMAIL-%(n)d">E-post</label> <input type="email" name="EMAIL" class="required email" id="mce-EMAIL-%(n)d" required>
<input type="submit" value="Meld meg på" name="subscribe" class="button"></form></div>
<script type="text/javascript" src="//s3.amazonaws.com/downloads.mailchimp.com/js/mc-validate.js"></script>
<script src="https://chimpstatic.com/mcjs-connected/js/users/4f1c2a9b8e7d6c5b4a3f2e1d0/form-%(n)d.js" async></script>
</section>
<script>gtag('event', 'view_item_list', { 'section': %(n)d });</script>
<img src="https://www.facebook.com/tr?id=381947205561234&amp;ev=ViewContent&amp;cd[section]=%(n)d" width="1" height="1" alt="" style="display:none">
""" % {"n": n, "v": n % 100}


def build(size, one_line):
    rng = Lcg(20261124)
    head, tail = HEAD, TAIL
    budget = size - len(head.encode()) - len(tail.encode())
    if budget < 1024:
        raise SystemExit("gen_page.py: %d bytes is too small for a page" % size)
    # Units: articles of about 3 KB, with a tracker block after the 5th of
    # every 10 (the first at about 15 KB, then one every ~32 KB). Past the
    # first 80 units they repeat (fast for 100 MB pages); tracker positions
    # stay spread through the page.
    units = []
    n = 0
    section = 0
    while len(units) < 80:
        units.append(article(rng, n))
        if n % 10 == 4:
            units.append(trackers(section))
            section += 1
        n += 1
    units = [(u, len(u.encode())) for u in units]
    body = []
    used = 0
    i = 0
    while True:
        text, length = units[i % len(units)]
        if used + length > budget - 256:
            break
        body.append(text)
        used += length
        i += 1
    pad = budget - used - len("<p></p>\n")
    filler = []
    while sum(len(w.encode()) + 1 for w in filler) < pad:
        filler.append(WORDS[rng.next(len(WORDS))])
    text = " ".join(filler).encode()[:max(pad, 0)]
    text += b" " * (max(pad, 0) - len(text))
    # Never cut a UTF-8 sequence: replace a broken tail with spaces.
    while True:
        try:
            text.decode()
            break
        except UnicodeDecodeError as err:
            text = text[:err.start] + b" " * (len(text) - err.start)
    body.append("<p>" + text.decode() + "</p>\n")
    page = (head + "".join(body) + tail).encode()
    if one_line:
        page = page.replace(b"\n", b" ")
    assert len(page) == size, (len(page), size)
    return page


def parse_size(text):
    text = text.strip().lower()
    scale = 1
    if text.endswith("k"):
        scale, text = 1024, text[:-1]
    elif text.endswith("m"):
        scale, text = 1024 * 1024, text[:-1]
    return int(text) * scale


def main(argv):
    args = [a for a in argv if a != "--one-line"]
    if len(args) != 2:
        raise SystemExit(__doc__)
    size = parse_size(args[0])
    page = build(size, "--one-line" in argv)
    with open(args[1], "wb") as out:
        out.write(page)


if __name__ == "__main__":
    main(sys.argv[1:])
