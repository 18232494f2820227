<?php
/*
 * Plugin Name: Klinikk Nordlys – sporing og skjema
 * Description: What a clinic's site carries through plugins and the theme
 *   (Site Kit / "Insert Headers and Footers" style): the Google tag for GA4
 *   and Google Ads, the Meta Pixel, Mailchimp's embedded sign-up form, and
 *   cookies set from PHP. A must-use plugin of the mod_consent test site
 *   (tests/wordpress/wpsite.py); the IDs are made up.
 */

// The Google tag as Google gives it (GA4), then the Google Ads tag, then the
// Meta Pixel with its <noscript> image, all in <head> as the plugins put them.
add_action('wp_head', function () {
    ?>
<!-- Google tag (gtag.js) -->
<script async src="https://www.googletagmanager.com/gtag/js?id=G-KLINIKK123"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());

  gtag('config', 'G-KLINIKK123');
</script>
<!-- Google tag (gtag.js) for Google Ads -->
<script async src="https://www.googletagmanager.com/gtag/js?id=AW-987654321"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());

  gtag('config', 'AW-987654321');
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
fbq('init', '1122334455667788');
fbq('track', 'PageView');
</script>
<noscript><img height="1" width="1" style="display:none"
src="https://www.facebook.com/tr?id=1122334455667788&ev=PageView&noscript=1"
/></noscript>
<!-- End Meta Pixel Code -->
    <?php
}, 20);

// Mailchimp's embedded sign-up form (its "classic" embed code), in the footer
// as a widget or a form plugin puts it.
add_action('wp_footer', function () {
    ?>
<!-- Begin Mailchimp Signup Form -->
<link href="//cdn-images.mailchimp.com/embedcode/classic-071822.css" rel="stylesheet" type="text/css">
<div id="mc_embed_signup">
    <form action="https://klinikknordlys.us21.list-manage.com/subscribe/post?u=0f1e2d3c4b5a69788796a5b4c&amp;id=1a2b3c4d5e&amp;f_id=00c1d2e3f0" method="post" id="mc-embedded-subscribe-form" name="mc-embedded-subscribe-form" class="validate" target="_blank" novalidate>
        <div id="mc_embed_signup_scroll">
        <h2>Nyhetsbrev fra klinikken</h2>
<div class="mc-field-group">
	<label for="mce-EMAIL">E-postadresse  <span class="asterisk">*</span></label>
	<input type="email" value="" name="EMAIL" class="required email" id="mce-EMAIL" required>
</div>
	<div id="mce-responses" class="clear foot">
		<div class="response" id="mce-error-response" style="display:none"></div>
		<div class="response" id="mce-success-response" style="display:none"></div>
	</div>
    <div style="position: absolute; left: -5000px;" aria-hidden="true"><input type="text" name="b_0f1e2d3c4b5a69788796a5b4c_1a2b3c4d5e" tabindex="-1" value=""></div>
        <div class="clear foot"><input type="submit" value="Meld meg på" name="subscribe" id="mc-embedded-subscribe" class="button"></div>
    </div>
</form>
</div>
<script type='text/javascript' src='//s3.amazonaws.com/downloads.mailchimp.com/js/mc-validate.js'></script><script type='text/javascript'>(function($) {window.fnames = new Array(); window.ftypes = new Array();fnames[0]='EMAIL';ftypes[0]='email';}(jQuery));var $mcj = jQuery.noConflict(true);</script>
<!--End mc_embed_signup-->
    <?php
}, 20);

// Cookies from PHP, on the visitor's pages (not the dashboard, feeds,
// robots.txt or the REST API): Meta's browser id as the Pixel's server-side ("Conversions
// API") plugins set it — marketing; a booking plugin's PHP session —
// necessary; and a visit counter no catalogue knows — unclassified.
add_action('template_redirect', function () {
    if (is_feed() || is_robots() || is_favicon() || headers_sent()) {
        return;
    }
    if (!isset($_COOKIE['_fbp'])) {
        setcookie('_fbp', 'fb.1.' . time() . '000.' . mt_rand(100000000, 999999999),
                  time() + 90 * DAY_IN_SECONDS, '/');
    }
    if (!isset($_COOKIE['PHPSESSID'])) {
        setcookie('PHPSESSID', bin2hex(random_bytes(16)), 0, '/', '', false, true);
    }
    if (!isset($_COOKIE['klinikk_besok'])) {
        setcookie('klinikk_besok', (string) time(), time() + 30 * DAY_IN_SECONDS, '/');
    }
});

// A booking plugin's free-slots lookup for anonymous visitors through
// admin-ajax.php: JSON (with markup in it, as such plugins send), and the
// Meta browser id and Google Ads' click cookie its tracking sets.
function klinikk_ledige_timer() {
    setcookie('_fbp', 'fb.1.' . time() . '000.' . mt_rand(100000000, 999999999),
              time() + 90 * DAY_IN_SECONDS, '/');
    setcookie('_gcl_au', '1.1.' . mt_rand(100000000, 999999999) . '.' . time(),
              time() + 90 * DAY_IN_SECONDS, '/');
    wp_send_json(array(
        'dag' => 'mandag',
        'ledige' => array('09:00', '10:30', '14:15'),
        'html' => '<p>Ledige timer</p><script async src="https://www.googletagmanager.com/gtag/js?id=G-KLINIKK123"></script>'
            . '<iframe src="https://www.youtube.com/embed/aqz-KE-bpKQ"></iframe>',
    ));
}
add_action('wp_ajax_klinikk_ledige_timer', 'klinikk_ledige_timer');
add_action('wp_ajax_nopriv_klinikk_ledige_timer', 'klinikk_ledige_timer');

// oEmbed without network: WordPress asks YouTube's oEmbed endpoint for a
// video's player; here there is no network, so this answers for YouTube
// with the "html" YouTube's endpoint returns (width and height as asked).
// The rest is WordPress's own: the embed block, the_content's autoembed,
// the oEmbed cache in the post's meta, the wrapper and ?feature=oembed.
add_filter('pre_oembed_result', function ($result, $url, $args) {
    if (!preg_match('~^https://www\.youtube\.com/watch\?v=([A-Za-z0-9_-]{11})~', $url, $m)) {
        return $result;
    }
    $width = isset($args['width']) ? (int) $args['width'] : 500;
    $height = (int) round($width * 9 / 16);
    return sprintf('<iframe width="%d" height="%d" src="https://www.youtube.com/embed/%s?feature=oembed" '
        . 'frameborder="0" allow="accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; '
        . 'picture-in-picture; web-share" allowfullscreen title="Fem øvelser for en sterk rygg"></iframe>',
        $width, $height, $m[1]);
}, 10, 3);
