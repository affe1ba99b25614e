-- Leads and opportunities. Six in ten belong to an existing customer and copy its contact
-- details (as Odoo's computed fields do); the others carry the details a web form or an inbound
-- email brought in. Descriptions and lead properties hold more personal data.

INSERT INTO crm_lead (
    id, message_bounce, user_id, team_id, company_id, stage_id, color, partner_id, lang_id, country_id,
    create_uid, write_uid, email_cc, email_normalized, phone_sanitized, name, referred, type, priority,
    contact_name, partner_name, function, email_from, phone, mobile, phone_state, email_state, website,
    street, street2, zip, city, lead_properties, description, active, date_deadline, date_closed,
    date_action_last, date_open, date_last_stage_update, date_conversion, create_date, write_date,
    expected_revenue, prorated_revenue, recurring_revenue, recurring_revenue_monthly,
    recurring_revenue_monthly_prorated, day_open, day_close, probability, automated_probability, x_referrer_email)
SELECT l.id, 0, s.user_id, 1 + pg_temp.rnd(l.id, 140, 3), 1, s.stage_id, 0, cp.id,
       1 + pg_temp.rnd(l.id, 141, 3), coalesce(cp.country_id, 1 + pg_temp.rnd(l.id, 142, 8)),
       s.user_id, s.user_id,
       CASE WHEN pg_temp.rnd(l.id, 143, 6) = 0 THEN '"' || ofn.v || ' ' || oln.v || '" <' || ofn.norm || '.' || oln.norm || '@' || dom.v || '>' END,
       lower(c.email), c.phone_sanitized,
       coalesce(c.company, c.contact) || ' - ' || rtrim(left(topic.v, 40), '. '),
       CASE WHEN pg_temp.rnd(l.id, 144, 8) = 0 THEN ofn.v || ' ' || oln.v END,
       s.type, (pg_temp.rnd(l.id, 145, 4))::text,
       c.contact, c.company, c.function, c.email, c.phone, c.mobile, 'correct', 'correct', c.website,
       c.street, c.street2, c.zip, c.city,
       CASE WHEN pg_temp.rnd(l.id, 146, 5) = 0
            THEN jsonb_build_object('b4f0bbcd1e2a3c47', ofn.v || ' ' || oln.v || ' <' || ofn.norm || '@' || dom.v || '>') END,
       '<p>' || p1.v || '</p><p>Contact: ' || coalesce(c.contact, c.company) || ', ' || coalesce(c.mobile, c.phone)
           || ', <a href="mailto:' || c.email || '">' || c.email || '</a></p>'
           || CASE WHEN pg_temp.rnd(l.id, 147, 2) = 0 THEN '<p>' || p2.v || '</p>' ELSE '' END,
       mod(l.id, 9) <> 0,
       (t.created + make_interval(days => 15 + pg_temp.rnd(l.id, 148, 90)))::date,
       CASE WHEN s.stage_id = 4 THEN t.created + make_interval(days => 20 + pg_temp.rnd(l.id, 149, 60)) END,
       t.created + interval '3 days',
       t.created + interval '1 hour',
       t.created + make_interval(days => pg_temp.rnd(l.id, 150, 20)),
       CASE WHEN s.type = 'opportunity' THEN t.created + interval '2 days' END,
       t.created, t.created + make_interval(days => pg_temp.rnd(l.id, 150, 20)),
       r.expected, round(r.expected * r.probability / 100, 2), 0, 0, 0,
       0, CASE WHEN s.stage_id = 4 THEN 20 + pg_temp.rnd(l.id, 149, 60) END,
       r.probability, r.probability,
       CASE WHEN pg_temp.rnd(l.id, 174, 10) < 3 THEN ofn.norm || '.' || oln.norm || '@' || dom.v END
  FROM plan
 CROSS JOIN generate_series(1, plan.leads) AS l (id)
 CROSS JOIN LATERAL (SELECT pg_temp.spread(l.id, plan.leads) AS created) AS t
 CROSS JOIN LATERAL (
       SELECT 4 + pg_temp.rnd(l.id, 151, plan.internal_users) AS user_id,
              CASE WHEN pg_temp.rnd(l.id, 152, 10) < 7 THEN 'opportunity' ELSE 'lead' END AS type,
              1 + pg_temp.rnd(l.id, 153, 4) AS stage_id) AS s
 CROSS JOIN LATERAL (
       SELECT (1000 + pg_temp.rnd(l.id, 154, 99000))::numeric AS expected,
              CASE WHEN s.stage_id = 4 THEN 100 ELSE 10 + pg_temp.rnd(l.id, 155, 80) END AS probability) AS r
  LEFT JOIN res_partner AS cp
         ON cp.id = plan.contact_partner0 + pg_temp.rnd(l.id, 156, plan.contacts) AND pg_temp.rnd(l.id, 157, 10) < 6
  JOIN pool_first_name AS fn ON fn.i = pg_temp.pick(l.id, 158)
  JOIN pool_last_name AS ln ON ln.i = pg_temp.pick(l.id, 159)
  JOIN pool_company AS co ON co.i = pg_temp.pick(l.id, 160)
  JOIN pool_domain AS dom ON dom.i = pg_temp.pick(l.id, 161)
  JOIN pool_phone AS ph ON ph.i = pg_temp.pick(l.id, 162)
  JOIN pool_phone AS mob ON mob.i = pg_temp.pick(l.id, 163)
  JOIN pool_job AS job ON job.i = pg_temp.pick(l.id, 164)
  JOIN pool_street AS st ON st.i = pg_temp.pick(l.id, 165)
  JOIN pool_zip AS zip ON zip.i = pg_temp.pick(l.id, 166)
  JOIN pool_city AS city ON city.i = pg_temp.pick(l.id, 167)
  JOIN pool_sentence AS topic ON topic.i = pg_temp.pick(l.id, 168)
  JOIN pool_paragraph AS p1 ON p1.i = pg_temp.pick(l.id, 169)
  JOIN pool_paragraph AS p2 ON p2.i = pg_temp.pick(l.id, 170)
  JOIN pool_first_name AS ofn ON ofn.i = pg_temp.pick(l.id, 171)
  JOIN pool_last_name AS oln ON oln.i = pg_temp.pick(l.id, 172)
 CROSS JOIN LATERAL (
       SELECT CASE WHEN cp.id IS NULL THEN fn.v || ' ' || ln.v WHEN NOT cp.is_company THEN cp.name END AS contact,
              CASE WHEN cp.id IS NULL AND pg_temp.rnd(l.id, 173, 3) > 0 THEN co.v ELSE cp.commercial_company_name END AS company,
              CASE WHEN cp.id IS NULL THEN job.v ELSE cp.function END AS function,
              CASE WHEN cp.id IS NULL THEN fn.norm || '.' || ln.norm || l.id || '@' || dom.v ELSE cp.email END AS email,
              CASE WHEN cp.id IS NULL THEN ph.v ELSE cp.phone END AS phone,
              CASE WHEN cp.id IS NULL THEN mob.v ELSE cp.mobile END AS mobile,
              CASE WHEN cp.id IS NULL THEN mob.norm ELSE cp.phone_sanitized END AS phone_sanitized,
              CASE WHEN cp.id IS NULL THEN 'https://www.' || dom.v ELSE cp.website END AS website,
              CASE WHEN cp.id IS NULL THEN st.v ELSE cp.street END AS street,
              cp.street2,
              CASE WHEN cp.id IS NULL THEN zip.v ELSE cp.zip END AS zip,
              CASE WHEN cp.id IS NULL THEN city.v ELSE cp.city END AS city) AS c;
