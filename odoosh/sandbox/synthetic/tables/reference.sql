-- Reference data every Odoo database has: languages, currencies, countries, the working-time
-- calendar, sales teams and stages, message subtypes, the models and tracked fields the other
-- recipes point at, and the installed modules. Created by OdooBot (user 1) at installation.

INSERT INTO res_lang (id, name, code, iso_code, url_code, direction, date_format, time_format,
                      week_start, "grouping", decimal_point, thousands_sep, active,
                      create_uid, write_uid, create_date, write_date)
SELECT id, name, code, iso_code, url_code, 'ltr', date_format, '%H:%M:%S', week_start, '[3,0]',
       decimal_point, thousands_sep, true, 1, 1, pg_temp.installed_at(), pg_temp.installed_at()
  FROM (VALUES (1, 'English (US)', 'en_US', 'en', 'en', '%m/%d/%Y', '7', '.', ','),
               (2, 'French (BE) / Français (BE)', 'fr_BE', 'fr_BE', 'fr_BE', '%d/%m/%Y', '1', ',', '.'),
               (3, 'Dutch (BE) / Nederlands (BE)', 'nl_BE', 'nl_BE', 'nl_BE', '%d-%m-%Y', '1', ',', '.'))
       AS l (id, name, code, iso_code, url_code, date_format, week_start, decimal_point, thousands_sep);

INSERT INTO res_currency (id, name, symbol, decimal_places, full_name, "position", currency_unit_label,
                          currency_subunit_label, rounding, active, create_uid, write_uid, create_date, write_date)
SELECT id, name, symbol, 2, full_name, "position", unit, subunit, 0.01, true, 1, 1,
       pg_temp.installed_at(), pg_temp.installed_at()
  FROM (VALUES (1, 'EUR', '€', 'Euro', 'after', 'Euros', 'Cents'),
               (2, 'USD', '$', 'United States dollar', 'before', 'Dollars', 'Cents'),
               (3, 'GBP', '£', 'Pound sterling', 'before', 'Pounds', 'Pence'))
       AS c (id, name, symbol, full_name, "position", unit, subunit);

-- The order of these countries is relied on by res_partner.sql (VAT prefixes).
INSERT INTO res_country (id, code, name, phone_code, currency_id, name_position, state_required,
                         zip_required, create_uid, write_uid, create_date, write_date)
SELECT id, code, jsonb_build_object('en_US', name), phone_code, currency_id, 'before', false, true, 1, 1,
       pg_temp.installed_at(), pg_temp.installed_at()
  FROM (VALUES (1, 'BE', 'Belgium', 32, 1), (2, 'FR', 'France', 33, 1), (3, 'NL', 'Netherlands', 31, 1),
               (4, 'DE', 'Germany', 49, 1), (5, 'GB', 'United Kingdom', 44, 3), (6, 'LU', 'Luxembourg', 352, 1),
               (7, 'ES', 'Spain', 34, 1), (8, 'US', 'United States', 1, 2))
       AS c (id, code, name, phone_code, currency_id);

INSERT INTO resource_calendar (id, company_id, name, tz, active, two_weeks_calendar, hours_per_day,
                               create_uid, write_uid, create_date, write_date)
VALUES (1, 1, 'Standard 40 hours/week', 'Europe/Brussels', true, false, 8.0, 1, 1,
        pg_temp.installed_at(), pg_temp.installed_at());

-- Team leaders are the first internal users (ids 4, 5, 6).
INSERT INTO crm_team (id, sequence, company_id, user_id, color, name, active, create_uid, write_uid,
                      create_date, write_date)
SELECT id, 10 * id, 1, 3 + id, id, jsonb_build_object('en_US', name), true, 2, 2,
       pg_temp.installed_at(), pg_temp.installed_at()
  FROM (VALUES (1, 'Sales'), (2, 'Website'), (3, 'Key Accounts')) AS t (id, name);

INSERT INTO crm_stage (id, sequence, name, is_won, fold, create_uid, write_uid, create_date, write_date)
SELECT id, sequence, jsonb_build_object('en_US', name), name = 'Won', false, 1, 1,
       pg_temp.installed_at(), pg_temp.installed_at()
  FROM (VALUES (1, 1, 'New'), (2, 2, 'Qualified'), (3, 3, 'Proposition'), (4, 70, 'Won')) AS s (id, sequence, name);

