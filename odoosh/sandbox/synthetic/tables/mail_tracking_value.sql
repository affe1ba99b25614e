-- What the stage-change notifications on leads tracked: one or two field changes each, with the
-- old and new values as Odoo stores them (names and emails in the char columns).

INSERT INTO mail_tracking_value (
    field, old_value_integer, new_value_integer, currency_id, mail_message_id, tracking_sequence, field_desc,
    field_type, old_value_char, new_value_char, old_value_monetary, new_value_monetary,
    create_uid, write_uid, create_date, write_date)
SELECT f.id,
       CASE f.name WHEN 'stage_id' THEN old_stage WHEN 'user_id' THEN old_user.id - 1 END,
       CASE f.name WHEN 'stage_id' THEN l.stage_id WHEN 'user_id' THEN l.user_id WHEN 'partner_id' THEN l.partner_id END,
       CASE WHEN f.ttype = 'monetary' THEN 1 END,
       m.id, f.tracking, f.field_description ->> 'en_US', f.ttype,
       CASE f.name WHEN 'stage_id' THEN (ARRAY['New', 'Qualified', 'Proposition', 'Won'])[old_stage]
                   WHEN 'user_id' THEN old_user.name
                   WHEN 'partner_name' THEN co.v
                   WHEN 'contact_name' THEN fn.v || ' ' || ln.v
                   WHEN 'email_from' THEN fn.norm || '.' || ln.norm || '@' || dom.v
                   WHEN 'phone' THEN ph.v END,
       CASE f.name WHEN 'stage_id' THEN (ARRAY['New', 'Qualified', 'Proposition', 'Won'])[l.stage_id]
                   WHEN 'user_id' THEN new_user.name
                   WHEN 'partner_id' THEN customer.display_name
                   WHEN 'partner_name' THEN l.partner_name
                   WHEN 'contact_name' THEN l.contact_name
                   WHEN 'email_from' THEN l.email_from
                   WHEN 'phone' THEN l.phone END,
       CASE WHEN f.ttype = 'monetary' THEN (l.expected_revenue * 0.8)::float8 END,
       CASE WHEN f.ttype = 'monetary' THEN l.expected_revenue::float8 END,
       m.create_uid, m.write_uid, m.date, m.date
  FROM plan
  JOIN mail_message AS m ON m.message_type = 'notification'
 CROSS JOIN LATERAL generate_series(1, 1 + pg_temp.rnd(m.id, 400, 2)) AS n (i)
  -- fields 1..8 are the tracked crm.lead fields (reference.sql)
  JOIN ir_model_fields AS f ON f.id = 1 + pg_temp.rnd(m.id * 2 + n.i, 401, 8)
  JOIN crm_lead AS l ON l.id = m.res_id
 CROSS JOIN LATERAL (SELECT greatest(l.stage_id - 1, 1) AS old_stage) AS s
  JOIN res_partner AS old_user ON old_user.id = 5 + pg_temp.rnd(m.id, 402, plan.internal_users)
  JOIN res_partner AS new_user ON new_user.id = l.user_id + 1
  LEFT JOIN res_partner AS customer ON customer.id = l.partner_id
  JOIN pool_first_name AS fn ON fn.i = pg_temp.pick(m.id, 403)
  JOIN pool_last_name AS ln ON ln.i = pg_temp.pick(m.id, 404)
  JOIN pool_company AS co ON co.i = pg_temp.pick(m.id, 405)
  JOIN pool_domain AS dom ON dom.i = pg_temp.pick(m.id, 406)
  JOIN pool_phone AS ph ON ph.i = pg_temp.pick(m.id, 407)
 ORDER BY m.id, n.i;
