-- Partners, laid out as plan.py describes: the company (1), OdooBot (2), the users' partners (the
-- admin is 3, the public user 4), the work contacts of employees without a user, the employees'
-- private addresses (named after their employee), then customers: every fifth a company, the
-- others its contacts, who use the company's email domain.

WITH partner AS (
    SELECT g.id, k.kind,
           CASE WHEN k.kind = 'person' AND g.id - mod(g.id, 5) >= plan.contact_partner0
                THEN g.id - mod(g.id, 5) END AS parent_id,
           -- a private address bears its employee's name: key the name pools by the work contact
           CASE WHEN k.kind <> 'private' THEN g.id
                WHEN e.id = 1 THEN 3
                WHEN e.id <= plan.linked_employees THEN e.id + 3
                ELSE plan.emp_work_partner0 + e.id - plan.linked_employees - 1 END AS name_key
      FROM plan
     CROSS JOIN generate_series(1, plan.partners) AS g (id)
     CROSS JOIN LATERAL (SELECT g.id - plan.emp_home_partner0 + 1 AS id) AS e
     CROSS JOIN LATERAL (
           SELECT CASE WHEN g.id = 1 THEN 'company'
                       WHEN g.id = 2 THEN 'bot'
                       WHEN g.id = 4 THEN 'public'
                       WHEN g.id <= plan.internal_users + 4 THEN 'internal'
                       WHEN g.id < plan.emp_work_partner0 THEN 'portal'
                       WHEN g.id < plan.emp_home_partner0 THEN 'work'
                       WHEN g.id < plan.contact_partner0 THEN 'private'
                       WHEN mod(g.id, 5) = 0 THEN 'company'
                       ELSE 'person' END AS kind) AS k
), main AS (
    SELECT pg_temp.company_domain(c.norm, 1) AS domain
      FROM pool_company AS c
     WHERE c.i = pg_temp.pick(1, 3)
), contact AS (
    SELECT p.id, p.kind, p.parent_id,
           CASE p.kind WHEN 'company' THEN co.v WHEN 'bot' THEN 'OdooBot' WHEN 'public' THEN 'Public user'
                       ELSE fn.v || ' ' || ln.v END AS name,
           pc.v AS parent_name,
           CASE p.kind WHEN 'company' THEN 'info' WHEN 'bot' THEN 'odoobot'
                       ELSE fn.norm || '.' || ln.norm || p.id END AS mailbox,
           CASE WHEN p.kind = 'company' THEN pg_temp.company_domain(co.norm, p.id)
                WHEN p.parent_id IS NOT NULL THEN pg_temp.company_domain(pc.norm, p.parent_id)
                WHEN p.kind = 'bot' THEN 'example.com'
                WHEN p.kind IN ('internal', 'work') THEN main.domain
                ELSE dom.v END AS domain,
           CASE WHEN p.kind NOT IN ('bot', 'public') THEN ph.v END AS phone,
           CASE WHEN has_mobile THEN mob.v END AS mobile,
           -- Odoo sanitizes the mobile number if there is one, else the phone
           CASE WHEN has_mobile THEN mob.norm WHEN p.kind NOT IN ('bot', 'public') THEN ph.norm END AS phone_sanitized,
           CASE WHEN pg_temp.rnd(p.id, 9, 2) = 0 THEN 1 ELSE 1 + pg_temp.rnd(p.id, 10, 8) END AS country_id,
           p.kind IN ('company', 'bot', 'public', 'portal', 'private', 'person') AS share,
           fn.norm || ln.norm AS handle, job.v AS job, st.v AS street, st2.v AS street2, zip.v AS zip,
           city.v AS city, para.v AS paragraph,
           fn2.v || ' ' || ln2.v AS other_name, fn2.norm || '@' || dom2.v AS other_email, ph2.v AS other_phone
      FROM partner AS p
     CROSS JOIN main
     CROSS JOIN LATERAL (
           SELECT p.kind NOT IN ('bot', 'public', 'company') AND pg_temp.rnd(p.id, 7, 10) < 7 AS has_mobile) AS m
      JOIN pool_first_name AS fn ON fn.i = pg_temp.pick(p.name_key, 1)
      JOIN pool_last_name AS ln ON ln.i = pg_temp.pick(p.name_key, 2)
      JOIN pool_company AS co ON co.i = pg_temp.pick(p.id, 3)
      LEFT JOIN pool_company AS pc ON pc.i = pg_temp.pick(p.parent_id, 3)
      JOIN pool_domain AS dom ON dom.i = pg_temp.pick(p.id, 4)
      JOIN pool_phone AS ph ON ph.i = pg_temp.pick(p.id, 5)
      JOIN pool_phone AS mob ON mob.i = pg_temp.pick(p.id, 6)
      JOIN pool_job AS job ON job.i = pg_temp.pick(p.id, 8)
      JOIN pool_street AS st ON st.i = pg_temp.pick(p.id, 11)
      JOIN pool_street2 AS st2 ON st2.i = pg_temp.pick(p.id, 12)
      JOIN pool_zip AS zip ON zip.i = pg_temp.pick(p.id, 13)
      JOIN pool_city AS city ON city.i = pg_temp.pick(p.id, 15)
      JOIN pool_paragraph AS para ON para.i = pg_temp.pick(p.id, 16)
      JOIN pool_first_name AS fn2 ON fn2.i = pg_temp.pick(p.id, 17)
      JOIN pool_last_name AS ln2 ON ln2.i = pg_temp.pick(p.id, 18)
      JOIN pool_domain AS dom2 ON dom2.i = pg_temp.pick(p.id, 19)
      JOIN pool_phone AS ph2 ON ph2.i = pg_temp.pick(p.id, 20)
)
INSERT INTO res_partner (
    id, company_id, create_date, name, parent_id, user_id, country_id, color, commercial_partner_id,
    create_uid, write_uid, display_name, ref, lang, tz, vat, company_registry, website, function, type,
    street, street2, zip, city, email, phone, mobile, commercial_company_name, comment,
    partner_latitude, partner_longitude, active, employee, is_company, partner_share, write_date,
    message_bounce, email_normalized, signup_token, signup_type, signup_expiration, phone_sanitized,
    calendar_last_notif_ack, team_id, is_published, website_description, x_date_of_birth, x_private_notes)