INSERT INTO mail_message_subtype (id, sequence, res_model, name, description, internal, "default", hidden,
                                  track_recipients, create_uid, write_uid, create_date, write_date)
SELECT id, sequence, res_model, jsonb_build_object('en_US', name),
       CASE WHEN description IS NOT NULL THEN jsonb_build_object('en_US', description) END,
       internal, true, false, false, 1, 1, pg_temp.installed_at(), pg_temp.installed_at()
  FROM (VALUES (1, 0, NULL, 'Discussions', NULL, false), (2, 100, NULL, 'Note', NULL, true),
               (3, 90, NULL, 'Activities', NULL, true),
               (4, 50, 'crm.lead', 'Stage Changed', 'Stage changed', true))
       AS s (id, sequence, res_model, name, description, internal);

-- Models referenced by ids elsewhere: 4 crm.lead, 6 hr.employee, 7 hr.applicant, 9 mail.mail,
-- 11 ir.autovacuum, 12 fetchmail.server.
INSERT INTO ir_model (id, model, "order", state, name, transient, is_mail_thread, is_mail_activity,
                      is_mail_blacklist, create_uid, write_uid, create_date, write_date)
SELECT id, model, "order", 'base', jsonb_build_object('en_US', name), false, thread, thread, model = 'crm.lead',
       1, 1, pg_temp.installed_at(), pg_temp.installed_at()
  FROM (VALUES (1, 'res.partner', 'display_name ASC, id DESC', 'Contact', true),
               (2, 'res.users', 'name, login', 'User', true),
               (3, 'res.company', 'sequence, name', 'Companies', true),
               (4, 'crm.lead', 'priority desc, id desc', 'Lead/Opportunity', true),
               (5, 'crm.team', 'sequence ASC, create_date DESC, id DESC', 'Sales Team', true),
               (6, 'hr.employee', 'name', 'Employee', true),
               (7, 'hr.applicant', 'priority desc, id desc', 'Applicant', true),
               (8, 'mail.message', 'id desc', 'Message', false),
               (9, 'mail.mail', 'id desc', 'Outgoing Mails', false),
               (10, 'ir.attachment', 'id desc', 'Attachment', false),
               (11, 'ir.autovacuum', 'id', 'Automatic Vacuum', false),
               (12, 'fetchmail.server', 'priority', 'Incoming Mail Server', false))
       AS m (id, model, "order", name, thread);

-- The crm.lead fields that carry tracking (mail_tracking_value.field), then the custom fields.
INSERT INTO ir_model_fields (id, model_id, model, name, ttype, relation, state, field_description, store,
                             readonly, required, copied, tracking, create_uid, write_uid, create_date, write_date)
SELECT id, model_id, model, name, ttype, relation, state, jsonb_build_object('en_US', label), true,
       false, false, true, tracking, 1, 1, pg_temp.installed_at(), pg_temp.installed_at()
  FROM (VALUES (1, 4, 'crm.lead', 'stage_id', 'many2one', 'crm.stage', 'Stage', 1, 'base'),
               (2, 4, 'crm.lead', 'user_id', 'many2one', 'res.users', 'Salesperson', 1, 'base'),
               (3, 4, 'crm.lead', 'partner_id', 'many2one', 'res.partner', 'Customer', 10, 'base'),
               (4, 4, 'crm.lead', 'partner_name', 'char', NULL, 'Company Name', 20, 'base'),
               (5, 4, 'crm.lead', 'contact_name', 'char', NULL, 'Contact Name', 30, 'base'),
               (6, 4, 'crm.lead', 'email_from', 'char', NULL, 'Email', 40, 'base'),
               (7, 4, 'crm.lead', 'phone', 'char', NULL, 'Phone', 50, 'base'),
               (8, 4, 'crm.lead', 'expected_revenue', 'monetary', NULL, 'Expected Revenue', 1, 'base'),
               (9, 1, 'res.partner', 'x_date_of_birth', 'date', NULL, 'Date of birth', NULL, 'manual'),
               (10, 1, 'res.partner', 'x_private_notes', 'text', NULL, 'Private notes', NULL, 'manual'),
               (11, 4, 'crm.lead', 'x_referrer_email', 'char', NULL, 'Referrer email', NULL, 'manual'))
       AS f (id, model_id, model, name, ttype, relation, label, tracking, state);

