/* The lexer's tree (html_lex.c with TREE on): which start tags a browser's
 * HTML parser makes HTML elements and which SVG or MathML ones, where raw
 * text and CDATA sections hide markup, as the HTML standard's tree
 * construction rules for foreign content say ("parsing main in foreign
 * content", integration points, breakout tags). Each case is written from
 * the standard, not from the lexer's output. */
#include <stdio.h>
#include <string.h>

#include "html_lex.h"
#include "unit.h"

/* IN as the lexer reads it, one word per start tag or markup: "name:h" an
 * HTML element (the rewriter acts on it), "name:f" a foreign one, "name:u"
 * foreign to the lexer that may be HTML to a browser (uncertain), "name:i"
 * inside an inert <template>; <font> and <annotation-xml> in foreign
 * content by name alone (their attributes decide at their end). "cdata",
 * "comment", "bogus" for markup. Tags inside raw text and CDATA are text:
 * they are not listed. Fed in pieces of STEP bytes. */
static const char *read_in_steps(const char *in, size_t step)
{
    static char out[2048];
    size_t len = strlen(in), used = 0;
    mc_lex_t lx;
    char word[64];

    out[0] = '\0';
    mc_lex_init(&lx, 1);
    for (size_t at = 0; at < len; at += step) {
        size_t n = len - at < step ? len - at : step;
        mc_lex_event_t ev;

        mc_lex_chunk(&lx, in + at, n);
        while ((ev = mc_lex_next(&lx)) != MC_LEX_MORE) {
            word[0] = '\0';
            if (ev == MC_LEX_TAG_NAME && !lx.end_tag) {
                char kind = mc_lex_inert(&lx)          ? 'i'
                            : mc_lex_html_context(&lx) ? 'h'
                            : mc_lex_uncertain(&lx)    ? 'u'
                                                       : 'f';

                if (lx.tag == MC_TAG_FONT || lx.tag == MC_TAG_ANNOTATION_XML)
                    snprintf(word, sizeof(word), "%s", lx.name);
                else
                    snprintf(word, sizeof(word), "%s:%c", lx.name, kind);
            } else if (ev == MC_LEX_TAG_END && lx.tree_pending) {
                mc_lex_off_t end = mc_lex_pos(&lx);

                mc_lex_tree_attrs(&lx, in + lx.tok_start, (size_t)(end - lx.tok_start));
            } else if (ev == MC_LEX_MARKUP_END) {
                snprintf(word, sizeof(word), "%s",
                         lx.markup == MC_MARKUP_CDATA     ? "cdata"
                         : lx.markup == MC_MARKUP_COMMENT ? "comment"
                         : lx.markup == MC_MARKUP_BOGUS   ? "bogus"
                                                          : "other");
            }
            if (word[0])
                used +=
                    (size_t)snprintf(out + used, sizeof(out) - used, "%s%s", used ? " " : "", word);
        }
    }
    return out;
}

static void assert_read(const char *in, const char *want)
{
    const size_t steps[] = {100000, 1, 3, 7};

    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        ck_assert_msg(strcmp(read_in_steps(in, steps[i]), want) == 0,
                      "%s\n  read (pieces of %zu): %s\n  want: %s", in, steps[i],
                      read_in_steps(in, steps[i]), want);
}

START_TEST(font_with_color_face_or_size_breaks_out)
{
    assert_read("<svg><font color=\"red\"><script src=x></script>", "svg:h font script:h");
    assert_read("<svg><font FACE=a><iframe src=x></iframe>", "svg:h font iframe:h");
    assert_read("<SVG><FoNt SiZe=1><IFRAME>", "svg:h font iframe:h");
    assert_read("<math><font size=2><xmp><img></xmp>", "math:h font xmp:h");
    /* without them it is an SVG element: no raw text after it */
    assert_read("<svg><font><script>", "svg:h font script:f");
    assert_read("<svg><font colour=red><style><img></style>", "svg:h font style:f img:h");
    assert_read("<svg><font color><xmp><img>", "svg:h font xmp:h");
    /* a breakout inside an integration point leaves it HTML */
    assert_read("<svg><desc><svg><font face=x><script>", "svg:h desc:f svg:h font script:h");
}
END_TEST

