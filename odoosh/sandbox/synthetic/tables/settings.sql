-- Production configuration: everything Odoo's neutralisation has to switch off, and the secrets a
-- copy must not keep. Mail servers send for real, the fetchmail server polls, payment providers
-- are enabled with live keys, IAP accounts hold tokens, the website answers on its domain,
-- Google login is enabled, carriers ship in production, templates pick a mail server.

INSERT INTO ir_config_parameter (id, key, value, create_uid, write_uid, create_date, write_date)
SELECT id, key, value, 1, 1, pg_temp.installed_at(), pg_temp.installed_at()
  FROM pg_temp.main_company AS c
 CROSS JOIN LATERAL (VALUES
       (1, 'database.secret', pg_temp.uuid('database.secret')),
       (2, 'database.uuid', pg_temp.uuid('database.uuid')),
       (3, 'database.create_date', to_char(pg_temp.installed_at(), 'YYYY-MM-DD HH24:MI:SS')),
       (4, 'web.base.url', 'http://localhost:8069'),
       (5, 'mail.catchall.domain', c.domain),
       (6, 'mail.catchall.alias', 'catchall'),
       (7, 'mail.bounce.alias', 'bounce'),
       (8, 'mail.default.from', 'notifications'),
       (9, 'auth_signup.invitation_scope', 'b2b'),
       (10, 'auth_signup.reset_password', 'True'),
       (11, 'google_calendar_client_id', '4817' || pg_temp.rnd(1, 180, 10000000) || '-' || pg_temp.secret('gcal-client', 32) || '.apps.googleusercontent.com'),
       (12, 'google_calendar_client_secret', 'GOCSPX-' || pg_temp.secret('gcal-client-secret', 28)),
       (13, 'microsoft_calendar_client_id', pg_temp.uuid('ms-client')),
       (14, 'microsoft_calendar_client_secret', pg_temp.secret('ms-client-secret', 40)),
       (15, 'google_gmail_client_identifier', '4817' || pg_temp.rnd(1, 181, 10000000) || '-' || pg_temp.secret('gmail-client', 32) || '.apps.googleusercontent.com'),
       (16, 'google_gmail_client_secret', 'GOCSPX-' || pg_temp.secret('gmail-client-secret', 28))) AS p (id, key, value);

INSERT INTO ir_mail_server (id, name, smtp_host, smtp_port, smtp_authentication, smtp_user, smtp_pass, smtp_encryption,
                            from_filter, sequence, smtp_debug, active, google_gmail_authorization_code,
                            google_gmail_refresh_token, google_gmail_access_token, google_gmail_access_token_expiration,
                            create_uid, write_uid, create_date, write_date)
SELECT s.id, s.name, s.host, 587, s.authentication, s.mailbox || '@' || c.domain,
       CASE WHEN s.authentication = 'login' THEN pg_temp.secret('smtp-pass', 24) END, 'starttls',
       CASE WHEN s.id = 1 THEN c.domain ELSE s.mailbox || '@' || c.domain END, 10 * s.id, false, true,
       CASE WHEN s.authentication = 'gmail' THEN '4/0Ab' || pg_temp.secret('gmail-code', 70) END,
       CASE WHEN s.authentication = 'gmail' THEN '1//09' || pg_temp.secret('gmail-refresh', 100) END,
       CASE WHEN s.authentication = 'gmail' THEN 'ya29.a0Af' || pg_temp.secret('gmail-access', 120) END,
       CASE WHEN s.authentication = 'gmail' THEN 1704067200 END,
       2, 2, pg_temp.installed_at() + interval '1 day', pg_temp.installed_at() + interval '1 day'
  FROM pg_temp.main_company AS c
 CROSS JOIN LATERAL (VALUES (1, c.name || ' SMTP', 'smtp.' || c.domain, 'login', 'notifications'),
                            (2, 'Sales Gmail', 'smtp.gmail.com', 'gmail', 'sales')) AS s (id, name, host, authentication, mailbox);

INSERT INTO fetchmail_server (id, name, server, port, server_type, is_ssl, "user", password, state, active, object_id,
                              priority, attach, original, date, create_uid, write_uid, create_date, write_date)
SELECT s.id, s.name, s.host, s.port, s.server_type, true, s.mailbox || '@' || c.domain,
       pg_temp.secret('fetchmail:' || s.id, 20), 'done', true, s.model_id, 5, true, false, timestamp '2024-12-31 23:55:00', 2, 2,
       pg_temp.installed_at() + interval '1 day', pg_temp.installed_at() + interval '1 day'
  FROM pg_temp.main_company AS c
 CROSS JOIN LATERAL (VALUES (1, 'Catchall', 'imap.' || c.domain, 993, 'imap', 'catchall', 4),
                            (2, 'Jobs', 'pop.' || c.domain, 995, 'pop', 'jobs', 7))
       AS s (id, name, host, port, server_type, mailbox, model_id);

