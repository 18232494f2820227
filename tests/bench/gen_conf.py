#!/usr/bin/env python3
"""Writes the Apache configuration of one benchmark variant
(tests/bench/bench_apache.sh). Stdlib only.

Usage: gen_conf.py VARIANT ROOT PORT PROFILE MODULE
  VARIANT  plain            stock Apache serving static files, mod_consent not loaded
           consent          mod_consent loaded, ConsentEngine On (page cache at its
                            default size)
           consent-nocache  the same with ConsentPageCache Off
           plain-cgi        plain, and a CGI backend under /cgi/ (mod_cgid)
           consent-cgi      consent, and the same CGI backend
           substitute       mod_substitute rewriting the tracker markup
           proxyhtml        mod_proxy_html (+ mod_xml2enc) rewriting tracker URLs
  ROOT     the server's directory: htdocs/, logs/, run/, consent/ below it
           (and cgi-bin/ for the CGI variants: ROOT/cgi-bin/page is the CGI
           served at /cgi/page, told by SetEnv where the page and the CPU
           ledger are: MC_BENCH_PAGE=ROOT/htdocs/page.html,
           MC_BENCH_CGI_LEDGER=ROOT/run/cgi-ledger; see bench_cgi.c)
  PORT     the loopback port to listen on
  PROFILE  throughput  2 children x 32 threads (wrk's 32 connections)
           memory      1 child x 8 threads (its VmHWM is the server's peak)
  MODULE   path of mod_consent.so (used by "consent" only)

Every variant shares the same core settings: mpm_event, KeepAlive with no
request limit, no access log, httpd's default EnableMMAP On and
EnableSendfile Off, LogLevel warn, and mod_status at /server-status for
127.0.0.1 (mod_consent's page cache shows its counters there; loaded
everywhere so that each side pays for its scoreboard the same).
"""
import os
import re
import subprocess
import sys

HTTPD = os.environ.get("MC_HTTPD", "/usr/sbin/apache2")
MODULE_DIR = os.environ.get("MC_MODULE_DIR", "/usr/lib/apache2/modules")
RUN_USER = "www-data"

PROFILES = {
    "throughput": dict(start=2, limit=2, threads=32, minspare=32),
    "memory": dict(start=1, limit=1, threads=8, minspare=2),
}

# The same trackers mod_consent neutralises on the generated page, as an
# admin would write them for mod_substitute: each external tracker script,
# the inline snippets (by their first words, or a bare <script> at the end of
# a line, since mod_substitute sees one line at a time; httpd regexes match
# "$" only at the very end, after the newline), the iframe and the
# pixels, and a banner after <body>. Same output shape as mod_consent's.
SUBSTITUTE = r'''
AddOutputFilterByType SUBSTITUTE text/html
SubstituteMaxLineLength 1m
Substitute "s|<script async src=\"https://www.googletagmanager.com|<script type=\"text/plain\" data-consent=\"statistics\" data-consent-src=\"https://www.googletagmanager.com|i"
Substitute "s#<script>(\s*(?:window\.dataLayer|gtag\(|!function\(f,b,e,v,n,t,s\))|\n)#<script type=\"text/plain\" data-consent=\"marketing\">$1#i"
Substitute "s|<script id=\"mcjs\">|<script type=\"text/plain\" data-consent=\"marketing\" id=\"mcjs\">|i"
Substitute "s|<script src=\"https://chimpstatic.com|<script type=\"text/plain\" data-consent=\"marketing\" data-consent-src=\"https://chimpstatic.com|i"
Substitute "s#<script type=\"text/javascript\">(\s*(?:_linkedin_partner_id|\(function\(l\))|\n)#<script type=\"text/plain\" data-consent=\"marketing\">$1#i"
Substitute "s|<iframe([^>]*) src=\"https://www.youtube.com|<iframe$1 data-consent=\"marketing\" data-consent-src=\"https://www.youtube.com|i"
Substitute "s|<img([^>]*) src=\"https://www.facebook.com/tr|<img$1 data-consent=\"marketing\" data-consent-src=\"https://www.facebook.com/tr|i"
Substitute "s|^src=\"https://www.facebook.com/tr|data-consent=\"marketing\" data-consent-src=\"https://www.facebook.com/tr|i"
Substitute "s|<img([^>]*) src=\"https://px.ads.linkedin.com|<img$1 data-consent=\"marketing\" data-consent-src=\"https://px.ads.linkedin.com|i"
Substitute "s|(<body[^>]*>)|$1<div id=\"consent-banner\" role=\"dialog\"><form method=\"post\" action=\"/_consent/decision\"><button name=\"method\" value=\"accept_all\">Godta alle</button><button name=\"method\" value=\"reject_all\">Avvis alle</button></form></div>|i"
'''

# A CGI backend printing the same page (tests/bench/bench_cgi.c), through
# mod_cgid's daemon as mpm_event has it.
CGI = r'''
ScriptSock %(root)s/run/cgid.sock
ScriptAlias /cgi/ %(root)s/cgi-bin/
<Directory %(root)s/cgi-bin>
    Require all granted
    AllowOverride None
    Options None
</Directory>
SetEnv MC_BENCH_PAGE %(root)s/htdocs/page.html
SetEnv MC_BENCH_CGI_LEDGER %(root)s/run/cgi-ledger
'''