START_TEST(every_breakout_tag_ends_foreign_content)
{
    static const char *const tags[] = {
        "b",      "big",  "blockquote", "body",  "br",   "center", "code",    "dd",   "div",
        "dl",     "dt",   "em",         "embed", "h1",   "h2",     "h3",      "h4",   "h5",
        "h6",     "head", "hr",         "i",     "img",  "li",     "listing", "menu", "meta",
        "nobr",   "ol",   "p",          "pre",   "ruby", "s",      "small",   "span", "strong",
        "strike", "sub",  "sup",        "table", "tt",   "u",      "ul",      "var"};
    char in[128], want[128];

    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
        snprintf(in, sizeof(in), "<svg><%s><xmp><img></xmp>", tags[i]);
        snprintf(want, sizeof(want), "svg:h %s:h xmp:h", tags[i]);
        assert_read(in, want);
        snprintf(in, sizeof(in), "<math><%s><xmp><img></xmp>", tags[i]);
        snprintf(want, sizeof(want), "math:h %s:h xmp:h", tags[i]);
        assert_read(in, want);
    }
    /* and the end tags </p> and </br> */
    assert_read("<svg></p><xmp><img></xmp>", "svg:h xmp:h");
    assert_read("<svg></br><style><img></style>", "svg:h style:h");
    assert_read("<svg><g></P><iframe>", "svg:h g:f iframe:h");
}
END_TEST

START_TEST(annotation_xml_holds_html_by_its_encoding)
{
    assert_read("<math><annotation-xml encoding=\"text/html\"><script src=x>",
                "math:h annotation-xml script:h");
    assert_read("<math><annotation-xml encoding=\"TEXT/Html\"><iframe>",
                "math:h annotation-xml iframe:h");
    assert_read("<math><annotation-xml encoding='application/xhtml+xml'><iframe>",
                "math:h annotation-xml iframe:h");
    /* the value as the tokenizer gives it, references decoded */
    assert_read("<math><annotation-xml encoding=\"text&sol;html\"><iframe>",
                "math:h annotation-xml iframe:h");
    /* the first of two counts */
    assert_read("<math><annotation-xml encoding=x encoding=text/html><style><img>",
                "math:h annotation-xml style:f img:h");
    assert_read("<math><annotation-xml encoding=\"text/htm\"><iframe>",
                "math:h annotation-xml iframe:f");
    assert_read("<math><annotation-xml encoding=\" text/html\"><iframe>",
                "math:h annotation-xml iframe:f");
    /* without it, an <svg> inside is still an SVG root */
    assert_read("<math><annotation-xml><svg><desc><iframe>",
                "math:h annotation-xml svg:h desc:f iframe:h");
    /* in SVG it is nothing special */
    assert_read("<svg><annotation-xml encoding=text/html><iframe>",
                "svg:h annotation-xml iframe:f");
    /* closed, foreign content goes on */
    assert_read("<math><annotation-xml encoding=text/html></annotation-xml><style><img>",
                "math:h annotation-xml style:f img:h");
}
END_TEST

START_TEST(integration_points_hold_html)
{
    assert_read("<svg><foreignObject><iframe>", "svg:h foreignobject:f iframe:h");
    assert_read("<svg><desc><iframe>", "svg:h desc:f iframe:h");
    assert_read("<svg><title><style><img></style></title>", "svg:h title:f style:h");
    assert_read("<math><mi><iframe>", "math:h mi:f iframe:h");
    assert_read("<math><mo><iframe>", "math:h mo:f iframe:h");
    assert_read("<math><mn><iframe>", "math:h mn:f iframe:h");
    assert_read("<math><ms><iframe>", "math:h ms:f iframe:h");
    assert_read("<math><mtext><iframe>", "math:h mtext:f iframe:h");
    /* <mglyph> and <malignmark> stay MathML there, and what is inside them is foreign */
    assert_read("<math><mi><mglyph><style><img>", "math:h mi:f mglyph:f style:f img:h");
    assert_read("<math><mi><malignmark/><iframe>", "math:h mi:f malignmark:f iframe:h");
    /* an <svg> inside an integration point is a root, its <script> an SVG one */
    assert_read("<math><mi><svg><script href=x>", "math:h mi:f svg:h script:f");
    assert_read("<svg><desc><svg><script>", "svg:h desc:f svg:h script:f");
    /* the integration points of one namespace are not the other's */
    assert_read("<math><svg><desc><xmp><img>", "math:h svg:f desc:f xmp:f img:h");
    assert_read("<svg><mi><xmp><img>", "svg:h mi:f xmp:f img:h");
    /* deep: svg in math in svg */
    assert_read("<svg><foreignObject><math><mi><svg><desc><iframe>",
                "svg:h foreignobject:f math:h mi:f svg:h desc:f iframe:h");
}
END_TEST

