vcl 4.1;
# Varnish in front of a site that runs mod_consent with ConsentSharedCache On:
# pages are kept per consent state, never one visitor's variant for another.
#
# A rewritten page depends on the visitor's consent, so mod_consent sends it
# "Cache-Control: private" with "Vary: Cookie", and its consent cookie is
# signed per visitor. With ConsentSharedCache On it also sets a small cookie,
# consent_state, holding a key that is the same for everyone who chose alike
# ("none" before any choice). This VCL keys pages on that key (copied into
# the request field Consent-State), and keeps a page only when the module
# says so (Surrogate-Control: max-age=N): the module checks the key against
# the signed cookie, so a forged key is never kept under the forged state.
#
# Edit the backend below. If you set ConsentCookieName, replace "consent"
# in the cookie names (consent= and consent_state=); if you set
# ConsentBasePath, replace /_consent. After changing the module's rules,
# texts or policy version, drop the kept pages: varnishadm 'ban req.url ~ .'
# (they would otherwise stay until their Surrogate-Control max-age ends).
#
# Run: varnishd -a :80 -f /etc/varnish/varnish-consent.vcl -s malloc,256m

import std;

backend default {
    .host = "127.0.0.1";
    .port = "8080";
}

sub vcl_recv {
    # The cache's own field: what a client sends in it is never believed.
    unset req.http.Consent-State;

    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # The module's endpoint (decisions, the state, the settings page): every
    # answer is the visitor's own or sets cookies, and a decision must reach
    # the server with all the visitor's cookies, so that the refused ones
    # are expired.
    if (req.url ~ "^/_consent(/|\?|$)") {
        return (pass);
    }
    if (req.http.Authorization) {
        return (pass);
    }

    set req.http.X-Consent-Cookies = ";" + req.http.Cookie;
    if (req.http.X-Consent-Cookies ~ ";\s*consent=") {
        # A decision: its key must be there, and well formed. Without it
        # (the visitor chose before ConsentSharedCache was turned on) the
        # server sees the request and sets it.
        if (req.http.X-Consent-Cookies !~ ";\s*consent_state=(none|c1-[0-9a-f]{20})\s*(;|$)") {
            unset req.http.X-Consent-Cookies;
            return (pass);
        }
        set req.http.Consent-State = regsub(req.http.X-Consent-Cookies,
            "^.*;\s*consent_state=(none|c1-[0-9a-f]{20})\s*(;.*)?$", "\1");
    } else {
        # No consent cookie: no decision, whatever key cookie is sent.
        set req.http.Consent-State = "none";
    }

    # Any other cookie (a session, a login, a shopping basket) may make the
    # page that visitor's own: not looked up, not kept. The cookies that
    # only trackers' scripts read do not count for a visitor who has
    # decided (their server-side expiry, when refused, happened at the
    # decision, which is passed). Add the site's own such names here.
    set req.http.X-Consent-Cookies = regsuball(req.http.X-Consent-Cookies,
        ";\s*(consent|consent_state)=[^;]*", "");
    if (req.http.Consent-State != "none") {
        set req.http.X-Consent-Cookies = regsuball(req.http.X-Consent-Cookies,
            ";\s*(_ga|_ga_[A-Za-z0-9]+|_gid|_gat[A-Za-z0-9_]*|_gcl_[a-z]+|_fbp|_fbc)=[^;]*", "");
    }
    if (req.http.X-Consent-Cookies ~ "[^;\s]") {
        unset req.http.X-Consent-Cookies;
        return (pass);
    }
    unset req.http.X-Consent-Cookies;

    # Optional, for more hits: the banner's language is chosen from
    # Accept-Language, and pages vary on it as the browser sends it. Reduce
    # it to the site's ConsentLanguages (here nb nn en) before the lookup;
    # the server then chooses from the reduced field too, so what is kept
    # always matches what is keyed. A visitor who names none of them gets
    # the first.
    # if (req.http.Accept-Language ~ "(?i)^\s*(nb|no)\b") {
    #     set req.http.Accept-Language = "nb";
    # } elsif (req.http.Accept-Language ~ "(?i)^\s*nn\b") {
    #     set req.http.Accept-Language = "nn";
    # } elsif (req.http.Accept-Language ~ "(?i)^\s*en\b") {
    #     set req.http.Accept-Language = "en";
    # } else {
    #     unset req.http.Accept-Language;
    # }

    # Looked up by URL, host and consent state. The request still carries
    # the consent cookie: on a miss, the server reads the visitor's consent
    # from it and checks the key.
    return (hash);
}

sub vcl_hash {
    hash_data(req.url);
    if (req.http.host) {
        hash_data(req.http.host);
    } else {
        hash_data(server.ip);
    }
    if (req.http.Consent-State) {
        hash_data(req.http.Consent-State);
    }
    return (lookup);
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (beresp.http.Consent-State) {
        # A page mod_consent rewrote. Kept only when the module says so, for
        # the state it was made for, which is the key it was looked up by.
        if (beresp.http.Surrogate-Control ~ "(?i)(^|,)\s*max-age=[0-9]+\s*(,|$)" &&
            beresp.http.Surrogate-Control !~ "(?i)no-store" &&
            !beresp.http.Set-Cookie &&
            bereq.http.Consent-State &&
            beresp.http.Consent-State == bereq.http.Consent-State) {
            set beresp.ttl = std.duration(regsub(beresp.http.Surrogate-Control,
                "(?i)^(.*,)?\s*max-age=([0-9]+).*$", "\2") + "s", 0s);
            # The key replaces the Cookie it varies on (the page is the
            # same for every cookie with this key); the browser is told
            # the whole Vary again on delivery.
            set beresp.http.X-Consent-Vary = beresp.http.Vary;
            set beresp.http.Vary = regsuball("," + beresp.http.Vary,
                "(?i),\s*cookie\s*(?=,|$)", "");
            set beresp.http.Vary = regsub(beresp.http.Vary, "^,\s*", "");
            return (deliver);
        }
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    # Everything else as Varnish does by default: nothing private, nothing
    # that sets a cookie.
}

sub vcl_deliver {
    if (resp.http.X-Consent-Vary) {
        set resp.http.Vary = resp.http.X-Consent-Vary;
        unset resp.http.X-Consent-Vary;
    }
    # Fields for this cache only.
    unset resp.http.Surrogate-Control;
    unset resp.http.Consent-State;
}
