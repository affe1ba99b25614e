-- Files: CVs of applicants, ID scans and contracts of employees, vCards of contacts, documents
-- on leads and message attachments. Text content holds the owner's name, email, phone and
-- address; four in ten are stored in the database (db_datas), the others in the filestore
-- (store_fname), and one in ten is a link to a shared drive.

INSERT INTO ir_attachment (
    id, res_id, company_id, file_size, name, res_model, res_field, type, url, access_token, store_fname,
    checksum, mimetype, description, index_content, public, db_datas, original_id, website_id, key,
    create_uid, write_uid, create_date, write_date)
SELECT a.id, r.res_id, 1,
       CASE WHEN f.kind <> 'url' THEN octet_length(f.content) END,
       f.name, r.model, NULL, CASE WHEN f.kind = 'url' THEN 'url' ELSE 'binary' END,
       CASE WHEN f.kind = 'url' THEN 'https://drive.google.com/file/d/' || pg_temp.secret('drive:' || a.id, 33) || '/view' END,
       CASE WHEN pg_temp.rnd(a.id, 500, 5) = 0 THEN pg_temp.uuid('attachment:' || a.id) END,
       CASE WHEN f.kind = 'file' THEN left(f.checksum, 2) || '/' || f.checksum END,
       CASE WHEN f.kind <> 'url' THEN f.checksum END,
       CASE WHEN f.kind = 'url' THEN 'application/link' ELSE f.mimetype END,
       CASE WHEN pg_temp.rnd(a.id, 501, 4) = 0 THEN 'Received from ' || o.name || ' <' || o.email || '>' END,
       CASE WHEN f.kind <> 'url' THEN convert_from(f.content, 'UTF8') END,
       false,
       CASE WHEN f.kind = 'db' THEN f.content END,
       NULL, NULL, NULL,
       t.uid, t.uid, t.at, t.at
  FROM plan
 CROSS JOIN generate_series(1, plan.attachments) AS a (id)
 CROSS JOIN LATERAL (
       SELECT pg_temp.spread(a.id, plan.attachments) AS at,
              4 + pg_temp.rnd(a.id, 502, plan.internal_users) AS uid) AS t
 CROSS JOIN LATERAL (
       SELECT CASE WHEN target < 3 THEN 'res.partner' WHEN target < 6 THEN 'crm.lead'
                   WHEN target < 8 THEN 'hr.applicant' WHEN target = 8 THEN 'hr.employee' ELSE 'mail.message' END AS model,
              CASE WHEN target < 3 THEN plan.contact_partner0 + pg_temp.rnd(a.id, 504, plan.contacts)
                   WHEN target < 6 THEN 1 + pg_temp.rnd(a.id, 505, plan.leads)
                   WHEN target < 8 THEN 1 + pg_temp.rnd(a.id, 506, plan.applicants)
                   WHEN target = 8 THEN 1 + pg_temp.rnd(a.id, 507, plan.employees)
                   ELSE 1 + pg_temp.rnd(a.id, 508, plan.messages) END AS res_id
         FROM (SELECT pg_temp.rnd(a.id, 503, 10) AS target) AS x) AS r
  LEFT JOIN res_partner AS rp ON r.model = 'res.partner' AND rp.id = r.res_id
  LEFT JOIN crm_lead AS rl ON r.model = 'crm.lead' AND rl.id = r.res_id
  LEFT JOIN hr_applicant AS ra ON r.model = 'hr.applicant' AND ra.id = r.res_id
  LEFT JOIN hr_employee AS re ON r.model = 'hr.employee' AND re.id = r.res_id
  LEFT JOIN res_partner AS home ON home.id = re.address_home_id
  LEFT JOIN mail_message AS rm ON r.model = 'mail.message' AND rm.id = r.res_id
  LEFT JOIN res_partner AS author ON author.id = rm.author_id
 CROSS JOIN LATERAL (
       SELECT coalesce(rp.name, rl.contact_name, rl.partner_name, ra.partner_name, re.name, author.name) AS name,
              coalesce(rp.email, rl.email_from, ra.email_from, home.email, author.email) AS email,
              coalesce(rp.phone, rl.phone, ra.partner_phone, home.phone, author.phone) AS phone,
              coalesce(rp.street || ', ' || rp.zip || ' ' || rp.city, rl.street || ', ' || rl.zip || ' ' || rl.city,
                       home.street || ', ' || home.zip || ' ' || home.city, '') AS address) AS o
  JOIN pool_paragraph AS p1 ON p1.i = pg_temp.pick(a.id, 509)
  JOIN pool_paragraph AS p2 ON p2.i = pg_temp.pick(a.id, 510)
 CROSS JOIN LATERAL (
       SELECT CASE WHEN mod(a.id, 10) = 0 THEN 'url' WHEN pg_temp.rnd(a.id, 511, 9) < 4 THEN 'db' ELSE 'file' END AS kind,
              CASE r.model WHEN 'hr.applicant' THEN 'CV ' || o.name || '.pdf'
                           WHEN 'hr.employee' THEN (ARRAY['Passport scan ', 'Employment contract ', 'ID card '])[1 + pg_temp.rnd(a.id, 512, 3)] || o.name || '.pdf'
                           WHEN 'res.partner' THEN o.name || '.vcf'
                           WHEN 'crm.lead' THEN 'Request for quotation - ' || o.name || '.pdf'
                           ELSE 'Signed offer ' || o.name || '.pdf' END AS name,
              CASE WHEN r.model = 'res.partner' THEN 'text/vcard' ELSE 'application/pdf' END AS mimetype,
              convert_to(CASE WHEN r.model = 'res.partner'
                              THEN E'BEGIN:VCARD\nVERSION:3.0\nFN:' || o.name || E'\nEMAIL:' || coalesce(o.email, '')
                                   || E'\nTEL:' || coalesce(o.phone, '') || E'\nADR:' || o.address || E'\nEND:VCARD\n'
                              ELSE o.name || E'\n' || o.address || E'\n' || coalesce(o.email, '') || E'\n'
                                   || coalesce(o.phone, '') || E'\n\n' || p1.v || E'\n\n' || p2.v || E'\n' END, 'UTF8') AS content
       ) AS f0
 CROSS JOIN LATERAL (SELECT f0.*, left(encode(sha256(f0.content), 'hex'), 40) AS checksum) AS f;