INSERT INTO ir_module_module (id, name, shortdesc, summary, author, website, state, latest_version, license,
                              application, auto_install, sequence, demo, web, to_buy, icon,
                              create_uid, write_uid, create_date, write_date)
SELECT id, name, jsonb_build_object('en_US', shortdesc), jsonb_build_object('en_US', summary), 'Odoo S.A.',
       'https://www.odoo.com/app/' || name, 'installed', '16.0.' || version, 'LGPL-3', application,
       NOT application, 100, false, name IN ('web', 'mail', 'website', 'web_editor'), false,
       '/' || name || '/static/description/icon.png', 1, 1, pg_temp.installed_at(), pg_temp.installed_at()
  FROM (VALUES (1, 'base', 'Base', 'The kernel of Odoo, needed for all installation', '1.3', false),
               (2, 'web', 'Web', 'Odoo Web core module', '1.0', false),
               (3, 'bus', 'IM Bus', 'Instant messaging bus', '1.0', false),
               (4, 'base_setup', 'Initial Setup Tools', 'Initial setup tools', '1.0', false),
               (5, 'mail', 'Discuss', 'Chat, mail gateway and private channels', '1.10', true),
               (6, 'contacts', 'Contacts', 'Centralize your address book', '1.0', true),
               (7, 'iap', 'In-App Purchases', 'Basic models and helpers to support In-App purchases', '1.1', false),
               (8, 'phone_validation', 'Phone Numbers Validation', 'Validate and format phone numbers', '2.1', false),
               (9, 'partner_autocomplete', 'Partner Autocomplete', 'Auto-complete partner companies data', '1.1', false),
               (10, 'resource', 'Resource', 'Resource management', '1.1', false),
               (11, 'utm', 'UTM Trackers', 'Track campaigns, mediums and sources', '1.1', false),
               (12, 'calendar', 'Calendar', 'Schedule employees meetings', '1.1', true),
               (13, 'sales_team', 'Sales Teams', 'Sales Teams', '1.1', false),
               (14, 'crm', 'CRM', 'Track leads and close opportunities', '1.7', true),
               (15, 'hr', 'Employees', 'Centralize employee information', '1.1', true),
               (16, 'hr_recruitment', 'Recruitment', 'Track your recruitment pipeline', '1.1', true),
               (17, 'auth_signup', 'Signup', 'Allow users to sign up and reset their password', '1.0', false),
               (18, 'auth_totp', 'Two-Factor Authentication (TOTP)', 'Two-factor authentication', '1.0', false),
               (19, 'auth_oauth', 'OAuth2 Authentication', 'Allow users to login through OAuth2 Provider', '1.0', false),
               (20, 'portal', 'Customer Portal', 'Customer Portal', '1.0', false),
               (21, 'payment', 'Payment Engine', 'The payment engine used by payment provider modules.', '2.0', false),
               (22, 'payment_stripe', 'Payment Provider: Stripe', 'An Irish-American payment provider covering the US and many others.', '2.0', false),
               (23, 'payment_paypal', 'Payment Provider: Paypal', 'An American payment provider for online payments all over the world.', '2.0', false),
               (24, 'web_editor', 'Web Editor', 'Generic Html Editor', '1.0', false),
               (25, 'website', 'Website', 'Enterprise website builder', '1.0', true),
               (26, 'website_crm', 'Contact Form', 'Generate leads from a contact form', '2.1', false),
               (27, 'google_calendar', 'Google Calendar', 'Synchronize events with Google Calendar', '1.0', false),
               (28, 'microsoft_calendar', 'Outlook Calendar', 'Outlook Calendar', '1.0', false),
               (29, 'google_gmail', 'Google Gmail', 'Send and receive email with your Gmail account', '1.2', false),
               (30, 'product', 'Products & Pricelists', 'Products & Pricelists', '1.2', false),
               (31, 'delivery', 'Delivery Costs', 'Compute shipping costs and ship with DHL, FedEx, UPS, USPS...', '1.0', false),
               (32, 'mail_bot', 'OdooBot', 'Add OdooBot in discussions', '1.2', false),
               (33, 'digest', 'KPI Digests', 'Digest emails', '1.1', false))
       AS m (id, name, shortdesc, summary, version, application);