SELECT c.id,
       NULL,
       created.at,
       c.name,
       c.parent_id,
       CASE WHEN c.kind IN ('company', 'person') AND c.id > 1 AND pg_temp.rnd(c.id, 21, 10) < 6
            THEN 4 + pg_temp.rnd(c.id, 22, plan.internal_users) END,
       CASE WHEN c.kind NOT IN ('bot', 'public') THEN c.country_id END,
       0,
       coalesce(c.parent_id, c.id),
       created.uid,
       created.uid,
       CASE WHEN c.parent_id IS NOT NULL THEN c.parent_name || ', ' || c.name ELSE c.name END,
       CASE WHEN c.kind = 'company' AND c.id > 1 THEN 'C' || lpad(c.id::text, 6, '0') END,
       (ARRAY['en_US', 'fr_BE', 'nl_BE'])[1 + pg_temp.rnd(c.id, 23, 3)],
       'Europe/Brussels',
       CASE WHEN c.kind = 'company'
            THEN (ARRAY['BE', 'FR', 'NL', 'DE', 'GB', 'LU', 'ES', 'US'])[c.country_id]
                 || lpad(pg_temp.rnd(c.id, 24, 1000000000)::text, 10, '0') END,
       CASE WHEN c.kind = 'company' THEN lpad(pg_temp.rnd(c.id, 25, 1000000000)::text, 10, '0') END,
       CASE WHEN c.kind = 'company' THEN 'https://www.' || c.domain
            WHEN c.kind = 'person' AND pg_temp.rnd(c.id, 26, 10) = 0 THEN 'https://' || c.handle || '.' || c.domain END,
       CASE WHEN c.kind IN ('internal', 'portal', 'work', 'person') THEN c.job END,
       CASE WHEN c.kind = 'private' THEN 'private' ELSE 'contact' END,
       CASE WHEN c.kind NOT IN ('bot', 'public') THEN c.street END,
       CASE WHEN c.kind NOT IN ('bot', 'public') AND pg_temp.rnd(c.id, 27, 3) = 0 THEN c.street2 END,
       CASE WHEN c.kind NOT IN ('bot', 'public') THEN c.zip END,
       CASE WHEN c.kind NOT IN ('bot', 'public') THEN c.city END,
       email.address,
       c.phone,
       c.mobile,
       CASE WHEN c.kind = 'company' THEN c.name ELSE c.parent_name END,
       CASE WHEN c.kind IN ('company', 'person', 'private') AND pg_temp.rnd(c.id, 28, 3) = 0
            THEN '<p>' || c.paragraph || '</p><p>Prefers to be called on <b>' || coalesce(c.mobile, c.phone)
                 || '</b>. Assistant: ' || c.other_name || ' (' || c.other_email || ', ' || c.other_phone || ').</p>' END,
       CASE WHEN c.kind IN ('company', 'person') AND pg_temp.rnd(c.id, 29, 3) = 0
            THEN 49.5 + pg_temp.rnd(c.id, 30, 2000000) / 1000000.0 END,
       CASE WHEN c.kind IN ('company', 'person') AND pg_temp.rnd(c.id, 29, 3) = 0
            THEN 2.6 + pg_temp.rnd(c.id, 31, 3800000) / 1000000.0 END,
       c.kind <> 'public' AND (c.kind <> 'person' OR mod(c.id, 41) <> 0),
       c.kind IN ('internal', 'work'),
       c.kind = 'company',
       c.share,
       created.at + make_interval(hours => pg_temp.rnd(c.id, 32, 2000)),
       CASE WHEN pg_temp.rnd(c.id, 33, 50) = 0 THEN 1 + pg_temp.rnd(c.id, 34, 3) ELSE 0 END,
       lower(email.address),
       CASE WHEN c.kind = 'portal' AND pg_temp.rnd(c.id, 35, 3) = 0 THEN pg_temp.secret('signup:' || c.id, 20) END,
       CASE WHEN c.kind = 'portal' AND pg_temp.rnd(c.id, 35, 3) = 0 THEN 'signup' END,
       CASE WHEN c.kind = 'portal' AND pg_temp.rnd(c.id, 35, 3) = 0 THEN created.at + interval '1 day' END,
       c.phone_sanitized,
       CASE WHEN c.kind = 'internal' THEN pg_temp.moment(c.id, 36) END,
       CASE WHEN c.kind IN ('company', 'person') AND pg_temp.rnd(c.id, 37, 2) = 0 THEN 1 + pg_temp.rnd(c.id, 38, 3) END,
       c.kind = 'company' AND c.id > 1 AND pg_temp.rnd(c.id, 39, 10) = 0,
       CASE WHEN c.kind = 'company' AND c.id > 1 AND pg_temp.rnd(c.id, 39, 10) = 0
            THEN jsonb_build_object('en_US', '<p>' || c.paragraph || '</p><p>Call ' || c.phone || ' or write to '
                                    || c.mailbox || '@' || c.domain || '.</p>') END,
       CASE WHEN c.kind IN ('person', 'private') AND pg_temp.rnd(c.id, 42, 5) < 2
            THEN date '1950-01-01' + pg_temp.rnd(c.id, 43, 18000) END,
       CASE WHEN c.kind IN ('person', 'private') AND pg_temp.rnd(c.id, 44, 10) < 3
            THEN 'Partner: ' || c.other_name || ', ' || c.other_phone || ', ' || c.other_email
                 || E'.\nPrivate line: ' || coalesce(c.mobile, c.phone) || '.' END
  FROM contact AS c
 CROSS JOIN plan
 CROSS JOIN LATERAL (
       SELECT CASE WHEN c.kind = 'public' THEN NULL ELSE c.mailbox || '@' || c.domain END AS address) AS email
 CROSS JOIN LATERAL (
       SELECT CASE WHEN c.id <= 4 THEN pg_temp.installed_at() ELSE pg_temp.spread(c.id, plan.partners) END AS at,
              CASE WHEN c.id <= 4 THEN 1
                   WHEN pg_temp.rnd(c.id, 41, 2) = 0 THEN 2
                   ELSE 4 + pg_temp.rnd(c.id, 40, plan.internal_users) END AS uid) AS created;