# mod_proxy_html on a static page: the filter set explicitly, the links
# table of Debian's proxy_html.conf plus iframe, and URL maps sending every
# tracker host to a blocked path. ProxyHTMLExtended also maps URLs inside
# inline scripts and styles (the Meta Pixel, LinkedIn and Mailchimp loaders).
PROXYHTML = r'''
ProxyHTMLLinks  a           href
ProxyHTMLLinks  area        href
ProxyHTMLLinks  link        href
ProxyHTMLLinks  img         src longdesc usemap
ProxyHTMLLinks  object      classid codebase data usemap
ProxyHTMLLinks  q           cite
ProxyHTMLLinks  blockquote  cite
ProxyHTMLLinks  ins         cite
ProxyHTMLLinks  del         cite
ProxyHTMLLinks  form        action
ProxyHTMLLinks  input       src usemap
ProxyHTMLLinks  head        profile
ProxyHTMLLinks  base        href
ProxyHTMLLinks  script      src for
ProxyHTMLLinks  iframe      src
ProxyHTMLEvents onclick ondblclick onmousedown onmouseup onmouseover onmousemove onmouseout onkeypress onkeydown onkeyup onfocus onblur onload onunload onsubmit onreset onselect onchange
<Location />
    # mod_proxy_html steps aside on non-proxied requests unless forced.
    SetEnv PROXY_HTML_FORCE 1
    ProxyHTMLEnable On
    ProxyHTMLExtended On
    ProxyHTMLDocType "<!DOCTYPE html>"
    # The page is UTF-8; xml2enc does not read HTML5's <meta charset>.
    xml2EncDefault UTF-8
    ProxyHTMLURLMap https://www.googletagmanager.com/ /_blocked/googletagmanager/
    ProxyHTMLURLMap https://connect.facebook.net/ /_blocked/facebook-connect/
    ProxyHTMLURLMap https://www.facebook.com/tr /_blocked/facebook-pixel
    ProxyHTMLURLMap https://chimpstatic.com/ /_blocked/chimpstatic/
    ProxyHTMLURLMap https://snap.licdn.com/ /_blocked/licdn/
    ProxyHTMLURLMap https://px.ads.linkedin.com/ /_blocked/linkedin-pixel/
    ProxyHTMLURLMap https://www.youtube.com/ /_blocked/youtube/
</Location>
'''


def builtin_modules():
    out = subprocess.run([HTTPD, "-l"], capture_output=True, text=True).stdout
    return set(re.findall(r"mod_(\w+)\.c", out))


def load(mods):
    builtin = builtin_modules()
    return "\n".join("LoadModule %s_module %s/mod_%s.so" % (m, MODULE_DIR, m)
                     for m in mods if m not in builtin)


def render(variant, root, port, profile, module):
    prof = PROFILES[profile]
    mods = ["mpm_event", "authz_core", "authz_host", "mime", "dir", "log_config", "unixd",
            "filter", "status"]
    extra = ""
    if variant in ("consent", "consent-nocache", "consent-cgi"):
        extra = ('LoadModule consent_module %s\n'
                 'ConsentEngine On\n'
                 'ConsentSecretFile %s/consent/secret\n'
                 'ConsentLog %s/consent/consent.log\n' % (module, root, root))
        if variant == "consent-nocache":
            extra += 'ConsentPageCache Off\n'
    if variant in ("plain-cgi", "consent-cgi"):
        mods += ["env", "alias", "cgid"]
        extra += CGI % dict(root=root)
    elif variant == "substitute":
        mods.append("substitute")
        extra = SUBSTITUTE
    elif variant == "proxyhtml":
        mods += ["env", "xml2enc", "proxy_html"]
        extra = PROXYHTML
    elif variant not in ("plain", "consent", "consent-nocache"):
        raise SystemExit("gen_conf.py: unknown variant %r" % variant)
    workers = prof["limit"] * prof["threads"]
    return """# generated by tests/bench/gen_conf.py (%(variant)s, %(profile)s)
ServerRoot "%(root)s"
Listen 127.0.0.1:%(port)s
ServerName 127.0.0.1
PidFile %(root)s/run/httpd.pid
DefaultRuntimeDir %(root)s/run
Mutex file:%(root)s/run default
%(modules)s
User %(user)s
Group %(user)s
StartServers %(start)d
ServerLimit %(limit)d
ThreadLimit %(threads)d
ThreadsPerChild %(threads)d
MaxRequestWorkers %(workers)d
MinSpareThreads %(minspare)d
MaxSpareThreads %(workers)d
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 15
Timeout 60
ErrorLog %(root)s/logs/error.log
LogLevel warn
TypesConfig /etc/mime.types
AddDefaultCharset utf-8
DocumentRoot %(root)s/htdocs
DirectoryIndex index.html
<Directory />
    Require all denied
    AllowOverride None
</Directory>
<Directory %(root)s/htdocs>
    Require all granted
    AllowOverride None
    Options FollowSymLinks
</Directory>
<Location /server-status>
    SetHandler server-status
    Require ip 127.0.0.1
</Location>
# --- %(variant)s ---
%(extra)s
""" % dict(variant=variant, profile=profile, root=root, port=port,
           modules=load(mods), user=RUN_USER, workers=workers, extra=extra.strip("\n"),
           **prof)


def main(argv):
    if len(argv) != 5:
        raise SystemExit(__doc__)
    variant, root, port, profile, module = argv
    sys.stdout.write(render(variant, root, port, profile, module))


if __name__ == "__main__":
    main(sys.argv[1:])