INSERT INTO mail_ice_server (id, server_type, uri, username, credential, create_uid, write_uid, create_date, write_date)
SELECT s.id, s.server_type, s.uri, s.username, s.credential, 2, 2, pg_temp.installed_at(), pg_temp.installed_at()
  FROM pg_temp.main_company AS c
 CROSS JOIN LATERAL (VALUES (1, 'stun', 'stun:stun.l.google.com:19302', NULL, NULL),
                            (2, 'turn', 'turn:turn.' || c.domain || ':3478?transport=udp', 'odoo', pg_temp.secret('turn', 32)))
       AS s (id, server_type, uri, username, credential);

INSERT INTO mail_template (id, model_id, model, mail_server_id, name, subject, body_html, email_from, partner_to, lang,
                           use_default_to, auto_delete, active, create_uid, write_uid, create_date, write_date)
SELECT t.id, t.model_id, t.model, t.mail_server_id, jsonb_build_object('en_US', t.name),
       jsonb_build_object('en_US', t.subject),
       jsonb_build_object('en_US', '<p>' || t.greeting || '</p><p>' || t.body || '</p><p>Best regards,<br>'
                                   || c.name || '<br>' || c.phone || ' | ' || c.email || '</p>'),
       '{{ (object.user_id.email_formatted or user.email_formatted) }}', '{{ object.partner_id.id }}',
       '{{ object.partner_id.lang }}', false, true, true, 2, 2,
       pg_temp.installed_at() + interval '3 days', pg_temp.installed_at() + interval '3 days'
  FROM pg_temp.main_company AS c
 CROSS JOIN LATERAL (VALUES
       (1, 4, 'crm.lead', 1, 'CRM: follow-up', '{{ object.name }}: next steps',
        'Dear {{ object.contact_name }},', 'Thank you for your interest. Shall we schedule a call this week?'),
       (2, 6, 'hr.employee', 1, 'Employees: welcome', 'Welcome to the team, {{ object.name }}',
        'Hello {{ object.name }},', 'Your first day starts at 9:00; ask for your manager at the reception.'),
       (3, 2, 'res.users', 2, 'Portal: invitation', 'Your account at {{ object.company_id.name }}',
        'Dear {{ object.name }},', 'You have been given access to our customer portal.'),
       (4, 7, 'hr.applicant', 1, 'Recruitment: interview', 'Interview for {{ object.name }}',
        'Dear {{ object.partner_name }},', 'We would like to invite you for an interview.'))
       AS t (id, model_id, model, mail_server_id, name, subject, greeting, body);

INSERT INTO payment_provider (id, sequence, company_id, module_id, code, state, module_state, name, pre_msg, done_msg,
                              is_published, allow_tokenization, capture_manually, allow_express_checkout, fees_active,
                              maximum_amount, stripe_publishable_key, stripe_secret_key, stripe_webhook_secret,
                              paypal_email_account, paypal_seller_account, paypal_pdt_token, paypal_use_ipn,
                              create_uid, write_uid, create_date, write_date)
SELECT p.id, 10 * p.id, 1, (SELECT m.id FROM ir_module_module AS m WHERE m.name = 'payment_' || p.code), p.code,
       'enabled', 'installed', jsonb_build_object('en_US', p.name),
       jsonb_build_object('en_US', '<p>You will be redirected to the ' || p.name
                                   || ' website after clicking on the payment button.</p>'),
       jsonb_build_object('en_US', '<p>Your payment has been successfully processed. Thank you!</p>'),
       true, p.code = 'stripe', false, p.code = 'stripe', false, 0,
       CASE WHEN p.code = 'stripe' THEN 'pk_live_51' || pg_temp.secret('stripe-pk', 96) END,
       CASE WHEN p.code = 'stripe' THEN 'sk_live_51' || pg_temp.secret('stripe-sk', 96) END,
       CASE WHEN p.code = 'stripe' THEN 'whsec_' || pg_temp.secret('stripe-webhook', 32) END,
       CASE WHEN p.code = 'paypal' THEN 'payments@' || c.domain END,
       CASE WHEN p.code = 'paypal' THEN upper(pg_temp.secret('paypal-seller', 13)) END,
       CASE WHEN p.code = 'paypal' THEN pg_temp.secret('paypal-pdt', 59) END,
       p.code = 'paypal',
       2, 2, pg_temp.installed_at() + interval '5 days', pg_temp.installed_at() + interval '5 days'
  FROM pg_temp.main_company AS c
 CROSS JOIN LATERAL (VALUES (1, 'stripe', 'Stripe'), (2, 'paypal', 'PayPal')) AS p (id, code, name);

