-- The chatter: most of the database's size. Messages on contacts, leads, applicants and
-- employees; inbound emails (with the quoted message they answer), comments and internal notes
-- by employees, and stage-change notifications on leads (their tracking values are in
-- mail_tracking_value.sql). Bodies are 1 to 4 paragraphs plus the author's phone and email, and
-- now and then a third person's contact details that appear in no other table.

INSERT INTO mail_message (
    id, parent_id, res_id, subtype_id, author_id, mail_server_id, create_uid, write_uid, subject, model,
    record_name, message_type, email_from, message_id, reply_to, email_layout_xmlid, body, is_internal,
    reply_to_force_new, email_add_signature, date, create_date, write_date)
SELECT m.id, NULL, r.res_id,
       CASE k.message_type WHEN 'notification' THEN 4 ELSE 1 + k.note::integer END,
       a.id,
       CASE WHEN k.message_type = 'comment' AND NOT k.note THEN 1 END,
       k.uid, k.uid,
       CASE WHEN k.message_type = 'email' THEN CASE WHEN pg_temp.rnd(m.id, 200, 2) = 0 THEN 'Re: ' ELSE '' END || subject.v END,
       r.model,
       coalesce(rp.display_name, rl.name, ra.partner_name, re.name),
       k.message_type,
       '"' || a.name || '" <' || a.email || '>',
       CASE WHEN k.message_type = 'email'
            THEN '<' || pg_temp.secret('msgid:' || m.id, 32) || '@mail.' || split_part(a.email, '@', 2) || '>'
            ELSE '<' || extract(epoch FROM t.at)::bigint || '.' || pg_temp.rnd(m.id, 201, 1000000)
                 || '-openerp-' || r.res_id || '-' || r.model || '@erp.' || c.domain || '>' END,
       CASE WHEN k.message_type = 'email' THEN '"' || a.name || '" <' || a.email || '>'
            WHEN k.message_type = 'comment' THEN '"' || c.name || '" <catchall@' || c.domain || '>' END,
       CASE WHEN k.message_type = 'comment' AND NOT k.note THEN 'mail.mail_notification_light' END,
       CASE WHEN k.message_type = 'notification' THEN ''
            ELSE '<p>Dear ' || fn.v || ',</p><p>' || p1.v || '</p>'
                 || CASE WHEN k.paragraphs >= 2 THEN '<p>' || p2.v || '</p>' ELSE '' END
                 || CASE WHEN k.paragraphs >= 3 THEN '<p>' || p3.v || '</p>' ELSE '' END
                 || CASE WHEN k.paragraphs >= 4 THEN '<p>' || p4.v || '</p>' ELSE '' END
                 || '<p>You can reach me on ' || coalesce(a.mobile, a.phone) || ' or at <a href="mailto:' || a.email
                 || '">' || a.email || '</a>.</p>'
                 || CASE WHEN pg_temp.rnd(m.id, 202, 3) = 0
                         THEN '<p>My colleague ' || ofn.v || ' ' || oln.v || ' (' || oph.v || ', ' || ofn.norm || '.'
                              || oln.norm || '@' || odom.v || ') will follow up.</p>' ELSE '' END
                 || '<p>Best regards,<br>' || a.name || coalesce('<br>' || a.function, '') || '</p>'
                 || CASE WHEN k.message_type = 'email'
                         THEN '<blockquote data-o-mail-quote="1">On ' || to_char(t.at - interval '2 days', 'Dy DD Mon YYYY')
                              || ', ' || fn.v || ' wrote:<br>' || p5.v || '</blockquote>' ELSE '' END END,
       k.note, false, k.message_type = 'comment', t.at, t.at, t.at
  FROM plan
 CROSS JOIN pg_temp.main_company AS c
 CROSS JOIN generate_series(1, plan.messages) AS m (id)
 CROSS JOIN LATERAL (SELECT pg_temp.spread(m.id, plan.messages) AS at) AS t
 CROSS JOIN LATERAL (
       SELECT CASE WHEN target < 4 THEN 'res.partner' WHEN target < 8 THEN 'crm.lead'
                   WHEN target = 8 THEN 'hr.applicant' ELSE 'hr.employee' END AS model,
              CASE WHEN target < 4 THEN plan.contact_partner0 + pg_temp.rnd(m.id, 204, plan.contacts)
                   WHEN target < 8 THEN 1 + pg_temp.rnd(m.id, 205, plan.leads)
                   WHEN target = 8 THEN 1 + pg_temp.rnd(m.id, 206, plan.applicants)
                   ELSE 1 + pg_temp.rnd(m.id, 207, plan.employees) END AS res_id
         FROM (SELECT pg_temp.rnd(m.id, 203, 10) AS target) AS x) AS r
 CROSS JOIN LATERAL (
       SELECT CASE WHEN r.model = 'crm.lead' AND kind >= 15 THEN 'notification'
                   WHEN kind < 10 THEN 'email' ELSE 'comment' END AS message_type,
              kind BETWEEN 10 AND 12 AS note,
              1 + pg_temp.rnd(m.id, 209, 4) AS paragraphs,
              -- emails come from customers, the rest from employees (user = partner - 1)
              CASE WHEN kind < 10 THEN plan.contact_partner0 + pg_temp.rnd(m.id, 210, plan.contacts)
                   ELSE 5 + pg_temp.rnd(m.id, 211, plan.internal_users) END AS author_id,
              CASE WHEN kind < 10 THEN 1 ELSE 4 + pg_temp.rnd(m.id, 211, plan.internal_users) END AS uid
         FROM (SELECT pg_temp.rnd(m.id, 208, 20) AS kind) AS x) AS k
  JOIN res_partner AS a ON a.id = k.author_id
  LEFT JOIN res_partner AS rp ON r.model = 'res.partner' AND rp.id = r.res_id
  LEFT JOIN crm_lead AS rl ON r.model = 'crm.lead' AND rl.id = r.res_id
  LEFT JOIN hr_applicant AS ra ON r.model = 'hr.applicant' AND ra.id = r.res_id
  LEFT JOIN hr_employee AS re ON r.model = 'hr.employee' AND re.id = r.res_id
  JOIN pool_first_name AS fn ON fn.i = pg_temp.pick(m.id, 212)
  JOIN pool_sentence AS subject ON subject.i = pg_temp.pick(m.id, 213)
  JOIN pool_paragraph AS p1 ON p1.i = pg_temp.pick(m.id, 214)
  JOIN pool_paragraph AS p2 ON p2.i = pg_temp.pick(m.id, 215)
  JOIN pool_paragraph AS p3 ON p3.i = pg_temp.pick(m.id, 216)
  JOIN pool_paragraph AS p4 ON p4.i = pg_temp.pick(m.id, 217)
  JOIN pool_paragraph AS p5 ON p5.i = pg_temp.pick(m.id, 218)
  JOIN pool_first_name AS ofn ON ofn.i = pg_temp.pick(m.id, 219)
  JOIN pool_last_name AS oln ON oln.i = pg_temp.pick(m.id, 220)
  JOIN pool_phone AS oph ON oph.i = pg_temp.pick(m.id, 221)
  JOIN pool_domain AS odom ON odom.i = pg_temp.pick(m.id, 222);