START_TEST(end_tags_close_what_a_browser_closes)
{
    /* </svg> from inside an integration point closes both */
    assert_read("<svg><desc></svg><iframe>", "svg:h desc:f iframe:h");
    /* an end tag closes the innermost foreign element of its name, and what is in it */
    assert_read("<svg><g><desc></g><style><img>", "svg:h g:f desc:f style:f img:h");
    assert_read("<math><math><mi></math><style><img>", "math:h math:f mi:f style:f img:h");
    assert_read("<svg><a></a></svg><xmp><img></xmp>", "svg:h a:f xmp:h");
    assert_read("<svg><svg></svg><style><img>", "svg:h svg:f style:f img:h");
    /* a stray HTML end tag is ignored: still foreign */
    assert_read("<svg><desc></div><iframe>", "svg:h desc:f iframe:h");
    assert_read("<svg><desc></desc></div><style><img>", "svg:h desc:f style:u img:h");
    /* self-closing roots open nothing */
    assert_read("<svg/><xmp><img></xmp>", "svg:h xmp:h");
    assert_read("<math/><xmp><img></xmp>", "math:h xmp:h");
    /* </svg> with nothing open, </body> and </html> inside, change nothing */
    assert_read("</svg><xmp><img></xmp>", "xmp:h");
    assert_read("<svg></body></html><style><img>", "svg:h style:f img:h");
}
END_TEST

START_TEST(what_the_lexer_cannot_know_is_read_both_ways)
{
    /* the <div> around it may be open (then </div> ends the <svg>) or not:
     * read on as foreign, saying so; the breakout <img> is HTML either way */
    assert_read("<div><svg></div><iframe>", "div:h svg:h iframe:u");
    assert_read("<svg></div><xmp><img></xmp>", "svg:h xmp:u img:h");
    assert_read("<svg></span><template><img></template>", "svg:h template:u img:h");
    /* HTML open inside an integration point: </desc> does nothing while
     * it is (a browser ignores it), or closes it */
    assert_read("<svg><desc><div></desc><iframe>", "svg:h desc:f div:h iframe:u");
    assert_read("<svg><desc><p>x</p></desc><iframe>", "svg:h desc:f p:h iframe:u");
    /* "</div>" closes no <p> (a <foreignObject> bounds its scope): the <p>
     * is still open, "</foreignObject>" does nothing and the <iframe> is HTML */
    assert_read("<svg><foreignObject><p></div></foreignObject><iframe>",
                "svg:h foreignobject:f p:h iframe:u");
    /* nothing HTML was opened inside: certain */
    assert_read("<svg><desc>text</desc><iframe>", "svg:h desc:f iframe:f");
    /* foreign content nested deeper than the lexer follows */
    {
        char in[1024] = "<svg>";

        for (int i = 0; i < MC_LEX_FRAMES_MAX; i++)
            strcat(in, i % 2 ? "<a>" : "<g>");
        strcat(in, "<iframe>");
        ck_assert_msg(strstr(read_in_steps(in, 100000), "iframe:u") != NULL, "%s",
                      read_in_steps(in, 100000));
    }
    /* uncertain, the lexer hides nothing: no CDATA section, no raw text */
    assert_read("<div><svg></div><![CDATA[><iframe>]]>", "div:h svg:h bogus iframe:u");
    assert_read("<div><svg></div><desc><style><img></style>", "div:h svg:h desc:u style:h img:h");
    /* HTML opened inside an integration point: whether one is still open
     * (no CDATA then) is a count the lexer may get wrong ("</i>" closes
     * no <b>): read as a bogus comment, uncertain */
    assert_read("<svg><desc><b></i><![CDATA[><iframe>]]>", "svg:h desc:f b:h bogus iframe:h");
    assert_read("<svg><desc><b></i><![CDATA[><style>]]><img>",
                "svg:h desc:f b:h bogus style:h img:h");
    /* after a <frameset> a browser ignores an <svg>, unless it ignored the
     * <frameset> (a body had begun) */
    assert_read("<frameset><svg><frame src=x>", "frameset:h svg:h frame:u");
    assert_read("<body><p>x<frameset><svg><style><img>",
                "body:h p:h frameset:h svg:h style:u img:h");
    /* ended, it is certain again */
    assert_read("<div><svg></div></svg><iframe>", "div:h svg:h iframe:h");
}
END_TEST

START_TEST(cdata_only_in_foreign_content)
{
    assert_read("<svg><![CDATA[<img>]]><img>", "svg:h cdata img:h");
    assert_read("<![CDATA[<img>]]>", "bogus");
    assert_read("<svg><desc><![CDATA[<img>]]><iframe>", "svg:h desc:f cdata iframe:h");
    /* an HTML element current inside it: no CDATA */
    assert_read("<svg><desc><b><![CDATA[<img>]]>", "svg:h desc:f b:h bogus");
    assert_read("<math><mi><![CDATA[<img>]]>", "math:h mi:f cdata");
    assert_read("<svg><!--<img>--><img>", "svg:h comment img:h");
    assert_read("<svg><![cdata[<img>]]>", "svg:h bogus");
}
END_TEST

