-- Employees: 1 is the admin, 2 .. linked_employees have internal users (employee e > 1 has user
-- e + 2), the others only a work contact. Each has a private address (a 'private' partner named
-- after them) and a bank account with the same id. Identity documents, family and emergency
-- contacts, and free-text notes that mention phone numbers and emails.

INSERT INTO hr_employee (
    id, resource_id, company_id, resource_calendar_id, color, address_id, work_contact_id, user_id,
    parent_id, coach_id, address_home_id, country_id, children, country_of_birth, bank_account_id,
    km_home_work, name, job_title, work_phone, mobile_phone, work_email, employee_type, gender, marital,
    spouse_complete_name, place_of_birth, ssnid, sinid, identification_id, passport_id, permit_no, visa_no,
    certificate, study_field, study_school, emergency_contact, emergency_phone, barcode, pin,
    spouse_birthdate, birthday, visa_expire, work_permit_expiration_date, departure_date, additional_note,
    notes, departure_description, active, work_permit_scheduled_activity,
    create_uid, write_uid, create_date, write_date)
SELECT e.id, e.id, 1, 1, 0, 1, w.id, l.user_id,
       CASE WHEN e.id > 1 THEN 1 + pg_temp.rnd(e.id, 70, least(e.id - 1, 8)) END,
       CASE WHEN e.id > 1 THEN 1 + pg_temp.rnd(e.id, 71, least(e.id - 1, 8)) END,
       h.id, h.country_id, pg_temp.rnd(e.id, 72, 4), h.country_id, e.id,
       1 + pg_temp.rnd(e.id, 73, 60),
       w.name, w.function, w.phone, w.mobile, w.email,
       (ARRAY['employee', 'employee', 'employee', 'employee', 'student', 'trainee', 'contractor', 'freelance'])[1 + pg_temp.rnd(e.id, 74, 8)],
       (ARRAY['male', 'female', 'other'])[1 + pg_temp.rnd(e.id, 75, 3)],
       CASE WHEN f.married THEN 'married' ELSE (ARRAY['single', 'cohabitant', 'divorced', 'widower'])[1 + pg_temp.rnd(e.id, 76, 4)] END,
       CASE WHEN f.married THEN sfn.v || ' ' || sln.v END,
       birth_city.v, ssn.v,
       lpad(pg_temp.rnd(e.id, 77, 1000)::text, 3, '0') || ' ' || lpad(pg_temp.rnd(e.id, 78, 1000)::text, 3, '0')
           || ' ' || lpad(pg_temp.rnd(e.id, 79, 1000)::text, 3, '0'),
       to_char(f.birthday, 'YY.MM.DD') || '-' || lpad(pg_temp.rnd(e.id, 80, 1000)::text, 3, '0') || '.'
           || lpad(pg_temp.rnd(e.id, 81, 100)::text, 2, '0'),
       passport.v,
       CASE WHEN f.foreign_worker THEN 'WP-' || lpad(pg_temp.rnd(e.id, 82, 100000000)::text, 8, '0') END,
       CASE WHEN f.foreign_worker THEN 'V' || lpad(pg_temp.rnd(e.id, 83, 1000000000)::text, 9, '0') END,
       (ARRAY['graduate', 'bachelor', 'master', 'doctor', 'other'])[1 + pg_temp.rnd(e.id, 84, 5)],
       study.v, 'University of ' || school_city.v,
       efn.v || ' ' || eln.v, ephone.v,
       lpad(e.id::text, 6, '0') || lpad(pg_temp.rnd(e.id, 85, 1000000)::text, 6, '0'),
       lpad(pg_temp.rnd(e.id, 86, 10000)::text, 4, '0'),
       CASE WHEN f.married THEN f.birthday + pg_temp.rnd(e.id, 87, 3000) - 1500 END,
       f.birthday,
       CASE WHEN f.foreign_worker THEN date '2025-01-01' + pg_temp.rnd(e.id, 88, 1500) END,
       CASE WHEN f.foreign_worker THEN date '2025-01-01' + pg_temp.rnd(e.id, 89, 1500) END,
       CASE WHEN NOT f.active THEN (w.create_date + interval '400 days')::date END,
       'Private mobile ' || coalesce(h.mobile, h.phone) || ', private email ' || h.email || '. ' || note.v,
       '<p>' || note2.v || '</p><p>In case of emergency call ' || efn.v || ' ' || eln.v || ' on ' || ephone.v
           || ' or write to ' || efn.norm || '.' || eln.norm || '@' || edom.v || '.</p>',
       CASE WHEN NOT f.active THEN 'Left for a new job; forwarding address ' || h.street || ', ' || h.zip || ' ' || h.city
                                   || ', reachable at ' || h.email || '.' END,
       f.active, f.foreign_worker,
       2, 2, w.create_date, w.write_date
  FROM plan
 CROSS JOIN generate_series(1, plan.employees) AS e (id)
 CROSS JOIN LATERAL (
       SELECT CASE WHEN e.id = 1 THEN 2 WHEN e.id <= plan.linked_employees THEN e.id + 2 END AS user_id,
              CASE WHEN e.id <= plan.linked_employees THEN NULL
                   ELSE plan.emp_work_partner0 + e.id - plan.linked_employees - 1 END AS unlinked_partner) AS l
  JOIN res_partner AS w ON w.id = coalesce(l.user_id + 1, l.unlinked_partner)
  JOIN res_partner AS h ON h.id = plan.emp_home_partner0 + e.id - 1
 CROSS JOIN LATERAL (
       SELECT pg_temp.rnd(e.id, 90, 10) < 6 AS married,
              pg_temp.rnd(e.id, 91, 10) < 6 AS foreign_worker,
              e.id <= plan.linked_employees OR mod(e.id, 15) <> 0 AS active,
              date '1960-01-01' + pg_temp.rnd(e.id, 92, 14600) AS birthday) AS f
  JOIN pool_first_name AS sfn ON sfn.i = pg_temp.pick(e.id, 93)
  JOIN pool_last_name AS sln ON sln.i = pg_temp.pick(e.id, 94)
  JOIN pool_first_name AS efn ON efn.i = pg_temp.pick(e.id, 95)
  JOIN pool_last_name AS eln ON eln.i = pg_temp.pick(e.id, 96)
  JOIN pool_phone AS ephone ON ephone.i = pg_temp.pick(e.id, 97)
  JOIN pool_domain AS edom ON edom.i = pg_temp.pick(e.id, 105)
  JOIN pool_city AS birth_city ON birth_city.i = pg_temp.pick(e.id, 98)
  JOIN pool_city AS school_city ON school_city.i = pg_temp.pick(e.id, 99)
  JOIN pool_ssn AS ssn ON ssn.i = pg_temp.pick(e.id, 100)
  JOIN pool_passport AS passport ON passport.i = pg_temp.pick(e.id, 101)
  JOIN pool_job AS study ON study.i = pg_temp.pick(e.id, 102)
  JOIN pool_paragraph AS note ON note.i = pg_temp.pick(e.id, 103)
  JOIN pool_paragraph AS note2 ON note2.i = pg_temp.pick(e.id, 104);

INSERT INTO resource_resource (id, company_id, user_id, calendar_id, name, resource_type, tz, active, time_efficiency,
                               create_uid, write_uid, create_date, write_date)
SELECT id, company_id, user_id, 1, name, 'user', 'Europe/Brussels', active, 100, create_uid, write_uid,
       create_date, write_date
  FROM hr_employee;
