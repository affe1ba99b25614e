-- Scheduled actions, all active as in production, each running a server action (ir_cron
-- delegates to ir_act_server in Odoo 16), plus two manual server actions, one of which pushes
-- won leads to an external webhook. ir_model_data gives the records their XML ids: Odoo's own
-- neutralisation finds the auto-vacuum cron by 'base.autovacuum_job'.

INSERT INTO ir_act_server (id, name, type, binding_type, binding_model_id, usage, state, model_id, model_name, code,
                           template_id, sequence, create_uid, write_uid, create_date, write_date)
SELECT id, jsonb_build_object('en_US', name), 'ir.actions.server', 'action', binding_model_id,
       CASE WHEN id <= 6 THEN 'ir_cron' ELSE 'ir_actions_server' END, state, model_id,
       (SELECT m.model FROM ir_model AS m WHERE m.id = a.model_id), code, template_id, 5, 1, 1,
       pg_temp.installed_at(), pg_temp.installed_at()
  FROM (VALUES
       (1, 'Base: Auto-vacuum internal data', 11, NULL::integer, 'code', 'model._run_vacuum_cleaner()', NULL::integer),
       (2, 'Mail: Email Queue Manager', 9, NULL, 'code', 'model.process_email_queue()', NULL),
       (3, 'Mail: Fetchmail Service', 12, NULL, 'code', 'model._fetch_mails()', NULL),
       (4, 'CRM: Lead Assignment', 5, NULL, 'code', 'model._cron_assign_leads()', NULL),
       (5, 'Google Calendar: synchronization', 2, NULL, 'code', 'model._sync_all_google_calendar()', NULL),
       (6, 'HR Employee: check work permit validity', 6, NULL, 'code', 'model._cron_check_work_permit_validity()', NULL),
       (7, 'Push won leads to the accounting webhook', 4, 4, 'code',
        E'# POSTs every won lead to the bookkeeping SaaS\nurl = "https://hooks.zapier.com/hooks/catch/'
            || pg_temp.rnd(1, 190, 10000000) || '/' || pg_temp.secret('zapier', 7)
            || E'/"\nfor record in records:\n    record.message_post(body="Pushed to %s" % url)', NULL),
       (8, 'Send the follow-up email', 4, 4, 'mail_post', NULL, 1))
       AS a (id, name, model_id, binding_model_id, state, code, template_id);

INSERT INTO ir_cron (id, ir_actions_server_id, cron_name, user_id, active, interval_number, interval_type, numbercall,
                     doall, priority, nextcall, lastcall, create_uid, write_uid, create_date, write_date)
SELECT a.id, a.id, a.name, 1, true, c.interval_number, c.interval_type, -1, false, c.priority,
       timestamp '2025-01-01' + make_interval(mins => 7 * a.id), timestamp '2024-12-31' + make_interval(mins => 7 * a.id),
       1, 1, pg_temp.installed_at(), pg_temp.installed_at()
  FROM ir_act_server AS a
  JOIN (VALUES (1, 1, 'days', 3), (2, 1, 'hours', 5), (3, 5, 'minutes', 5), (4, 1, 'days', 10),
               (5, 12, 'hours', 5), (6, 1, 'days', 5)) AS c (id, interval_number, interval_type, priority)
    ON c.id = a.id;

INSERT INTO ir_model_data (module, name, model, res_id, noupdate, create_uid, write_uid, create_date, write_date)
SELECT module, name, model, res_id, noupdate, 1, 1, pg_temp.installed_at(), pg_temp.installed_at()
  FROM (VALUES
       ('base', 'main_company', 'res.company', 1, true), ('base', 'main_partner', 'res.partner', 1, true),
       ('base', 'partner_root', 'res.partner', 2, true), ('base', 'partner_admin', 'res.partner', 3, true),
       ('base', 'public_partner', 'res.partner', 4, true), ('base', 'user_root', 'res.users', 1, true),
       ('base', 'user_admin', 'res.users', 2, true), ('base', 'public_user', 'res.users', 3, true),
       ('base', 'lang_en', 'res.lang', 1, false), ('base', 'lang_fr_BE', 'res.lang', 2, false),
       ('base', 'lang_nl_BE', 'res.lang', 3, false), ('base', 'EUR', 'res.currency', 1, false),
       ('base', 'USD', 'res.currency', 2, false), ('base', 'GBP', 'res.currency', 3, false),
       ('base', 'be', 'res.country', 1, false), ('base', 'fr', 'res.country', 2, false),
       ('base', 'nl', 'res.country', 3, false), ('base', 'de', 'res.country', 4, false),
       ('base', 'uk', 'res.country', 5, false), ('base', 'lu', 'res.country', 6, false),
       ('base', 'es', 'res.country', 7, false), ('base', 'us', 'res.country', 8, false),
       ('resource', 'resource_calendar_std', 'resource.calendar', 1, true),
       ('sales_team', 'team_sales_department', 'crm.team', 1, true),
       ('crm', 'stage_lead1', 'crm.stage', 1, true), ('crm', 'stage_lead2', 'crm.stage', 2, true),
       ('crm', 'stage_lead3', 'crm.stage', 3, true), ('crm', 'stage_lead4', 'crm.stage', 4, true),
       ('mail', 'mt_comment', 'mail.message.subtype', 1, false), ('mail', 'mt_note', 'mail.message.subtype', 2, false),
       ('mail', 'mt_activities', 'mail.message.subtype', 3, false), ('crm', 'mt_lead_stage', 'mail.message.subtype', 4, false),
       ('base', 'autovacuum_job', 'ir.cron', 1, true),
       ('base', 'autovacuum_job_ir_actions_server', 'ir.actions.server', 1, true),
       ('mail', 'ir_cron_mail_scheduler_action', 'ir.cron', 2, true),
       ('mail', 'ir_cron_mail_scheduler_action_ir_actions_server', 'ir.actions.server', 2, true),
       ('mail', 'ir_cron_mail_gateway_action', 'ir.cron', 3, true),
       ('mail', 'ir_cron_mail_gateway_action_ir_actions_server', 'ir.actions.server', 3, true),
       ('crm', 'ir_cron_crm_lead_assign', 'ir.cron', 4, true),
       ('crm', 'ir_cron_crm_lead_assign_ir_actions_server', 'ir.actions.server', 4, true),
       ('google_calendar', 'ir_cron_sync_all_cals', 'ir.cron', 5, true),
       ('google_calendar', 'ir_cron_sync_all_cals_ir_actions_server', 'ir.actions.server', 5, true),
       ('hr', 'ir_cron_data_check_work_permit_validity', 'ir.cron', 6, true),
       ('hr', 'ir_cron_data_check_work_permit_validity_ir_actions_server', 'ir.actions.server', 6, true),
       ('website', 'default_website', 'website', 1, false),
       ('auth_oauth', 'provider_openerp', 'auth.oauth.provider', 1, false),
       ('auth_oauth', 'provider_facebook', 'auth.oauth.provider', 2, false),
       ('auth_oauth', 'provider_google', 'auth.oauth.provider', 3, false),
       ('payment', 'payment_provider_stripe', 'payment.provider', 1, true),
       ('payment', 'payment_provider_paypal', 'payment.provider', 2, true),
       ('delivery', 'free_delivery_carrier', 'delivery.carrier', 1, true))
       AS d (module, name, model, res_id, noupdate)
UNION ALL
SELECT 'base', 'module_' || name, 'ir.module.module', id, true, 1, 1, pg_temp.installed_at(), pg_temp.installed_at()
  FROM ir_module_module
ORDER BY 3, 4, 1, 2;