START_TEST(templates_and_tables_around_foreign_content)
{
    assert_read("<template><svg></template><img>", "template:h svg:i img:h");
    assert_read("<svg><template><xmp><img>", "svg:h template:f xmp:f img:h");
    assert_read("<table><svg><xmp><img>", "table:h svg:h xmp:f img:h");
    assert_read("<template><svg><desc></template><style><img></style>",
                "template:h svg:i desc:i style:h");
    /* raw text elements in HTML hide what looks like foreign content */
    assert_read("<textarea><svg></textarea><xmp><img></xmp>", "textarea:h xmp:h");
    assert_read("<title><svg></title><style><img></style>", "title:h style:h");
    assert_read("<noembed><svg></noembed><noframes><img></noframes>", "noembed:h noframes:h");
    assert_read("<iframe><svg></iframe><xmp><img></xmp>", "iframe:h xmp:h");
    assert_read("<plaintext><svg><img>", "plaintext:h");
}
END_TEST

/* Each start tag that changes how what follows is read does so however it
 * is written (attributes or none, any case, self-closing or not where that
 * counts) and with enough bytes around it for the lexer's fast reading of
 * tags; the tags around it, which change nothing, leave the reading as it
 * is. Raw text hides the <img> inside; foreign content makes <path> an SVG
 * element; a template makes its content inert. */
START_TEST(tags_that_change_the_reading_do_so_however_written)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"<ul class=a><li>x</li><script id=s><img></script><img>", "ul:h li:h script:h img:h"},
        {"<ul class=a><li>x</li><SCRIPT/><img></SCRIPT><img>", "ul:h li:h script:h img:h"},
        {"<ul class=a><li>x</li><style media=x><img></style><img>", "ul:h li:h style:h img:h"},
        {"<ul class=a><li>x</li><xmp><img></xmp><img>", "ul:h li:h xmp:h img:h"},
        {"<ul class=a><li>x</li><iframe src=x><img></iframe><img>", "ul:h li:h iframe:h img:h"},
        {"<ul class=a><li>x</li><noembed><img></noembed><img>", "ul:h li:h noembed:h img:h"},
        {"<ul class=a><li>x</li><noframes><img></noframes><img>", "ul:h li:h noframes:h img:h"},
        {"<ul class=a><li>x</li><textarea name=t><img></textarea><img>",
         "ul:h li:h textarea:h img:h"},
        {"<ul class=a><li>x</li><Title lang=nb><img></title><img>", "ul:h li:h title:h img:h"},
        {"<ul class=a><li>x</li><plaintext class=p><img></plaintext><img>",
         "ul:h li:h plaintext:h"},
        {"<ul class=a><li>x</li><svg viewBox='0 0 1 1'><path d=x></path></svg><img>",
         "ul:h li:h svg:h path:f img:h"},
        {"<ul class=a><li>x</li><svg/><path d=x><img>", "ul:h li:h svg:h path:h img:h"},
        {"<ul class=a><li>x</li><math display=block><mi>x</mi></math><img>",
         "ul:h li:h math:h mi:f img:h"},
        {"<ul class=a><li>x</li><template id=t><img></template><img>",
         "ul:h li:h template:h img:i img:h"},
        {"<ul class=a><li>x</li><template><template></template><img></template><img>",
         "ul:h li:h template:h template:i img:i img:h"},
        {"<ul class=a><li>x</li></template><div><img class=x></div><img>",
         "ul:h li:h div:h img:h img:h"}};

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_read(cases[i].in, cases[i].want);
}
END_TEST

Suite *html_tree_suite(void)
{
    Suite *s = suite_create("html_tree");
    TCase *tc = tcase_create("tree");

    tcase_add_test(tc, font_with_color_face_or_size_breaks_out);
    tcase_add_test(tc, every_breakout_tag_ends_foreign_content);
    tcase_add_test(tc, annotation_xml_holds_html_by_its_encoding);
    tcase_add_test(tc, integration_points_hold_html);
    tcase_add_test(tc, end_tags_close_what_a_browser_closes);
    tcase_add_test(tc, what_the_lexer_cannot_know_is_read_both_ways);
    tcase_add_test(tc, cdata_only_in_foreign_content);
    tcase_add_test(tc, templates_and_tables_around_foreign_content);
    tcase_add_test(tc, tags_that_change_the_reading_do_so_however_written);
    suite_add_tcase(s, tc);
    return s;
}
