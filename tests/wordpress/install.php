<?php
/*
 * Installs the clinic's WordPress site from PHP's command line (run by
 * tests/wordpress/wpsite.py, which passes everything in the environment):
 * wp_install() as wp-admin/install.php would run it, then the settings and
 * content of the site.
 */
$root = getenv('MC_WP_ROOT');
$_SERVER['HTTP_HOST'] = getenv('MC_WP_HOST');
$_SERVER['SERVER_NAME'] = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/wp-admin/install.php';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REQUEST_METHOD'] = 'GET';
define('WP_INSTALLING', true);

// No mail leaves this machine: the "new site" notice is pluggable.
function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {}

require $root . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

$result = wp_install('Klinikk Nordlys', getenv('MC_WP_ADMIN'), getenv('MC_WP_EMAIL'), true, '',
                     wp_slash(getenv('MC_WP_PASSWORD')));
if (is_wp_error($result) || empty($result['user_id'])) {
    fwrite(STDERR, "wp_install failed\n");
    exit(1);
}

update_option('permalink_structure', '/%postname%/');
update_option('blogdescription', 'Fysioterapi og manuellterapi i Tromsø');
update_option('default_comment_status', 'open');
// a clinic reads every comment before it is shown
update_option('comment_moderation', 1);
// no mail leaves this machine (there is no MTA): no notices by e-mail
update_option('moderation_notify', 0);
update_option('comments_notify', 0);
update_option('timezone_string', 'Europe/Oslo');
switch_theme(getenv('MC_WP_THEME'));
// whole posts on the front page (the theme's default shows summaries)
set_theme_mod('display_excerpt_or_full_post', 'full');

// A post with a YouTube video: the URL alone on its line in an embed block,
// as the block editor saves it; WordPress turns it into the player's
// <iframe> through oEmbed when the post is shown (see klinikk.php).
$video = 'https://www.youtube.com/watch?v=aqz-KE-bpKQ';
$post = wp_insert_post(array(
    'post_title' => 'Øvelser for en sterk rygg',
    'post_name' => 'ovelser-for-en-sterk-rygg',
    'post_status' => 'publish',
    'post_author' => $result['user_id'],
    'comment_status' => 'open',
    'post_content' => "<!-- wp:paragraph -->\n<p>Fysioterapeuten vår viser fem enkle øvelser.</p>\n<!-- /wp:paragraph -->\n\n"
        . '<!-- wp:embed {"url":"' . $video . '","type":"video","providerNameSlug":"youtube","responsive":true,"className":"wp-embed-aspect-16-9 wp-has-aspect-ratio"} -->' . "\n"
        . '<figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube wp-embed-aspect-16-9 wp-has-aspect-ratio"><div class="wp-block-embed__wrapper">' . "\n"
        . $video . "\n</div></figure>\n<!-- /wp:embed -->",
), true);
if (is_wp_error($post)) {
    fwrite(STDERR, $post->get_error_message() . "\n");
    exit(1);
}
$page = wp_insert_post(array(
    'post_type' => 'page',
    'post_title' => 'Bestille time',
    'post_name' => 'bestille-time',
    'post_status' => 'publish',
    'post_author' => $result['user_id'],
    'post_content' => "<!-- wp:paragraph -->\n<p>Ring oss eller bestill time her.</p>\n<!-- /wp:paragraph -->",
), true);
flush_rewrite_rules(false);

// No network here: WordPress would ask WordPress.org for updates from the
// first page (wp-cron) and log a warning when it cannot reach it. Recorded
// as checked just now, as a site that can reach WordPress.org would have it.
// (not installing any more: transients go to the database again)
wp_installing(false);
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$now = time();
set_site_transient('update_core', (object) array('last_checked' => $now,
    'version_checked' => $GLOBALS['wp_version'], 'updates' => array(), 'translations' => array()));
$checked = array();
foreach (get_plugins() as $file => $data) {
    $checked[$file] = $data['Version'];
}
set_site_transient('update_plugins', (object) array('last_checked' => $now, 'checked' => $checked,
    'response' => array(), 'no_update' => array(), 'translations' => array()));
$checked = array();
foreach (wp_get_themes() as $slug => $theme) {
    $checked[$slug] = $theme->get('Version');
}
set_site_transient('update_themes', (object) array('last_checked' => $now, 'checked' => $checked,
    'response' => array(), 'no_update' => array(), 'translations' => array()));
// The languages WordPress.org offers (Settings > General asks for them):
// none here, as WordPress would have them for three hours after asking.
set_site_transient('available_translations', array(), 3 * HOUR_IN_SECONDS);
// ... and due again in twelve hours, as WordPress itself schedules them
foreach (array('wp_version_check', 'wp_update_plugins', 'wp_update_themes') as $hook) {
    if (!wp_next_scheduled($hook)) {
        wp_schedule_event($now + 12 * HOUR_IN_SECONDS, 'twicedaily', $hook);
    }
}
echo "installed: post $post, page $page\n";