INSERT INTO iap_account (id, service_name, account_token, create_uid, write_uid, create_date, write_date)
SELECT id, service_name, pg_temp.secret('iap:' || service_name, 32), 2, 2,
       pg_temp.installed_at() + interval '1 day', pg_temp.installed_at() + interval '1 day'
  FROM (VALUES (1, 'partner_autocomplete'), (2, 'reveal'), (3, 'sms')) AS a (id, service_name);

INSERT INTO website (id, sequence, company_id, default_lang_id, user_id, name, domain, social_twitter, social_facebook,
                     social_linkedin, social_instagram, google_analytics_key, google_search_console,
                     google_maps_api_key, plausible_shared_key, plausible_site, auth_signup_uninvited,
                     custom_code_head, robots_txt, auto_redirect_lang, cookies_bar, configurator_done,
                     has_social_default_image, cdn_activated, specific_user_account,
                     create_uid, write_uid, create_date, write_date)
SELECT 1, 10, 1, 1, 3, c.name || ' Online', 'https://www.' || c.domain, co.social_twitter, co.social_facebook,
       co.social_linkedin, co.social_instagram, 'G-' || upper(pg_temp.secret('ga', 10)),
       'google' || pg_temp.secret('search-console', 16) || '.html', 'AIzaSy' || pg_temp.secret('maps', 33),
       pg_temp.secret('plausible', 24), 'www.' || c.domain, 'b2c',
       '<script async src="https://www.googletagmanager.com/gtag/js?id=G-' || upper(pg_temp.secret('ga', 10)) || '"></script>',
       E'User-agent: *\nAllow: /\nSitemap: https://www.' || c.domain || '/sitemap.xml',
       true, true, true, false, false, false,
       2, 2, pg_temp.installed_at() + interval '4 days', pg_temp.installed_at() + interval '4 days'
  FROM pg_temp.main_company AS c
 CROSS JOIN res_company AS co;

INSERT INTO auth_oauth_provider (id, sequence, name, client_id, auth_endpoint, scope, validation_endpoint,
                                 data_endpoint, css_class, body, enabled, create_uid, write_uid, create_date, write_date)
SELECT id, 10 * id, name, client_id, auth_endpoint, scope, validation_endpoint, data_endpoint, css_class,
       jsonb_build_object('en_US', body), enabled, 1, 2, pg_temp.installed_at(), pg_temp.installed_at() + interval '6 days'
  FROM (VALUES
       (1, 'Odoo.com Accounts', NULL, 'https://accounts.odoo.com/oauth2/auth', 'userinfo',
        'https://accounts.odoo.com/oauth2/tokeninfo', NULL, 'fa fa-fw o_custom_icon', 'Log in with Odoo.com', false),
       (2, 'Facebook Graph', NULL, 'https://www.facebook.com/dialog/oauth', 'public_profile,email',
        'https://graph.facebook.com/me', 'https://graph.facebook.com/me?fields=id,name,email',
        'fa fa-fw fa-facebook-square', 'Log in with Facebook', false),
       (3, 'Google OAuth2', '4817' || pg_temp.rnd(1, 182, 10000000) || '-' || pg_temp.secret('oauth-client', 32) || '.apps.googleusercontent.com',
        'https://accounts.google.com/o/oauth2/auth', 'openid profile email',
        'https://www.googleapis.com/oauth2/v3/tokeninfo', 'https://www.googleapis.com/oauth2/v3/userinfo',
        'fa fa-fw fa-google', 'Log in with Google', true))
       AS p (id, name, client_id, auth_endpoint, scope, validation_endpoint, data_endpoint, css_class, body, enabled);

INSERT INTO delivery_carrier (id, sequence, company_id, product_id, shipping_insurance, delivery_type, integration_level,
                              invoice_policy, name, carrier_description, active, prod_environment, debug_logging,
                              free_over, return_label_on_delivery, get_return_label_from_portal, margin, amount,
                              fixed_price, create_uid, write_uid, create_date, write_date)
SELECT id, 10 * id, NULL, id, 0, 'fixed', 'rate_and_ship', 'estimated', jsonb_build_object('en_US', name),
       jsonb_build_object('en_US', description), true, true, false, free_over, false, false, 0, 150, price,
       2, 2, pg_temp.installed_at() + interval '7 days', pg_temp.installed_at() + interval '7 days'
  FROM (VALUES (1, 'Standard delivery', 'Delivered in 3 to 5 working days.', true, 6.5),
               (2, 'Express delivery', 'Delivered the next working day before noon.', false, 14.9))
       AS d (id, name, description, free_over, price);
