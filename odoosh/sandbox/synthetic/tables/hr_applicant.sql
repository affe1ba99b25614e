-- Job applicants: contact details, LinkedIn profile, salary expectations and a cover letter.

INSERT INTO hr_applicant (
    id, partner_id, company_id, user_id, color, emp_id, email_cc, name, email_from, priority,
    salary_proposed_extra, salary_expected_extra, partner_name, partner_phone, partner_mobile, kanban_state,
    linkedin_profile, availability, description, active, date_closed, date_open, date_last_stage_update,
    probability, salary_proposed, salary_expected, delay_close, create_uid, write_uid, create_date, write_date)
SELECT a.id, NULL, 1, 4 + pg_temp.rnd(a.id, 110, plan.internal_users), 0, NULL,
       CASE WHEN pg_temp.rnd(a.id, 111, 5) = 0 THEN '"' || rfn.v || ' ' || rln.v || '" <' || rfn.norm || '.' || rln.norm || '@' || rdom.v || '>' END,
       job.v,
       left(c.email, 128),
       (pg_temp.rnd(a.id, 112, 4))::text,
       CASE WHEN pg_temp.rnd(a.id, 113, 3) = 0 THEN 'Company car, meal vouchers' END,
       CASE WHEN pg_temp.rnd(a.id, 114, 3) = 0 THEN 'Hybrid work, 32 days off' END,
       c.name, ph.v, mob.v, 'normal',
       'https://www.linkedin.com/in/' || fn.norm || '-' || ln.norm || '-' || a.id,
       date '2024-01-01' + pg_temp.rnd(a.id, 115, 365),
       '<p>Dear recruiter,</p><p>' || p1.v || '</p><p>' || p2.v || '</p><p>You can reach me on ' || mob.v
           || ' or at <a href="mailto:' || c.email || '">' || c.email || '</a>. References: ' || rfn.v || ' ' || rln.v
           || ', ' || rph.v || '.</p><p>Kind regards,<br>' || c.name || '</p>',
       mod(a.id, 7) <> 0,
       CASE WHEN mod(a.id, 4) = 0 THEN t.created + interval '30 days' END,
       t.created + interval '2 days', t.created + interval '5 days',
       pg_temp.rnd(a.id, 116, 101), 40000 + pg_temp.rnd(a.id, 117, 40000), 42000 + pg_temp.rnd(a.id, 118, 45000),
       CASE WHEN mod(a.id, 4) = 0 THEN 30 END,
       1, 4 + pg_temp.rnd(a.id, 110, plan.internal_users), t.created, t.created + interval '5 days'
  FROM plan
 CROSS JOIN generate_series(1, plan.applicants) AS a (id)
 CROSS JOIN LATERAL (SELECT pg_temp.spread(a.id, plan.applicants) AS created) AS t
  JOIN pool_first_name AS fn ON fn.i = pg_temp.pick(a.id, 119)
  JOIN pool_last_name AS ln ON ln.i = pg_temp.pick(a.id, 120)
  JOIN pool_domain AS dom ON dom.i = pg_temp.pick(a.id, 121)
 CROSS JOIN LATERAL (SELECT fn.v || ' ' || ln.v AS name,
                            fn.norm || '.' || ln.norm || a.id || '@' || dom.v AS email) AS c
  JOIN pool_phone AS ph ON ph.i = pg_temp.pick(a.id, 122)
  JOIN pool_phone AS mob ON mob.i = pg_temp.pick(a.id, 123)
  JOIN pool_job AS job ON job.i = pg_temp.pick(a.id, 124)
  JOIN pool_paragraph AS p1 ON p1.i = pg_temp.pick(a.id, 125)
  JOIN pool_paragraph AS p2 ON p2.i = pg_temp.pick(a.id, 126)
  JOIN pool_first_name AS rfn ON rfn.i = pg_temp.pick(a.id, 127)
  JOIN pool_last_name AS rln ON rln.i = pg_temp.pick(a.id, 128)
  JOIN pool_domain AS rdom ON rdom.i = pg_temp.pick(a.id, 129)
  JOIN pool_phone AS rph ON rph.i = pg_temp.pick(a.id, 130);
